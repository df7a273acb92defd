//go:build linux

package filedrop

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDiskFull puts the outbox on a 256 KB tmpfs (root only) and drops a
// file whose output does not fit: the input waits in the work folder while
// the service retries, and comes out once the disk has room.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 || testing.Short() {
		t.Skip("needs root to mount a small tmpfs")
	}
	h := start(t, func(c *Config, f *Folder) {
		os.MkdirAll(f.Outbox, 0o755)
		if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", f.Outbox).Run(); err != nil {
			t.Skipf("mount: %v", err)
		}
	})
	t.Cleanup(func() { exec.Command("umount", "-l", h.outbox).Run() })
	stage := filepath.Join(h.root, "big.csv")
	writeCSV(t, stage, 600<<10)
	if err := os.Rename(stage, filepath.Join(h.inbox, "大きめ.csv")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, ok := h.result("大きめ.csv"); ok {
		t.Fatal("processed although the outbox is full")
	}
	if n := claimsLeft(t, filepath.Join(h.inbox, ".mugai-work")); n != 1 {
		t.Fatalf("%d claims waiting, want 1", n)
	}
	for _, n := range outboxFiles(t, h.outbox) {
		if strings.HasPrefix(filepath.Base(n), ".mugai-") {
			t.Errorf("partial temp file left on the full disk: %s", n)
		}
	}
	if err := exec.Command("mount", "-o", "remount,size=4m", h.outbox).Run(); err != nil {
		t.Fatalf("remount: %v", err)
	}
	r := h.waitResult("大きめ.csv", 5*time.Second)
	if fi, err := os.Stat(r.Output); err != nil || fi.Size() < 600<<10 || r.Attempts < 2 {
		t.Errorf("after the disk has room: %+v %v", r, err)
	}
}
