package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// The answers for formats beyond the main document types (issue 8, part 4),
// through the engine wired as the binary wires it with the default policy.

const (
	icsText = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//cal//JA\r\nBEGIN:VEVENT\r\nUID:1@example.jp\r\n" +
		"DTSTART:20261201T010000Z\r\nSUMMARY:庁内説明会\r\nLOCATION:第2会議室\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	vcfText = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:山田 太郎\r\nN:山田;太郎;;;\r\nTEL;TYPE=WORK:03-1234-5678\r\nEMAIL:yamada@example.lg.jp\r\nEND:VCARD\r\n"
	phpMark = "<?php system($_GET['c']); ?>"
)

func defaultEngine(t *testing.T) *sanitize.Engine {
	t.Helper()
	eng := newEngine(policy.Default(), nil)
	eng.TempDir = t.TempDir()
	return eng
}

func runOne(t *testing.T, eng *sanitize.Engine, name, mime string, in []byte) (*sanitize.Report, []byte) {
	t.Helper()
	rep, out, err := eng.Run(t.Context(), sanitize.Input{R: bytes.NewReader(in), Name: name, MIME: mime})
	if err != nil {
		t.Fatal(err)
	}
	return rep, sanitizetest.Output(t, out)
}

func hasRule(rep *sanitize.Report, rule string, a sanitize.Action) bool {
	return slices.ContainsFunc(rep.Findings, func(f sanitize.Finding) bool { return f.Rule == rule && f.Action == a })
}

// oleFixture is the project's generated compound file with no Word, Excel
// or PowerPoint stream (sanitize/detect/testdata, written by testdata/gen),
// which is what an Ichitaro .jtd looks like to detection.
func oleFixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "sanitize", "detect", "testdata", "other.ole"))
	if err != nil {
		t.Skipf("generated OLE fixture missing: %v", err)
	}
	return b
}

// exifJPEG is a small JPEG with a PHP payload in a comment and after EOI.
func exifJPEG(t *testing.T) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for i := range m.Pix {
		m.Pix[i] = uint8(i)
	}
	m.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	com := []byte{0xFF, 0xFE, 0, 0}
	binary.BigEndian.PutUint16(com[2:], uint16(len(phpMark)+2))
	out := append([]byte{0xFF, 0xD8}, com...)
	out = append(out, phpMark...)
	out = append(out, b.Bytes()[2:]...)
	return append(out, phpMark...)
}

func TestOtherFormatsTopLevel(t *testing.T) {
	eng := defaultEngine(t)
	sjisVCF, err := japanese.ShiftJIS.NewEncoder().String(vcfText)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, mime string
		in         []byte
		outcome    sanitize.Outcome
		rule       string // a finding that must be there
		outName    string // for cleared items
	}{
		{"文書.jtd", "", oleFixture(t), sanitize.OutcomeBlocked, sanitize.RuleUnsupported, ""},
		{"文書.jtd", "application/x-js-taro", oleFixture(t), sanitize.OutcomeBlocked, sanitize.RuleUnsupported, ""},
		{"invite.ics", "", []byte(icsText), sanitize.OutcomePassed, "", "invite.ics.txt"},
		{"invite.ics", "text/calendar", []byte(icsText), sanitize.OutcomePassed, "", "invite.ics.txt"},
		{"card.vcf", "text/vcard", []byte(vcfText), sanitize.OutcomePassed, "", "card.vcf.txt"},
		{"card_sjis.vcf", "", []byte(sjisVCF), sanitize.OutcomeSanitized, "text.charset", "card_sjis.vcf.txt"},
		{"logo.svg", "", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), sanitize.OutcomeBlocked, "image.svg", ""},
		{"photo.jpg", "", exifJPEG(t), sanitize.OutcomeSanitized, "image.metadata", "photo.jpg"},
	} {
		t.Run(tc.name+"/"+tc.mime, func(t *testing.T) {
			rep, out := runOne(t, eng, tc.name, tc.mime, tc.in)
			if rep.Outcome != tc.outcome {
				t.Fatalf("outcome %s, want %s (%v %s)", rep.Outcome, tc.outcome, rep.Findings, rep.Error)
			}
			if tc.rule != "" && !slices.ContainsFunc(rep.Findings, func(f sanitize.Finding) bool { return f.Rule == tc.rule }) {
				t.Errorf("no %s finding: %v", tc.rule, rep.Findings)
			}
			if tc.outcome == sanitize.OutcomeBlocked {
				if out != nil {
					t.Errorf("blocked item has output")
				}
				return
			}
			if got := sanitize.OutputName(tc.name, rep.OutputType); got != tc.outName {
				t.Errorf("output name %q, want %q", got, tc.outName)
			}
			if bytes.Contains(out, []byte("<?php")) {
				t.Errorf("payload survives")
			}
			if strings.HasSuffix(tc.name, ".vcf") && !bytes.Contains(out, []byte("山田 太郎")) {
				t.Errorf("vCard text lost: %q", out)
			}
		})
	}
	// The corpus's own samples, when the corpus is there.
	for _, name := range []string{"fileformat__other_sample.ics", "fileformat__other_sample.vcf"} {
		in, err := os.ReadFile(filepath.Join(corpusDir, "misc", name))
		if err != nil {
			continue
		}
		rep, _ := runOne(t, eng, name, "", in)
		if rep.Outcome == sanitize.OutcomeBlocked || rep.OutputType != detect.Text {
			t.Errorf("%s: %s as %s %v", name, rep.Outcome, rep.OutputType, rep.Findings)
		}
	}
}

// TestMailAttachmentsOtherFormats: a mail attached to a mail (as .eml under
// application/octet-stream and as message/rfc822) is sanitized by the mail
// sanitizer recursively, calendar and contact files cross as text, an
// image is re-encoded, an Ichitaro file is blocked as unsupported.
func TestMailAttachmentsOtherFormats(t *testing.T) {
	eng := defaultEngine(t)
	inner := "From: c@example.com\r\nTo: a@example.jp\r\nSubject: inner\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"IN\"\r\n\r\n" +
		"--IN\r\nContent-Type: text/html\r\n\r\n<p>inner <script>alert(1)</script>text</p>\r\n" +
		"--IN\r\nContent-Type: image/jpeg; name=\"in.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64(exifJPEG(t)) + "--IN--\r\n"
	msg := "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"OUT\"\r\n\r\n" +
		"--OUT\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n添付をご確認ください。\r\n" +
		"--OUT\r\nContent-Type: application/octet-stream; name=\"fwd.eml\"\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64([]byte(inner)) +
		"--OUT\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n" +
		"--OUT\r\nContent-Type: text/calendar; charset=UTF-8; method=REQUEST; name=\"invite.ics\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64([]byte(icsText)) +
		"--OUT\r\nContent-Type: text/x-vcard; name=\"card.vcf\"\r\nContent-Disposition: attachment; filename=\"card.vcf\"\r\n\r\n" + vcfText +
		"--OUT\r\nContent-Type: application/octet-stream; name=\"doc.jtd\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64(oleFixture(t)) + "--OUT--\r\n"

	rep, out := runOne(t, eng, "mail.eml", "", []byte(msg))
	if rep.Outcome == sanitize.OutcomeBlocked || out == nil {
		t.Fatalf("mail blocked: %v %s", rep.Findings, rep.Error)
	}
	byName := map[string]*sanitize.Report{}
	for _, c := range rep.Children {
		byName[c.Input] = c
	}
	for _, name := range []string{"fwd.eml", "message.eml"} {
		c := byName[name]
		if c == nil {
			t.Fatalf("no child %s in %v", name, childNames(rep))
		}
		if c.Detected != detect.EML || c.Outcome == sanitize.OutcomeBlocked {
			t.Errorf("%s: %s %s %v", name, c.Detected, c.Outcome, c.Findings)
		}
		// The inner mail's own parts went through the engine too.
		if !hasRule(c, "html.script", sanitize.Removed) {
			t.Errorf("%s: inner HTML script not reported: %v", name, c.Findings)
		}
		img := findChild(c, "in.jpg")
		if img == nil || !hasRule(img, "image.metadata", sanitize.Removed) || img.Outcome != sanitize.OutcomeSanitized {
			t.Errorf("%s: inner image not sanitized: %+v", name, img)
		}
	}
	for _, name := range []string{"invite.ics", "card.vcf"} {
		c := byName[name]
		if c == nil || c.Outcome == sanitize.OutcomeBlocked || c.OutputType != detect.Text {
			t.Errorf("%s: %+v", name, c)
		}
	}
	if c := byName["doc.jtd"]; c == nil || c.Outcome != sanitize.OutcomeBlocked || !hasRule(c, sanitize.RuleUnsupported, sanitize.Blocked) {
		t.Errorf("doc.jtd: %+v", c)
	}

	// The delivered mail, read with go-message: attachments as expected,
	// no script and no payload anywhere once decoded.
	r, err := gomail.CreateReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p.Body)
		for _, bad := range []string{"<script", "<?php"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("delivered part contains %q", bad)
			}
		}
		if h, ok := p.Header.(*gomail.AttachmentHeader); ok {
			n, _ := h.Filename()
			names = append(names, n)
		}
	}
	slices.Sort(names)
	want := []string{"card.vcf.txt", "fwd.eml", "invite.ics.txt", "message.eml"}
	if !slices.Equal(names, want) {
		t.Errorf("attachments %v, want %v", names, want)
	}
}

func b64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return out.String() + s + "\r\n"
}

func childNames(r *sanitize.Report) []string {
	var out []string
	for _, c := range r.Children {
		out = append(out, c.Input)
	}
	return out
}

func findChild(r *sanitize.Report, name string) *sanitize.Report {
	var found *sanitize.Report
	r.Walk(func(_ int, c *sanitize.Report) {
		if found == nil && c.Input == name {
			found = c
		}
	})
	return found
}
