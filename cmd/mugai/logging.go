package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"strings"
	"time"
	_ "time/tzdata" // log.timezone works in a scratch container too

	"github.com/mugai-project/mugai/policy"
)

// serviceLogger builds the log of `mugai serve` from the [log] section: JSON
// (or text) lines on stdout, stderr or syslog, every time in the configured
// zone with its offset. The returned close function releases syslog.
func serviceLogger(lc policy.Log, stdout, stderr io.Writer) (*slog.Logger, func() error, error) {
	loc, err := time.LoadLocation(lc.Timezone)
	if err != nil {
		return nil, nil, fmt.Errorf("log.timezone: %w", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(lc.Level)); err != nil {
		return nil, nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindTime {
				a.Value = slog.TimeValue(a.Value.Time().In(loc))
			}
			return a
		},
	}
	newHandler := func(w io.Writer) slog.Handler {
		if lc.Format == "text" {
			return slog.NewTextHandler(w, opts)
		}
		return slog.NewJSONHandler(w, opts)
	}
	switch lc.Output {
	case "stderr":
		return slog.New(newHandler(stderr)), func() error { return nil }, nil
	case "syslog":
		h, closer, err := syslogHandler(lc, newHandler)
		if err != nil {
			return nil, nil, err
		}
		return slog.New(h), closer, nil
	}
	return slog.New(newHandler(stdout)), func() error { return nil }, nil
}

var facilities = map[string]syslog.Priority{
	"mail": syslog.LOG_MAIL, "daemon": syslog.LOG_DAEMON,
	"local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2, "local3": syslog.LOG_LOCAL3,
	"local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5, "local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7,
}

// syslogHandler writes each record as one syslog message at the severity
// of its level: the same JSON (or text) line as on stdout.
func syslogHandler(lc policy.Log, newHandler func(io.Writer) slog.Handler) (slog.Handler, func() error, error) {
	network, addr := "", ""
	if lc.SyslogAddress != "" {
		network, addr, _ = strings.Cut(lc.SyslogAddress, ":")
	}
	w, err := syslog.Dial(network, addr, facilities[lc.SyslogFacility]|syslog.LOG_INFO, lc.SyslogTag)
	if err != nil {
		return nil, nil, fmt.Errorf("log: syslog: %w", err)
	}
	h := &levelHandler{
		debug: newHandler(writerFunc(w.Debug)),
		info:  newHandler(writerFunc(w.Info)),
		warn:  newHandler(writerFunc(w.Warning)),
		err:   newHandler(writerFunc(w.Err)),
	}
	return h, w.Close, nil
}

// writerFunc sends one formatted record through a syslog severity method.
type writerFunc func(string) error

func (f writerFunc) Write(p []byte) (int, error) {
	if err := f(strings.TrimSuffix(string(p), "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// levelHandler routes each record to the handler of its severity.
type levelHandler struct{ debug, info, warn, err slog.Handler }

func (h *levelHandler) pick(l slog.Level) slog.Handler {
	switch {
	case l >= slog.LevelError:
		return h.err
	case l >= slog.LevelWarn:
		return h.warn
	case l >= slog.LevelInfo:
		return h.info
	}
	return h.debug
}

func (h *levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.pick(l).Enabled(ctx, l)
}

func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.pick(r.Level).Handle(ctx, r)
}

func (h *levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &levelHandler{h.debug.WithAttrs(as), h.info.WithAttrs(as), h.warn.WithAttrs(as), h.err.WithAttrs(as)}
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	return &levelHandler{h.debug.WithGroup(name), h.info.WithGroup(name), h.warn.WithGroup(name), h.err.WithGroup(name)}
}
