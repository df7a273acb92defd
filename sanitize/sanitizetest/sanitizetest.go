// Package sanitizetest holds the test helpers the format packages share: a
// real engine wired for the sanitizer under test, a run through it that
// returns the report and the output bytes, the rule IDs of findings, and
// the checks every fuzz target of a sanitizer makes.
//
// Only tests import it; cmd/mugai's dependency test keeps production code
// from doing so, and keeps it to the core (sanitize and sanitize/detect).
package sanitizetest

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
)

// Engine returns a real engine in which s sanitizes each of kinds, every
// kind is in sanitize.ModeSanitize, the limits are lim and the spool
// directory is a temporary directory of t.
func Engine(t testing.TB, lim sanitize.Limits, s sanitize.Sanitizer, kinds ...sanitize.Kind) *sanitize.Engine {
	m := make(map[sanitize.Kind]sanitize.Sanitizer, len(kinds))
	for _, k := range kinds {
		m[k] = s
	}
	return &sanitize.Engine{
		Sanitizers: m,
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		Limits:     lim,
		TempDir:    t.TempDir(),
	}
}

// Run sanitizes in, named name, through eng (which detects it and re-scans
// the output) and returns the report and the output bytes, nil when the
// input was blocked. An engine error fails t.
func Run(t testing.TB, eng *sanitize.Engine, in []byte, name string) (*sanitize.Report, []byte) {
	t.Helper()
	rep, blob, err := eng.Run(t.Context(), sanitize.Input{R: bytes.NewReader(in), Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return rep, Output(t, blob)
}

// Output reads and closes blob, an engine's output; it returns nil for a
// nil blob (the input was blocked).
func Output(t testing.TB, blob *sanitize.Blob) []byte {
	t.Helper()
	if blob == nil {
		return nil
	}
	defer blob.Close()
	out, err := io.ReadAll(blob.Reader())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Rules lists the rule IDs of fs in order, repeats included.
func Rules(fs []sanitize.Finding) []string {
	var r []string
	for _, f := range fs {
		r = append(r, f.Rule)
	}
	return r
}

// RuleSet is the set of the rule IDs of fs.
func RuleSet(fs []sanitize.Finding) map[string]bool {
	m := map[string]bool{}
	for _, f := range fs {
		m[f.Rule] = true
	}
	return m
}

// FuzzTime is how long one fuzz input may take through FuzzRun.
const FuzzTime = 10 * time.Second

// FuzzRun runs in through eng as kind (forced: most mutations no longer
// detect as the kind under test, and the sanitizer must still be safe on
// them) and checks what every fuzz target checks: no engine error, no run
// past the engine's deadline (a sanitize.RuleLimitTime finding) or past
// FuzzTime. It returns the report and the output, nil when blocked.
func FuzzRun(t testing.TB, eng *sanitize.Engine, in []byte, name string, kind sanitize.Kind) (*sanitize.Report, []byte) {
	t.Helper()
	start := time.Now()
	rep, out, err := eng.RunKind(t.Context(), sanitize.BlobBytes(in), name, "", kind)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(rep.Findings, func(f sanitize.Finding) bool { return f.Rule == sanitize.RuleLimitTime }) {
		t.Fatalf("hit the deadline: %+v", rep.Findings)
	}
	if d := time.Since(start); d > FuzzTime {
		t.Fatalf("took %v", d)
	}
	return rep, Output(t, out)
}

// Resanitize runs an output b through eng again as kind and fails t when
// it is blocked or draws a finding above sanitize.Recorded: a sanitized
// output has nothing left to change. It returns the second output.
func Resanitize(t testing.TB, eng *sanitize.Engine, b []byte, name string, kind sanitize.Kind) []byte {
	t.Helper()
	rep, out, err := eng.RunKind(t.Context(), sanitize.BlobBytes(b), name, "", kind)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome == sanitize.OutcomeBlocked {
		t.Fatalf("output blocked on re-sanitize: %+v", rep.Findings)
	}
	for _, f := range rep.Findings {
		if f.Action > sanitize.Recorded {
			t.Fatalf("re-sanitize finding %+v", f)
		}
	}
	return Output(t, out)
}

// PanicLog is an engine log that remembers whether the engine recovered a
// sanitizer panic, which it otherwise turns into a quiet block. Make one
// with WatchPanics.
type PanicLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// WatchPanics points eng's log at a new PanicLog and returns it.
func WatchPanics(eng *sanitize.Engine) *PanicLog {
	p := &PanicLog{}
	eng.Log = slog.New(slog.NewTextHandler(p, nil))
	return p
}

// Write records a line of the engine's log.
func (p *PanicLog) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.Write(b)
}

// Check fails t when the engine has logged a sanitizer panic.
func (p *PanicLog) Check(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.Contains(p.buf.String(), "sanitizer panic") {
		t.Fatalf("panic: %s", p.buf.String())
	}
}

// Golden compares got with the golden file at path, or, when update is
// set (each package's -update flag), writes got there, creating the
// directory.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}
