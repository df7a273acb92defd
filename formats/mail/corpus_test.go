package mail_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/sanitize"
)

const corpusMail = "../../../shared/corpus/mail"

// TestCorpus runs every mail of the shared corpus (Japanese carrier
// bounces, municipal webmail fixtures, MIME torture tests, TNEF, endless
// nesting, out-of-memory cases) through the engine: each gets an outcome
// within its deadline, the heap stays bounded, and every output parses with
// go-message and with Python's email package (policy default, no defects),
// has no text/html part, and carries the notice. Mails whose text still
// holds U+FFFD are logged for review.
func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir(corpusMail)
	if err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	e := engine(mail.Options{})
	e.Limits.Timeout = 20 * time.Second
	e.TempDir = t.TempDir()
	outDir := t.TempDir()
	var peak uint64
	var fffd []string
	count := map[sanitize.Outcome]int{}
	for _, ent := range entries {
		if !ent.Type().IsRegular() {
			continue
		}
		name := ent.Name()
		b, err := os.ReadFile(filepath.Join(corpusMail, name))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rep, out := run(t, e, b)
		if d := time.Since(start); d > 25*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		count[rep.Outcome]++
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		if rep.Detected != "eml" {
			continue // not a mail by content (TNEF, mbox dumps in base64): judged as what it is
		}
		if rep.Outcome != sanitize.OutcomeTextized {
			t.Errorf("%s: outcome %s %v", name, rep.Outcome, rep.Findings)
			continue
		}
		p := parse(t, out)
		for _, ct := range p.types {
			if ct == "text/html" {
				t.Errorf("%s: output has a text/html part", name)
			}
		}
		if !strings.Contains(p.text, "mugai") {
			t.Errorf("%s: no notice", name)
		}
		if strings.ContainsRune(p.text, '\uFFFD') {
			fffd = append(fffd, name)
		}
		if err := os.WriteFile(filepath.Join(outDir, name), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d mails: %v; peak heap in use %d MiB", len(entries), count, peak>>20)
	t.Logf("text with U+FFFD (review: invalid bytes in every plausible charset, or binary data in a text part): %v", fffd)
	if peak > 512<<20 {
		t.Errorf("heap grew to %d MiB", peak>>20)
	}
	pythonCheckDir(t, outDir)
}

// pythonCheckDir parses every file in dir with Python's email package in
// one process.
func pythonCheckDir(t *testing.T, dir string) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: skipping the Python oracle")
		return
	}
	const script = `
import sys, os, email
from email import policy
bad = 0
for name in sorted(os.listdir(sys.argv[1])):
    with open(os.path.join(sys.argv[1], name), "rb") as f:
        msg = email.message_from_binary_file(f, policy=policy.default)
    defects = [str(d) for part in msg.walk() for d in part.defects]
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            defects.append("text/html part")
        if not part.is_multipart() and part.get_content_maintype() != "message":
            part.get_content()
    if defects:
        bad += 1
        print(name, defects)
sys.exit(1 if bad else 0)
`
	var out bytes.Buffer
	cmd := exec.Command(py, "-c", script, dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("Python's email package finds defects: %v\n%s", err, out.String())
	}
}
