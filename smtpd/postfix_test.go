package smtpd_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/smtpd"
	"github.com/mugai-project/mugai/smtpd/smtpdtest"
)

// postfixMainCF is the Internet-side Postfix's main.cf in
// TestPostfixUpstream: %[1]s is the instance directory, %[2]s mugai's port.
// docs/postfix.md quotes its settings (TestPostfixDocMatchesTest).
const postfixMainCF = `# Internet-side Postfix relaying inbound mail through mugai (docs/postfix.md)
compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test.example.jp
mydestination =
local_recipient_maps =
mynetworks = 127.0.0.0/8
relay_domains = example.lg.jp
smtpd_relay_restrictions = reject_unauth_destination
relayhost = [127.0.0.1]:%[2]s
smtp_tls_security_level = none
maillog_file = %[1]s/maillog
queue_run_delay = 1s
minimal_backoff_time = 1s
maximum_backoff_time = 2s
`

// TestPostfixUpstream puts a real Postfix in front, as a municipality runs
// it: swaks submits to Postfix, Postfix relays to mugai (relayhost), mugai
// relays to a sink. The mail arrives text-ized; a domain Postfix does not
// relay for is refused; with the sink down, Postfix keeps the mail queued
// (mugai answered 4xx) and delivers it once the sink is back and the queue
// is flushed. The Postfix configuration is the one docs/postfix.md shows.
//
// It needs Debian's postfix and swaks and root (Postfix's own rules); it
// skips without them.
func TestPostfixUpstream(t *testing.T) {
	postfix, err1 := exec.LookPath("postfix")
	swaks, err2 := exec.LookPath("swaks")
	if err1 != nil || err2 != nil || os.Geteuid() != 0 {
		t.Skip("needs postfix, swaks and root")
	}
	// The sink's port, reserved and freed: it starts down.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	sinkAddr := ln.Addr().String()
	ln.Close()
	r := startRelay(t, smtpd.Config{NextHops: []string{sinkAddr}, Domains: []string{"example.lg.jp"}}, nil)
	_, relayPort, _ := net.SplitHostPort(r.addr)

	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	pfAddr := ln.Addr().String()
	ln.Close()
	_, pfPort, _ := net.SplitHostPort(pfAddr)
	pf := startPostfix(t, postfix, pfPort, func(dir string) string { return fmt.Sprintf(postfixMainCF, dir, relayPort) }, "")
	waitPort(t, pfAddr)

	swak := func(to string, extra ...string) (string, error) {
		args := append([]string{"--server", "127.0.0.1", "--port", pfPort, "--from", "sender@example.com", "--to", to,
			"--header", "Subject: =?UTF-8?B?5YWl5pyt44Gu44GU5qGI5YaF?=", "--add-header", "Content-Type: text/html; charset=UTF-8",
			"--body", "<p>入札のご案内</p><script>alert(1)</script>"}, extra...)
		out, err := exec.Command(swaks, args...).CombinedOutput()
		return string(out), err
	}
	// A domain Postfix does not relay for is refused at the door.
	if out, err := swak("someone@elsewhere.example.com"); err == nil || !strings.Contains(out, "554") {
		t.Errorf("outside domain accepted:\n%s", out)
	}
	// The sink is down: Postfix accepts, mugai answers 4xx, the mail waits.
	if out, err := swak("soumu@city.example.lg.jp"); err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	time.Sleep(2 * time.Second)
	sk := smtpdtest.StartSink(t, sinkAddr)
	deadline := time.Now().Add(30 * time.Second)
	for len(sk.Received()) == 0 && time.Now().Before(deadline) {
		pf("flush")
		time.Sleep(500 * time.Millisecond)
	}
	got := sk.Received()
	if len(got) != 1 {
		t.Fatalf("sink got %d messages after recovery", len(got))
	}
	m := string(got[0].Data)
	if !strings.Contains(m, "X-Mugai-Outcome: textized") || strings.Contains(m, "<script") || strings.Contains(m, "text/html") {
		t.Errorf("delivered:\n%s", m)
	}
	its := r.items(t)
	if len(its) != 1 || its[0].Delivery != "delivered" {
		t.Errorf("kept %+v; want the one delivered original (the attempts while the sink was down were refused at MAIL)", its)
	}
}

func waitPort(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never listened", addr)
}

// postfixServices are the master.cf services of a private Postfix instance
// that listens for SMTP on port.
func postfixServices(port string) []string {
	return []string{
		port + " inet n - n - - smtpd",
		"pickup unix n - n 60 1 pickup", "cleanup unix n - n - 0 cleanup", "qmgr unix n - n 300 1 qmgr",
		"rewrite unix - - n - - trivial-rewrite", "bounce unix - - n - 0 bounce", "defer unix - - n - 0 bounce",
		"trace unix - - n - 0 bounce", "verify unix - - n - 1 verify", "flush unix n - n 1000? 0 flush",
		"proxymap unix - - n - - proxymap", "smtp unix - - n - - smtp", "relay unix - - n - - smtp",
		"showq unix n - n - - showq", "error unix - - n - - error", "retry unix - - n - - error",
		"discard unix - - n - - discard", "anvil unix - - n - 1 anvil", "scache unix - - n - 1 scache",
		"postlog unix-dgram n - n - 1 postlogd",
	}
}

// startPostfix starts a private Postfix instance, in a new directory under
// /var/tmp that the postfix user can reach, listening for SMTP on
// 127.0.0.1:port: its main.cf is mainCF(dir), its master.cf the standard
// services and then extraMaster. It skips t when Postfix cannot run here,
// stops it (logging its maillog on failure) and removes the directory at
// cleanup, and returns the postfix command for the instance.
func startPostfix(t *testing.T, postfix, port string, mainCF func(dir string) string, extraMaster string) func(args ...string) error {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "mugai-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	master := strings.Join(postfixServices(port), "\n") + "\n" + extraMaster
	if err := os.WriteFile(filepath.Join(dir, "main.cf"), []byte(mainCF(dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "master.cf"), []byte(master), 0o644); err != nil {
		t.Fatal(err)
	}
	pf := func(args ...string) error {
		out, err := exec.Command(postfix, append([]string{"-c", dir}, args...)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("postfix %v: %v\n%s", args, err, out)
		}
		return nil
	}
	os.MkdirAll(filepath.Join(dir, "queue"), 0o755)
	os.MkdirAll(filepath.Join(dir, "data"), 0o700)
	exec.Command("chown", "postfix", filepath.Join(dir, "data")).Run()
	if err := pf("check"); err != nil {
		t.Skipf("cannot set up a private postfix here: %v", err)
	}
	if err := pf("start"); err != nil {
		t.Skipf("cannot start a private postfix here: %v", err)
	}
	t.Cleanup(func() {
		pf("stop")
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "maillog"))
			t.Logf("postfix log:\n%s", log)
		}
		os.RemoveAll(dir)
	})
	return pf
}
