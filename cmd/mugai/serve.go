package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mugai-project/mugai/filedrop"
	"github.com/mugai-project/mugai/metrics"
	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/smtpd"
)

// cmdServe runs the services of the policy (the SMTP relay and the file
// drop) until SIGINT or SIGTERM, then drains the messages and files in
// progress. SIGHUP reloads
// the policy file (reload.go); /metrics, /healthz and /readyz are served on
// metrics.listen.
func (a *app) cmdServe(ctx context.Context, args []string) int {
	fs := a.flags("serve", "usage.serve")
	configPath := fs.String("config", "", a.t("flag.config"))
	if _, err := parseInterspersed(fs, args); err != nil {
		return flagExit(err)
	}
	cfg, name, code := a.loadConfig(*configPath)
	if code != exitOK {
		return code
	}
	log, closeLog, err := serviceLogger(cfg.Log, a.stdout, a.stderr)
	if err != nil {
		a.errorf("%s", a.t("err.log", err))
		return exitUsage
	}
	defer closeLog()
	if cfg.TempDir != "" {
		// A container's volume starts empty: make the spool directory.
		if err := os.MkdirAll(cfg.TempDir, 0o700); err != nil {
			a.errorf("%s", a.t("err.serve", err))
			return exitInternal
		}
	}
	q, code := a.openStore(ctx, cfg, openCreate)
	if code != exitOK {
		return code
	}
	defer q.Close()
	sum := configDigest(cfg)
	a.auditServe(ctx, q.audit, "config", map[string]any{"file": name, "sha256": sum})

	if cfg.SMTP.Listen == "" && len(cfg.Filedrop.Folders) == 0 {
		a.errorf("%s", a.t("serve.nothing"))
		return exitUsage
	}

	// The file drop runs beside the relay, on the same quarantine.
	var dropMetrics atomic.Pointer[metrics.Metrics]
	var drop *filedrop.Service
	if len(cfg.Filedrop.Folders) > 0 {
		dcfg, err := dropConfig(cfg, log)
		if err != nil {
			a.errorf("%s", a.t("err.serve", err))
			return exitUsage
		}
		// The metrics exist once the relay's monitor is made below.
		dcfg.Observe = func(rep *sanitize.Report, err error, d time.Duration) {
			if m := dropMetrics.Load(); m != nil {
				m.Message("filedrop", rep, err, d)
			}
		}
		if drop, err = filedrop.New(dcfg, q.store, q.audit, log); err != nil {
			a.errorf("%s", a.t("err.serve", err))
			return exitInternal
		}
		for _, f := range dcfg.Folders {
			log.Info("watching", "folder", f.Name, "inbox", f.Inbox, "outbox", f.Outbox)
			fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("serve.watching", f.Inbox, f.Outbox))
		}
	}
	dctx, stopDrop := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDrop()
	dropDone := make(chan error, 1)
	if drop != nil {
		go func() { dropDone <- drop.Run(dctx) }()
	} else {
		dropDone <- nil
	}
	// stopDropWait stops the file drop and waits for the files in progress.
	stopDropWait := func() {
		stopDrop()
		<-dropDone
	}

	if cfg.SMTP.Listen == "" {
		<-ctx.Done()
		fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("serve.stopping"))
		stopDropWait()
		return exitOK
	}
	scfg, err := smtpConfig(cfg)
	if err != nil {
		a.errorf("%s", a.t("err.serve", err))
		stopDropWait()
		return exitUsage
	}
	var stopping atomic.Bool
	mon := newMonitor(cfg, q, scfg)
	dropMetrics.Store(mon.metrics)
	// While draining, /readyz fails so that a load balancer sends no more.
	mon.health.AddCheck(metrics.CheckFunc("serving", func(context.Context) error {
		if stopping.Load() {
			return errors.New("shutting down")
		}
		return nil
	}))
	scfg.Observer = mon.metrics.Relay()
	eng := newEngine(cfg, log)
	if cfg.Scan.Clamd != "" {
		a.logClamd(ctx, cfg, log)
		// The scanner's gauge follows each readiness probe; /readyz fails
		// with it only when scanning is required.
		if c, err := clamdClient(cfg); err == nil {
			defer c.Close()
			chk := metrics.ScannerCheck(mon.metrics, "clamd", c.Ping)
			if !cfg.Scan.IsRequired() {
				chk = metrics.CheckFunc("clamd (optional)", func(ctx context.Context) error {
					chk.Check(ctx)
					return nil
				})
			}
			mon.health.AddCheck(chk)
		}
	}
	srv, err := smtpd.New(scfg, eng, q.store, q.audit, log)
	if err != nil {
		a.errorf("%s", a.t("err.serve", err))
		stopDropWait()
		return exitUsage
	}
	ln, err := net.Listen("tcp", cfg.SMTP.Listen)
	if err != nil {
		a.errorf("%s", a.t("err.serve", err))
		stopDropWait()
		return exitInternal
	}
	dest := scfg.Outbox
	if len(scfg.NextHops) > 0 {
		dest = strings.Join(scfg.NextHops, ", ")
	}
	mctx, stopMonitor := context.WithCancel(context.Background())
	monDone := mon.serve(mctx, cfg.Metrics.Listen, log, func(addr string) {
		fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("serve.metrics", addr))
	})
	defer func() { stopMonitor(); <-monDone }()
	log.Info("serving", "smtp", ln.Addr().String(), "deliver_to", dest, "quarantine", cfg.Quarantine.Backend,
		"config", name, "config_sha256", sum, "metrics", cfg.Metrics.Listen, "version", buildVersion())
	rl := &reloader{a: a, path: *configPath, cur: cfg, log: log, audit: q.audit, metrics: mon.metrics,
		apply: []func(*policy.Config){func(c *policy.Config) { srv.SetEngine(newEngine(c, log)) }}}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("serve.listening", ln.Addr().String(), dest))

	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	for err == nil {
		select {
		case err = <-done:
			if err == nil {
				err = errors.New("SMTP server stopped")
			}
		case <-hup:
			rl.reload(ctx)
		case <-ctx.Done():
			stopping.Store(true)
			fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("serve.stopping"))
			log.Info("stopping", "drain_timeout", time.Duration(cfg.SMTP.DrainTimeout).String())
			sctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.SMTP.DrainTimeout))
			if serr := srv.Shutdown(sctx); serr != nil {
				log.Warn("drain timed out: remaining connections closed", "err", serr)
				// Their handlers may still be storing or delivering: the
				// store stays open until they are done (or a last bound).
				wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
				if werr := srv.WaitIdle(wctx); werr != nil {
					log.Warn("messages still in progress at exit", "err", werr)
				}
				wcancel()
			}
			cancel()
			err = <-done
			stopDropWait()
			if err == nil {
				log.Info("stopped")
				return exitOK
			}
		}
	}
	stopDropWait()
	a.errorf("%s", a.t("err.serve", err))
	return exitInternal
}

// logClamd logs the malware scanner at start: its version, or a warning
// that it does not answer (when scanning is required, mail is then deferred
// with 451 until it does).
func (a *app) logClamd(ctx context.Context, cfg *policy.Config, log *slog.Logger) {
	c, err := clamdClient(cfg)
	if err != nil {
		log.Error("clamd", "address", cfg.Scan.Clamd, "err", err)
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.Scan.Timeout))
	defer cancel()
	v, err := c.Version(ctx)
	if err != nil {
		log.Warn("clamd does not answer", "address", cfg.Scan.Clamd, "required", cfg.Scan.IsRequired(), "err", err)
		return
	}
	log.Info("malware scan", "clamd", cfg.Scan.Clamd, "version", v.Raw, "signatures", v.Signatures,
		"signature_date", v.SignatureDate, "required", cfg.Scan.IsRequired(), "scan_outputs", cfg.Scan.ScanOutputs)
}

// smtpConfig converts the policy's [smtp] section.
func smtpConfig(cfg *policy.Config) (smtpd.Config, error) {
	s := cfg.SMTP
	c := smtpd.Config{
		Hostname:           s.Hostname,
		Domains:            s.Domains,
		NextHops:           s.NextHops,
		NextHopTLS:         s.NextHopTLS,
		Outbox:             s.Outbox,
		MaxMessageBytes:    int64(s.MaxMessageSize),
		MaxRecipients:      s.MaxRecipients,
		MaxSessions:        s.MaxSessions,
		MaxSanitizing:      s.MaxSanitizing,
		MaxSanitizingBytes: int64(s.MaxSanitizingBytes),
		ReadTimeout:        time.Duration(s.ReadTimeout),
		SessionTimeout:     time.Duration(s.SessionTimeout),
		NextHopTimeout:     time.Duration(s.NextHopTimeout),
		StoreTimeout:       time.Duration(s.StoreTimeout),
		RatePerClient:      s.RatePerClient,
		RatePerSender:      s.RatePerSender,
		HoldFile:           s.HoldFile,
	}
	for _, n := range s.Networks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			a, aerr := netip.ParseAddr(n)
			if aerr != nil {
				return c, err
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.Networks = append(c.Networks, p)
	}
	if s.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
		if err != nil {
			return c, err
		}
		c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return c, nil
}

// configDigest identifies the effective configuration in the audit log.
func configDigest(cfg *policy.Config) string {
	h := sha256.New()
	cfg.WriteTOML(h)
	return hex.EncodeToString(h.Sum(nil))
}

func (a *app) auditServe(ctx context.Context, au quarantine.Audit, typ string, data map[string]any) {
	raw, _ := json.Marshal(data)
	if _, err := au.Append(ctx, quarantine.Event{Type: typ, Actor: a.actor(), Data: raw}); err != nil {
		a.errorf("audit: %v", err)
	}
}

// cmdHold turns the incident hold of the relay on or off: while it is on,
// every new message gets 451 and waits in the upstream MTA's queue.
func (a *app) cmdHold(ctx context.Context, args []string) int {
	fs := a.flags("hold", "usage.hold")
	configPath := fs.String("config", "", a.t("flag.config"))
	reason := fs.String("reason", "", a.t("flag.reason"))
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 || (pos[0] != "on" && pos[0] != "off" && pos[0] != "status") {
		fs.Usage()
		return exitUsage
	}
	cfg, _, code := a.loadConfig(*configPath)
	if code != exitOK {
		return code
	}
	file := cfg.SMTP.HoldFile
	switch pos[0] {
	case "status":
		if _, err := os.Stat(file); err == nil {
			fmt.Fprintln(a.stdout, a.t("hold.is_on"))
			return exitBlocked
		}
		fmt.Fprintln(a.stdout, a.t("hold.is_off"))
		return exitOK
	case "on":
		if *reason == "" {
			a.errorf("%s", a.t("err.reason_required"))
			return exitUsage
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
			a.errorf("%s", a.t("err.serve", err))
			return exitInternal
		}
		body, _ := json.Marshal(map[string]string{"actor": a.actor(), "reason": *reason, "since": a.now().Format(time.RFC3339)})
		if err := writeFileAtomic(file, strings.NewReader(string(body)+"\n")); err != nil {
			a.errorf("%s", a.t("err.serve", err))
			return exitInternal
		}
	case "off":
		if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
			a.errorf("%s", a.t("err.serve", err))
			return exitInternal
		}
	}
	if q, code := a.openStore(ctx, cfg, openCreate); code == exitOK {
		a.auditServe(ctx, q.audit, "incident_hold_"+pos[0], map[string]any{"reason": *reason})
		q.Close()
	}
	fmt.Fprintln(a.stdout, a.t("hold."+pos[0]))
	return exitOK
}

// dropConfig converts the policy's [filedrop] section: each folder gets an
// engine wired like the relay's, with the folder's actions and input limit.
func dropConfig(cfg *policy.Config, log *slog.Logger) (filedrop.Config, error) {
	d := cfg.Filedrop
	loc, err := time.LoadLocation(cfg.Log.Timezone)
	if err != nil {
		return filedrop.Config{}, fmt.Errorf("log.timezone: %w", err)
	}
	c := filedrop.Config{
		Location: loc,
		Workers:  d.Workers,
		RetryMin: time.Duration(d.RetryMin),
		RetryMax: time.Duration(d.RetryMax),
		Hostname: cfg.SMTP.Hostname,
	}
	for _, f := range d.Folders {
		mode, err := f.FileMode()
		if err != nil {
			return c, fmt.Errorf("filedrop %s: %w", f.Name, err)
		}
		gid := 0
		if f.Group != "" {
			if gid, err = strconv.Atoi(f.Group); err != nil {
				g, gerr := user.LookupGroup(f.Group)
				if gerr != nil {
					return c, fmt.Errorf("filedrop %s: group %q: %w", f.Name, f.Group, gerr)
				}
				gid, _ = strconv.Atoi(g.Gid)
			}
		}
		c.Folders = append(c.Folders, filedrop.Folder{
			Name: f.Name, Inbox: f.Inbox, Outbox: f.Outbox, Work: f.Work, Subfolders: f.Subfolders,
			StableTime: time.Duration(f.StableTime), Rescan: time.Duration(f.Rescan), Report: f.Report,
			Mode: mode, Group: gid, MaxInput: int64(f.MaxInput),
			Engine: newEngine(cfg.ForFolder(f), log),
		})
	}
	return c, nil
}
