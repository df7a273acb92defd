package main

import (
	"encoding/base64"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/sanitize"
)

// A PDF attached to a mail from a sender listed in pdf.rasterize_senders is
// rasterized; from anyone else it is disarmed.
func TestRasterizeSendersThroughMail(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed")
	}
	cfg := policy.Default()
	cfg.PDF.RasterizeSenders = []string{"@danger.example"}
	cfg.PDF.RasterPixels = 100
	if _, err := checkEnvironment(cfg); err != nil {
		t.Fatal(err)
	}
	eng := newEngine(cfg, nil)
	eng.TempDir = t.TempDir()
	pdf := "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n" +
		"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\ntrailer\n<< /Root 1 0 R /Size 4 >>\n%%EOF\n"
	msg := "From: a@example.jp\r\nTo: b@city.example.lg.jp\r\nSubject: doc\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee the file\r\n" +
		"--b\r\nContent-Type: application/pdf; name=doc.pdf\r\nContent-Disposition: attachment; filename=doc.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(pdf)) + "\r\n--b--\r\n"
	for from, want := range map[string]bool{"x@danger.example": true, "y@partner.example.jp": false} {
		ctx := sanitize.WithTrace(t.Context(), sanitize.Trace{From: from, To: []string{"b@city.example.lg.jp"}})
		rep, out, err := eng.Run(ctx, sanitize.Input{R: strings.NewReader(msg), Name: "m.eml"})
		if err != nil {
			t.Fatal(err)
		}
		out.Close()
		var rules []string
		rep.Walk(func(_ int, r *sanitize.Report) {
			if r.Detected == "pdf" {
				for _, f := range r.Findings {
					rules = append(rules, f.Rule)
				}
				if r.Outcome == sanitize.OutcomeBlocked {
					t.Errorf("%s: the PDF was blocked: %s %+v", from, r.Error, r.Findings)
				}
			}
		})
		if got := slices.Contains(rules, "pdf.rasterized"); got != want {
			t.Errorf("%s: rasterized %v, want %v (%v)", from, got, want, rules)
		}
	}
}
