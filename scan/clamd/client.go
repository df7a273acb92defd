package clamd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mugai-project/mugai/sanitize"
)

// Defaults for Config.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxSize     = 100 << 20
	DefaultChunkSize   = 64 << 10
	DefaultMaxIdle     = 4
	DefaultIdleTimeout = 20 * time.Second // below clamd's ReadTimeout (120s; Debian 180s), which closes idle sessions
	DefaultVersionTTL  = time.Minute
	maxReply           = 4 << 10
)

// Errors. Every error the client returns for a failed exchange wraps
// ErrUnavailable; an answer clamd gave as an error also wraps ErrClamd.
var (
	ErrUnavailable = errors.New("clamd: unavailable")
	ErrClamd       = errors.New("clamd: error reply")
)

// Config says how to reach clamd. The zero value of each field but Address
// means its default.
type Config struct {
	// Address of clamd: "unix:/run/clamav/clamd.ctl" (or just an absolute
	// path) for a unix socket, "tcp:host:port" or "host:port" for TCP.
	Address string
	// Timeout bounds each step: dialing, writing each chunk, and waiting
	// for the verdict after the stream ends. Default 30s.
	Timeout time.Duration
	// MaxSize is the largest stream sent to clamd. A larger one is not sent
	// and is reported Incomplete. Keep it at or below clamd's
	// StreamMaxLength. Default 100 MiB.
	MaxSize int64
	// ChunkSize of INSTREAM chunks. Default 64 KiB.
	ChunkSize int
	// MaxIdle is how many idle sessions are kept for reuse. Default 4; a
	// negative value turns reuse off (one connection per scan).
	MaxIdle int
	// IdleTimeout: an idle session older than this is closed instead of
	// reused. Keep it below clamd's ReadTimeout, after which clamd closes
	// an idle session. Default 20s.
	IdleTimeout time.Duration
	// VersionTTL is how long the VERSION answer named in scan results is
	// cached. Default 1m.
	VersionTTL time.Duration
}

// Client talks to one clamd. It is safe for concurrent use; Close it to
// release the idle sessions.
type Client struct {
	cfg     Config
	network string
	addr    string

	mu     sync.Mutex
	idle   []*session
	closed bool

	vmu      sync.Mutex
	version  Version
	vfetched time.Time
}

// New checks cfg and returns a client; it does not connect.
func New(cfg Config) (*Client, error) {
	network, addr, err := ParseAddress(cfg.Address)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.MaxIdle == 0 {
		cfg.MaxIdle = DefaultMaxIdle
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.VersionTTL <= 0 {
		cfg.VersionTTL = DefaultVersionTTL
	}
	return &Client{cfg: cfg, network: network, addr: addr}, nil
}

// ParseAddress splits a clamd address into a network ("unix" or "tcp") and
// an address for net.Dial.
func ParseAddress(s string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(s, "unix:"):
		network, addr = "unix", strings.TrimPrefix(s, "unix:")
		if addr == "" {
			return "", "", fmt.Errorf("clamd: address %q: empty socket path", s)
		}
		return network, addr, nil
	case strings.HasPrefix(s, "/"):
		return "unix", s, nil
	case strings.HasPrefix(s, "tcp:"):
		s = strings.TrimPrefix(s, "tcp:")
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || port == "" {
		return "", "", fmt.Errorf("clamd: address %q: want unix:/path or tcp:host:port", s)
	}
	return "tcp", s, nil
}

// Address returns the configured address.
func (c *Client) Address() string { return c.cfg.Address }

// Close closes the idle sessions; scans under way finish, and their
// connections are closed instead of kept. Close may be called more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	c.mu.Unlock()
	for _, s := range idle {
		s.end()
	}
	return nil
}

// Ping sends PING on a new connection and expects PONG: the health check.
func (c *Client) Ping(ctx context.Context) error {
	reply, err := c.oneShot(ctx, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("%w: PING answered %q", ErrUnavailable, clip(reply))
	}
	return nil
}

// Version sends VERSION on a new connection and parses the answer.
func (c *Client) Version(ctx context.Context) (Version, error) {
	reply, err := c.oneShot(ctx, "VERSION")
	if err != nil {
		return Version{}, err
	}
	v, err := ParseVersion(reply)
	if err != nil {
		return Version{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	c.vmu.Lock()
	c.version, c.vfetched = v, time.Now()
	c.vmu.Unlock()
	return v, nil
}

// cachedVersion returns the VERSION answer, fetched at most once per
// VersionTTL; a failure to fetch gives the last known one (possibly empty).
func (c *Client) cachedVersion(ctx context.Context) Version {
	c.vmu.Lock()
	v, at := c.version, c.vfetched
	c.vmu.Unlock()
	if !at.IsZero() && time.Since(at) < c.cfg.VersionTTL {
		return v
	}
	if nv, err := c.Version(ctx); err == nil {
		return nv
	}
	c.vmu.Lock()
	c.vfetched = time.Now() // do not ask again on every scan while it fails
	c.vmu.Unlock()
	return v
}

func (c *Client) oneShot(ctx context.Context, cmd string) (string, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	g := guard(ctx, conn)
	defer g.stop()
	g.set(c.cfg.Timeout)
	if _, err := conn.Write([]byte("z" + cmd + "\x00")); err != nil {
		return "", g.wrap(cmd, err)
	}
	g.set(c.cfg.Timeout)
	reply, err := readReply(bufio.NewReaderSize(conn, 512))
	if err != nil {
		return "", g.wrap(cmd, err)
	}
	return reply, nil
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: c.cfg.Timeout}
	conn, err := d.DialContext(ctx, c.network, c.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return conn, nil
}

// Status of a scan.
type Status uint8

// Statuses.
const (
	Clean      Status = iota // scanned fully, nothing found
	Found                    // a signature matched
	Incomplete               // not fully scanned: never treat as clean
)

func (s Status) String() string {
	switch s {
	case Clean:
		return "clean"
	case Found:
		return "found"
	}
	return "incomplete"
}

// Result is clamd's verdict on one stream.
type Result struct {
	Status    Status
	Signature string // the signature name for Found (and clamd's limit alert for Incomplete)
	Reason    string // why Incomplete, in English
}

// ScanStream sends r (size bytes; -1 when unknown) with INSTREAM and
// returns clamd's verdict. Errors wrap ErrUnavailable: no verdict was
// obtained and the content must not be treated as scanned.
//
// When a reused session turns out to be closed before any verdict, the scan
// is retried once on a new connection if r is an io.Seeker.
func (c *Client) ScanStream(ctx context.Context, r io.Reader, size int64) (Result, error) {
	if size > c.cfg.MaxSize {
		return Result{Status: Incomplete, Reason: fmt.Sprintf("%d bytes is over the scan size limit of %d", size, c.cfg.MaxSize)}, nil
	}
	for attempt := 0; ; attempt++ {
		s, reused, err := c.get(ctx)
		if err != nil {
			return Result{}, err
		}
		res, keep, stale, err := c.instream(ctx, s, r)
		if err == nil && keep {
			c.put(s)
		} else {
			s.close()
		}
		if err != nil && stale && reused && attempt == 0 {
			if sk, ok := r.(io.Seeker); ok {
				if _, serr := sk.Seek(0, io.SeekStart); serr == nil {
					continue
				}
			}
		}
		return res, err
	}
}

// instream runs one INSTREAM on s. keep says s may be reused; stale says the
// failure happened before any byte of a reply arrived (a session clamd had
// already closed looks like that).
func (c *Client) instream(ctx context.Context, s *session, r io.Reader) (res Result, keep, stale bool, err error) {
	g := guard(ctx, s.conn)
	defer g.stop()
	if s.sess {
		s.id++
	}
	bufp := chunkBufs.Get().(*[]byte)
	defer chunkBufs.Put(bufp)
	buf := *bufp
	if len(buf) < 4+c.cfg.ChunkSize {
		buf = make([]byte, 4+c.cfg.ChunkSize)
		*bufp = buf
	}
	buf = buf[:4+c.cfg.ChunkSize]

	g.set(c.cfg.Timeout)
	if _, err := s.conn.Write([]byte("zINSTREAM\x00")); err != nil {
		return Result{}, false, true, g.wrap("INSTREAM", err)
	}
	var sent int64
	for {
		n, rerr := io.ReadFull(r, buf[4:])
		if n > 0 {
			sent += int64(n)
			if sent > c.cfg.MaxSize {
				return Result{Status: Incomplete, Reason: fmt.Sprintf("more than the scan size limit of %d bytes", c.cfg.MaxSize)}, false, false, nil
			}
			binary.BigEndian.PutUint32(buf[:4], uint32(n))
			g.set(c.cfg.Timeout)
			if _, err := s.conn.Write(buf[:4+n]); err != nil {
				// clamd stops reading and answers when the stream is over
				// its StreamMaxLength: look for that answer.
				if res, ok := c.lateReply(s, g); ok {
					return res, false, false, nil
				}
				return Result{}, false, !isTimeout(err), g.wrap("INSTREAM", err)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return Result{}, false, false, fmt.Errorf("%w: reading the content to scan: %w", ErrUnavailable, rerr)
		}
	}
	g.set(c.cfg.Timeout)
	if _, err := s.conn.Write([]byte{0, 0, 0, 0}); err != nil {
		if res, ok := c.lateReply(s, g); ok {
			return res, false, false, nil
		}
		return Result{}, false, !isTimeout(err), g.wrap("INSTREAM", err)
	}
	g.set(c.cfg.Timeout)
	reply, err := readReply(s.br)
	if err != nil {
		return Result{}, false, reply == "" && !isTimeout(err), g.wrap("INSTREAM", err)
	}
	body, err := s.strip(reply)
	if err != nil {
		return Result{}, false, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	res, err = ParseReply(body)
	if err != nil {
		return Result{}, false, false, err
	}
	// After a detection clamd may send more lines (AllMatchScan); after a
	// size-limit answer it closes. Reuse only after a clean verdict.
	return res, res.Status == Clean, false, nil
}

// lateReply reads a verdict clamd sent while we were still writing, with a
// short deadline.
func (c *Client) lateReply(s *session, g *deadlines) (Result, bool) {
	g.set(min(c.cfg.Timeout, 2*time.Second))
	reply, err := readReply(s.br)
	if err != nil {
		return Result{}, false
	}
	body, err := s.strip(reply)
	if err != nil {
		return Result{}, false
	}
	res, err := ParseReply(body)
	if err != nil {
		return Result{}, false
	}
	return res, true
}

// ParseReply interprets clamd's answer to INSTREAM (without a session
// prefix): "stream: OK", "stream: <name> FOUND", or an error such as
// "INSTREAM size limit exceeded. ERROR". Limit alerts
// (Heuristics.Limits.Exceeded…, given with AlertExceedsMax) and the size
// limit answer are Incomplete; other errors wrap ErrClamd.
func ParseReply(reply string) (Result, error) {
	reply = strings.TrimSpace(reply)
	switch {
	case reply == "stream: OK":
		return Result{Status: Clean}, nil
	case strings.HasPrefix(reply, "stream: ") && strings.HasSuffix(reply, " FOUND"):
		sig := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(reply, "stream: "), " FOUND"))
		// ExtendedDetectionInfo appends "(md5:size)" to hash signatures.
		if i := strings.LastIndexByte(sig, '('); i > 0 && strings.HasSuffix(sig, ")") {
			sig = sig[:i]
		}
		if sig == "" {
			return Result{}, fmt.Errorf("%w: %w: %q", ErrUnavailable, ErrClamd, clip(reply))
		}
		if strings.HasPrefix(sig, "Heuristics.Limits.Exceeded") {
			return Result{Status: Incomplete, Signature: sig, Reason: "clamd limit exceeded: " + sig}, nil
		}
		return Result{Status: Found, Signature: sig}, nil
	case strings.Contains(reply, "size limit exceeded"):
		return Result{Status: Incomplete, Reason: "over clamd's StreamMaxLength"}, nil
	}
	return Result{}, fmt.Errorf("%w: %w: %q", ErrUnavailable, ErrClamd, clip(reply))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Scan implements sanitize.Scanner.
func (c *Client) Scan(ctx context.Context, r io.Reader, size int64) (sanitize.ScanResult, error) {
	res, err := c.ScanStream(ctx, r, size)
	if err != nil {
		return sanitize.ScanResult{}, err
	}
	out := sanitize.ScanResult{Engine: c.cachedVersion(ctx).String()}
	switch res.Status {
	case Found:
		out.Signature = res.Signature
	case Incomplete:
		out.Incomplete, out.Detail = true, res.Reason
	}
	return out, nil
}

var _ sanitize.Scanner = (*Client)(nil)

// Version is clamd's answer to VERSION, e.g.
// "ClamAV 1.4.6/27830/Sat Nov 21 09:20:00 2026".
type Version struct {
	Raw           string
	Engine        string    // "ClamAV 1.4.6"
	Signatures    int       // the daily signature database version; 0 when none is loaded
	SignatureDate time.Time // when that database was built (clamd's local time, read as UTC)
}

func (v Version) String() string { return v.Raw }

// ParseVersion parses a VERSION answer. The signature part is optional
// (clamd without a daily database answers just "ClamAV 1.4.6").
func ParseVersion(s string) (Version, error) {
	s = strings.TrimSpace(s)
	v := Version{Raw: s}
	parts := strings.SplitN(s, "/", 3)
	v.Engine = parts[0]
	if !strings.HasPrefix(v.Engine, "ClamAV ") {
		return Version{}, fmt.Errorf("clamd: VERSION answered %q", clip(s))
	}
	if len(parts) >= 2 {
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("clamd: VERSION: bad signature version in %q", clip(s))
		}
		v.Signatures = n
	}
	if len(parts) == 3 {
		t, err := time.Parse("Mon Jan _2 15:04:05 2006", strings.Join(strings.Fields(parts[2]), " "))
		if err != nil {
			t, err = time.Parse("Mon Jan 2 15:04:05 2006", strings.Join(strings.Fields(parts[2]), " "))
		}
		if err != nil {
			return Version{}, fmt.Errorf("clamd: VERSION: bad signature date in %q", clip(s))
		}
		v.SignatureDate = t
	}
	return v, nil
}

// session is one IDSESSION connection, or with reuse turned off a plain
// one-command connection (sess false).
type session struct {
	conn net.Conn
	br   *bufio.Reader
	sess bool
	id   int // number of the last command sent
	used time.Time
}

// strip removes the "<id>: " prefix of a session reply and checks the id.
func (s *session) strip(reply string) (string, error) {
	if !s.sess {
		return reply, nil
	}
	i := strings.Index(reply, ": ")
	if i < 0 {
		return "", fmt.Errorf("clamd: session reply without an id: %q", clip(reply))
	}
	if n, err := strconv.Atoi(reply[:i]); err != nil || n != s.id {
		return "", fmt.Errorf("clamd: session reply for request %q, want %d", clip(reply[:i]), s.id)
	}
	return reply[i+2:], nil
}

func (s *session) close() { s.conn.Close() }

// end closes the session politely.
func (s *session) end() {
	s.conn.SetWriteDeadline(time.Now().Add(time.Second))
	s.conn.Write([]byte("zEND\x00"))
	s.conn.Close()
}

func (c *Client) get(ctx context.Context) (*session, bool, error) {
	c.mu.Lock()
	for len(c.idle) > 0 {
		s := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if time.Since(s.used) < c.cfg.IdleTimeout {
			c.mu.Unlock()
			return s, true, nil
		}
		go s.end()
	}
	c.mu.Unlock()
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, false, err
	}
	s := &session{conn: conn, br: bufio.NewReaderSize(conn, 512)}
	if c.cfg.MaxIdle < 0 {
		// No reuse: a plain one-command connection, replies without id.
		return s, false, nil
	}
	s.sess = true
	conn.SetWriteDeadline(time.Now().Add(c.cfg.Timeout))
	if _, err := conn.Write([]byte("zIDSESSION\x00")); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("%w: IDSESSION: %w", ErrUnavailable, err)
	}
	return s, false, nil
}

func (c *Client) put(s *session) {
	if !s.sess {
		s.close()
		return
	}
	s.used = time.Now()
	c.mu.Lock()
	if c.closed || len(c.idle) >= c.cfg.MaxIdle {
		c.mu.Unlock()
		s.end()
		return
	}
	c.idle = append(c.idle, s)
	c.mu.Unlock()
}

// readReply reads one NUL-terminated reply of at most maxReply bytes.
func readReply(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return string(b), err
		}
		if c == 0 {
			return string(b), nil
		}
		if len(b) >= maxReply {
			return "", fmt.Errorf("clamd: reply longer than %d bytes", maxReply)
		}
		b = append(b, c)
	}
}

// deadlines sets per-step deadlines on a connection and cuts it short when
// the context ends.
type deadlines struct {
	ctx  context.Context
	conn net.Conn
	mu   sync.Mutex
	done bool
	stp  func() bool
}

func guard(ctx context.Context, conn net.Conn) *deadlines {
	g := &deadlines{ctx: ctx, conn: conn}
	g.stp = context.AfterFunc(ctx, func() {
		g.mu.Lock()
		g.done = true
		conn.SetDeadline(time.Unix(1, 0))
		g.mu.Unlock()
	})
	return g
}

// set gives the next step d, or less when the context's deadline is nearer.
func (g *deadlines) set(d time.Duration) {
	t := time.Now().Add(d)
	if dl, ok := g.ctx.Deadline(); ok && dl.Before(t) {
		t = dl
	}
	g.mu.Lock()
	if !g.done {
		g.conn.SetDeadline(t)
	}
	g.mu.Unlock()
}

func (g *deadlines) stop() { g.stp() }

// wrap names the step that failed and says whether it timed out.
func (g *deadlines) wrap(step string, err error) error {
	if cerr := g.ctx.Err(); cerr != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, step, cerr)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %s: timed out", ErrUnavailable, step)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, step, err)
}

var chunkBufs = sync.Pool{New: func() any { b := make([]byte, 4+DefaultChunkSize); return &b }}

func clip(s string) string {
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return string(bytes.ToValidUTF8([]byte(s), []byte("?")))
}
