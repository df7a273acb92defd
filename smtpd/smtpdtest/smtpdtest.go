// Package smtpdtest holds the SMTP test pieces that the relay's tests and
// the tests that drive mugai through SMTP (cmd/mugai, scan/clamd) share: a
// client that sends one message, and a sink standing in for the next hop.
// Only tests import it.
package smtpdtest

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Send runs one SMTP transaction (EHLO, MAIL, RCPT for each of to, DATA,
// QUIT) with the go-smtp client and returns the error of the first step
// that fails: an *smtp.SMTPError for a reply, which Code reads.
func Send(addr, from string, to []string, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.example.lg.jp"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// Code is the SMTP reply code of an error from Send: 250 for nil, -1 for
// an error that is not a reply (the connection failed).
func Code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	if err == nil {
		return 250
	}
	return -1
}

// Sink is a real go-smtp server standing in for the LGWAN-side MTA, the
// relay's next hop. It records what it accepts and can be told to refuse.
type Sink struct {
	Addr string // where it listens

	srv      *smtp.Server
	mu       sync.Mutex
	msgs     []Msg
	refuseTo string // RCPT to this address gets 550
	dataCode int    // non-zero: DATA answered with this code
	dropData bool   // close the connection in the middle of DATA
	sessions int
}

// Msg is a message a Sink accepted, with its envelope.
type Msg struct {
	From string
	To   []string
	Data []byte
}

// StartSink starts a Sink on addr ("" for a free local port) until t ends.
func StartSink(t testing.TB, addr string) *Sink {
	t.Helper()
	s := &Sink{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &sinkSession{s: s, c: c}, nil
	}))
	s.srv.Domain = "lgwan.example.lg.jp"
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Received returns the messages accepted so far.
func (s *Sink) Received() []Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Msg(nil), s.msgs...)
}

// Sessions returns how many connections the sink has accepted.
func (s *Sink) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// RefuseRcpt makes RCPT TO addr (any case) answer 550 5.1.1.
func (s *Sink) RefuseRcpt(addr string) {
	s.mu.Lock()
	s.refuseTo = addr
	s.mu.Unlock()
}

// FailData makes DATA answer code once the message is read.
func (s *Sink) FailData(code int) {
	s.mu.Lock()
	s.dataCode = code
	s.mu.Unlock()
}

// DropData makes the sink close the connection in the middle of DATA.
func (s *Sink) DropData() {
	s.mu.Lock()
	s.dropData = true
	s.mu.Unlock()
}

type sinkSession struct {
	s    *Sink
	c    *smtp.Conn
	from string
	to   []string
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	refuse := ss.s.refuseTo
	ss.s.mu.Unlock()
	if refuse != "" && strings.EqualFold(to, refuse) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	ss.s.mu.Lock()
	code, drop := ss.s.dataCode, ss.s.dropData
	ss.s.mu.Unlock()
	if drop {
		io.CopyN(io.Discard, r, 10)
		ss.c.Close()
		return errors.New("dropped")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "sink says no"}
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Msg{From: ss.from, To: append([]string(nil), ss.to...), Data: b})
	ss.s.mu.Unlock()
	return nil
}

// Close stops the sink before t ends: the next hop goes away.
func (s *Sink) Close() { s.srv.Close() }
