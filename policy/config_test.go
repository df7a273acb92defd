package policy

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("default policy does not validate: %v", err)
	}
}

func TestParse(t *testing.T) {
	src := `
lang = "en"

[limits]
max_input = "10MB"
timeout = "5s"
max_depth = 2

[actions]
pdf = "block"
png = "verify"

[html]
links = "defang"

[office]
xlsx = "rebuild"
keep_formulas = true
[image]
max_pixels = 1000000
jpeg_quality = 95
`
	c, err := Parse("p.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Lang != "en" || c.Limits.MaxInput != 10<<20 || time.Duration(c.Limits.Timeout) != 5*time.Second || c.Limits.MaxDepth != 2 {
		t.Errorf("decoded %+v", c)
	}
	if c.Limits.MaxOutput != sanitize.DefaultMaxOutput {
		t.Errorf("unset limit lost its default: %v", c.Limits.MaxOutput)
	}
	for kind, want := range map[sanitize.Kind]sanitize.Mode{
		"pdf": sanitize.ModeBlock, "png": sanitize.ModeVerify, "text": sanitize.ModeSanitize,
		"pe": sanitize.ModeBlock, "binary": sanitize.ModeBlock, "nonsense": sanitize.ModeBlock,
	} {
		if got := c.Mode(kind); got != want {
			t.Errorf("Mode(%s) = %v, want %v", kind, got, want)
		}
	}
	if c.HTML.Links != LinksDefang {
		t.Errorf("html.links = %q", c.HTML.Links)
	}
	if c.Office.XLSX != XLSXRebuild || !c.Office.KeepFormulas {
		t.Errorf("office = %+v", c.Office)
	}
	if d := Default(); d.Office.XLSX != XLSXSanitize || d.Mode("odt") != sanitize.ModeSanitize || d.Mode("ods") != sanitize.ModeSanitize || d.Mode("odp") != sanitize.ModeSanitize {
		t.Errorf("defaults: office %+v, odt %v", d.Office, d.Mode("odt"))
	}
	if c.Image.MaxPixels != 1000000 || c.Image.JPEGQuality != 95 || c.Image.MaxFrames != DefaultImageMaxFrames {
		t.Errorf("image = %+v", c.Image)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string // each must appear in the error text
	}{
		{"unknown top key", "lang = \"ja\"\nlangauge = \"en\"\n", []string{"p.toml:2: langauge: unknown key"}},
		{"unknown nested key", "[limits]\nmax_inptu = 5\n", []string{"p.toml:2: limits.max_inptu: unknown key"}},
		{"unknown table", "\n[smtpx]\nlisten = \"x\"\n", []string{"p.toml:3: smtpx.listen: unknown key"}},
		{"bad listen and open relay", "[smtp]\nlisten = \"x\"\nnetworks = [\"192.0.2.0/24\"]\n", []string{"p.toml:2: smtp.listen", "smtp.domains: must list"}},
		{"bad size", "[limits]\nmax_input = \"lots\"\n", []string{"p.toml:2", "not a size"}},
		{"syntax", "lang = \n", []string{"p.toml:1"}},
		{"all at once", "lang = \"fr\"\n[limits]\nmax_depth = 0\nmax_ratio = -1\n[actions]\npe = \"sanitize\"\nfoo = \"block\"\ntext = \"scrub\"\n[html]\nlinks = \"click\"\n",
			[]string{"p.toml:1: lang:", "p.toml:3: limits.max_depth", "p.toml:4: limits.max_ratio", "p.toml:6: actions.pe: type \"pe\" can only be blocked",
				"p.toml:7: actions.foo: unknown type", "p.toml:8: actions.text: unknown action", "p.toml:10: html.links"}},
		{"scan", "[scan]\nclamd = \"clamd\"\ntimeout = \"0s\"\nmax_size = 0\n", []string{"p.toml:2: scan.clamd", "p.toml:3: scan.timeout", "p.toml:4: scan.max_size"}},
		{"scan required without clamd", "[scan]\nrequired = true\n", []string{"p.toml:2: scan.required"}},
		{"legacy converter missing", "[office]\nlegacy_converter = \"mugai-no-such-soffice\"\nlegacy_sandbox = \"jail\"\n[rtf]\nmode = \"pdf\"\n",
			[]string{"p.toml:2: office.legacy_converter: \"mugai-no-such-soffice\" is not installed", "p.toml:3: office.legacy_sandbox", "p.toml:5: rtf.mode"}},
		{"office", "[office]\nxlsx = \"rebuild!\"\n", []string{"p.toml:2: office.xlsx"}},
		{"keep_formulas without rebuild", "[office]\nkeep_formulas = true\n", []string{"p.toml:2: office.keep_formulas"}},
		{"spool over input", "[limits]\nmax_input = \"1MB\"\nspool_memory = \"2MB\"\n", []string{"p.toml:3: limits.spool_memory"}},
		{"image", "[image]\nmax_pixels = 0\nmax_side = 70000\nmax_frames = -1\njpeg_quality = 30\nrenderer = \"rsvg\"\n",
			[]string{"p.toml:2: image.max_pixels", "p.toml:3: image.max_side", "p.toml:4: image.max_frames", "p.toml:5: image.jpeg_quality", "p.toml:6: image.renderer: unknown key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.toml", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Errorf("error is not a *policy.Error: %T", err)
			}
		})
	}
}

func TestScanConfig(t *testing.T) {
	c := Default()
	if c.Scan.IsRequired() {
		t.Error("required without clamd")
	}
	for _, tc := range []struct {
		src      string
		required bool
	}{
		{"[scan]\nclamd = \"unix:/run/clamav/clamd.ctl\"\n", true},
		{"[scan]\nclamd = \"tcp:127.0.0.1:3310\"\nrequired = false\nscan_outputs = true\ntimeout = \"5s\"\nmax_size = \"25MB\"\n", false},
		{"[scan]\nclamd = \"clamav.example.lg.jp:3310\"\nrequired = true\n", true},
	} {
		c, err := Parse("p.toml", []byte(tc.src))
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		if c.Scan.IsRequired() != tc.required {
			t.Errorf("%q: required %v", tc.src, c.Scan.IsRequired())
		}
		var buf bytes.Buffer
		if err := c.WriteTOML(&buf); err != nil {
			t.Fatal(err)
		}
		c2, err := Parse("effective", buf.Bytes())
		if err != nil || c2.Scan.IsRequired() != tc.required || c2.Scan.Clamd != c.Scan.Clamd || c2.Scan.MaxSize != c.Scan.MaxSize {
			t.Errorf("round trip: %+v, %v", c2, err)
		}
	}
}

func TestWriteTOMLRoundTrip(t *testing.T) {
	c := Default()
	c.Actions["png"] = "verify"
	var buf bytes.Buffer
	if err := c.WriteTOML(&buf); err != nil {
		t.Fatal(err)
	}
	c2, err := Parse("effective", buf.Bytes())
	if err != nil {
		t.Fatalf("effective config does not parse: %v\n%s", err, buf.String())
	}
	for _, k := range []sanitize.Kind{"png", "text", "pe", "pdf", "binary"} {
		if c.Mode(k) != c2.Mode(k) {
			t.Errorf("%s: %v != %v", k, c.Mode(k), c2.Mode(k))
		}
	}
	if c2.Limits != c.Limits {
		t.Errorf("limits changed: %+v != %+v", c2.Limits, c.Limits)
	}
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"50MB", 50 << 20, true}, {"512KiB", 512 << 10, true}, {"1gb", 1 << 30, true},
		{"100", 100, true}, {"7B", 7, true}, {"-1MB", 0, false}, {"MB", 0, false}, {"9999999999GB", 0, false},
	} {
		var b ByteSize
		err := b.UnmarshalText([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && b != tc.want) {
			t.Errorf("%q: got %d, %v", tc.in, b, err)
		}
	}
}

func TestMailRules(t *testing.T) {
	src := `
[mail]
mode = "sanitize"
[[mail.rule]]
recipient_domain = "kikaku.example.lg.jp"
mode = "text"
[[mail.rule]]
sender = "@partner.example.jp"
mode = "sanitize"
[[mail.rule]]
sender = "@example.jp"
mode = "text"
`
	c, err := Parse("p.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from string
		to   []string
		want string
	}{
		{"a@x.example.com", []string{"b@soumu.example.lg.jp"}, "sanitize"},
		{"a@x.example.com", []string{"b@soumu.example.lg.jp", "c@KIKAKU.example.lg.jp"}, "text"},
		{"a@x.example.com", []string{"c@sub.kikaku.example.lg.jp"}, "text"},
		{"a@partner.example.jp", []string{"b@soumu.example.lg.jp"}, "sanitize"},
		{"a@other.example.jp", []string{"b@soumu.example.lg.jp"}, "text"},
		{"a@notexample.jp", nil, "sanitize"},
	} {
		if got := c.MailMode(tc.from, tc.to); got != tc.want {
			t.Errorf("MailMode(%s, %v) = %s, want %s", tc.from, tc.to, got, tc.want)
		}
	}
	_, err = Parse("p.toml", []byte("[mail]\nmode = \"pdf\"\n[[mail.rule]]\nmode = \"text\"\n"))
	if err == nil || !strings.Contains(err.Error(), "mail.mode") || !strings.Contains(err.Error(), "mail.rule[1]: needs") {
		t.Errorf("bad mail config: %v", err)
	}
}

func TestPDFRasterize(t *testing.T) {
	c, err := Parse("p.toml", []byte(`
[pdf]
attachments = "sanitize"
rasterize_senders = ["@danger.example", "someone@free.example"]
sandbox = "required"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode(detect.PDF) != sanitize.ModeSanitize || !c.Rasterizes() {
		t.Errorf("mode %s, rasterizes %v", c.Mode(detect.PDF), c.Rasterizes())
	}
	for from, want := range map[string]bool{
		"a@danger.example": true, "a@x.danger.example": true, "Someone@Free.example": true,
		"other@free.example": false, "": false, "a@city.example.lg.jp": false,
	} {
		if got := c.RasterizePDF(from); got != want {
			t.Errorf("RasterizePDF(%q) = %v, want %v", from, got, want)
		}
	}
	all, err := Parse("p.toml", []byte("[actions]\npdf = \"rasterize\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if all.Mode(detect.PDF) != sanitize.ModeSanitize || !all.RasterizePDF("") {
		t.Error("actions.pdf = rasterize does not rasterize")
	}
	var b strings.Builder
	if err := all.WriteTOML(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `pdf = "rasterize"`) {
		t.Error("WriteTOML lost pdf = rasterize")
	}
	_, err = Parse("p.toml", []byte("[actions]\ndocx = \"rasterize\"\n[pdf]\nsandbox = \"maybe\"\nattachments = \"keep\"\nraster_pixels = 0\nrasterize_senders = [\"nobody\"]\n"))
	for _, want := range []string{"actions.docx", "pdf.sandbox", "pdf.attachments", "pdf.raster_pixels", "pdf.rasterize_senders[1]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error about %s: %v", want, err)
		}
	}
	_, err = Parse("p.toml", []byte("[actions]\npdf = \"verify\"\n[pdf]\nrasterize_senders = [\"@x.example\"]\n"))
	for _, want := range []string{"pdf.rasterize_senders: needs actions.pdf"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error about %s: %v", want, err)
		}
	}
}

func TestFiledropConfig(t *testing.T) {
	c, err := Parse("x.toml", []byte("lang = \"en\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Filedrop.Folders) != 1 || c.Filedrop.Folders[0].Inbox != DefaultDropInbox || c.Filedrop.Folders[0].Report != LangEN {
		t.Errorf("default folder: %+v", c.Filedrop.Folders)
	}
	c, err = Parse("x.toml", []byte(`
[actions]
pdf = "verify"
[[filedrop.folder]]
inbox = "/srv/in"
outbox = "/srv/out"
report = "json"
mode = "0640"
[filedrop.folder.actions]
docm = "block"
`))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Filedrop.Folders[0]
	if len(c.Filedrop.Folders) != 1 || f.Outbox != "/srv/out" || f.Work != "/srv/in/.mugai-work" || f.StableTime != DefaultDropStableTime {
		t.Errorf("folder: %+v", c.Filedrop.Folders)
	}
	if m, _ := f.FileMode(); m != 0o640 {
		t.Errorf("mode %v", m)
	}
	fc := c.ForFolder(f)
	if fc.Actions["docm"] != "block" || fc.Actions["pdf"] != "verify" || c.Actions["docm"] != "sanitize" {
		t.Errorf("actions not merged per folder: %v / %v", fc.Actions["docm"], c.Actions["docm"])
	}
	c, err = Parse("x.toml", []byte("[filedrop]\nfolder = []\n"))
	if err != nil || len(c.Filedrop.Folders) != 0 {
		t.Errorf("folder = [] should turn the file drop off: %v %v", c, err)
	}
	_, err = Parse("bad.toml", []byte(`
[[filedrop.folder]]
inbox = "/srv/in"
outbox = "/srv/in/out"
report = "xml"
mode = "rw"
[[filedrop.folder]]
inbox = "/srv/in"
outbox = "/srv/o2"
`))
	if err == nil {
		t.Fatal("bad file drop config accepted")
	}
	for _, want := range []string{"folder[1].outbox", "folder[1].report", "folder[1].mode", "folder[2].inbox"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}
