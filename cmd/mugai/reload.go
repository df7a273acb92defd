package main

import (
	"context"
	"log/slog"
	"reflect"
	"time"

	"github.com/mugai-project/mugai/metrics"
	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/quarantine"
)

// reloader applies a new policy file on SIGHUP. A file that does not load
// or validate is refused as a whole: the running configuration stays, and
// the log, stderr, the audit log and mugai_config_reloads_total{result=
// "failed"} say why. Sections that are bound at start ([smtp] listeners and
// limits, [quarantine], [metrics], [log]) keep their running values; a
// change to them is logged as needing a restart. Everything else (actions,
// limits, html, csv, mail, pdf, office, lang, temp_dir) applies to the
// messages that reach DATA from then on; the ones in progress finish with
// the configuration they started with.
type reloader struct {
	a       *app
	path    string // "" for the embedded defaults: nothing to reload
	cur     *policy.Config
	log     *slog.Logger
	audit   quarantine.Audit
	metrics *metrics.Metrics
	apply   []func(*policy.Config) // each service's swap to the new configuration
}

func (r *reloader) reload(ctx context.Context) {
	if r.path == "" {
		r.log.Warn("reload requested, but serve runs on the embedded defaults: nothing to reload")
		return
	}
	next, err := policy.Load(r.path)
	if err != nil {
		r.log.Error("reload failed; the running configuration stays", "config", r.path, "err", err.Error())
		r.a.errorf("%s", r.a.t("serve.reload_failed", err))
		r.a.auditServe(ctx, r.audit, "config_reload_failed", map[string]any{"file": r.path, "error": err.Error()})
		r.metrics.Reloaded(false, time.Now())
		return
	}
	if restart := restartOnly(r.cur, next); len(restart) > 0 {
		r.log.Warn("reload: these sections change only with a restart; their running values stay", "sections", restart)
	}
	next.SMTP, next.Quarantine, next.Metrics, next.Log = r.cur.SMTP, r.cur.Quarantine, r.cur.Metrics, r.cur.Log
	for _, fn := range r.apply {
		fn(next)
	}
	r.cur = next
	sum := configDigest(next)
	r.log.Info("configuration reloaded", "config", r.path, "config_sha256", sum)
	r.a.auditServe(ctx, r.audit, "config", map[string]any{"file": r.path, "sha256": sum, "reload": true})
	r.metrics.Reloaded(true, time.Now())
}

// restartOnly names the sections of next that differ from cur and are
// bound at start.
func restartOnly(cur, next *policy.Config) []string {
	var out []string
	for _, s := range []struct {
		name string
		a, b any
	}{
		{"smtp", cur.SMTP, next.SMTP},
		{"quarantine", cur.Quarantine, next.Quarantine},
		{"metrics", cur.Metrics, next.Metrics},
		{"log", cur.Log, next.Log},
	} {
		if !reflect.DeepEqual(s.a, s.b) {
			out = append(out, s.name)
		}
	}
	return out
}
