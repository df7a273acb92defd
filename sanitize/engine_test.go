package sanitize_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// upper is a toy text sanitizer: it upper-cases "bad" to "BAD" and reports a
// finding when it did. Its output re-scans clean.
var upper = sanitize.SanitizerFunc(func(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	b, err := io.ReadAll(it.Src)
	if err != nil {
		return sanitize.Result{}, err
	}
	var res sanitize.Result
	if bytes.Contains(b, []byte("bad")) {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: "test.bad", Action: sanitize.Cleaned})
		b = bytes.ReplaceAll(b, []byte("bad"), []byte("BAD"))
	}
	_, err = dst.Write(b)
	return res, err
})

func engine(s sanitize.Sanitizer, mode sanitize.Mode) *sanitize.Engine {
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.Text: s},
		Mode:       func(sanitize.Kind) sanitize.Mode { return mode },
		Limits:     sanitize.Limits{Timeout: 2 * time.Second},
	}
}

func run(t *testing.T, e *sanitize.Engine, in string) (*sanitize.Report, string) {
	t.Helper()
	rep, out, err := e.Run(t.Context(), sanitize.Input{R: strings.NewReader(in), Name: "in.txt"})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Outcome == sanitize.OutcomeBlocked {
		if out != nil {
			t.Fatalf("blocked item returned output")
		}
		return rep, ""
	}
	if out == nil {
		t.Fatalf("outcome %s without output", rep.Outcome)
	}
	defer out.Close()
	b, err := io.ReadAll(out.Reader())
	if err != nil {
		t.Fatal(err)
	}
	return rep, string(b)
}

func rules(r *sanitize.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Rule+":"+f.Action.String())
	}
	return out
}

func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		s       sanitize.Sanitizer
		mode    sanitize.Mode
		in      string
		outcome sanitize.Outcome
		out     string
		rule    string // a finding that must be present
	}{
		{name: "clean passes", s: upper, mode: sanitize.ModeSanitize, in: "good", outcome: sanitize.OutcomePassed, out: "good"},
		{name: "cleaned", s: upper, mode: sanitize.ModeSanitize, in: "a bad thing", outcome: sanitize.OutcomeSanitized, out: "a BAD thing", rule: "test.bad:cleaned"},
		{name: "verify passes clean", s: upper, mode: sanitize.ModeVerify, in: "good", outcome: sanitize.OutcomePassed, out: "good"},
		{name: "verify blocks risk", s: upper, mode: sanitize.ModeVerify, in: "bad", outcome: sanitize.OutcomeBlocked, rule: sanitize.RuleVerifyRisk + ":blocked"},
		{name: "denied", s: upper, mode: sanitize.ModeBlock, in: "good", outcome: sanitize.OutcomeBlocked, rule: sanitize.RuleDenied + ":blocked"},
		{name: "panic", s: sanitize.SanitizerFunc(func(context.Context, io.Writer, *sanitize.Item) (sanitize.Result, error) {
			panic("boom")
		}), mode: sanitize.ModeSanitize, in: "x", outcome: sanitize.OutcomeBlocked, rule: sanitize.RuleMalformed + ":blocked"},
		{name: "error", s: sanitize.SanitizerFunc(func(context.Context, io.Writer, *sanitize.Item) (sanitize.Result, error) {
			return sanitize.Result{}, fmt.Errorf("test: broken xref: %w", sanitize.ErrMalformed)
		}), mode: sanitize.ModeSanitize, in: "x", outcome: sanitize.OutcomeBlocked, rule: sanitize.RuleMalformed + ":blocked"},
		{name: "encrypted", s: sanitize.SanitizerFunc(func(context.Context, io.Writer, *sanitize.Item) (sanitize.Result, error) {
			return sanitize.Result{}, fmt.Errorf("test: %w", sanitize.ErrEncrypted)
		}), mode: sanitize.ModeSanitize, in: "x", outcome: sanitize.OutcomeBlocked, rule: sanitize.RuleEncrypted + ":blocked"},
		{name: "blocking finding", s: sanitize.SanitizerFunc(func(context.Context, io.Writer, *sanitize.Item) (sanitize.Result, error) {
			return sanitize.Result{Findings: []sanitize.Finding{{Rule: "test.active", Action: sanitize.Blocked}}}, nil
		}), mode: sanitize.ModeSanitize, in: "x", outcome: sanitize.OutcomeBlocked, rule: "test.active:blocked"},
		{name: "output does not verify", s: sanitize.SanitizerFunc(func(_ context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
			// Claims to clean but leaves the risk in: the re-scan catches it.
			_, err := io.Copy(dst, it.Src)
			return sanitize.Result{Findings: []sanitize.Finding{{Rule: "test.bad", Action: sanitize.Removed}}}, err
		}), mode: sanitize.ModeSanitize, in: "x", outcome: sanitize.OutcomeBlocked, rule: sanitize.RuleVerifyFailed + ":blocked"},
		{name: "ignores its error but wrote garbage past the limit", s: sanitize.SanitizerFunc(func(_ context.Context, dst io.Writer, _ *sanitize.Item) (sanitize.Result, error) {
			for range 100 {
				if _, err := dst.Write(make([]byte, 1<<10)); err != nil {
					return sanitize.Result{}, err
				}
			}
			return sanitize.Result{}, nil
		}), mode: sanitize.ModeSanitize, in: "x", outcome: sanitize.OutcomeBlocked, rule: sanitize.RuleLimitSize + ":blocked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(tc.s, tc.mode)
			e.Limits.MaxOutput = 50 << 10
			rep, out := run(t, e, tc.in)
			if rep.Outcome != tc.outcome {
				t.Fatalf("outcome %s, want %s (findings %v, error %q)", rep.Outcome, tc.outcome, rules(rep), rep.Error)
			}
			if out != tc.out {
				t.Errorf("output %q, want %q", out, tc.out)
			}
			if tc.rule != "" && !strings.Contains(strings.Join(rules(rep), " "), tc.rule) {
				t.Errorf("findings %v lack %s", rules(rep), tc.rule)
			}
			if tc.outcome == sanitize.OutcomeBlocked && rep.Error == "" {
				t.Errorf("blocked without a reason")
			}
		})
	}
}

func TestUnsupportedKind(t *testing.T) {
	e := &sanitize.Engine{Mode: func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize }}
	rep, _ := run(t, e, "hello")
	if rep.Outcome != sanitize.OutcomeBlocked || rules(rep)[0] != sanitize.RuleUnsupported+":blocked" {
		t.Fatalf("got %s %v", rep.Outcome, rules(rep))
	}
}

func TestNilModeBlocks(t *testing.T) {
	e := &sanitize.Engine{Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.Text: upper}}
	rep, _ := run(t, e, "hello")
	if rep.Outcome != sanitize.OutcomeBlocked {
		t.Fatalf("outcome %s", rep.Outcome)
	}
}

// A sanitizer that never returns and ignores ctx is abandoned at the
// deadline; the item is blocked, not hung.
func TestDeadlineAbandonsHungSanitizer(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hang := sanitize.SanitizerFunc(func(context.Context, io.Writer, *sanitize.Item) (sanitize.Result, error) {
		<-release
		return sanitize.Result{}, nil
	})
	e := engine(hang, sanitize.ModeSanitize)
	e.Limits.Timeout = 100 * time.Millisecond
	start := time.Now()
	rep, _ := run(t, e, "x")
	if rep.Outcome != sanitize.OutcomeBlocked || rep.Findings[0].Rule != sanitize.RuleLimitTime {
		t.Fatalf("got %s %v", rep.Outcome, rules(rep))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

// Input limit at N and N+1.
func TestInputLimit(t *testing.T) {
	const n = 1000
	for _, tc := range []struct {
		size    int
		blocked bool
	}{{n, false}, {n + 1, true}} {
		e := engine(upper, sanitize.ModeSanitize)
		e.Limits.MaxInput = n
		e.Limits.SpoolMemory = 100 // spill to a temp file on the way
		rep, _ := run(t, e, strings.Repeat("a", tc.size))
		if got := rep.Outcome == sanitize.OutcomeBlocked; got != tc.blocked {
			t.Errorf("size %d: outcome %s %v", tc.size, rep.Outcome, rules(rep))
		}
		if tc.blocked && rep.Findings[0].Rule != sanitize.RuleLimitSize {
			t.Errorf("size %d: findings %v", tc.size, rules(rep))
		}
	}
}

// Output limit at N and N+1.
func TestOutputLimit(t *testing.T) {
	const n = 4096
	for _, tc := range []struct {
		size    int
		blocked bool
	}{{n, false}, {n + 1, true}} {
		e := engine(upper, sanitize.ModeSanitize)
		e.Limits.MaxOutput = n
		e.Limits.SpoolMemory = 512
		rep, out := run(t, e, strings.Repeat("b", tc.size))
		if got := rep.Outcome == sanitize.OutcomeBlocked; got != tc.blocked {
			t.Errorf("size %d: outcome %s %v", tc.size, rep.Outcome, rules(rep))
		}
		if !tc.blocked && len(out) != tc.size {
			t.Errorf("size %d: output %d bytes", tc.size, len(out))
		}
	}
}

// container treats each line as a child item and writes the children's
// outputs, one per line.
var container = sanitize.SanitizerFunc(func(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	b, err := io.ReadAll(it.Src)
	if err != nil {
		return sanitize.Result{}, err
	}
	var res sanitize.Result
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		rep, out, err := it.Child(ctx, strings.NewReader(line), fmt.Sprintf("part%d.txt", i), "text/plain")
		if err != nil {
			return res, err
		}
		res.Children = append(res.Children, rep)
		if out == nil {
			res.Findings = append(res.Findings, sanitize.Finding{Rule: "test.child", Where: rep.Input, Action: sanitize.Removed})
			continue
		}
		_, err = io.Copy(dst, out.Reader())
		out.Close()
		if err != nil {
			return res, err
		}
		fmt.Fprintln(dst)
	}
	return res, nil
})

func TestChildren(t *testing.T) {
	e := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.Text: upper},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
	}
	// Use the container for the top level only.
	top := sanitize.SanitizerFunc(func(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
		if it.Depth == 0 {
			return container(ctx, dst, it)
		}
		return upper(ctx, dst, it)
	})
	e.Sanitizers[detect.Text] = top
	e.SkipVerify = true // the toy container is not idempotent
	rep, out := run(t, e, "one bad\ntwo\n")
	if out != "one BAD\ntwo\n" {
		t.Errorf("output %q", out)
	}
	if len(rep.Children) != 2 || rep.Children[0].Outcome != sanitize.OutcomeSanitized || rep.Children[1].Outcome != sanitize.OutcomePassed {
		b, _ := json.Marshal(rep)
		t.Errorf("children: %s", b)
	}
}

func TestChildDepthLimit(t *testing.T) {
	// Every level is a container: depth MaxDepth+1 is blocked.
	e := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.Text: container},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		Limits:     sanitize.Limits{MaxDepth: 2},
		SkipVerify: true,
	}
	rep, _ := run(t, e, "x\n")
	depth := 0
	var deepest *sanitize.Report
	rep.Walk(func(d int, r *sanitize.Report) {
		if d >= depth {
			depth, deepest = d, r
		}
	})
	if depth != 3 || deepest.Outcome != sanitize.OutcomeBlocked || deepest.Findings[0].Rule != sanitize.RuleLimitDepth {
		b, _ := json.MarshalIndent(rep, "", " ")
		t.Fatalf("depth %d: %s", depth, b)
	}
}

func TestExpandBudget(t *testing.T) {
	e := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.Text: sanitize.SanitizerFunc(func(_ context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
			_, err := io.Copy(dst, it.ExpandLimit(strings.NewReader(strings.Repeat("z", 2000))))
			return sanitize.Result{}, err
		})},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		Limits:     sanitize.Limits{MaxExpanded: 1999},
		SkipVerify: true,
	}
	rep, _ := run(t, e, "x")
	if rep.Outcome != sanitize.OutcomeBlocked || rep.Findings[0].Rule != sanitize.RuleLimitSize {
		t.Fatalf("got %s %v", rep.Outcome, rules(rep))
	}
}

// Reading the input fails: Run reports an error (the caller must not treat
// the item as processed) rather than a verdict.
func TestReadErrorIsNotAVerdict(t *testing.T) {
	e := engine(upper, sanitize.ModeSanitize)
	_, _, err := e.Run(t.Context(), sanitize.Input{R: io.MultiReader(strings.NewReader("abc"), errReader{}), Name: "x"})
	if err == nil {
		t.Fatal("no error")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReportJSON(t *testing.T) {
	e := engine(upper, sanitize.ModeSanitize)
	rep, _ := run(t, e, "bad")
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"input", "sha256", "size", "declared_type", "detected_type", "outcome", "findings", "outputs", "children", "quarantine_id"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	if sum, _ := m["sha256"].(string); len(sum) != 64 {
		t.Errorf("sha256 %v", m["sha256"])
	}
	if fs := m["findings"].([]any); fs[0].(map[string]any)["action"] != "cleaned" {
		t.Errorf("findings %v", fs)
	}
}

func TestDescribeRule(t *testing.T) {
	if got := sanitize.DescribeRule(sanitize.RuleMismatch, "en"); !strings.Contains(got, "does not match") {
		t.Errorf("en: %q", got)
	}
	if got := sanitize.DescribeRule(sanitize.RuleMismatch, "ja"); !strings.Contains(got, "一致しません") {
		t.Errorf("ja: %q", got)
	}
	if got := sanitize.DescribeRule("no.such", "ja"); got != "no.such" {
		t.Errorf("unknown: %q", got)
	}
	for i := 1; i < len(sanitize.RuleTable); i++ {
		if sanitize.RuleTable[i-1].ID >= sanitize.RuleTable[i].ID {
			t.Errorf("RuleTable not sorted at %s", sanitize.RuleTable[i].ID)
		}
	}
}

// The re-scan of a container does not sanitize again the parts it
// re-attached: they are outputs this item already produced and verified.
func TestRescanSkipsVerifiedChildren(t *testing.T) {
	var calls atomic.Int64
	counting := sanitize.SanitizerFunc(func(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
		if it.Depth == 0 {
			return container(ctx, dst, it)
		}
		calls.Add(1)
		return upper(ctx, dst, it)
	})
	e := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.Text: counting},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
	}
	rep, _ := run(t, e, "one bad\ntwo\n")
	if rep.Outcome == sanitize.OutcomeBlocked {
		t.Fatalf("blocked: %v", rules(rep))
	}
	// Each child: sanitized once and verified once. The container's own
	// re-scan meets "one BAD" and "two" again and skips them.
	if n := calls.Load(); n != 4 {
		t.Errorf("child sanitizer ran %d times, want 4", n)
	}
}
