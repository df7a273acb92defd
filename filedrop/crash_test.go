package filedrop

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/local"
)

func TestMain(m *testing.M) {
	if root := os.Getenv("MUGAI_FILEDROP_CHILD"); root != "" {
		os.Exit(child(root))
	}
	os.Exit(m.Run())
}

// child is the service as a separate process, for the kill test: it runs
// until killed (or SIGTERM).
func child(root string) int {
	st, err := local.Open(filepath.Join(root, "quarantine"), local.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := New(Config{
		Node: "killtest", Workers: 2, RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		Folders: []Folder{{
			Name: "kill", Inbox: filepath.Join(root, "in"), Outbox: filepath.Join(root, "out"),
			Rescan: 200 * time.Millisecond, Engine: testEngine(root), Subfolders: true,
		}},
	}, st, st, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s.Run(ctx)
	return 0
}

// TestKillRestart runs the service as a subprocess, kills it with SIGKILL
// at random moments while it processes a batch, restarts it, and checks
// that every input came out exactly once, with one report and one kept
// original each.
func TestKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	root := t.TempDir()
	in := filepath.Join(root, "in")
	n := 240
	if raceEnabled {
		n = 60
	}
	want := map[string]string{}
	stage := filepath.Join(root, "stage")
	os.MkdirAll(stage, 0o755)
	for i := range n {
		dept := []string{"", "総務課/", "税務課/"}[i%3]
		name := fmt.Sprintf("%s文書%03d.txt", dept, i)
		body := fmt.Sprintf("文書 %d\n%s", i, strings.Repeat("本文の行です。\n", 1+i%7*400))
		if i%40 == 0 {
			name = fmt.Sprintf("%s表%03d.csv", dept, i)
			body = fmt.Sprintf("no,%d\n%s", i, strings.Repeat("1,=SUM(A1:A2),x\n", 100000)) // ~1.6 MB
		}
		want[name] = fmt.Sprintf("%d", i)
		p := filepath.Join(stage, fmt.Sprintf("%03d", i))
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		dept := []string{"", "総務課/", "税務課/"}[i%3]
		name := fmt.Sprintf("%s文書%03d.txt", dept, i)
		if i%40 == 0 {
			name = fmt.Sprintf("%s表%03d.csv", dept, i)
		}
		dst := filepath.Join(in, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.Rename(filepath.Join(stage, fmt.Sprintf("%03d", i)), dst); err != nil {
			t.Fatal(err)
		}
	}

	run := func() *exec.Cmd {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "MUGAI_FILEDROP_CHILD="+root)
		cmd.Stderr = &testWriter{t: t}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
		})
		return cmd
	}
	outputs := func() int {
		k := 0
		for _, o := range outboxFiles(t, filepath.Join(root, "out")) {
			if !strings.Contains(o, ".mugai.") && !strings.HasPrefix(filepath.Base(o), ".") {
				k++
			}
		}
		return k
	}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	kills := 0
	for round := 0; round < 8 && outputs() < n; round++ {
		cmd := run()
		pause := time.Duration(150+rng.IntN(500)) * time.Millisecond
		if raceEnabled {
			pause *= 4
		}
		time.Sleep(pause)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		kills++
		t.Logf("kill %d: %d outputs so far", kills, outputs())
	}
	cmd := run()
	work := filepath.Join(in, ".mugai-work")
	waitFor(t, "every input processed", 50*time.Second, func() bool {
		return outputs() >= n && claimsLeft(t, work) == 0
	})
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()

	// Every input exactly once, under its own name, with its report.
	outs := outboxFiles(t, filepath.Join(root, "out"))
	got := map[string]bool{}
	for _, o := range outs {
		if strings.HasPrefix(filepath.Base(o), ".") {
			t.Errorf("temp file left: %s", o)
			continue
		}
		if strings.Contains(o, ".mugai.") {
			if _, ok := want[strings.TrimSuffix(o, ".mugai.txt")]; !ok {
				t.Errorf("unexpected report %s", o)
			}
			continue
		}
		if _, ok := want[o]; !ok {
			t.Errorf("unexpected output %s (a duplicate?)", o)
			continue
		}
		got[o] = true
		body := readFile(t, filepath.Join(root, "out", o))
		if !strings.Contains(body, want[o]) {
			t.Errorf("%s: wrong content", o)
		}
		if _, err := os.Stat(filepath.Join(root, "out", o+".mugai.txt")); err != nil {
			t.Errorf("%s: no report", o)
		}
	}
	if len(got) != n {
		t.Errorf("%d of %d inputs came out", len(got), n)
	}
	if len(outs) != 2*n {
		seen := map[string]int{}
		for _, o := range outs {
			seen[strings.TrimSuffix(o, ".mugai.txt")]++
		}
		for o, c := range seen {
			if c != 2 {
				t.Logf("%s: %d", o, c)
			}
		}
		t.Errorf("%d files in the outbox, want %d", len(outs), 2*n)
	}
	st, err := local.Open(filepath.Join(root, "quarantine"), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kept := map[string]int{}
	st.List(t.Context(), quarantine.Filter{}, func(m quarantine.Meta) error {
		kept[m.Subject]++
		if m.Delivery != quarantine.DeliveryDelivered {
			t.Errorf("%s: delivery %q", m.Subject, m.Delivery)
		}
		return nil
	})
	for name := range want {
		if kept[name] != 1 {
			t.Errorf("%s kept %d times", name, kept[name])
		}
	}
	if err := st.Verify(t.Context()); err != nil {
		t.Error(err)
	}
	left, _ := filepath.Glob(filepath.Join(in, "*.txt"))
	if len(left) > 0 {
		t.Errorf("left in the inbox: %v", left)
	}
	t.Logf("%d kills, %d inputs, all out once", kills, n)
}
