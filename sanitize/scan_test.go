package sanitize_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// fakeScanner detects "VIRUS" and "BAD" (so that with ScanOutputs the
// upper-cased output of the toy sanitizer is caught), calls "HUGE"
// incomplete, and fails while down.
type fakeScanner struct {
	mu    sync.Mutex
	down  bool
	seen  []string
	outOK bool // do not detect "BAD"
}

func (f *fakeScanner) Scan(ctx context.Context, r io.Reader, size int64) (sanitize.ScanResult, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return sanitize.ScanResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if int64(len(b)) != size {
		return sanitize.ScanResult{}, errors.New("size mismatch")
	}
	f.seen = append(f.seen, string(b))
	if f.down {
		return sanitize.ScanResult{}, errors.New("connection refused")
	}
	res := sanitize.ScanResult{Engine: "Fake 1.0/42/Sun Nov 22 00:00:00 2026"}
	switch s := string(b); {
	case strings.Contains(s, "VIRUS"):
		res.Signature = "Test.Virus x"
	case strings.Contains(s, "BAD") && !f.outOK:
		res.Signature = "Test.Bad"
	case strings.Contains(s, "HUGE"):
		res.Incomplete, res.Detail = true, "over MaxFileSize"
	}
	return res, nil
}

func TestScanner(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         string
		required   bool
		outputs    bool
		down       bool
		wantErr    bool
		outcome    sanitize.Outcome
		rule       string
		scans      int
		outputSeen bool
	}{
		{name: "clean", in: "hello\n", required: true, outcome: sanitize.OutcomePassed, scans: 1},
		{name: "virus", in: "a VIRUS here\n", required: true, outcome: sanitize.OutcomeBlocked, rule: "av.Test.Virus_x:blocked", scans: 1},
		{name: "incomplete", in: "HUGE\n", required: true, outcome: sanitize.OutcomeBlocked, rule: "av.incomplete:blocked", scans: 1},
		{name: "down required", in: "hello\n", required: true, down: true, wantErr: true, scans: 1},
		{name: "down optional", in: "hello\n", down: true, outcome: sanitize.OutcomePassed, rule: "av.unavailable:recorded", scans: 1},
		{name: "output clean", in: "good\n", required: true, outputs: true, outcome: sanitize.OutcomePassed, scans: 1},
		{name: "output scanned", in: "a bad word\n", required: true, outputs: true, outcome: sanitize.OutcomeBlocked, rule: "av.Test.Bad:blocked", scans: 2, outputSeen: true},
		{name: "output not scanned", in: "a bad word\n", required: true, outcome: sanitize.OutcomeSanitized, scans: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fakeScanner{down: tc.down}
			e := engine(upper, sanitize.ModeSanitize)
			e.Scanner, e.ScanRequired, e.ScanOutputs = fs, tc.required, tc.outputs
			rep, out, err := e.Run(t.Context(), sanitize.Input{R: strings.NewReader(tc.in), Name: "in.txt"})
			if tc.wantErr {
				if !errors.Is(err, sanitize.ErrScanUnavailable) || rep != nil || out != nil {
					t.Fatalf("want ErrScanUnavailable, got %v, %v", rep, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out != nil {
				out.Close()
			}
			if rep.Outcome != tc.outcome || (tc.outcome == sanitize.OutcomeBlocked) != (out == nil) {
				t.Errorf("outcome %s (output %v), want %s; %v", rep.Outcome, out != nil, tc.outcome, rules(rep))
			}
			if tc.rule != "" && !strings.Contains(strings.Join(rules(rep), " "), tc.rule) {
				t.Errorf("findings %v, want %s", rules(rep), tc.rule)
			}
			if len(fs.seen) != tc.scans {
				t.Errorf("%d scans, want %d", len(fs.seen), tc.scans)
			}
			if tc.outputSeen && fs.seen[1] != "a BAD word\n" {
				t.Errorf("output scan saw %q", fs.seen[1])
			}
			if !tc.down && rep.Scanner != "Fake 1.0/42/Sun Nov 22 00:00:00 2026" {
				t.Errorf("scanner %q", rep.Scanner)
			}
		})
	}
}

// Only top-level items are scanned (the scanner recurses itself), on every
// entry point; RunKind and RunBlob fail like Run.
func TestScannerEntryPoints(t *testing.T) {
	fs := &fakeScanner{}
	e := engine(container, sanitize.ModeSanitize)
	e.Scanner, e.ScanRequired = fs, true
	rep, _ := run(t, e, "one\ntwo\n")
	if rep.Outcome == sanitize.OutcomeBlocked || len(fs.seen) != 1 {
		t.Fatalf("outcome %s, %d scans", rep.Outcome, len(fs.seen))
	}
	sp := sanitize.NewSpool("", 1<<20, 1<<20)
	io.WriteString(sp, "x VIRUS\n")
	b, err := sp.Finish()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rep, out, err := e.RunKind(t.Context(), b, "m.eml", "message/rfc822", detect.EML)
	if err != nil || out != nil || rep.Outcome != sanitize.OutcomeBlocked || rep.Detected != detect.EML || rep.Findings[0].Rule != "av.Test.Virus_x" {
		t.Fatalf("RunKind: %+v, %v", rep, err)
	}
	if got := sanitize.DescribeRule(rep.Findings[0].Rule, "en"); !strings.Contains(got, "(Test.Virus_x)") {
		t.Errorf("describe: %q", got)
	}
	fs.down = true
	if _, _, err := e.RunBlob(t.Context(), b, "a.txt", ""); !errors.Is(err, sanitize.ErrScanUnavailable) {
		t.Fatalf("RunBlob down: %v", err)
	}
}
