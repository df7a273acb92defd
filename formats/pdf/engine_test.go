package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

func newEngine(t testing.TB, mode sanitize.Mode, opt Options) *sanitize.Engine {
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.PDF: New(opt)},
		Mode: func(k sanitize.Kind) sanitize.Mode {
			if k == detect.PDF {
				return mode
			}
			return sanitize.ModeBlock
		},
		TempDir: t.TempDir(),
	}
}

// The real engine runs the sanitizer, re-scans its output with it and
// decides the outcome.
func TestEngine(t *testing.T) {
	clean := baseDoc("", "").bytes()
	js := baseDoc("/OpenAction "+jsAction, "").bytes()
	for _, tc := range []struct {
		name    string
		mode    sanitize.Mode
		in      []byte
		outcome sanitize.Outcome
		rule    string // a rule among the findings
	}{
		{name: "sanitize clean", mode: sanitize.ModeSanitize, in: clean, outcome: sanitize.OutcomeSanitized},
		{name: "sanitize javascript", mode: sanitize.ModeSanitize, in: js, outcome: sanitize.OutcomeSanitized, rule: RuleJavaScript},
		{name: "verify clean", mode: sanitize.ModeVerify, in: clean, outcome: sanitize.OutcomePassed},
		{name: "verify javascript", mode: sanitize.ModeVerify, in: js, outcome: sanitize.OutcomeBlocked, rule: sanitize.RuleVerifyRisk},
		{name: "malformed", mode: sanitize.ModeSanitize, in: []byte("%PDF-1.4\ngarbage\n"), outcome: sanitize.OutcomeBlocked, rule: sanitize.RuleMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, blob, err := newEngine(t, tc.mode, Options{}).Run(t.Context(), sanitize.Input{R: bytes.NewReader(tc.in), Name: "a.pdf"})
			if err != nil {
				t.Fatal(err)
			}
			if blob != nil {
				defer blob.Close()
			}
			if rep.Outcome != tc.outcome {
				t.Errorf("outcome = %s, want %s (%+v, %s)", rep.Outcome, tc.outcome, rep.Findings, rep.Error)
			}
			if tc.rule != "" && !slices.ContainsFunc(rep.Findings, func(f sanitize.Finding) bool { return f.Rule == tc.rule }) {
				t.Errorf("findings %+v lack %s", rep.Findings, tc.rule)
			}
		})
	}
}

// corpusDir holds real third-party PDFs (../shared/corpus/pdf beside the
// repository); the test skips without it.
const corpusDir = "../../../shared/corpus/pdf"

// TestCorpus runs every corpus file through the real engine: no panic (the
// engine would log one and block), each within a deadline, with bounded
// heap. It logs the outcomes and how many outputs lost text.
func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*"))
	if len(files) == 0 {
		t.Skip("no corpus at " + corpusDir)
	}
	if testing.Short() {
		t.Skip("short")
	}
	eng := newEngine(t, sanitize.ModeSanitize, Options{})
	eng.Limits.Timeout = 20 * time.Second
	_, haveText := exec.LookPath("pdftotext")
	counts := map[sanitize.Outcome]int{}
	reasons := map[string]int{}
	ruleCounts := map[string]int{}
	var lost []string
	var maxHeap uint64
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rep, blob, err := eng.Run(context.Background(), sanitize.Input{R: bytes.NewReader(in), Name: filepath.Base(f)})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d := time.Since(start); d > 25*time.Second {
			t.Errorf("%s: took %v", filepath.Base(f), d)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		maxHeap = max(maxHeap, ms.HeapAlloc)
		counts[rep.Outcome]++
		for _, fd := range rep.Findings {
			ruleCounts[fd.Rule]++
		}
		if rep.Outcome == sanitize.OutcomeBlocked {
			reason := rep.Error
			for _, fd := range rep.Findings {
				if fd.Action == sanitize.Blocked {
					reason = fd.Rule
				}
			}
			reasons[reason]++
			t.Logf("blocked %s: %s", filepath.Base(f), firstLine(rep.Findings))
			continue
		}
		if haveText == nil && blob != nil {
			out := make([]byte, blob.Size())
			if _, err := blob.ReadAt(out, 0); err != nil {
				t.Fatal(err)
			}
			if a, b := words(t, in), words(t, out); b < a {
				lost = append(lost, fmt.Sprintf("%s (%d→%d words)", filepath.Base(f), a, b))
			}
			if left := qpdfRisks(t, out); len(left) > 0 {
				t.Errorf("%s: qpdf still sees %v in the output", filepath.Base(f), left)
			}
			// Byte-stable: sanitizing the output gives the same bytes.
			var again bytes.Buffer
			if _, err := New(Options{}).Sanitize(context.Background(), &again, item(out)); err != nil {
				t.Errorf("%s: the output does not sanitize again: %v", filepath.Base(f), err)
			} else if !bytes.Equal(again.Bytes(), out) {
				t.Errorf("%s: sanitizing the output changes it", filepath.Base(f))
			}
		}
		if blob != nil {
			blob.Close()
		}
	}
	t.Logf("%d files: sanitized %d, passed %d, blocked %d; blocked by %v", len(files),
		counts[sanitize.OutcomeSanitized], counts[sanitize.OutcomePassed], counts[sanitize.OutcomeBlocked], reasons)
	t.Logf("findings by rule: %v", ruleCounts)
	t.Logf("outputs with fewer pdftotext words than their input: %d %v", len(lost), lost)
	t.Logf("max heap in use after a file: %d MiB", maxHeap>>20)
	if maxHeap > 1<<30 {
		t.Errorf("heap reached %d MiB", maxHeap>>20)
	}
}

func firstLine(fs []sanitize.Finding) string {
	for _, f := range fs {
		if f.Action == sanitize.Blocked {
			d, _, _ := strings.Cut(f.Detail, "\n")
			if len(d) > 160 {
				d = d[:160]
			}
			return f.Rule + ": " + d
		}
	}
	return ""
}

// words counts the words pdftotext finds; -1 when it fails on the file.
func words(t *testing.T, pdf []byte) int {
	f := filepath.Join(t.TempDir(), "w.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "pdftotext", "-q", f, "-").Output()
	if err != nil {
		return -1
	}
	return len(strings.Fields(string(out)))
}

// neverLeft are names no output may show, by qpdf's reading of it.
var neverLeft = regexp.MustCompile(`/(JavaScript|JS|Launch|SubmitForm|ImportData|GoToR|GoToE|EmbeddedFiles?|XFA|RichMedia[A-Za-z]*|FileAttachment)\b`)

var streamData = regexp.MustCompile(`(?s)\bstream\r?\n.*?\bendstream\b`)

// qpdfRisks returns the risky names qpdf finds in pdf; nil without qpdf.
func qpdfRisks(t *testing.T, pdf []byte) []string {
	if _, err := exec.LookPath("qpdf"); err != nil {
		return nil
	}
	f := filepath.Join(t.TempDir(), "q.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dump, _ := exec.CommandContext(ctx, "qpdf", "--qdf", "--object-streams=disable", f, "-").Output()
	// Stream data (page text, images) may spell anything.
	dump = streamData.ReplaceAll(dump, nil)
	return neverLeft.FindAllString(string(dump), 5)
}

// TestCorpusPasswords opens the corpus's encrypted samples whose file
// names give their passwords ("U=view,O=master"): without the user
// password they are refused, with either password they are sanitized.
func TestCorpusPasswords(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*[UO]=*.pdf"))
	if len(files) == 0 {
		t.Skip("no encrypted corpus samples at " + corpusDir)
	}
	pwRe := regexp.MustCompile(`([UO])=([^,]+?)(,|\.pdf$)`)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			pws := map[string]string{}
			for _, m := range pwRe.FindAllStringSubmatch(filepath.Base(f), -1) {
				pws[m[1]] = m[2]
			}
			_, _, err = run(t, New(Options{}), in)
			if pws["U"] != "" && !errors.Is(err, sanitize.ErrEncrypted) {
				t.Errorf("without a password: err = %v, want ErrEncrypted", err)
			}
			for _, pw := range pws {
				out, res, err := run(t, New(Options{Passwords: []string{"wrong", pw}}), in)
				if err != nil {
					t.Errorf("password %q: %v", pw, err)
					continue
				}
				if !slices.Contains(rules(res.Findings), RuleEncryption) || bytes.Contains(out, []byte("/Encrypt")) {
					t.Errorf("password %q: still encrypted (%v)", pw, rules(res.Findings))
				}
			}
		})
	}
}

// TestCorpusAttachments sanitizes the corpus files that show embedded
// files with pdf.attachments = sanitize: every embedded file goes through
// the engine (PDFs in PDFs are sanitized, other kinds blocked here), the
// output verifies and is byte-stable.
func TestCorpusAttachments(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*"))
	if len(files) == 0 {
		t.Skip("no corpus at " + corpusDir)
	}
	if testing.Short() {
		t.Skip("short")
	}
	eng := newEngine(t, sanitize.ModeSanitize, Options{Attachments: AttachmentsSanitize})
	// Generous: the shared test machine may be loaded, and a file's
	// attachments are sanitized and re-scanned within its deadline.
	eng.Limits.Timeout = 60 * time.Second
	n, kept := 0, 0
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(in, []byte("/EmbeddedFile")) && !bytes.Contains(in, []byte("/FileAttachment")) {
			continue
		}
		n++
		rep, blob, err := eng.Run(context.Background(), sanitize.Input{R: bytes.NewReader(in), Name: filepath.Base(f)})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if blob == nil {
			continue
		}
		for _, c := range rep.Children {
			if c.Outcome != sanitize.OutcomeBlocked {
				kept++
			}
		}
		out := make([]byte, blob.Size())
		if _, err := blob.ReadAt(out, 0); err != nil {
			t.Fatal(err)
		}
		blob.Close()
		rep2, blob2, err := eng.Run(context.Background(), sanitize.Input{R: bytes.NewReader(out), Name: filepath.Base(f)})
		if err != nil {
			t.Fatal(err)
		}
		blob2.Close()
		if rep2.Outcome != sanitize.OutcomePassed {
			t.Errorf("%s: the output sanitized again is %s %+v", filepath.Base(f), rep2.Outcome, rep2.Findings)
		}
	}
	t.Logf("%d files with embedded files; %d embedded files kept after sanitizing", n, kept)
}
