package smtpd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
)

// Server is the relay between the Internet-side MTA and the LGWAN side.
// Create it with New; it is safe for concurrent use.
type Server struct {
	cfg   Config
	eng   atomic.Pointer[sanitize.Engine]
	obs   Observer
	store quarantine.Store
	audit quarantine.Audit
	log   *slog.Logger
	smtp  *smtp.Server
	hops  *hopPool
	box   *maildir

	sessions  chan struct{} // semaphore of MaxSessions
	sanitize  chan struct{} // semaphore of MaxSanitizing
	records   recorder      // delivery records written after the reply
	late      atomic.Int64  // stores still running after their session gave up (StoreTimeout)
	bytes     *budget       // of MaxSanitizingBytes
	draining  atomic.Bool
	limClient *limiter
	limSender *limiter

	ln        net.Listener  // the guarded listener Serve accepts on
	lnMu      sync.Mutex    // guards ln
	conns     connSet       // open connections, for the drain
	drainOnce sync.Once     // starts drain
	drained   chan struct{} // closed when the drain is complete

	holdMu    sync.Mutex
	holdAt    time.Time // when HoldFile was last checked
	holdState bool
}

// New returns a relay. eng must have the mail sanitizer wired for kind
// "eml"; store and audit keep originals and events (both required: the
// relay never accepts a message it cannot keep).
func New(cfg Config, eng *sanitize.Engine, store quarantine.Store, audit quarantine.Audit, log *slog.Logger) (*Server, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if eng == nil || store == nil || audit == nil {
		return nil, errors.New("smtpd: engine, store and audit log are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	s := &Server{
		cfg: cfg, store: store, audit: audit, log: log, obs: cfg.Observer,
		sessions:  make(chan struct{}, cfg.MaxSessions),
		sanitize:  make(chan struct{}, cfg.MaxSanitizing),
		bytes:     newBudget(cfg.MaxSanitizingBytes),
		limClient: newLimiter(cfg.RatePerClient),
		limSender: newLimiter(cfg.RatePerSender),
		drained:   make(chan struct{}),
	}
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	s.eng.Store(eng)
	if len(cfg.NextHops) > 0 {
		s.hops = newHopPool(cfg, log)
		s.hops.obs = s.obs
	} else {
		box, err := openMaildir(cfg.Outbox)
		if err != nil {
			return nil, err
		}
		s.box = box
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = cfg.Hostname
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.MaxLineLength = cfg.MaxLineLength
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = cfg.WriteTimeout
	srv.EnableSMTPUTF8 = true
	srv.TLSConfig = cfg.TLS
	srv.ErrorLog = slogAdapter{log}
	s.smtp = srv
	return s, nil
}

// Serve accepts connections on ln until ctx ends or Shutdown is called.
// Connections from outside Networks are refused with 554 5.7.1; over
// MaxSessions, new connections get 421 4.3.2.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { s.Shutdown(context.Background()) })
	defer stop()
	gl := &guardListener{Listener: ln, s: s}
	s.lnMu.Lock()
	s.ln = gl
	s.lnMu.Unlock()
	if s.draining.Load() {
		return nil
	}
	err := s.smtp.Serve(gl)
	if errors.Is(err, smtp.ErrServerClosed) || s.draining.Load() {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, answers 421 to new transactions on
// open ones, lets the messages in DATA finish (their reply included), then
// closes the idle connections and returns nil. If ctx ends first, it closes
// every connection and returns ctx's error: the upstream MTA retries what
// got no reply. It may be called more than once and concurrently; each
// call waits for the same drain (see drain.go).
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.drainOnce.Do(func() { go s.drain() })
	select {
	case <-s.drained:
		return nil
	case <-ctx.Done():
		s.conns.closeAll()
		return ctx.Err()
	}
}

// WaitIdle waits, until ctx ends, for the messages still in the engine, in
// the store or on their way to the next hop (after Shutdown cut their
// connections) to finish, and for their delivery records to be written,
// so that the store is not closed under them.
func (s *Server) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for s.busy() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// busy reports whether a message is in DATA, a delivery record is still
// being written, or a store that outlived StoreTimeout is still running.
func (s *Server) busy() bool {
	return len(s.sanitize) > 0 || s.records.pending.Load() > 0 || s.late.Load() > 0
}

// held reports whether the incident hold is on. The hold file is checked
// at most once a second.
func (s *Server) held() bool {
	s.holdMu.Lock()
	defer s.holdMu.Unlock()
	if time.Since(s.holdAt) > time.Second {
		_, err := os.Stat(s.cfg.HoldFile)
		on := err == nil
		if on != s.holdState {
			s.log.Warn("incident hold changed", "hold", on)
		}
		s.holdState, s.holdAt = on, time.Now()
	}
	return s.holdState
}

// guardListener enforces the client networks and the session limit before
// go-smtp sees a connection.
type guardListener struct {
	net.Listener
	s *Server
}

func (g *guardListener) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
		addr := ap.Addr().Unmap()
		allowed := false
		for _, n := range g.s.cfg.Networks {
			if n.Contains(addr) {
				allowed = true
				break
			}
		}
		trace := newTrace()
		if !allowed {
			g.s.log.Warn("connection refused", "client", addr.String(), "trace", trace, "reason", "network not allowed")
			g.s.obs.Reply("CONNECT", 554)
			go refuse(c, fmt.Sprintf("554 5.7.1 Relaying from your address is not allowed [%s]\r\n", trace))
			continue
		}
		select {
		case g.s.sessions <- struct{}{}:
		default:
			g.s.log.Warn("connection refused", "client", addr.String(), "trace", trace, "reason", "too many sessions")
			g.s.obs.Reply("CONNECT", 421)
			go refuse(c, fmt.Sprintf("421 4.3.2 Too many connections, try again later [%s]\r\n", trace))
			continue
		}
		if g.s.draining.Load() {
			<-g.s.sessions
			g.s.obs.Reply("CONNECT", 421)
			go refuse(c, fmt.Sprintf("421 4.3.2 Service shutting down [%s]\r\n", trace))
			continue
		}
		gc := &guardConn{Conn: c, s: g.s, trace: trace, start: time.Now(), deadline: time.AfterFunc(g.s.cfg.SessionTimeout, func() { c.Close() })}
		g.s.conns.add(gc)
		return gc, nil
	}
}

func refuse(c net.Conn, line string) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(line))
	c.Close()
}

// guardConn releases the session slot once and enforces the total session
// time.
type guardConn struct {
	net.Conn
	s        *Server
	trace    string
	start    time.Time
	deadline *time.Timer
	once     sync.Once

	wmu  sync.Mutex
	held []byte // continuation lines of a multi-line reply (see Write)
}

// Write passes output on, holding back the continuation lines of a
// multi-line reply ("250-PIPELINING") until its last line, so that the
// reply leaves in one segment: go-smtp flushes every line, and the EHLO
// reply would otherwise cost a write, and a wakeup of the client, per
// line. Nothing else is held: a TLS record never starts with a digit.
func (g *guardConn) Write(p []byte) (int, error) {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	if continuationLine(p) && len(g.held)+len(p) <= maxHeldReply {
		g.held = append(g.held, p...)
		return len(p), nil
	}
	if len(g.held) == 0 {
		return g.Conn.Write(p)
	}
	g.held = append(g.held, p...)
	_, err := g.Conn.Write(g.held)
	g.held = g.held[:0]
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// maxHeldReply bounds what Write holds back.
const maxHeldReply = 2048

// continuationLine reports whether p is exactly one line "NNN-text\r\n".
func continuationLine(p []byte) bool {
	n := len(p)
	if n < 6 || p[3] != '-' || p[n-2] != '\r' || p[n-1] != '\n' || bytes.IndexByte(p, '\n') != n-1 {
		return false
	}
	for _, c := range p[:3] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (g *guardConn) Close() error {
	g.once.Do(func() {
		g.deadline.Stop()
		g.s.conns.remove(g)
		<-g.s.sessions
	})
	return g.Conn.Close()
}

// newTrace returns a short random ID that ties replies to log lines.
func newTrace() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Println(v ...any)               { a.l.Error(fmt.Sprint(v...)) }
