package archive

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

// Test7z makes 7z archives with 7-Zip itself (Debian "7zip"; skipped
// without it): plain with Japanese names, encrypted content, encrypted
// headers.
func Test7z(t *testing.T) {
	sz, err := exec.LookPath("7zz")
	if err != nil {
		t.Skip("7zz (Debian 7zip) not installed")
	}
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "資料"), 0o755)
	os.WriteFile(filepath.Join(src, "資料", "報告.txt"), []byte("市民課からの報告\n"), 0o644)
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("hello\n"), 0o644)
	os.WriteFile(filepath.Join(src, "b.exe"), []byte(mz), 0o644)
	make7z := func(args ...string) []byte {
		out := filepath.Join(t.TempDir(), "x.7z")
		cmd := exec.Command(sz, append(append([]string{"a", "-bd", "-bso0"}, args...), out, ".")...)
		cmd.Dir = src
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("7zz: %v %s", err, b)
		}
		b, _ := os.ReadFile(out)
		return b
	}
	eng := newEngine(t, sanitize.Limits{})
	rep, out := run(t, eng, "x.7z", make7z())
	if out == nil {
		t.Fatalf("blocked: %+v", rep.Findings)
	}
	got := zipNames(t, out)
	for n, want := range map[string]string{"資料/報告.txt": "市民課からの報告\n", "a.txt": "hello\n"} {
		if got[n] != want {
			t.Errorf("%q = %q, want %q (have %q)", n, got[n], want, keys(got))
		}
	}
	if _, ok := got["b.exe.removed.txt"]; !ok {
		t.Errorf("no notice for b.exe: %q", keys(got))
	}
	for _, args := range [][]string{{"-pSECRET"}, {"-pSECRET", "-mhe=on"}, {"-pSECRET", "-m0=copy"}} {
		rep, out := run(t, eng, "x.7z", make7z(args...))
		if out != nil || !rules(rep, sanitize.Blocked)[RuleEncrypted] {
			t.Errorf("%v: %s %+v, want archive.encrypted", args, rep.Outcome, rep.Findings)
		}
	}
}
