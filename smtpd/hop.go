package smtpd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// hopPool dials the next hops in order and keeps idle connections for
// reuse. A connection is reused only after a completed transaction and a
// successful RSET.
type hopPool struct {
	cfg  Config
	log  *slog.Logger
	obs  Observer
	mu   sync.Mutex
	idle []*hopConn
}

const (
	maxIdleHops = 16
	hopIdleTime = 30 * time.Second
	// hopFreshTime: a connection idle for less is reused without probing
	// it with RSET first.
	hopFreshTime = 2 * time.Second
)

func newHopPool(cfg Config, log *slog.Logger) *hopPool { return &hopPool{cfg: cfg, log: log} }

// hopConn is one SMTP client connection to a next hop.
type hopConn struct {
	c      *smtp.Client
	addr   string
	idle   time.Time
	pool   *hopPool
	reused bool // taken from the pool without an RSET probe
}

// get returns a live connection: an idle one that still answers RSET, or a
// new one to the first next hop that answers.
func (p *hopPool) get(trace string) (*hopConn, error) {
	for {
		p.mu.Lock()
		if len(p.idle) == 0 {
			p.mu.Unlock()
			break
		}
		hc := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		p.mu.Unlock()
		idle := time.Since(hc.idle)
		if idle < hopFreshTime {
			// Used a moment ago: skip the RSET round trip. If the next
			// hop closed it meanwhile, MAIL fails without an SMTP reply
			// and the session dials again (session.Mail).
			hc.reused = true
			return hc, nil
		}
		if idle < hopIdleTime && hc.c.Reset() == nil {
			return hc, nil
		}
		hc.close()
	}
	var errs []error
	for _, addr := range p.cfg.NextHops {
		hc, err := p.dial(addr)
		if err == nil {
			return hc, nil
		}
		p.log.Warn("next hop dial failed", "trace", trace, "hop", addr, "err", err)
		if p.obs != nil {
			p.obs.NextHopError("connect", 0)
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return nil, errors.Join(errs...)
}

func (p *hopPool) dial(addr string) (*hopConn, error) {
	conn, err := net.DialTimeout("tcp", addr, p.cfg.NextHopTimeout)
	if err != nil {
		return nil, err
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout = p.cfg.NextHopTimeout
	c.SubmissionTimeout = p.cfg.NextHopTimeout
	if err := c.Hello(p.cfg.Hostname); err != nil {
		c.Close()
		return nil, err
	}
	if p.cfg.NextHopTLS != "none" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			// go-smtp starts TLS only on a fresh client: dial again.
			c.Quit()
			tc := p.cfg.NextHopTLSConfig
			if tc == nil {
				host, _, _ := net.SplitHostPort(addr)
				tc = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
			}
			conn, err := net.DialTimeout("tcp", addr, p.cfg.NextHopTimeout)
			if err != nil {
				return nil, err
			}
			conn.SetDeadline(time.Now().Add(p.cfg.NextHopTimeout))
			c, err = smtp.NewClientStartTLS(conn, tc)
			if err != nil {
				return nil, fmt.Errorf("STARTTLS: %w", err)
			}
			conn.SetDeadline(time.Time{})
			c.CommandTimeout = p.cfg.NextHopTimeout
			c.SubmissionTimeout = p.cfg.NextHopTimeout
		} else if p.cfg.NextHopTLS == "required" {
			c.Close()
			return nil, errors.New("next hop does not offer STARTTLS and TLS is required")
		}
	}
	return &hopConn{c: c, addr: addr, pool: p}, nil
}

// put keeps a connection whose transaction is finished for reuse.
func (p *hopPool) put(hc *hopConn) {
	hc.idle = time.Now()
	p.mu.Lock()
	if len(p.idle) < maxIdleHops {
		p.idle = append(p.idle, hc)
		hc = nil
	}
	p.mu.Unlock()
	if hc != nil {
		hc.close()
	}
}

// drop closes the idle connections without a QUIT (they are presumed
// dead: a QUIT could wait for a next-hop timeout on each).
func (p *hopPool) drop() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, hc := range idle {
		hc.close()
	}
}

func (p *hopPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, hc := range idle {
		hc.c.Quit()
		hc.close()
	}
}

func (hc *hopConn) mail(from string, opts *smtp.MailOptions) error {
	var o *smtp.MailOptions
	if opts != nil {
		// Pass on what the next hop must honour; SIZE is the original's
		// and no longer applies to the cleared message.
		o = &smtp.MailOptions{Body: opts.Body, UTF8: opts.UTF8, RequireTLS: opts.RequireTLS}
		if o.Body == smtp.BodyBinaryMIME {
			o.Body = smtp.Body8BitMIME
		}
	}
	return hc.c.Mail(from, o)
}

func (hc *hopConn) rcpt(to string, opts *smtp.RcptOptions) error { return hc.c.Rcpt(to, nil) }

func (hc *hopConn) reset() error { return hc.c.Reset() }

// data sends msg and returns the next hop's answer text. If gate is not
// nil, the final dot waits for it: a gate that fails abandons the
// transaction (the connection is dropped, so the next hop discards what it
// got) and data returns the gate's error, wrapped in a gateError.
func (hc *hopConn) data(msg io.Reader, gate func() error) (string, error) {
	w, err := hc.c.Data()
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(w, msg); err != nil {
		// Never end DATA with the dot after a failed read: that would
		// deliver a truncated message. Dropping the connection makes the
		// next hop discard the transaction.
		hc.close()
		return "", fmt.Errorf("reading the message to send: %w", err)
	}
	if gate != nil {
		if err := gate(); err != nil {
			hc.close()
			return "", gateError{err}
		}
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: %s", hc.addr, resp.StatusText), nil
}

func (hc *hopConn) close() { hc.c.Close() }

// gateError is a gate's failure that made data abandon its transaction.
type gateError struct{ err error }

func (e gateError) Error() string { return "abandoned before the final dot: " + e.err.Error() }
func (e gateError) Unwrap() error { return e.err }

// Send delivers one message, outside any relayed session, to the first of
// cfg.NextHops that answers (with cfg's TLS policy and timeouts): the
// release of a quarantined original goes this way. Every recipient must be
// accepted; otherwise nothing is sent and the error says which was refused.
// msg is read to its end before the final dot; a read error abandons the
// transaction. Send returns the next hop's answer.
func Send(cfg Config, log *slog.Logger, from string, to []string, msg io.Reader) (string, error) {
	cfg = cfg.Defaults()
	if len(cfg.NextHops) == 0 {
		return "", errors.New("smtpd: no next hop configured")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	p := newHopPool(cfg, log)
	hc, err := p.get("release")
	if err != nil {
		return "", err
	}
	defer hc.close()
	if err := hc.mail(from, nil); err != nil {
		return "", fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, r := range to {
		if err := hc.rcpt(r, nil); err != nil {
			return "", fmt.Errorf("RCPT TO <%s>: %w", r, err)
		}
	}
	resp, err := hc.data(msg, nil)
	if err != nil {
		return "", err
	}
	hc.c.Quit()
	return resp, nil
}
