//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/smtpd/smtpdtest"
)

// syncBuffer is a bytes.Buffer safe for the serve goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lastText returns the text of the last message the next hop received,
// its body decoded.
func lastText(hop *smtpdtest.Sink) string {
	msgs := hop.Received()
	if len(msgs) == 0 {
		return ""
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[len(msgs)-1].Data))
	if err != nil {
		return err.Error()
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "base64") {
		body = base64.NewDecoder(base64.StdEncoding, m.Body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// sendMail submits msg from sender@example.com to soumu@example.lg.jp.
func sendMail(addr, msg string) error {
	return smtpdtest.Send(addr, "sender@example.com", []string{"soumu@example.lg.jp"}, msg)
}

// scrape returns the samples of /metrics as "name{labels}" → value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func status(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const linkMail = "From: sender@example.com\r\nTo: soumu@example.lg.jp\r\nSubject: link\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n\r\n<p>案内 <a href=\"https://example.com/a\">こちら</a></p><script>alert(1)</script>\r\n"

// TestServeMetricsReloadAndStop runs `mugai serve` in process in front of a
// real next hop: /metrics counters move as mail flows, /readyz follows the
// next hop, SIGHUP applies a good policy file and refuses a bad one (the
// old configuration keeps working), and cancelling the context (SIGTERM)
// stops it cleanly.
func TestServeMetricsReloadAndStop(t *testing.T) {
	dir := t.TempDir()
	hop := smtpdtest.StartSink(t, "")
	smtpAddr, metricsAddr := freeAddr(t), freeAddr(t)
	base := "http://" + metricsAddr
	conf := filepath.Join(dir, "mugai.toml")
	write := func(extra string) {
		t.Helper()
		cfg := fmt.Sprintf(`[smtp]
listen = %q
domains = ["example.lg.jp"]
next_hops = [%q]
next_hop_tls = "none"
hold_file = %q
[quarantine]
dir = %q
[metrics]
listen = %q
[log]
timezone = "Asia/Tokyo"
[[filedrop.folder]]
inbox = %q
outbox = %q
stable_time = "50ms"
rescan = "100ms"
%s`, smtpAddr, hop.Addr, filepath.Join(dir, "hold"), filepath.Join(dir, "q"), metricsAddr,
			filepath.Join(dir, "in"), filepath.Join(dir, "out"), extra)
		if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("")

	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"--lang", "en", "serve", "--config", conf}, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	}()
	waitFor(t, "serve to listen", func() bool { return strings.Contains(stderr.String(), "SMTP listening") })

	if code, body := status(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if code, body := status(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz: %d %s", code, body)
	}

	before := scrape(t, base)
	if err := sendMail(smtpAddr, linkMail); err != nil {
		t.Fatal(err)
	}
	after := scrape(t, base)
	for _, c := range []struct {
		sample string
		delta  float64
	}{
		{`mugai_messages_total{origin="smtp",outcome="textized"}`, 1},
		{`mugai_files_total{outcome="textized",type="eml"}`, 1},
		{`mugai_findings_total{rule="html.script"}`, 1},
		{`mugai_smtp_sessions_total`, 1},
		{`mugai_smtp_replies_total{code="250",command="MAIL"}`, 1},
		{`mugai_smtp_replies_total{code="250",command="RCPT"}`, 1},
		{`mugai_smtp_replies_total{code="250",command="DATA"}`, 1},
		{`mugai_sanitize_duration_seconds_count{type="eml"}`, 1},
		{`mugai_bytes_in_total{origin="smtp"}`, float64(len(linkMail))},
	} {
		if got := after[c.sample] - before[c.sample]; got != c.delta {
			t.Errorf("%s moved by %v, want %v", c.sample, got, c.delta)
		}
	}
	if after[`mugai_bytes_out_total{origin="smtp"}`] <= 0 {
		t.Error("mugai_bytes_out_total did not move")
	}
	if after["mugai_quarantine_items"] != 1 || after["mugai_quarantine_bytes"] != float64(len(linkMail)) {
		t.Errorf("quarantine gauges: items %v bytes %v", after["mugai_quarantine_items"], after["mugai_quarantine_bytes"])
	}
	if after["mugai_audit_sequence"] < 2 {
		t.Errorf("mugai_audit_sequence = %v", after["mugai_audit_sequence"])
	}
	if after["mugai_hold"] != 0 {
		t.Error("mugai_hold is set")
	}
	if got := lastText(hop); !strings.Contains(got, "https://example.com/a") {
		t.Fatalf("delivered message lacks the link as text:\n%s", got)
	}

	// A dropped file is counted under origin filedrop.
	if err := os.WriteFile(filepath.Join(dir, "in", "page.html"), []byte("<p>お知らせ<script>x()</script></p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dropped file's output", func() bool {
		_, err := os.Stat(filepath.Join(dir, "out", "page.txt"))
		return err == nil
	})
	waitFor(t, "the file drop metrics", func() bool {
		return scrape(t, base)[`mugai_messages_total{origin="filedrop",outcome="textized"}`] == 1
	})

	// The log is JSON with times in JST.
	if !regexp.MustCompile(`"time":"[0-9-]+T[0-9:.]+\+09:00"`).MatchString(stdout.String()) {
		t.Errorf("log times are not in +09:00:\n%.300s", stdout.String())
	}

	// A bad policy file is refused and the running one stays.
	write("[html]\nlinks = \"sideways\"\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the failed reload", func() bool { return strings.Contains(stderr.String(), "cannot reload") })
	if !strings.Contains(stderr.String(), "html.links") {
		t.Errorf("the failed reload does not say why:\n%s", stderr.String())
	}
	if err := sendMail(smtpAddr, linkMail); err != nil {
		t.Fatalf("after a failed reload: %v", err)
	}
	if got := lastText(hop); !strings.Contains(got, "https://example.com/a") {
		t.Fatalf("the failed reload changed the configuration:\n%s", got)
	}
	if m := scrape(t, base); m[`mugai_config_reloads_total{result="failed"}`] != 1 {
		t.Errorf("reloads failed = %v", m[`mugai_config_reloads_total{result="failed"}`])
	}

	// A good one applies to the next message.
	write("[html]\nlinks = \"defang\"\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { return strings.Contains(stdout.String(), "configuration reloaded") })
	if err := sendMail(smtpAddr, linkMail); err != nil {
		t.Fatal(err)
	}
	if got := lastText(hop); !strings.Contains(got, "hxxps://example[.]com/a") {
		t.Fatalf("the reloaded html.links = defang did not apply:\n%s", got)
	}
	if m := scrape(t, base); m[`mugai_config_reloads_total{result="ok"}`] != 1 {
		t.Errorf("reloads ok = %v", m[`mugai_config_reloads_total{result="ok"}`])
	}

	// The next hop goes away: /readyz says so, mail waits upstream (451)
	// and the failure is counted.
	hop.Close()
	waitFor(t, "/readyz to fail", func() bool {
		code, body := status(t, base+"/readyz")
		return code == 503 && strings.Contains(body, "next_hop")
	})
	err := sendMail(smtpAddr, linkMail)
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 451 {
		t.Fatalf("next hop down: %v, want 451", err)
	}
	m := scrape(t, base)
	if m[`mugai_next_hop_errors_total{code="none",step="connect"}`] < 1 || m[`mugai_smtp_replies_total{code="451",command="MAIL"}`] != 1 {
		t.Errorf("next hop errors %v, MAIL 451 %v", m[`mugai_next_hop_errors_total{code="none",step="connect"}`], m[`mugai_smtp_replies_total{code="451",command="MAIL"}`])
	}

	// The incident hold shows.
	os.WriteFile(filepath.Join(dir, "hold"), []byte("{}\n"), 0o600)
	if m := scrape(t, base); m["mugai_hold"] != 1 {
		t.Error("mugai_hold is not set during a hold")
	}

	cancel()
	select {
	case code := <-exit:
		if code != exitOK {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(stdout.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped line in the log")
	}
}
