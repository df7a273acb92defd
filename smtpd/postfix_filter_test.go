package smtpd_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/smtpd"
	"github.com/mugai-project/mugai/smtpd/smtpdtest"
)

// postfixFilterMainCF is the Internet-side Postfix of the after-queue
// content_filter set-up: %[1]s the instance directory, %[2]s mugai's port,
// %[3]s the LGWAN-side server's port. docs/postfix.md (B) quotes its
// settings, with a hash: transport table instead of inline:.
const postfixFilterMainCF = `# Internet-side Postfix handing queued mail to mugai (docs/postfix.md, B)
compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test.example.jp
mynetworks = 127.0.0.0/8
relay_domains = example.lg.jp
smtpd_relay_restrictions = reject_unauth_destination
mydestination =
local_recipient_maps =
content_filter = mugai:[127.0.0.1]:%[2]s
transport_maps = inline:{ example.lg.jp=smtp:[127.0.0.1]:%[3]s, .example.lg.jp=smtp:[127.0.0.1]:%[3]s }
smtp_tls_security_level = none
maillog_file = %[1]s/maillog
queue_run_delay = 1s
minimal_backoff_time = 1s
maximum_backoff_time = 2s
`

// postfixFilterMaster are the master.cf services of that set-up: the
// transport to mugai and the listener mugai hands cleared mail back to
// (%[1]s its port, 10026 in docs/postfix.md).
const postfixFilterMaster = `mugai     unix  -       -       n       -       10      smtp
  -o smtp_data_done_timeout=1200
  -o smtp_tls_security_level=none
  -o max_use=20
127.0.0.1:%[1]s inet n  -       n       -       10      smtpd
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_client_restrictions=
  -o smtpd_helo_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o mynetworks=127.0.0.0/8
`

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestPostfixContentFilter runs the after-queue content_filter set-up of
// docs/postfix.md (B) with a real Postfix: swaks → Postfix (queue) →
// mugai → the same Postfix on its re-injection port → transport → the
// LGWAN-side sink. The mail arrives text-ized, once, and the original is
// kept as delivered.
func TestPostfixContentFilter(t *testing.T) {
	postfix, err1 := exec.LookPath("postfix")
	swaks, err2 := exec.LookPath("swaks")
	if err1 != nil || err2 != nil || os.Geteuid() != 0 {
		t.Skip("needs postfix, swaks and root")
	}
	sk := smtpdtest.StartSink(t, "")
	_, sinkPort, _ := net.SplitHostPort(sk.Addr)
	pfPort, backPort := freePort(t), freePort(t)
	r := startRelay(t, smtpd.Config{NextHops: []string{"127.0.0.1:" + backPort}, NextHopTLS: "none", Domains: []string{"example.lg.jp"}}, nil)
	_, relayPort, _ := net.SplitHostPort(r.addr)

	startPostfix(t, postfix, pfPort, func(dir string) string { return fmt.Sprintf(postfixFilterMainCF, dir, relayPort, sinkPort) },
		fmt.Sprintf(postfixFilterMaster, backPort))
	waitPort(t, "127.0.0.1:"+pfPort)
	waitPort(t, "127.0.0.1:"+backPort)

	out, err := exec.Command(swaks, "--server", "127.0.0.1", "--port", pfPort, "--from", "sender@example.com",
		"--to", "soumu@city.example.lg.jp", "--header", "Subject: content_filter",
		"--add-header", "Content-Type: text/html; charset=UTF-8",
		"--body", "<p>入札のご案内</p><script>alert(1)</script>").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(sk.Received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a second copy would show up by now
	got := sk.Received()
	if len(got) != 1 {
		t.Fatalf("sink got %d messages, want 1", len(got))
	}
	m := string(got[0].Data)
	if !strings.Contains(m, "X-Mugai-Outcome: textized") || strings.Contains(m, "<script") {
		t.Errorf("delivered:\n%s", m)
	}
	if got[0].From != "sender@example.com" {
		t.Errorf("envelope sender %q", got[0].From)
	}
	its := r.items(t)
	if len(its) != 1 || its[0].Delivery != "delivered" {
		t.Errorf("kept %+v; want the one delivered original", its)
	}
}
