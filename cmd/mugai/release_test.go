package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// recorder is a next hop that keeps what it receives; refuse makes it
// refuse that recipient.
type recorder struct {
	mu     sync.Mutex
	from   string
	to     []string
	data   []byte
	refuse string
}

func (r *recorder) NewSession(*smtp.Conn) (smtp.Session, error) { return &recSession{r: r}, nil }

type recSession struct {
	r    *recorder
	from string
	to   []string
}

func (s *recSession) AuthPlain(string, string) error { return nil }
func (s *recSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *recSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.r.refuse {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *recSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.from, s.r.to, s.r.data = s.from, s.to, b
	s.r.mu.Unlock()
	return nil
}
func (s *recSession) Reset()        {}
func (s *recSession) Logout() error { return nil }

// TestReleaseToNextHop releases a kept original with smtp.next_hops set: it
// goes over SMTP to the next hop, not into the Maildir; a refused
// recipient is an error and nothing is recorded as released.
func TestReleaseToNextHop(t *testing.T) {
	rec := &recorder{}
	srv := smtp.NewServer(rec)
	srv.Domain = "lgwan.example.lg.jp"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	dir := t.TempDir()
	cfg := filepath.Join(dir, "mugai.toml")
	os.WriteFile(cfg, fmt.Appendf(nil, "[quarantine]\ndir = %q\n[smtp]\nnext_hops = [%q]\nnext_hop_tls = \"none\"\noutbox = %q\n",
		filepath.Join(dir, "q"), ln.Addr().String(), filepath.Join(dir, "outbox")), 0o600)
	in := filepath.Join(dir, "memo.txt")
	os.WriteFile(in, []byte("会議の資料です。\n"), 0o600)

	mugai := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
		return code, out.String(), errb.String()
	}
	code, out, errs := mugai("sanitize", "--config", cfg, "--keep", "--json", in)
	if code != exitOK {
		t.Fatalf("sanitize --keep: %d %s %s", code, out, errs)
	}
	id := regexp.MustCompile(`"quarantine_id":"([0-9A-Z]{26})"`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no quarantine ID in %s", out)
	}

	rec.refuse = "nobody@example.lg.jp"
	code, _, errs = mugai("quarantine", "release", id[1], "--config", cfg, "--reason", "確認済み", "--to", "nobody@example.lg.jp")
	if code == exitOK || !strings.Contains(errs, "550") {
		t.Fatalf("release to a refused recipient: exit %d, stderr %q", code, errs)
	}
	code, out, _ = mugai("quarantine", "show", id[1], "--config", cfg, "--json")
	if code != exitOK || strings.Contains(out, `"released"`) {
		t.Fatalf("after a refused release the item says: %s", out)
	}

	code, out, errs = mugai("quarantine", "release", id[1], "--config", cfg, "--reason", "確認済み", "--to", "soumu@example.lg.jp")
	if code != exitOK {
		t.Fatalf("release: %d %s %s", code, out, errs)
	}
	if !strings.Contains(out, ln.Addr().String()) {
		t.Errorf("release does not say it went to the next hop: %q", out)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.to) != 1 || rec.to[0] != "soumu@example.lg.jp" {
		t.Fatalf("next hop got recipients %v", rec.to)
	}
	if !bytes.Contains(rec.data, []byte("X-Mugai-Quarantine-ID: "+id[1])) {
		t.Fatalf("released message lacks its quarantine ID:\n%s", rec.data)
	}
	if _, err := os.Stat(filepath.Join(dir, "outbox")); err == nil {
		t.Error("the release also wrote into the Maildir outbox")
	}
}
