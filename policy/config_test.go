package policy

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
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
		{"spool over input", "[limits]\nmax_input = \"1MB\"\nspool_memory = \"2MB\"\n", []string{"p.toml:3: limits.spool_memory"}},
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
