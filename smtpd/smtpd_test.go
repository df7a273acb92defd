package smtpd_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/formats/csv"
	"github.com/mugai-project/mugai/formats/html"
	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/local"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/smtpd"
	"github.com/mugai-project/mugai/smtpd/smtpdtest"
)

// relay starts mugai's relay with a real local quarantine and the real
// format sanitizers.
type relay struct {
	addr  string
	store *local.Store
	srv   *smtpd.Server
	dir   string
}

func engine() *sanitize.Engine {
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{
			detect.Text: text.New(text.Options{}),
			detect.CSV:  csv.New(csv.Options{}),
			detect.HTML: html.New(html.Options{}),
			detect.EML:  mail.New(mail.Options{}),
		},
		Mode: func(k sanitize.Kind) sanitize.Mode {
			switch k {
			case detect.Text, detect.CSV, detect.HTML, detect.EML:
				return sanitize.ModeSanitize
			}
			return sanitize.ModeBlock
		},
		Limits: sanitize.Limits{Timeout: 20 * time.Second},
	}
}

// blockingEngine is engine() whose message sanitizer, on the first
// top-level message only, signals entered and then waits until release is
// closed: a message held in DATA.
func blockingEngine() (eng *sanitize.Engine, entered <-chan struct{}, release chan struct{}) {
	release = make(chan struct{})
	ent := make(chan struct{}, 1)
	eng = engine()
	inner := eng.Sanitizers[detect.EML]
	eng.Sanitizers[detect.EML] = sanitize.SanitizerFunc(func(ctx context.Context, w io.Writer, it *sanitize.Item) (sanitize.Result, error) {
		if it.Depth == 0 {
			select {
			case ent <- struct{}{}:
				<-release
			default:
			}
		}
		return inner.Sanitize(ctx, w, it)
	})
	return eng, ent, release
}

func startRelay(t *testing.T, cfg smtpd.Config, eng *sanitize.Engine) *relay {
	t.Helper()
	return startRelayWith(t, cfg, eng, nil)
}

// startRelayWith starts the relay on what wrap makes of the local store
// (nil: the store itself, as Store and Audit).
func startRelayWith(t *testing.T, cfg smtpd.Config, eng *sanitize.Engine, wrap func(*local.Store) (quarantine.Store, quarantine.Audit)) *relay {
	t.Helper()
	dir := t.TempDir()
	st, err := local.Open(filepath.Join(dir, "q"), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if cfg.Outbox == "" {
		cfg.Outbox = filepath.Join(dir, "outbox")
	}
	if cfg.HoldFile == "" {
		cfg.HoldFile = filepath.Join(dir, "hold")
	}
	cfg.Hostname = "gw.example.lg.jp"
	if eng == nil {
		eng = engine()
	}
	eng.TempDir = dir
	var (
		qs quarantine.Store = st
		qa quarantine.Audit = st
	)
	if wrap != nil {
		qs, qa = wrap(st)
	}
	srv, err := smtpd.New(cfg, eng, qs, qa, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &relay{addr: ln.Addr().String(), store: st, srv: srv, dir: dir}
}

const htmlMail = "From: sender@example.com\r\nTo: soumu@city.example.lg.jp\r\nSubject: =?UTF-8?B?5YWl5pyt44Gu44GU5qGI5YaF?=\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
	"--B\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>入札のご案内</p><script>alert(1)</script>\r\n" +
	"--B\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nMZ not a pdf\r\n" +
	"--B--\r\n"

func wantCode(t *testing.T, err error, want int, enh smtp.EnhancedCode) {
	t.Helper()
	var se *smtp.SMTPError
	if want == 250 {
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	}
	if !errors.As(err, &se) {
		t.Fatalf("want %d, got %v", want, err)
	}
	if se.Code != want || (enh != smtp.EnhancedCode{} && se.EnhancedCode != enh) {
		t.Fatalf("want %d %v, got %d %v %q", want, enh, se.Code, se.EnhancedCode, se.Message)
	}
	if !strings.Contains(se.Message, "[") {
		t.Errorf("reply lacks a trace ID: %q", se.Message)
	}
}

// idle waits until the relay has no message in progress and has written
// the records it writes after its replies.
func (r *relay) idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.WaitIdle(ctx); err != nil {
		t.Fatalf("the relay is still busy: %v", err)
	}
}

// items lists the kept originals, newest first, once the relay has
// written the records it writes after its replies.
func (r *relay) items(t *testing.T) []quarantine.Meta {
	t.Helper()
	r.idle(t)
	var out []quarantine.Meta
	if err := r.store.List(context.Background(), quarantine.Filter{}, func(m quarantine.Meta) error { out = append(out, m); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRelayTextizesAndKeepsOriginal(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}, Domains: []string{"example.lg.jp"}}, nil)
	if err := smtpdtest.Send(r.addr, "sender@example.com", []string{"soumu@city.example.lg.jp"}, htmlMail); err != nil {
		t.Fatal(err)
	}
	got := sk.Received()
	if len(got) != 1 {
		t.Fatalf("sink got %d messages", len(got))
	}
	m := string(got[0].Data)
	for _, want := range []string{"X-Mugai-Outcome: textized", "Content-Type: text/plain; charset=UTF-8", "Received: by gw.example.lg.jp with mugai (SMTP from mx.example.lg.jp [127.0.0.1])"} {
		if !strings.Contains(m, want) {
			t.Errorf("delivered message lacks %q:\n%s", want, m)
		}
	}
	for _, bad := range []string{"text/html", "<script", "MZ not a pdf"} {
		if strings.Contains(m, bad) {
			t.Errorf("delivered message contains %q", bad)
		}
	}
	if got[0].From != "sender@example.com" || got[0].To[0] != "soumu@city.example.lg.jp" {
		t.Errorf("envelope %q %v", got[0].From, got[0].To)
	}
	its := r.items(t)
	if len(its) != 1 {
		t.Fatalf("%d items kept", len(its))
	}
	it := its[0]
	if it.Delivery != quarantine.DeliveryDelivered || it.Outcome != "textized" || it.Subject != "入札のご案内" {
		t.Errorf("meta %+v", it)
	}
	if !strings.Contains(m, "X-Mugai-Quarantine-ID: "+it.ID) {
		t.Errorf("delivered message does not carry the quarantine ID %s", it.ID)
	}
	_, rc, err := r.store.Get(context.Background(), it.ID)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := io.ReadAll(rc)
	rc.Close()
	if string(orig) != htmlMail {
		t.Errorf("kept original differs from what was sent")
	}
	// The local store is a quarantine.Journal: two events, each written
	// with its item change.
	es := auditEntries(t, r.store)
	if got := eventTypes(es); got != "received,delivered" {
		t.Fatalf("audit events %v", got)
	}
	var rec, del map[string]any
	json.Unmarshal(es[0].Data, &rec)
	json.Unmarshal(es[1].Data, &del)
	if es[0].Item != it.ID || rec["from"] != "sender@example.com" || rec["size"] != float64(len(htmlMail)) || rec["trace"] == "" {
		t.Errorf("received event about %s: %s", es[0].Item, es[0].Data)
	}
	if es[1].Item != it.ID || del["outcome"] != "textized" || del["trace"] != rec["trace"] ||
		!strings.Contains(fmt.Sprint(del["next_hop"]), sk.Addr) || fmt.Sprint(del["findings"]) != fmt.Sprint(anySlice(it.Findings)) {
		t.Errorf("delivered event about %s: %s", es[1].Item, es[1].Data)
	}
	if err := r.store.Verify(context.Background()); err != nil {
		t.Error(err)
	}
}

func auditEntries(t *testing.T, a quarantine.Audit) []quarantine.Entry {
	t.Helper()
	var es []quarantine.Entry
	if err := a.Entries(context.Background(), 1, func(e quarantine.Entry) error { es = append(es, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return es
}

func eventTypes(es []quarantine.Entry) string {
	var types []string
	for _, e := range es {
		types = append(types, e.Type)
	}
	return strings.Join(types, ",")
}

func anySlice(s []string) []any {
	out := []any{}
	for _, v := range s {
		out = append(out, v)
	}
	return out
}

// plainStore hides the quarantine.Journal (and Audit) methods of a store:
// a backend without a Journal.
type plainStore struct{ quarantine.Store }

// Without a Journal, the relay makes the separate calls: Put, then each
// event on its own.
func TestRelayWithoutJournal(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelayWith(t, smtpd.Config{NextHops: []string{sk.Addr}, Domains: []string{"example.lg.jp"}}, nil,
		func(st *local.Store) (quarantine.Store, quarantine.Audit) { return plainStore{st}, st })
	if err := smtpdtest.Send(r.addr, "sender@example.com", []string{"soumu@city.example.lg.jp"}, htmlMail); err != nil {
		t.Fatal(err)
	}
	if n := len(sk.Received()); n != 1 {
		t.Fatalf("sink got %d messages", n)
	}
	its := r.items(t)
	if len(its) != 1 || its[0].Delivery != quarantine.DeliveryDelivered || its[0].Outcome != "textized" || len(its[0].Report) == 0 {
		t.Fatalf("kept %+v", its)
	}
	es := auditEntries(t, r.store)
	if got := eventTypes(es); got != "received,outcome,delivered" {
		t.Errorf("audit events %v", got)
	}
	for _, e := range es {
		if e.Item != its[0].ID {
			t.Errorf("event %s about %q, want %q", e.Type, e.Item, its[0].ID)
		}
	}
	// A delivery failure is recorded the same way.
	sk.FailData(451)
	if err := smtpdtest.Send(r.addr, "sender@example.com", []string{"soumu@city.example.lg.jp"}, htmlMail); smtpdtest.Code(err) != 451 {
		t.Fatalf("reply %v", err)
	}
	if got := eventTypes(auditEntries(t, r.store)); got != "received,outcome,delivered,received,outcome,undelivered" {
		t.Errorf("audit events %v", got)
	}
}

// With a Journal, a blocked message (its notice delivered) and a failed
// delivery each end in one event carrying the outcome.
func TestRelayJournalEvents(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	eng := engine()
	eng.Sanitizers[detect.EML] = sanitize.SanitizerFunc(func(context.Context, io.Writer, *sanitize.Item) (sanitize.Result, error) {
		panic("boom")
	})
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, eng)
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
		t.Fatal(err)
	}
	r.idle(t) // the first message's delivery record is written after its 250
	sk.FailData(554)
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); smtpdtest.Code(err) != 554 {
		t.Fatalf("reply %v", err)
	}
	r.idle(t)
	es := auditEntries(t, r.store)
	if got := eventTypes(es); got != "received,blocked,received,undelivered" {
		t.Fatalf("audit events %v", got)
	}
	for _, i := range []int{1, 3} {
		var d map[string]any
		json.Unmarshal(es[i].Data, &d)
		if d["outcome"] != "blocked" || d["trace"] == nil || d["next_hop"] == nil {
			t.Errorf("%s event data %s", es[i].Type, es[i].Data)
		}
	}
	its := r.items(t) // newest first
	if len(its) != 2 || its[0].Delivery != quarantine.DeliveryUndelivered || its[1].Delivery != quarantine.DeliveryBlocked ||
		its[0].Outcome != "blocked" || its[1].Outcome != "blocked" {
		t.Errorf("kept %+v", its)
	}
}

func TestNeverAnOpenRelay(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}, Domains: []string{"example.lg.jp"}}, nil)
	err := smtpdtest.Send(r.addr, "a@example.com", []string{"victim@elsewhere.example.com"}, htmlMail)
	wantCode(t, err, 550, smtp.EnhancedCode{5, 7, 1})
	err = smtpdtest.Send(r.addr, "a@example.com", []string{"x@notexample.lg.jp"}, htmlMail)
	wantCode(t, err, 550, smtp.EnhancedCode{5, 7, 1})
	if n := len(sk.Received()); n != 0 {
		t.Errorf("sink got %d messages", n)
	}
	// An open relay configuration is refused outright.
	_, err = smtpd.New(smtpd.Config{Networks: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}, engine(), nil, nil, nil)
	if err == nil {
		t.Error("open relay configuration accepted")
	}
}

func TestClientNetworkRefused(t *testing.T) {
	r := startRelay(t, smtpd.Config{Networks: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, Domains: []string{"example.lg.jp"}}, nil)
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "554 5.7.1 ") {
		t.Errorf("greeting %q", line)
	}
}

func TestNextHopDownThenBack(t *testing.T) {
	// Reserve a port, then free it: the next hop is down.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	hop := ln.Addr().String()
	ln.Close()
	r := startRelay(t, smtpd.Config{NextHops: []string{hop}}, nil)
	err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail)
	wantCode(t, err, 451, smtp.EnhancedCode{4, 4, 1})
	sk := smtpdtest.StartSink(t, hop)
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if n := len(sk.Received()); n != 1 {
		t.Errorf("sink got %d", n)
	}
}

func TestSecondNextHop(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{dead, sk.Addr}}, nil)
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
		t.Fatal(err)
	}
	if n := len(sk.Received()); n != 1 {
		t.Errorf("sink got %d", n)
	}
}

func TestNextHopRefusesOneRecipient(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	sk.RefuseRcpt("gone@example.lg.jp")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, nil)
	c, err := smtp.Dial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Hello("mx.example.lg.jp")
	if err := c.Mail("a@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("ok@example.lg.jp", nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.Rcpt("gone@example.lg.jp", nil), 550, smtp.EnhancedCode{5, 1, 1})
	w, _ := c.Data()
	io.WriteString(w, htmlMail)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := sk.Received()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "ok@example.lg.jp" {
		t.Errorf("sink got %+v", got)
	}
}

func TestNextHopFailsData(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*smtpdtest.Sink)
	}{
		{"451 at DATA", func(s *smtpdtest.Sink) { s.FailData(451) }},
		{"554 at DATA", func(s *smtpdtest.Sink) { s.FailData(554) }},
		{"dropped mid-DATA", func(s *smtpdtest.Sink) { s.DropData() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sk := smtpdtest.StartSink(t, "")
			tc.set(sk)
			r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, nil)
			err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail)
			if c := smtpdtest.Code(err); c/100 != 4 && !(tc.name == "554 at DATA" && c == 554) {
				t.Fatalf("reply %v", err)
			}
			its := r.items(t)
			if len(its) != 1 || its[0].Delivery != quarantine.DeliveryUndelivered {
				t.Fatalf("kept %+v", its)
			}
		})
	}
}

func TestSizeLimitWhileStreaming(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}, MaxMessageBytes: 1 << 20}, nil)
	big := htmlMail + strings.Repeat(strings.Repeat("x", 998)+"\r\n", 2100)
	err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, big)
	wantCode(t, err, 552, smtp.EnhancedCode{5, 3, 4})
	if n := len(r.items(t)); n != 0 {
		t.Errorf("%d items kept for a refused message", n)
	}
}

// A panic in the sanitizer blocks the message; the recipients get a notice
// instead of silence, and the original is kept.
func TestSanitizerPanicDeliversNotice(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	eng := engine()
	eng.Sanitizers[detect.EML] = sanitize.SanitizerFunc(func(context.Context, io.Writer, *sanitize.Item) (sanitize.Result, error) {
		panic("boom")
	})
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, eng)
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
		t.Fatal(err)
	}
	got := sk.Received()
	if len(got) != 1 {
		t.Fatalf("sink got %d", len(got))
	}
	if got[0].From != "" || !strings.Contains(string(got[0].Data), "X-Mugai-Outcome: blocked") || strings.Contains(string(got[0].Data), "<script") {
		t.Errorf("notice: from %q\n%s", got[0].From, got[0].Data)
	}
	its := r.items(t)
	if len(its) != 1 || its[0].Outcome != "blocked" || its[0].Delivery != quarantine.DeliveryBlocked {
		t.Errorf("kept %+v", its)
	}
}

func TestLoopDetected(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, nil)
	err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, "X-Mugai-Outcome: textized\r\n"+htmlMail)
	wantCode(t, err, 554, smtp.EnhancedCode{5, 4, 6})
	many := strings.Repeat("Received: from x by y; Fri, 20 Nov 2026 10:00:00 +0900\r\n", 31)
	err = smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, many+htmlMail)
	wantCode(t, err, 554, smtp.EnhancedCode{5, 4, 6})
}

func TestIncidentHold(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, nil)
	hold := filepath.Join(r.dir, "hold")
	os.WriteFile(hold, []byte("incident\n"), 0o600)
	err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail)
	wantCode(t, err, 451, smtp.EnhancedCode{4, 3, 2})
	os.Remove(hold)
	time.Sleep(1100 * time.Millisecond) // the hold file is checked once a second
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
		t.Fatalf("after hold off: %v", err)
	}
}

func TestRateLimitPerClient(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}, RatePerClient: 2}, nil)
	for i := range 3 {
		err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail)
		if i < 2 && err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if i == 2 {
			wantCode(t, err, 451, smtp.EnhancedCode{4, 7, 1})
		}
	}
}

func TestSessionLimit(t *testing.T) {
	r := startRelay(t, smtpd.Config{MaxSessions: 1}, nil)
	c1, err := smtp.Dial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	line, _ := bufio.NewReader(c2).ReadString('\n')
	if !strings.HasPrefix(line, "421 4.3.2 ") {
		t.Errorf("second connection got %q", line)
	}
}

func TestMaildirOutbox(t *testing.T) {
	r := startRelay(t, smtpd.Config{}, nil)
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(r.dir, "outbox", "new", "*"))
	if len(files) != 1 {
		t.Fatalf("outbox has %d messages", len(files))
	}
	b, _ := os.ReadFile(files[0])
	if !bytes.HasPrefix(b, []byte("Return-Path: <a@example.com>\r\n")) || !bytes.Contains(b, []byte("X-Mugai-Outcome: textized")) {
		t.Errorf("outbox message:\n%s", b)
	}
	if tmp, _ := filepath.Glob(filepath.Join(r.dir, "outbox", "tmp", "*")); len(tmp) != 0 {
		t.Errorf("left in tmp: %v", tmp)
	}
}

// rawSession speaks SMTP over a plain socket, for what a well-behaved
// client library would not do.
func rawSession(t *testing.T, addr string, script string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, script); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestPipelinedAndBareLF(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, nil)
	// Everything in one write (PIPELINING), the message with bare LF line
	// ends and a NUL byte.
	msg := strings.ReplaceAll(htmlMail, "\r\n", "\n")
	msg = strings.Replace(msg, "入札", "入\x00札", 1)
	// The end of data must still be CRLF.CRLF (a bare LF before the dot does
	// not end it: that is how SMTP smuggling starts).
	out := rawSession(t, r.addr, "EHLO mx\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.lg.jp>\r\nDATA\r\n"+msg+"\r\n.\r\nQUIT\r\n")
	if !strings.Contains(out, "250 2.0.0 OK queued as ") {
		t.Fatalf("transcript:\n%s", out)
	}
	if n := len(sk.Received()); n != 1 {
		t.Errorf("sink got %d", n)
	}
}

func TestOversizedLine(t *testing.T) {
	r := startRelay(t, smtpd.Config{MaxLineLength: 1000}, nil)
	out := rawSession(t, r.addr, "EHLO mx\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.lg.jp>\r\nDATA\r\nSubject: x\r\n\r\n"+strings.Repeat("y", 100<<10)+"\r\n.\r\nQUIT\r\n")
	if strings.Contains(out, "250 2.0.0 OK queued") {
		t.Fatalf("a 100 KB line was accepted:\n%s", out)
	}
	if n := len(r.items(t)); n != 0 {
		t.Errorf("%d items kept", n)
	}
}

func TestSlowClientTimesOut(t *testing.T) {
	r := startRelay(t, smtpd.Config{ReadTimeout: 300 * time.Millisecond}, nil)
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	br.ReadString('\n') // greeting
	start := time.Now()
	io.WriteString(c, "EH") // and then nothing
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadAll(br)
	if time.Since(start) > 4*time.Second {
		t.Fatalf("slow client kept the connection: %v", err)
	}
}

func TestBusySanitizingGives451(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	eng, entered, release := blockingEngine()
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}, MaxSanitizing: 1}, eng)
	first := make(chan error, 1)
	go func() { first <- smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail) }()
	<-entered
	err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail)
	wantCode(t, err, 451, smtp.EnhancedCode{4, 3, 2})
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first message: %v", err)
	}
}

func TestConnectionReuse(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, nil)
	for range 3 {
		if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // the session ends after QUIT is answered
	}
	n := sk.Sessions()
	if n != 1 {
		t.Errorf("next hop saw %d sessions for 3 messages", n)
	}
}

// TestPooledConnectionClosedByNextHop: the next hop restarts while a
// connection to it sits in the pool. The next message must not fail on
// the dead connection (it is reused without an RSET probe when fresh):
// MAIL fails without an SMTP reply, and the relay dials afresh.
func TestPooledConnectionClosedByNextHop(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	addr := sk.Addr
	r := startRelay(t, smtpd.Config{NextHops: []string{addr}}, nil)
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the relay's session ends and pools its next-hop connection
	sk.Close()
	sk2 := smtpdtest.StartSink(t, addr)
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
		t.Fatalf("after the next hop restarted: %v", err)
	}
	if n := len(sk2.Received()); n != 1 {
		t.Errorf("the restarted next hop got %d messages", n)
	}
}

// slowStore is the local store whose Put and PutWithEvent wait for gate and
// then fail with fail (nil: succeed); with detached, they store even if
// the caller's context is cancelled meanwhile.
type slowStore struct {
	*local.Store
	gate     chan struct{}
	fail     error
	detached bool
}

func (s *slowStore) Put(ctx context.Context, m quarantine.Meta, r io.Reader) (quarantine.Meta, error) {
	<-s.gate
	if s.fail != nil {
		return quarantine.Meta{}, s.fail
	}
	return s.Store.Put(ctx, m, r)
}

func (s *slowStore) PutWithEvent(ctx context.Context, m quarantine.Meta, r io.Reader, ev quarantine.Event) (quarantine.Meta, quarantine.Entry, error) {
	<-s.gate
	if s.fail != nil {
		return quarantine.Meta{}, quarantine.Entry{}, s.fail
	}
	if s.detached {
		ctx = context.WithoutCancel(ctx)
	}
	return s.Store.PutWithEvent(ctx, m, r, ev)
}

// TestStoreBesideEngine: the original is stored while the engine runs, and
// the cleared message goes to the next hop meanwhile, but the next hop
// accepts nothing until the store has answered (the final dot waits), and a
// store that fails (after the engine succeeded) gives 451 with nothing
// delivered; the abandoned next-hop connection is not reused.
func TestStoreBesideEngine(t *testing.T) {
	for _, fail := range []error{nil, errors.New("disk full")} {
		sk := smtpdtest.StartSink(t, "")
		ss := &slowStore{gate: make(chan struct{}), fail: fail}
		r := startRelayWith(t, smtpd.Config{NextHops: []string{sk.Addr}}, nil, func(st *local.Store) (quarantine.Store, quarantine.Audit) {
			ss.Store = st
			return ss, ss
		})
		done := make(chan error, 1)
		go func() { done <- smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail) }()
		time.Sleep(300 * time.Millisecond) // the engine has long finished with a 5 KB mail
		if n := len(sk.Received()); n != 0 {
			t.Fatalf("store still writing (fail=%v): the next hop already got %d messages", fail, n)
		}
		close(ss.gate)
		err := <-done
		if fail == nil {
			if err != nil || len(sk.Received()) != 1 {
				t.Fatalf("store succeeded: %v, %d delivered", err, len(sk.Received()))
			}
			continue
		}
		wantCode(t, err, 451, smtp.EnhancedCode{4, 3, 0})
		if n := len(sk.Received()); n != 0 {
			t.Fatalf("store failed: the next hop got %d messages", n)
		}
		// The upstream MTA's retry, with the store back, goes through once.
		ss.fail = nil
		if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
			t.Fatalf("retry after the store came back: %v", err)
		}
		if n := len(sk.Received()); n != 1 {
			t.Fatalf("retry: the next hop got %d messages, want 1", n)
		}
	}
}

// TestEHLOReplyInOneSegment: the lines of the EHLO reply leave together
// (one write, so one read on loopback), not a segment per line.
func TestEHLOReplyInOneSegment(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, nil)
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "220 ") {
		t.Fatalf("banner %q, %v", buf[:n], err)
	}
	if _, err := c.Write([]byte("EHLO mx.example.com\r\n")); err != nil {
		t.Fatal(err)
	}
	n, err = c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(buf[:n]), "\r\n"), "\r\n")
	if len(lines) < 5 || !strings.HasPrefix(lines[len(lines)-1], "250 ") || !strings.Contains(string(buf[:n]), "250-PIPELINING\r\n") {
		t.Fatalf("first read after EHLO: %q", buf[:n])
	}
	// The session goes on as usual.
	if _, err := c.Write([]byte("NOOP\r\n")); err != nil {
		t.Fatal(err)
	}
	if n, err = c.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "250 ") {
		t.Fatalf("NOOP: %q, %v", buf[:n], err)
	}
}

// TestDeliveryRecordsAfterReply: the delivery records, written in batches
// after the replies, all arrive: every message of 24 concurrent sessions is
// kept as delivered with its outcome and report, and the audit chain holds
// a received and a delivered event for each.
func TestDeliveryRecordsAfterReply(t *testing.T) {
	t.Run("batch", func(t *testing.T) { testDeliveryRecords(t, nil) })
	// A Journal without UpdatesWithEvents (like the PostgreSQL store):
	// the records are written one call each.
	t.Run("journal", func(t *testing.T) {
		testDeliveryRecords(t, func(st *local.Store) (quarantine.Store, quarantine.Audit) {
			j := plainJournal{st}
			return j, j
		})
	})
}

// plainJournal is the local store as a quarantine.Journal that is not a
// quarantine.BatchJournal.
type plainJournal struct{ *local.Store }

func (j plainJournal) UpdatesWithEvents() {} // hides the store's own

func testDeliveryRecords(t *testing.T, wrap func(*local.Store) (quarantine.Store, quarantine.Audit)) {
	sk := smtpdtest.StartSink(t, "")
	r := startRelayWith(t, smtpd.Config{NextHops: []string{sk.Addr}, MaxSanitizing: 32}, nil, wrap)
	if wrap != nil {
		st, _ := wrap(r.store)
		if _, ok := st.(quarantine.BatchJournal); ok {
			t.Fatal("plainJournal is a BatchJournal")
		}
	}
	const n = 24
	errs := make(chan error, n)
	for range n {
		go func() { errs <- smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	its := r.items(t)
	if len(its) != n {
		t.Fatalf("%d kept, want %d", len(its), n)
	}
	for _, it := range its {
		if it.Delivery != quarantine.DeliveryDelivered || it.Outcome != "textized" || len(it.Report) == 0 {
			t.Errorf("kept %s: delivery %q outcome %q report %d bytes", it.ID, it.Delivery, it.Outcome, len(it.Report))
		}
	}
	count := map[string]int{}
	for _, e := range auditEntries(t, r.store) {
		count[e.Type]++
	}
	if count["received"] != n || count["delivered"] != n {
		t.Errorf("audit events %v", count)
	}
	if err := r.store.Verify(context.Background()); err != nil {
		t.Errorf("audit chain: %v", err)
	}
}

// TestStoreTimeout: a store that hangs gets the message 451 4.3.0 after
// StoreTimeout, with nothing delivered; when the store wakes up, the
// original it kept anyway is marked undelivered, and the upstream MTA's
// retry goes through.
func TestStoreTimeout(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	ss := &slowStore{gate: make(chan struct{}), detached: true}
	r := startRelayWith(t, smtpd.Config{NextHops: []string{sk.Addr}, StoreTimeout: 300 * time.Millisecond}, nil, func(st *local.Store) (quarantine.Store, quarantine.Audit) {
		ss.Store = st
		return ss, ss
	})
	start := time.Now()
	err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail)
	wantCode(t, err, 451, smtp.EnhancedCode{4, 3, 0})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("451 after %v", d)
	}
	if n := len(sk.Received()); n != 0 {
		t.Fatalf("the next hop got %d messages", n)
	}
	// The relay counts the store still running as work in progress: a
	// drain keeps the store open for it.
	wctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := r.srv.WaitIdle(wctx); err == nil {
		t.Error("WaitIdle returned while the late store was still running")
	}
	// The store wakes up and keeps the original all the same.
	close(ss.gate)
	if err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := len(sk.Received()); n != 1 {
		t.Fatalf("retry: the next hop got %d messages", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		its := r.items(t)
		pending := 0
		for _, it := range its {
			if it.Delivery == quarantine.DeliveryPending {
				pending++
			}
		}
		if pending == 0 && len(its) == 2 && its[0].Delivery == quarantine.DeliveryDelivered && its[1].Delivery == quarantine.DeliveryUndelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kept %+v", its)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
