// Package clamdtest starts a real clamd for tests, with a signature database
// the test writes itself (there is no network for signature updates), on a
// temporary unix socket. Tests skip when clamd is not installed (Debian
// package clamav-daemon).
package clamdtest

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Signature names in the test database.
const (
	EICARName  = "Mugai.Test.EICAR"
	MarkerName = "Mugai.Test.Marker"
	// Marker is a string of our own that the test database detects, so
	// that tests do not depend on EICAR alone.
	Marker = "MUGAI-TEST-MALWARE-MARKER-5b1d0c7e-not-a-virus"
)

// EICAR returns the EICAR anti-virus test string. It is assembled at run
// time so that no file in the repository holds it (scanners would flag the
// source tree).
func EICAR() []byte {
	parts := []string{`X5O!P%@AP[4\PZX54(P^)7CC)7}$`, "EICAR-STANDARD-", "ANTIVIRUS-TEST-FILE!$H+H*"}
	return []byte(strings.Join(parts, ""))
}

// Options are clamd.conf limits for the test daemon; zero values take the
// defaults noted.
type Options struct {
	StreamMaxLength string   // default "12M"
	MaxFileSize     string   // default "15M"
	MaxScanSize     string   // default "40M"
	MaxRecursion    int      // default 5
	Extra           []string // more clamd.conf lines, e.g. "CommandReadTimeout 1"
	// TCP also listens on a free port of 127.0.0.1 (Daemon.TCPAddress).
	TCP bool
}

// Daemon is a clamd running in the foreground for one test.
type Daemon struct {
	Dir    string // config, database, socket, log
	Socket string
	TCP    string // "127.0.0.1:port" with Options.TCP
	t      testing.TB
	bin    string
	cmd    *exec.Cmd
	done   chan struct{}
}

// Binary returns the path of clamd, or "" when it is not installed.
func Binary() string {
	if p, err := exec.LookPath("clamd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/clamd"); err == nil {
		return "/usr/sbin/clamd"
	}
	return ""
}

// Start writes a config and a database and starts clamd, waiting until it
// answers PING. It skips the test when clamd is not installed and stops the
// daemon at cleanup.
func Start(t testing.TB, o Options) *Daemon {
	t.Helper()
	bin := Binary()
	if bin == "" {
		t.Skip("clamd not installed (Debian: apt-get install clamav-daemon)")
	}
	// A short path: unix socket names are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "mugai-clamd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.StreamMaxLength, "12M")
	def(&o.MaxFileSize, "15M")
	def(&o.MaxScanSize, "40M")
	if o.MaxRecursion == 0 {
		o.MaxRecursion = 5
	}
	db := filepath.Join(dir, "db")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{db, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ndb := fmt.Sprintf("%s:0:*:%s\n%s:0:*:%s\n", EICARName, hex.EncodeToString(EICAR()), MarkerName, hex.EncodeToString([]byte(Marker)))
	if err := os.WriteFile(filepath.Join(db, "mugai-test.ndb"), []byte(ndb), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &Daemon{Dir: dir, Socket: filepath.Join(dir, "clamd.sock"), t: t, bin: bin}
	conf := strings.Join([]string{
		"Foreground yes",
		"LocalSocket " + d.Socket,
		"LocalSocketMode 600",
		"FixStaleSocket yes",
		"DatabaseDirectory " + db,
		"TemporaryDirectory " + tmp,
		"LogFile " + filepath.Join(dir, "clamd.log"),
		"LogTime yes",
		"Bytecode no",
		"MaxThreads 4",
		"IdleTimeout 30",
		"StreamMaxLength " + o.StreamMaxLength,
		"MaxFileSize " + o.MaxFileSize,
		"MaxScanSize " + o.MaxScanSize,
		fmt.Sprintf("MaxRecursion %d", o.MaxRecursion),
		"AlertExceedsMax yes",
		"ScanMail yes",
		"ScanArchive yes",
		"ScanOLE2 yes",
	}, "\n") + "\n"
	if o.TCP {
		// A free port now; another process could take it before clamd
		// binds, in which case clamd fails to start and the test says so.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		d.TCP = ln.Addr().String()
		ln.Close()
		_, port, _ := net.SplitHostPort(d.TCP)
		conf += "TCPAddr 127.0.0.1\nTCPSocket " + port + "\n"
	}
	for _, l := range o.Extra {
		conf += l + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "clamd.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Start()
	t.Cleanup(d.Stop)
	return d
}

// Address is the socket as a mugai clamd address.
func (d *Daemon) Address() string { return "unix:" + d.Socket }

// TCPAddress is the TCP listener as a mugai clamd address ("" without
// Options.TCP).
func (d *Daemon) TCPAddress() string {
	if d.TCP == "" {
		return ""
	}
	return "tcp:" + d.TCP
}

// Start (re)starts the daemon and waits for PING.
func (d *Daemon) Start() {
	d.t.Helper()
	if d.cmd != nil {
		return
	}
	out, err := os.OpenFile(filepath.Join(d.Dir, "clamd.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	cmd := exec.Command(d.bin, "--config-file="+filepath.Join(d.Dir, "clamd.conf"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		d.t.Fatalf("starting clamd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(done) }()
	d.cmd, d.done = cmd, done
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			d.cmd = nil
			d.t.Fatalf("clamd exited at start:\n%s", d.Log())
		default:
		}
		if Ping(d.Socket) == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.Stop()
	d.t.Fatalf("clamd did not answer PING within 60s:\n%s", d.Log())
}

// Stop stops the daemon (SIGTERM, then SIGKILL) and waits for it.
func (d *Daemon) Stop() {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
	d.cmd = nil
	os.Remove(d.Socket)
}

// Log returns clamd's log and output, for failure messages.
func (d *Daemon) Log() string {
	var b strings.Builder
	for _, n := range []string{"clamd.log", "clamd.out"} {
		if data, err := os.ReadFile(filepath.Join(d.Dir, n)); err == nil {
			b.Write(data)
		}
	}
	return b.String()
}

// Ping asks clamd on socket for PONG, independently of the client under
// test.
func Ping(socket string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var dl net.Dialer
	c, err := dl.DialContext(ctx, "unix", socket)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("nPING\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}
