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
	"time"

	"github.com/mugai-project/mugai/sanitize"
)

func item(b []byte) *sanitize.Item {
	return &sanitize.Item{Src: io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b))), Name: "a.pdf"}
}

func run(t testing.TB, s *Sanitizer, in []byte) ([]byte, sanitize.Result, error) {
	t.Helper()
	var out bytes.Buffer
	res, err := s.Sanitize(context.Background(), &out, item(in))
	return out.Bytes(), res, err
}

func rules(fs []sanitize.Finding) []string {
	var rs []string
	for _, f := range fs {
		if !slices.Contains(rs, f.Rule) {
			rs = append(rs, f.Rule)
		}
	}
	slices.Sort(rs)
	return rs
}

// riskyNames must not appear in qpdf's view of any output of the fixtures.
var riskyNames = []string{
	"/JavaScript", "/JS", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE",
	"/RichMedia", "/EmbeddedFile", "/FileAttachment", "/XFA", "/Sound", "/Movie",
	"/Rendition", "/Screen", "/3D", "/AA", "javascript:", "file:", "app.alert", "calc.exe", "/NeedsRendering",
	"JaVaScRiPt", "cmd.exe", "/etc/passwd",
}

const jsAction = "<< /S /JavaScript /JS (app.alert\\(1\\)) >>"

var fixtures = []struct {
	name  string
	in    func() []byte
	opt   Options
	rules []string // rules found, sorted; nil: none
	keep  []string // must survive in qpdf's view of the output
}{
	{name: "clean", in: func() []byte { return baseDoc("", "").bytes() }},
	{name: "goto openaction kept", in: func() []byte { return baseDoc("/OpenAction [3 0 R /Fit]", "").bytes() },
		keep: []string{"/OpenAction"}},
	{name: "goto action openaction kept", in: func() []byte { return baseDoc("/OpenAction << /S /GoTo /D [3 0 R /Fit] >>", "").bytes() },
		keep: []string{"/OpenAction", "/GoTo"}},
	{name: "openaction javascript", in: func() []byte { return baseDoc("/OpenAction "+jsAction, "").bytes() },
		rules: []string{RuleJavaScript}},
	{name: "openaction javascript hex-escaped", in: func() []byte {
		return baseDoc("/Open#41ction << /#53 /J#61vaScript /J#53 (app.alert\\(1\\)) >>", "").bytes()
	}, rules: []string{RuleJavaScript}},
	{name: "openaction javascript indirect", in: func() []byte {
		return baseDoc("/OpenAction 6 0 R", "").set(6, jsAction).bytes()
	}, rules: []string{RuleJavaScript}},
	{name: "openaction uri", in: func() []byte {
		return baseDoc("/OpenAction << /S /URI /URI (https://example.jp/) >>", "").bytes()
	}, rules: []string{RuleOpenAction}},
	{name: "goto with javascript next", in: func() []byte {
		return baseDoc("/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next "+jsAction+" >>", "").bytes()
	}, rules: []string{RuleOpenAction}},
	{name: "javascript name tree", in: func() []byte {
		return baseDoc("/Names << /JavaScript << /Names [(init) 6 0 R] >> >>", "").
			set(6, "<< /S /JavaScript /JS 7 0 R >>").
			set(7, "<< /Length 12 >>\nstream\napp.alert(1)\nendstream").bytes()
	}, rules: []string{RuleJavaScript}},
	{name: "javascript in object stream", in: func() []byte {
		return baseDoc("", "/AA << /O 6 0 R >>").set(6, "<< /S /J#61vaScript /JS (app.alert\\(1\\)) >>").objStm()
	}, rules: []string{RuleJavaScript}},
	{name: "page aa hex key in object stream", in: func() []byte {
		return baseDoc("", "/#41A << /C << /S /Launch /F (calc.exe) >> >>").objStm()
	}, rules: []string{RuleLaunch}},
	{name: "javascript in incremental update", in: func() []byte {
		return baseDoc("", "").incremental(map[int]string{
			1: "<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
			6: jsAction,
		})
	}, rules: []string{RuleJavaScript}},
	{name: "older revision does not survive", in: func() []byte {
		return baseDoc("/OpenAction 6 0 R", "").set(6, jsAction).incremental(map[int]string{
			1: "<< /Type /Catalog /Pages 2 0 R >>",
		})
	}, rules: []string{RuleJavaScript}}, // still in the xref table: found, and not written
	{name: "launch link", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /Launch /F (calc.exe) >> >>").bytes()
	}, rules: []string{RuleLaunch}, keep: []string{"/Link"}},
	{name: "javascript uri", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /URI /URI (javascript:app.alert\\(1\\)) >> >>").bytes()
	}, rules: []string{RuleURI}},
	{name: "file uri hex string", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /URI /URI <2046494c453a2f2f2f633a2f612e657865> >> >>").bytes()
	}, rules: []string{RuleURI}},
	{name: "https link kept", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /URI /URI (https://www.city.example.lg.jp/) >> >>").bytes()
	}, keep: []string{"https://www.city.example.lg.jp/", "/URI"}},
	{name: "https link removed by policy", opt: Options{Links: LinkRemove}, in: func() []byte {
		return baseDoc("", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A 7 0 R >>").
			set(7, "<< /S /URI /URI (https://www.city.example.lg.jp/) >>").bytes()
	}, rules: []string{RuleURI}},
	{name: "submitform widget", in: func() []byte {
		return baseDoc("/AcroForm << /Fields [6 0 R] >>", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /Widget /FT /Btn /T (send) /Rect [0 0 100 100] /A << /S /SubmitForm /F (https://evil.example/) >> >>").bytes()
	}, rules: []string{RuleSubmitForm}},
	{name: "importdata gotor gotoe", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R 7 0 R 8 0 R]").
			set(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /ImportData /F (data.fdf) >> >>").
			set(7, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /GoToR /F (other.pdf) /D [0 /Fit] >> >>").
			set(8, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /GoToE /T << /R /C /N (x) >> >> >>").bytes()
	}, rules: []string{RuleGoToE, RuleGoToR, RuleImportData}},
	{name: "multimedia actions and annotations", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R 7 0 R 8 0 R 9 0 R 10 0 R]").
			set(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /Sound /Sound 11 0 R >> >>").
			set(7, "<< /Type /Annot /Subtype /Screen /Rect [0 0 10 10] /A << /S /Rendition /OP 0 >> >>").
			set(8, "<< /Type /Annot /Subtype /RichMedia /Rect [0 0 10 10] /RichMediaContent << /Assets << >> >> >>").
			set(9, "<< /Type /Annot /Subtype /3D /Rect [0 0 10 10] /3DD 11 0 R >>").
			set(10, "<< /Type /Annot /Subtype /Movie /Rect [0 0 10 10] /Movie << /F (a.mov) >> >>").
			set(11, "<< /Length 4 >>\nstream\nRIFF\nendstream").bytes()
	}, rules: []string{RuleMultimedia}},
	{name: "file attachment annotation", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS << /Type /Filespec /F (calc.exe) /EF << /F 7 0 R >> >> >>").
			set(7, "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream").bytes()
	}, rules: []string{RuleEmbedded}},
	{name: "embedded files name tree", in: func() []byte {
		return baseDoc("/Names << /EmbeddedFiles << /Names [(calc.exe) 6 0 R] >> >>", "").
			set(6, "<< /Type /Filespec /F (calc.exe) /EF << /F 7 0 R >> >>").
			set(7, "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream").objStm()
	}, rules: []string{RuleEmbedded}},
	{name: "xfa form keeps fields", in: func() []byte {
		return baseDoc("/AcroForm << /Fields [6 0 R] /XFA 7 0 R >> /NeedsRendering true", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (Yamada Taro) /Rect [0 0 100 20] /AA << /K << /S /JavaScript /JS (AFNumber_Keystroke\\(\\)) >> >> >>").
			set(7, "<< /Length 11 >>\nstream\n<xdp:xdp/>\nendstream").bytes()
	}, rules: []string{RuleJavaScript, RuleXFA}, keep: []string{"Yamada Taro", "/AcroForm", "/Widget"}},
	{name: "header after junk", in: func() []byte {
		return append(bytes.Repeat([]byte("junk "), 100), baseDoc("/OpenAction "+jsAction, "").bytes()...)
	}, rules: []string{RuleJavaScript}},
	{name: "outline with javascript", in: func() []byte {
		return baseDoc("/Outlines 6 0 R", "").
			set(6, "<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>").
			set(7, "<< /Title (Chapter 1) /Parent 6 0 R /A "+jsAction+" >>").bytes()
	}, rules: []string{RuleJavaScript}, keep: []string{"Chapter 1", "/Outlines"}},
	{name: "wrong types do not hide", in: func() []byte {
		return baseDoc("/OpenAction << /Type /Border /S /JavaScript /JS (app.alert\\(1\\)) >>", "/Annots [6 0 R]").
			set(6, "<< /Type /Foo /Subtype /FileAttachment /Rect [0 0 10 10] /FS (calc.exe) >>").bytes()
	}, rules: []string{RuleEmbedded, RuleJavaScript}},
	{name: "broken xref offsets", in: func() []byte {
		// Every offset points 7 bytes off and startxref into nothing: the
		// table must be rebuilt from the objects.
		b := baseDoc("/OpenAction "+jsAction, "").bytes()
		return bytes.Replace(bytes.Replace(b, []byte(" 00000 n "), []byte("7 00000 n "), -1), []byte("startxref\n"), []byte("startxref\n9"), 1)
	}, rules: []string{RuleJavaScript}},
	{name: "no xref at all", in: func() []byte {
		b := baseDoc("", "/AA << /O << /S /Launch /F (calc.exe) >> >>").bytes()
		// The table is gone; the trailer stays, startxref points at it.
		i, j := bytes.Index(b, []byte("xref\n")), bytes.Index(b, []byte("trailer\n"))
		return append(b[:i:i], b[j:]...)
	}, rules: []string{RuleLaunch}},
	{name: "hex-escaped embedded files key", in: func() []byte {
		return baseDoc("/Names << /Embedded#46iles << /Names [(a.exe) 6 0 R] >> >>", "").
			set(6, "<< /Type /Filespec /F (calc.exe) /#45F << /F 7 0 R >> >>").
			set(7, "<< /Type /Embedded#46ile /Length 2 >>\nstream\nMZ\nendstream").bytes()
	}, rules: []string{RuleEmbedded}},
	{name: "javascript in object stream of an incremental update", in: func() []byte {
		base := baseDoc("", "").bytes()
		upd := baseDoc("/Names << /J#61vaScript << /Names [(x) 6 0 R] >> >>", "/#41nnots [7 0 R]").
			set(6, jsAction).
			set(7, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /#4Caunch /F (calc.exe) >> >>")
		return appendObjStmUpdate(base, upd)
	}, rules: []string{RuleJavaScript, RuleLaunch}},
	{name: "xfa hex-escaped in object stream", in: func() []byte {
		return baseDoc("/AcroForm 6 0 R", "").
			set(6, "<< /Fields [] /X#46A 7 0 R >>").
			set(7, "<< /Length 11 >>\nstream\n<xdp:xdp/>\nendstream").objStm()
	}, rules: []string{RuleXFA}, keep: []string{"/AcroForm"}},
	{name: "richmedia and 3d hex-escaped", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R 7 0 R]").
			set(6, "<< /Type /Annot /Subtype /Rich#4Dedia /Rect [0 0 10 10] >>").
			set(7, "<< /Type /Annot /Subtype /#33D /Rect [0 0 10 10] >>").objStm()
	}, rules: []string{RuleMultimedia}},
	{name: "indirect stream length", in: func() []byte {
		d := baseDoc("", "")
		n := strings.TrimSuffix(strings.TrimPrefix(d.objs[4], "<< /Length "), d.objs[4][strings.Index(d.objs[4], " >>"):])
		d.objs[4] = strings.Replace(d.objs[4], "/Length "+n, "/Length 6 0 R", 1)
		return d.set(6, n).bytes()
	}},
	{name: "javascript hidden in a destination", in: func() []byte {
		return baseDoc("/OpenAction [3 0 R /Fit "+jsAction+"]", "").bytes()
	}, rules: []string{RuleJavaScript}, keep: []string{"/OpenAction", "/Fit"}},
	{name: "javascript key in a goto open action", in: func() []byte {
		return baseDoc("/OpenAction << /S /GoTo /D [3 0 R /Fit] /JS (app.alert\\(2\\)) >>", "").bytes()
	}, rules: []string{RuleJavaScript}, keep: []string{"/OpenAction", "/GoTo"}},
	{name: "javascript next array in a link", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /GoTo /D [3 0 R /Fit] /Next [7 0 R << /S /Launch /F (calc.exe) >>] >> >>").
			set(7, jsAction).objStm()
	}, rules: []string{RuleJavaScript, RuleLaunch}, keep: []string{"/Link", "/GoTo"}},
	{name: "javascript uri mixed case and spaces", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R 7 0 R]").
			set(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (  JaVaScRiPt:app.alert\\(1\\)) >> >>").
			set(7, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (\\106ile:///etc/passwd) >> >>").bytes()
	}, rules: []string{RuleURI}},
	{name: "js key without an action type", in: func() []byte {
		return baseDoc("", "/Annots [6 0 R]").
			set(6, "<< /Type /Annot /Subtype /Widget /FT /Tx /T (f) /Rect [0 0 10 10] /A << /JS (app.alert\\(1\\)) >> >>").bytes()
	}, rules: []string{RuleJavaScript}},
	{name: "launch in an outline of an encrypted-looking update", in: func() []byte {
		return baseDoc("/Outlines 6 0 R", "").
			set(6, "<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>").
			set(7, "<< /Title (Go) /Parent 6 0 R /A << /S /L#61unch /Win << /F (cmd.exe) /P (/c calc) >> >> >>").objStm()
	}, rules: []string{RuleLaunch}, keep: []string{"/Outlines"}},
	{name: "no header at all", in: func() []byte {
		return bytes.TrimPrefix(baseDoc("/OpenAction "+jsAction, "").bytes(), []byte("%PDF-1.7\n"))
	}, rules: []string{RuleJavaScript}},
	{name: "header without a version", in: func() []byte {
		return bytes.Replace(baseDoc("/OpenAction "+jsAction, "").bytes(), []byte("%PDF-1.7\n"), []byte("%PDF-\n   "), 1)
	}, rules: []string{RuleJavaScript}},
	{name: "unreachable javascript object", in: func() []byte {
		return baseDoc("", "").set(6, jsAction).bytes()
	}, rules: []string{RuleJavaScript}},
}

func TestSanitize(t *testing.T) {
	for _, tc := range fixtures {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in()
			s := New(tc.opt)
			out, res, err := run(t, s, in)
			if err != nil {
				t.Fatal(err)
			}
			if got := rules(res.Findings); !slices.Equal(got, tc.rules) {
				t.Errorf("rules = %v, want %v\n%+v", got, tc.rules, res.Findings)
			}
			for _, f := range res.Findings {
				if f.Action != sanitize.Removed || f.Where == "" {
					t.Errorf("finding %+v: want Removed with a place", f)
				}
			}
			// Idempotent: the output sanitizes to itself with no findings.
			out2, res2, err := run(t, s, out)
			if err != nil {
				t.Fatalf("re-sanitize: %v", err)
			}
			if len(res2.Findings) != 0 {
				t.Errorf("re-sanitize found %+v", res2.Findings)
			}
			if !bytes.Equal(out, out2) {
				t.Errorf("re-sanitized output differs")
			}
			oracle(t, in, out, tc.keep)
		})
	}
}

// oracle checks out with tools independent of pdfcpu, when installed:
// qpdf accepts it and shows none of the risky names, and pdftotext finds
// the page text.
func oracle(t *testing.T, in, out []byte, keep []string) {
	t.Helper()
	if _, err := exec.LookPath("qpdf"); err != nil {
		t.Log("qpdf not installed: oracle skipped")
		return
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(f, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, b)
	}
	dump, err := exec.Command("qpdf", "--qdf", "--object-streams=disable", f, "-").Output()
	if err != nil {
		t.Fatalf("qpdf --qdf: %v", err)
	}
	for _, n := range riskyNames {
		if bytes.Contains(dump, []byte(n)) {
			t.Errorf("output still has %s", n)
		}
	}
	for _, k := range keep {
		if !bytes.Contains(dump, []byte(k)) {
			t.Errorf("output lost %s", k)
		}
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		return
	}
	text, err := exec.Command("pdftotext", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	if !strings.Contains(string(text), pageText) {
		t.Errorf("pdftotext lost the page text: %q", text)
	}
}

func TestEncrypted(t *testing.T) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		t.Skip("qpdf not installed")
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.pdf")
	if err := os.WriteFile(plain, baseDoc("/OpenAction "+jsAction, "").bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("verify passes owner-only encryption", func(t *testing.T) {
		clean := filepath.Join(dir, "clean.pdf")
		enc := filepath.Join(dir, "clean-enc.pdf")
		if err := os.WriteFile(clean, baseDoc("", "").bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command("qpdf", "--encrypt", "", "owner", "256", "--", clean, enc).CombinedOutput(); err != nil {
			t.Fatalf("qpdf: %v\n%s", err, b)
		}
		in, err := os.ReadFile(enc)
		if err != nil {
			t.Fatal(err)
		}
		rep, blob, err := newEngine(t, sanitize.ModeVerify, Options{}).Run(t.Context(), sanitize.Input{R: bytes.NewReader(in), Name: "a.pdf"})
		if err != nil {
			t.Fatal(err)
		}
		if blob != nil {
			blob.Close()
		}
		if rep.Outcome != sanitize.OutcomePassed {
			t.Errorf("outcome %s, want passed (%+v)", rep.Outcome, rep.Findings)
		}
	})
	for _, tc := range []struct {
		name         string
		user         string
		bits         string
		passwords    []string
		ctxPasswords []string
		wantErr      error
	}{
		{name: "owner only aes256", bits: "256"},
		{name: "owner only aes128", bits: "128"},
		{name: "owner only rc4", bits: "40"},
		{name: "user password", user: "secret", bits: "256", wantErr: sanitize.ErrEncrypted},
		{name: "user password rc4", user: "secret", bits: "40", wantErr: sanitize.ErrEncrypted},
		{name: "user password supplied", user: "secret", bits: "256", passwords: []string{"wrong", "secret"}},
		{name: "user password supplied rc4", user: "secret", bits: "40", passwords: []string{"secret"}},
		{name: "user password supplied in context", user: "秘密", bits: "256", ctxPasswords: []string{"秘密"}},
		{name: "owner password supplied", user: "secret", bits: "128", passwords: []string{"owner"}},
		{name: "wrong password supplied", user: "secret", bits: "256", passwords: []string{"guess"}, wantErr: sanitize.ErrEncrypted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc := filepath.Join(dir, tc.name+".pdf")
			args := []string{"--allow-weak-crypto", "--encrypt", tc.user, "owner", tc.bits, "--", plain, enc}
			if b, err := exec.Command("qpdf", args...).CombinedOutput(); err != nil {
				t.Fatalf("qpdf: %v\n%s", err, b)
			}
			in, err := os.ReadFile(enc)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			ctx := t.Context()
			if tc.ctxPasswords != nil {
				ctx = WithPasswords(ctx, tc.ctxPasswords...)
			}
			res, err := New(Options{Passwords: tc.passwords}).Sanitize(ctx, &buf, item(in))
			out := buf.Bytes()
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := rules(res.Findings), []string{RuleEncryption, RuleJavaScript}; !slices.Equal(got, want) {
				t.Errorf("rules = %v, want %v", got, want)
			}
			if bytes.Contains(out, []byte("/Encrypt")) {
				t.Error("output is still encrypted")
			}
			oracle(t, in, out, nil)
			// Verify mode: the encryption alone is no risk factor, the
			// JavaScript is.
			rep, blob, err := newEngine(t, sanitize.ModeVerify, Options{}).Run(t.Context(), sanitize.Input{R: bytes.NewReader(in), Name: "a.pdf"})
			if err != nil {
				t.Fatal(err)
			}
			if blob != nil {
				blob.Close()
			}
			if rep.Outcome != sanitize.OutcomeBlocked {
				t.Errorf("verify: outcome %s, want blocked", rep.Outcome)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	doc := baseDoc("", "").bytes()
	for _, tc := range []struct {
		name string
		in   []byte
		opt  Options
		want error
	}{
		{name: "not a pdf", in: []byte("hello, world\n"), want: sanitize.ErrMalformed},
		{name: "header only", in: []byte("%PDF-1.7\n"), want: sanitize.ErrMalformed},
		{name: "no catalog", in: (&pdfDoc{objs: map[int]string{1: "<< /Type /Pages /Kids [] /Count 0 >>", 2: "(x)"}}).bytes(), want: sanitize.ErrMalformed},
		{name: "pages at the limit", in: doc, opt: Options{MaxPages: 1}},
		{name: "objects at the limit", in: doc, opt: Options{MaxObjects: 6}},
		{name: "objects over the limit", in: doc, opt: Options{MaxObjects: 5}, want: sanitize.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, New(tc.opt), tc.in)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPageLimit(t *testing.T) {
	two := baseDoc("", "").set(2, "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>").
		set(6, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>").bytes()
	if _, _, err := run(t, New(Options{MaxPages: 2}), two); err != nil {
		t.Fatalf("2 pages, limit 2: %v", err)
	}
	if _, _, err := run(t, New(Options{MaxPages: 1}), two); !errors.Is(err, sanitize.ErrTooLarge) {
		t.Fatalf("2 pages, limit 1: err = %v, want ErrTooLarge", err)
	}
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	_, err := New(Options{}).Sanitize(ctx, io.Discard, item(baseDoc("", "").bytes()))
	if err == nil {
		t.Fatal("want an error after the deadline")
	}
}
