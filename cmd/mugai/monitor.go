package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/mugai-project/mugai/metrics"
	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/quarantine/local"
	"github.com/mugai-project/mugai/quarantine/postgres"
	"github.com/mugai-project/mugai/smtpd"
)

// monitor is what `mugai serve` exposes on metrics.listen: the metrics the
// services report to, and the readiness checks.
type monitor struct {
	metrics *metrics.Metrics
	health  *metrics.Health
}

var (
	_ smtpd.Observer = (*metrics.Relay)(nil)
	_ metrics.Usager = (*local.Store)(nil)
	_ metrics.Usager = (*postgres.Store)(nil)
	_ metrics.Pinger = (*postgres.Store)(nil)
)

// newMonitor builds the metrics and the readiness checks of serve: the
// quarantine accepts writes (a file created and removed in the local
// directory, or a ping of PostgreSQL), and the next hop accepts a TCP
// connection (or the Maildir outbox accepts writes). Services add their own
// checks with health.AddCheck (the malware scanner: metrics.ScannerCheck).
func newMonitor(cfg *policy.Config, q *qstore, scfg smtpd.Config) *monitor {
	m := &monitor{metrics: metrics.New(), health: &metrics.Health{Timeout: time.Duration(cfg.Metrics.ReadyTimeout)}}
	m.metrics.ConfigLoaded(time.Now())
	if u, ok := q.store.(metrics.Usager); ok {
		m.metrics.SetUsage(u)
	}
	hold := cfg.SMTP.HoldFile
	m.metrics.SetHold(func() bool { _, err := os.Stat(hold); return err == nil })

	var checks []metrics.Check
	switch p, ok := q.store.(metrics.Pinger); {
	case cfg.Quarantine.Backend == policy.BackendLocal:
		// tmp/ is where Put spools; a leftover probe is cleaned like any.
		checks = append(checks, metrics.DirWritableCheck("quarantine", filepath.Join(cfg.Quarantine.Dir, "tmp")))
	case ok:
		checks = append(checks, metrics.PingCheck("quarantine", p))
	}
	if len(scfg.NextHops) > 0 {
		checks = append(checks, metrics.DialCheck("next_hop", scfg.NextHops...))
	} else {
		checks = append(checks, metrics.DirWritableCheck("outbox", filepath.Join(scfg.Outbox, "tmp")))
	}
	m.health.SetChecks(checks...)
	return m
}

// serve starts the HTTP listener on addr ("" does nothing) until ctx ends;
// the returned channel is closed when it has stopped. A listener that
// cannot be opened is logged and serve goes on without it: the relay
// matters more than its monitoring, and the monitoring system sees the
// target down.
func (m *monitor) serve(ctx context.Context, addr string, log *slog.Logger, announce func(string)) <-chan struct{} {
	done := make(chan struct{})
	if addr == "" {
		close(done)
		return done
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("metrics listener failed; serving without /metrics and /readyz", "listen", addr, "err", err)
		close(done)
		return done
	}
	announce(ln.Addr().String())
	go func() {
		defer close(done)
		if err := metrics.Serve(ctx, ln, m.metrics, m.health); err != nil {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	return done
}
