package pdf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

func TestRasterize(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed")
	}
	opt := Options{Rasterize: true, Raster: RasterOptions{Pixels: 300}}
	two := baseDoc("/OpenAction "+jsAction, "/Rotate 90").set(2, "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>").
		set(6, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 400] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>").bytes()
	out, res, err := run(t, New(opt), two)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rules(res.Findings), []string{RuleJavaScript, RuleRasterized}; !slices.Equal(got, want) {
		t.Errorf("rules = %v, want %v", got, want)
	}
	// Pages keep their sizes (the first is rotated) and show images only.
	for _, want := range []string{"/MediaBox [0 0 792.00 612.00]", "/MediaBox [0 0 300.00 400.00]", "/DCTDecode"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %s", want)
		}
	}
	if bytes.Contains(out, []byte(pageText)) || bytes.Contains(out, []byte("/Font")) {
		t.Error("text survived rasterizing")
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		f := filepath.Join(t.TempDir(), "r.pdf")
		if err := os.WriteFile(f, out, 0o600); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
			t.Errorf("qpdf --check: %v\n%s", err, b)
		}
		if b, _ := exec.Command("qpdf", "--show-npages", f).Output(); strings.TrimSpace(string(b)) != "2" {
			t.Errorf("pages = %q, want 2", b)
		}
	}
	// The engine re-scans with the same sanitizer: only a Recorded finding.
	_, res2, err := run(t, New(opt), out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res2.Findings {
		if f.Action > sanitize.Recorded {
			t.Errorf("re-scan: %+v", f)
		}
	}
	rep, blob, err := newEngine(t, sanitize.ModeSanitize, opt).Run(t.Context(), sanitize.Input{R: bytes.NewReader(two), Name: "a.pdf"})
	if err != nil {
		t.Fatal(err)
	}
	if blob != nil {
		blob.Close()
	}
	if rep.Outcome != sanitize.OutcomeSanitized {
		t.Errorf("engine: outcome %s (%s)", rep.Outcome, rep.Error)
	}
}

func TestRasterizeLimits(t *testing.T) {
	if err := (Options{Rasterize: true, Raster: RasterOptions{Pdftoppm: "/nonexistent/pdftoppm"}}).Validate(); err == nil {
		t.Error("a missing pdftoppm must be a configuration error")
	}
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed")
	}
	two := baseDoc("", "").set(2, "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>").
		set(6, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 400] /Contents 4 0 R >>").bytes()
	if _, _, err := run(t, New(Options{Rasterize: true, Raster: RasterOptions{MaxPages: 2, Pixels: 100}}), two); err != nil {
		t.Errorf("2 pages, limit 2: %v", err)
	}
	if _, _, err := run(t, New(Options{Rasterize: true, Raster: RasterOptions{MaxPages: 1, Pixels: 100}}), two); !errors.Is(err, sanitize.ErrTooLarge) {
		t.Errorf("2 pages, limit 1: err = %v, want ErrTooLarge", err)
	}
}

func TestRasterizeSandbox(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed")
	}
	doc := baseDoc("", "").bytes()
	detail := func(res sanitize.Result) string {
		for _, f := range res.Findings {
			if f.Rule == RuleRasterized {
				return f.Detail
			}
		}
		t.Fatalf("no %s finding: %+v", RuleRasterized, res.Findings)
		return ""
	}
	noBwrap := RasterOptions{Pixels: 100, Bwrap: "/nonexistent/bwrap"}
	t.Run("required without bwrap is a configuration error", func(t *testing.T) {
		o := noBwrap
		o.Sandbox = SandboxRequired
		if err := (Options{Rasterize: true, Raster: o}).Validate(); err == nil {
			t.Fatal("Validate passed")
		}
		if _, _, err := run(t, New(Options{RasterizeFor: func(context.Context) bool { return true }, Raster: o}), doc); err == nil {
			t.Fatal("rasterized without the required sandbox")
		}
	})
	t.Run("auto without bwrap falls back and says so", func(t *testing.T) {
		_, res, err := run(t, New(Options{Rasterize: true, Raster: noBwrap}), doc)
		if err != nil {
			t.Fatal(err)
		}
		if d := detail(res); !strings.Contains(d, "without bubblewrap") {
			t.Errorf("detail %q", d)
		}
	})
	t.Run("bwrap", func(t *testing.T) {
		o := RasterOptions{Pixels: 100, Sandbox: SandboxRequired}
		if err := o.CheckSandbox(); err != nil {
			t.Skipf("bubblewrap unusable here: %v", err)
		}
		out, res, err := run(t, New(Options{Rasterize: true, Raster: o}), doc)
		if err != nil {
			t.Fatal(err)
		}
		if d := detail(res); strings.Contains(d, "without") {
			t.Errorf("detail %q", d)
		}
		if !bytes.Contains(out, []byte("/DCTDecode")) {
			t.Error("no page image")
		}
	})
}

// RasterizeFor chooses per item, from the context (the policy uses the
// envelope sender).
func TestRasterizeFor(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed")
	}
	s := New(Options{Raster: RasterOptions{Pixels: 100}, RasterizeFor: func(ctx context.Context) bool {
		return strings.HasSuffix(sanitize.TraceFrom(ctx).From, "@danger.example")
	}})
	doc := baseDoc("", "").bytes()
	for _, tc := range []struct {
		from string
		want bool
	}{{"a@danger.example", true}, {"b@city.example.lg.jp", false}} {
		var out bytes.Buffer
		ctx := sanitize.WithTrace(t.Context(), sanitize.Trace{From: tc.from})
		res, err := s.Sanitize(ctx, &out, item(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(rules(res.Findings), RuleRasterized); got != tc.want {
			t.Errorf("%s: rasterized %v, want %v", tc.from, got, tc.want)
		}
		if got := !bytes.Contains(out.Bytes(), []byte(pageText)); got != tc.want {
			t.Errorf("%s: text gone %v, want %v", tc.from, got, tc.want)
		}
	}
}

// Rasterized pages carry no attachments: they are removed, not sanitized.
func TestRasterizeDropsAttachments(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed")
	}
	eng := attachEngine(t, Options{Rasterize: true, Attachments: AttachmentsSanitize, Raster: RasterOptions{Pixels: 100}})
	rep, blob, err := eng.Run(t.Context(), sanitize.Input{R: bytes.NewReader(attachDoc(false)), Name: "a.pdf"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(blob.Reader())
	blob.Close()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome != sanitize.OutcomeSanitized || len(rep.Children) != 0 {
		t.Errorf("outcome %s, %d children", rep.Outcome, len(rep.Children))
	}
	// The page images carry nothing of the attachments (qpdf's view when
	// it is installed, the raw bytes otherwise).
	view := out
	if _, err := exec.LookPath("qpdf"); err == nil {
		f := filepath.Join(t.TempDir(), "out.pdf")
		os.WriteFile(f, out, 0o600)
		if q, err := exec.Command("qpdf", "--qdf", "--object-streams=disable", f, "-").Output(); err == nil {
			view = q
		}
	}
	for _, name := range []string{"/EmbeddedFile", "/FileAttachment", "/EmbeddedFiles"} {
		if bytes.Contains(view, []byte(name)) {
			t.Errorf("the rasterized output still has %s", name)
		}
	}
}
