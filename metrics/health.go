package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one readiness condition: the quarantine store accepts writes, the
// next hop answers, the malware scanner answers. Check returns nil when the
// condition holds; it must honour ctx (the Checks run with
// policy metrics.ready_timeout) and be safe for concurrent use.
type Check interface {
	Name() string
	Check(ctx context.Context) error
}

// CheckFunc adapts a function to Check.
func CheckFunc(name string, fn func(ctx context.Context) error) Check { return checkFunc{name, fn} }

type checkFunc struct {
	name string
	fn   func(context.Context) error
}

func (c checkFunc) Name() string                    { return c.name }
func (c checkFunc) Check(ctx context.Context) error { return c.fn(ctx) }

// Health answers /healthz and /readyz. The zero value is ready (no checks);
// it is safe for concurrent use, and SetChecks may be called while it
// serves (a configuration reload).
type Health struct {
	// Timeout bounds each check; 0 means 2 seconds.
	Timeout time.Duration

	mu     sync.Mutex
	checks []Check
}

// SetChecks replaces the readiness checks.
func (h *Health) SetChecks(checks ...Check) {
	h.mu.Lock()
	h.checks = append([]Check(nil), checks...)
	h.mu.Unlock()
}

// AddCheck adds a readiness check (e.g. the malware scanner's).
func (h *Health) AddCheck(c Check) {
	h.mu.Lock()
	h.checks = append(h.checks, c)
	h.mu.Unlock()
}

// Ready runs every check at once and returns the failures by name; an
// empty map means ready.
func (h *Health) Ready(ctx context.Context) map[string]error {
	h.mu.Lock()
	checks := append([]Check(nil), h.checks...)
	h.mu.Unlock()
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fails = map[string]error{}
	)
	for _, c := range checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if err := c.Check(cctx); err != nil {
				mu.Lock()
				fails[c.Name()] = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return fails
}

// Handler serves /metrics from m (nil: no /metrics), /healthz and /readyz
// from h. The bodies of /healthz and /readyz are short English text: "ok",
// or one "name: error" line per failed check with status 503.
func Handler(m *Metrics, h *Health) http.Handler {
	mux := http.NewServeMux()
	if m != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fails := h.Ready(r.Context())
		if len(fails) == 0 {
			fmt.Fprintln(w, "ok")
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		names := make([]string, 0, len(fails))
		for n := range fails {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "%s: %s\n", n, trimErr(fails[n]))
		}
	})
	return mux
}

// Serve serves Handler(m, h) on ln until ctx ends. It returns nil after ctx
// ends, else the listener's error.
func Serve(ctx context.Context, ln net.Listener, m *Metrics, h *Health) error {
	srv := &http.Server{
		Handler:           Handler(m, h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})
	defer stop()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// DialCheck is ready when any of addrs ("host:port") accepts a TCP
// connection: the next hop answers. It does not speak SMTP, so the next hop
// logs no failed session.
func DialCheck(name string, addrs ...string) Check {
	return CheckFunc(name, func(ctx context.Context) error {
		var errs []error
		var d net.Dialer
		for _, a := range addrs {
			c, err := d.DialContext(ctx, "tcp", a)
			if err == nil {
				c.Close()
				return nil
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// DirWritableCheck is ready when a file can be created, synced and removed
// in dir: the local quarantine or the Maildir outbox accepts writes (a full
// or read-only file system fails it).
func DirWritableCheck(name, dir string) Check {
	return CheckFunc(name, func(ctx context.Context) error {
		f, err := os.CreateTemp(dir, ".mugai-ready-*")
		if err != nil {
			return err
		}
		_, werr := f.WriteString("ready\n")
		serr := f.Sync()
		cerr := f.Close()
		rerr := os.Remove(f.Name())
		if err := errors.Join(werr, serr, cerr, rerr); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(f.Name()), err)
		}
		return nil
	})
}

// Pinger is a backend that can check its connection (PostgreSQL).
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingCheck is ready when p answers.
func PingCheck(name string, p Pinger) Check {
	return CheckFunc(name, p.Ping)
}

// trimErr keeps an error on one short line.
func trimErr(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", "; ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// ScannerCheck is the readiness check of a malware scanner that the policy
// requires (e.g. clamd): ping answers nil when the scanner responds. Each
// run also sets mugai_scanner_up{scanner=name} on m (nil: no metric), so
// the scanner's state shows in /metrics whenever /readyz is asked.
func ScannerCheck(m *Metrics, name string, ping func(ctx context.Context) error) Check {
	return CheckFunc(name, func(ctx context.Context) error {
		err := ping(ctx)
		if m != nil {
			state := ScannerUp
			if err != nil {
				state = ScannerDown
			}
			m.SetScanner(name, state)
		}
		return err
	})
}
