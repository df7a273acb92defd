package filedrop

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteTempDoesNotFollowSymlinks: a symlink planted in the outbox under
// a temp file's name is replaced, never written through.
func TestWriteTempDoesNotFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, ".mugai-claim.rpt.tmp")
	if err := os.Symlink(victim, tmp); err != nil {
		t.Fatal(err)
	}
	s := &Service{}
	f := &folder{Folder: Folder{Mode: 0o644}}
	if err := s.writeTemp(f, tmp, func(w io.Writer) error { _, err := io.WriteString(w, "report"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Fatalf("the symlink's target was written: %q", b)
	}
	fi, err := os.Lstat(tmp)
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("temp file %v, %v: want a regular file", fi, err)
	}
	if err := writeDurable(filepath.Join(dir, "state"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
}
