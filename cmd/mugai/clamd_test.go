package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/scan/clamd/clamdtest"
)

// The CLI with a real clamd: config check pings it, sanitize blocks a
// detection and names it, and a stopped clamd is an error (exit 3), never a
// pass.
func TestCLIWithClamd(t *testing.T) {
	d := clamdtest.Start(t, clamdtest.Options{})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "p.toml")
	os.WriteFile(cfg, []byte("[scan]\nclamd = \""+d.Address()+"\"\ntimeout = \"5s\"\nmax_size = \"10MB\"\n"), 0o644)
	eicar := filepath.Join(dir, "eicar.txt")
	os.WriteFile(eicar, clamdtest.EICAR(), 0o644)
	clean := filepath.Join(dir, "memo.txt")
	os.WriteFile(clean, []byte("会議の資料です。\n"), 0o644)
	getenv := func(string) string { return "" }
	mugai := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(t.Context(), args, strings.NewReader(""), &out, &errb, getenv)
		return code, out.String(), errb.String()
	}

	code, _, stderr := mugai("config", "check", cfg)
	if code != exitOK || !strings.Contains(stderr, "ClamAV ") {
		t.Fatalf("config check: %d %s", code, stderr)
	}
	code, stdout, stderr := mugai("sanitize", "--config", cfg, "--json", "-o", filepath.Join(dir, "out"), eicar, clean)
	if code != exitBlocked {
		t.Fatalf("sanitize: exit %d\n%s%s", code, stdout, stderr)
	}
	type report struct {
		Input    string `json:"input"`
		Outcome  string `json:"outcome"`
		Scanner  string `json:"scanner"`
		Findings []struct {
			Rule string `json:"rule"`
		} `json:"findings"`
	}
	var reps []report
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var r report
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		reps = append(reps, r)
	}
	if len(reps) != 2 || reps[0].Outcome != "blocked" || len(reps[0].Findings) != 1 || !strings.HasPrefix(reps[0].Findings[0].Rule, "av."+clamdtest.EICARName) ||
		reps[1].Outcome == "blocked" || !strings.HasPrefix(reps[1].Scanner, "ClamAV ") {
		t.Fatalf("reports: %+v", reps)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "eicar.txt")); err == nil {
		t.Fatal("the detected file was written out")
	}

	d.Stop()
	if code, _, stderr = mugai("sanitize", "--config", cfg, "-o", filepath.Join(dir, "out2"), clean); code != exitInternal || !strings.Contains(stderr, "clamd") {
		t.Fatalf("clamd stopped: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out2", "memo.txt")); err == nil {
		t.Fatal("an unscanned file was written out")
	}
	if code, _, _ = mugai("config", "check", cfg); code != exitUsage {
		t.Fatalf("config check with clamd stopped: exit %d", code)
	}
}
