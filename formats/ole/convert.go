package ole

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Sandbox says how the converter is confined.
type Sandbox uint8

// Sandboxes.
const (
	SandboxAuto  Sandbox = iota // bwrap when it is installed, else none
	SandboxBwrap                // bwrap, required
	SandboxNone                 // the converter runs as mugai's own user, unconfined
)

// Converter runs LibreOffice headless (`soffice --convert-to`) on a legacy
// file in a fresh temporary directory, with a private profile, a timeout and,
// when bubblewrap is available, no network and a read-only view of /usr and
// /etc only. Fields are set once before use; a Converter is then safe for
// concurrent use.
type Converter struct {
	// Command is the soffice executable (a name looked up in PATH, or a
	// path).
	Command string
	// Timeout bounds one conversion; zero means DefaultConvertTimeout. The
	// item's deadline applies too.
	Timeout time.Duration
	// Sandbox: zero uses bwrap when it is installed.
	Sandbox Sandbox
	// TempDir holds the work directories; "" means os.TempDir.
	TempDir string
}

// DefaultConvertTimeout bounds one conversion.
const DefaultConvertTimeout = 2 * time.Minute

// ErrNoConverter is returned by Check when the converter or the sandbox it
// requires is not installed.
var ErrNoConverter = errors.New("ole: converter not found")

// Check reports whether the converter can run: the command and, for
// SandboxBwrap, bwrap are found.
func (cv *Converter) Check() error {
	if _, err := exec.LookPath(cv.Command); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrNoConverter, cv.Command, err)
	}
	if cv.Sandbox == SandboxBwrap {
		if _, err := exec.LookPath("bwrap"); err != nil {
			return fmt.Errorf("%w: bwrap (sandbox = bwrap): %v", ErrNoConverter, err)
		}
	}
	return nil
}

// Convert writes src to a temporary directory and converts it to the OOXML
// twin of kind. It returns the output's path and a cleanup function that
// removes the directory; cleanup is never nil.
func (cv *Converter) Convert(ctx context.Context, src *io.SectionReader, kind sanitize.Kind) (string, func(), error) {
	cleanup := func() {}
	exe, err := exec.LookPath(cv.Command)
	if err != nil {
		return "", cleanup, fmt.Errorf("%w: %v", ErrNoConverter, err)
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return "", cleanup, err
	}
	dir, err := os.MkdirTemp(cv.TempDir, "mugai-ole-")
	if err != nil {
		return "", cleanup, fmt.Errorf("ole: converter: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	if dir, err = filepath.Abs(dir); err != nil {
		return "", cleanup, err
	}
	in := filepath.Join(dir, "in"+detect.Ext(kind))
	f, err := os.OpenFile(in, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", cleanup, fmt.Errorf("ole: converter: %w", err)
	}
	_, err = io.Copy(f, io.NewSectionReader(src, 0, src.Size()))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", cleanup, fmt.Errorf("ole: converter: %w", err)
	}
	outDir := filepath.Join(dir, "out")
	ext := detect.Ext(twin(kind))
	args := []string{exe,
		"--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
		"--nolockcheck", "--nofirststartwizard",
		"-env:UserInstallation=file://" + filepath.Join(dir, "profile"),
		"--convert-to", ext[1:], "--outdir", outDir, in,
	}
	if cv.useBwrap() {
		args = append(bwrapArgs(dir), args...)
	}
	timeout := cv.Timeout
	if timeout <= 0 {
		timeout = DefaultConvertTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "SAL_USE_VCLPLUGIN=svp"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	outBuf := &limitedBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = outBuf, outBuf
	if err := cmd.Run(); err != nil {
		if cctx.Err() != nil {
			return "", cleanup, fmt.Errorf("ole: converter timed out after %v: %w", timeout, sanitize.ErrTimeout)
		}
		return "", cleanup, fmt.Errorf("ole: converter: %v: %s", err, outBuf.b)
	}
	out := filepath.Join(outDir, "in"+ext)
	if fi, err := os.Lstat(out); err != nil || !fi.Mode().IsRegular() {
		return "", cleanup, fmt.Errorf("ole: converter wrote no %s: %s", ext, outBuf.b)
	}
	return out, cleanup, nil
}

func (cv *Converter) useBwrap() bool {
	switch cv.Sandbox {
	case SandboxBwrap:
		return true
	case SandboxNone:
		return false
	}
	_, err := exec.LookPath("bwrap")
	return err == nil
}

// bwrapArgs confines the converter: no network or other namespaces shared,
// /usr and /etc read-only, a private /tmp, and write access to its own work
// directory only.
func bwrapArgs(dir string) []string {
	a := []string{"bwrap", "--unshare-all", "--die-with-parent", "--new-session",
		"--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
		"--ro-bind-try", "/var/cache/fontconfig", "/var/cache/fontconfig",
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"--bind", dir, dir, "--chdir", dir}
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib64", "/lib32"} {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			if t, err := os.Readlink(d); err == nil {
				a = append(a, "--symlink", t, d)
			}
		case fi.IsDir():
			a = append(a, "--ro-bind", d, d)
		}
	}
	return append(a, "--")
}

// limitedBuffer keeps the first max bytes written to it (the converter's
// messages, for errors).
type limitedBuffer struct {
	b   []byte
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
