package rtf

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// benign is text every fixture carries and every output must keep.
const benign = "BENIGN-TEXT"

// cases are hand-written RTF fixtures, one construct each. keep lists
// strings the sanitized RTF must still contain; rules the findings.
var cases = []struct {
	name  string
	in    string
	rules []string
	keep  []string
}{
	{"clean", `{\rtf1\ansi\ansicpg932\deff0{\fonttbl{\f0\fnil\fcharset128 MS Mincho;}}{\colortbl;\red255\green0\blue0;}\f0\fs24 \'93\'fa\'96\'7b\'8c\'ea BENIGN-TEXT {\b bold}\par}`, nil, []string{`\'93\'fa`, `{\b bold}`}},
	{"object", `{\rtf1 before BENIGN-TEXT {\object\objemb{\*\objclass Package}{\*\objdata 01050000020000000800000050616b6167650000}{\result {\pict\wmetafile8 0100}}} after\par}`, []string{RuleObject}, []string{"before BENIGN-TEXT", "after"}},
	{"dde", `{\rtf1 BENIGN-TEXT {\field{\*\fldinst DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc"}{\fldrslt visible result}}\par}`, []string{RuleDDE}, []string{"visible result"}},
	{"dde_split", `{\rtf1 BENIGN-TEXT {\field{\*\fldinst {D}{DE}{AUTO x "y"}}{\fldrslt {\i kept}}}\par}`, []string{RuleDDE}, []string{`{\i kept}`}},
	{"dde_hex", `{\rtf1 BENIGN-TEXT {\field{\*\fldinst \'44\'44\'45 x "y"}{\fldrslt r1}}\par}`, []string{RuleDDE}, []string{"r1"}},
	{"dde_unicode", `{\rtf1 BENIGN-TEXT {\field{\*\fldinst \uc1\u68 ?\u68\'3f\u69 ?AUTO x}{\fldrslt r3}}\par}`, []string{RuleDDE}, []string{"r3"}},
	{"dde_nested", `{\rtf1 BENIGN-TEXT {\field{\*\fldinst {\field{\*\fldinst QUOTE "DDE"}{\fldrslt DDE}} "c" "d"}{\fldrslt r2}}\par}`, []string{RuleDDE}, []string{"r2"}},
	{"includepicture", `{\rtf1 BENIGN-TEXT {\field{\*\fldinst INCLUDEPICTURE "http://example.com/t.png" \\d}{\fldrslt }}\par}`, []string{RuleExternal}, nil},
	{"includetext", `{\rtf1 BENIGN-TEXT {\field\flddirty{\*\fldinst INCLUDETEXT "\\\\host\\share\\a.doc"}{\fldrslt old}}\par}`, []string{RuleExternal}, []string{"old"}},
	{"macrobutton", `{\rtf1 BENIGN-TEXT {\field{\*\fldinst MACROBUTTON Run Click}{\fldrslt click}}\par}`, []string{RuleField}, []string{"click"}},
	{"hyperlink", `{\rtf1 BENIGN-TEXT {\field{\*\fldinst HYPERLINK "https://example.jp/"}{\fldrslt link}}\par}`, nil, []string{`HYPERLINK "https://example.jp/"`}},
	{"template", `{\rtf1{\*\template http://example.com/t.dotm} BENIGN-TEXT\par}`, []string{RuleTemplate}, nil},
	{"datastore", `{\rtf1{\*\datastore 0105}{\*\themedata 504b}{\*\unknowndest x} BENIGN-TEXT{\*\bkmkstart b1}x{\*\bkmkend b1}\par}`, []string{RuleDestination}, []string{`{\*\bkmkstart b1}`}},
	{"pict_bin", `{\rtf1 BENIGN-TEXT{\pict\pngblip\picw10\pich10\bin4 {}\\}\par}`, nil, []string{`\bin4 {}\\`}},
	{"objdata_bin", `{\rtf1 BENIGN-TEXT{\*\objdata \bin4 {{{{}\par}`, []string{RuleObject}, nil},
	{"midgroup", `{\rtf1 {\b BENIGN-TEXT \objdata 0102 hidden} after\par}`, []string{RuleObject}, []string{`{\b BENIGN-TEXT }`, "after"}},
	{"nextfile", `{\rtf1 BENIGN-TEXT{\nextfile next.rtf}\par}`, []string{RuleExternal}, nil},
	{"unclosed", `{\rtf1 BENIGN-TEXT {\b open`, []string{RuleStructure}, []string{`{\b open}}`}},
	{"trailing", "{\\rtf1 BENIGN-TEXT}\r\ngarbage", []string{RuleStructure}, nil},
	{"ffmacro", `{\rtf1 BENIGN-TEXT {\field{\*\fldinst {FORMTEXT {\*\formfield{\*\ffname T1}{\*\ffentrymcr Evil}}}}{\fldrslt txt}}\par}`, []string{RuleDestination}, []string{`{\*\ffname T1}`, "txt"}},
}

func TestCases(t *testing.T) {
	eng := newEngine(t, Options{}, sanitize.Limits{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, res, err := sanitizeBytes(t, Options{}, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				if !slices.Contains(got, f.Rule) {
					got = append(got, f.Rule)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.rules)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rules %v, want %v (%+v)", got, want, res.Findings)
			}
			for _, k := range append([]string{benign}, tc.keep...) {
				if !bytes.Contains(out, []byte(k)) && !(k == benign && tc.name == "midgroup") {
					t.Errorf("output lost %q:\n%s", k, out)
				}
			}
			if m := residue.Find(out); m != nil {
				t.Errorf("output still has %q:\n%s", m, out)
			}
			if !balanced(out) {
				t.Errorf("unbalanced output:\n%s", out)
			}
			golden(t, tc.name, out)
			// Idempotent: sanitizing the output changes nothing more.
			out2, res2, err := sanitizeBytes(t, Options{}, out)
			if err != nil || !bytes.Equal(out2, out) {
				t.Errorf("second pass: %v\n%s\n%s", err, out, out2)
			}
			for _, f := range res2.Findings {
				if f.Action > sanitize.Recorded {
					t.Errorf("second pass finding %+v", f)
				}
			}
			// Through the engine (detection, re-scan): never blocked.
			rep, eout := sanitizetest.Run(t, eng, []byte(tc.in), tc.name+".rtf")
			if eout == nil {
				t.Fatalf("engine blocked: %+v", rep.Findings)
			}
			wantOutcome := sanitize.OutcomeSanitized
			if len(tc.rules) == 0 {
				wantOutcome = sanitize.OutcomePassed
			}
			if tc.name == "trailing" || tc.name == "unclosed" {
				wantOutcome = sanitize.OutcomeSanitized
			}
			if rep.Outcome != wantOutcome {
				t.Errorf("outcome %s, want %s", rep.Outcome, wantOutcome)
			}
		})
	}
}

// golden compares out with testdata/golden/name.rtf.
func golden(t *testing.T, name string, out []byte) {
	t.Helper()
	sanitizetest.Golden(t, filepath.Join("testdata", "golden", name+".rtf"), out, *update)
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"cp932", `{\rtf1\ansi\ansicpg932{\fonttbl{\f0\fcharset128 MS Mincho;}}{\info{\title T}}\f0 \'93\'fa\'96\'7b\'8c\'ea\'81\'60\par x\tab y}`, "日本語～\nx\ty\n"},
		{"unicode", `{\rtf1\ansi\uc1\u26085?\u26412?\uc2\u-32768 ab\u55357\'3f\u56832\'3f}`, "日本\u8000\U0001F600\n"},
		{"charset_font", `{\rtf1\ansi\ansicpg1252{\fonttbl{\f0\fcharset0 Arial;}{\f1\fcharset128 MS Gothic;}}\f0 caf\'e9 {\f1 \'82\'a0}}`, "café あ\n"},
		{"field", `{\rtf1 a {\field{\*\fldinst DDE x}{\fldrslt shown}} b {\pict\pngblip 0102}{\*\objdata 01}c}`, "a shown b c\n"},
		{"escapes", `{\rtf1 \\ \{ \} \~x\emdash\lquote q\rquote}`, "\\ { } \u00a0x\u2014\u2018q\u2019\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, res, err := sanitizeBytes(t, Options{Mode: ModeText}, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("got %q, want %q", out, tc.want)
			}
			if res.Kind != detect.Text || !res.Textized {
				t.Errorf("result %+v", res)
			}
		})
	}
	eng := newEngine(t, Options{Mode: ModeText}, sanitize.Limits{})
	rep, out := sanitizetest.Run(t, eng, []byte(cases[0].in), "a.rtf")
	if rep.Outcome != sanitize.OutcomeTextized || !strings.Contains(string(out), "日本語") {
		t.Errorf("engine: %s %q %+v", rep.Outcome, out, rep.Findings)
	}
}

// TestLimits checks each limit at N (accepted) and N+1 (refused).
func TestLimits(t *testing.T) {
	nest := func(n int) []byte {
		// n groups in all, the root included.
		return []byte(`{\rtf1 ` + strings.Repeat("{", n-1) + "x" + strings.Repeat("}", n))
	}
	opt := Options{MaxDepth: 20}
	if _, _, err := sanitizeBytes(t, opt, nest(20)); err != nil {
		t.Errorf("depth 20: %v", err)
	}
	if _, _, err := sanitizeBytes(t, opt, nest(21)); !errors.Is(err, sanitize.ErrTooLarge) {
		t.Errorf("depth 21: %v", err)
	}
	word := func(n int) []byte { return []byte(`{\rtf1 \` + strings.Repeat("a", n) + ` x}`) }
	if _, _, err := sanitizeBytes(t, Options{}, word(maxWordLen)); err != nil {
		t.Errorf("word of %d: %v", maxWordLen, err)
	}
	if _, _, err := sanitizeBytes(t, Options{}, word(maxWordLen+1)); !errors.Is(err, sanitize.ErrMalformed) {
		t.Errorf("word of %d: %v", maxWordLen+1, err)
	}
	param := func(n int) []byte { return []byte(`{\rtf1 \fs` + strings.Repeat("1", n) + ` x}`) }
	if _, _, err := sanitizeBytes(t, Options{}, param(maxParamLen)); err != nil {
		t.Errorf("param of %d: %v", maxParamLen, err)
	}
	if _, _, err := sanitizeBytes(t, Options{}, param(maxParamLen+1)); !errors.Is(err, sanitize.ErrMalformed) {
		t.Errorf("param of %d: %v", maxParamLen+1, err)
	}
	field := func(n int) []byte {
		return []byte(`{\rtf1 {\field ` + strings.Repeat("x", n-len(`\field `)) + `{\*\fldinst PAGE}}}`)
	}
	fopt := Options{MaxFieldBytes: 100}
	if _, _, err := sanitizeBytes(t, fopt, field(100-len(`{\*\fldinst PAGE}`))); err != nil {
		t.Errorf("field of 100: %v", err)
	}
	if _, _, err := sanitizeBytes(t, fopt, field(101-len(`{\*\fldinst PAGE}`))); !errors.Is(err, sanitize.ErrTooLarge) {
		t.Errorf("field of 101: %v", err)
	}
	for _, bad := range []string{"", "hello", `{\foo}`, `{\rtf1 \'4`, `{\rtf1 \bin9 ab}`, `{\rtf1 \`, `{\rtf1 \bin-1 }`} {
		if _, _, err := sanitizeBytes(t, Options{}, []byte(bad)); !errors.Is(err, sanitize.ErrMalformed) {
			t.Errorf("%q: %v, want malformed", bad, err)
		}
	}
}
