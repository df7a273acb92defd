package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/quarantine"
)

// qstore is an opened quarantine: the store of originals and its audit log
// (one backend serves both). Close it once.
type qstore struct {
	cfg   *policy.Config
	store quarantine.Store
	audit quarantine.Audit
}

func (q *qstore) Close() error { return q.store.Close() }

// openMode says whether opening may create the local store directory.
type openMode int

const (
	openExisting openMode = iota // ops commands: a missing store is a configuration error
	openCreate                   // sanitize --keep: the first kept original creates it
)

// openStore opens the quarantine the policy names: the local directory
// (the default) or PostgreSQL, with the key file loaded when key_file is
// set. Configuration problems (an unreadable or malformed key file, a store
// path that is not a directory, a missing store for ops commands) print a
// message and return exitUsage; a backend that fails to open returns
// exitInternal. Nothing is written before every check has passed.
func (a *app) openStore(ctx context.Context, cfg *policy.Config, mode openMode) (*qstore, int) {
	qc := cfg.Quarantine
	var key []byte
	if qc.KeyFile != "" {
		k, err := quarantine.LoadKey(qc.KeyFile)
		if err != nil {
			a.errorf("%s", a.t("err.q_keyfile", qc.KeyFile, err))
			return nil, exitUsage
		}
		key = k
	}
	var (
		st  quarantine.Store
		au  quarantine.Audit
		err error
	)
	switch qc.Backend {
	case policy.BackendPostgres:
		// MUGAI_TEST_PG_SCHEMA isolates test runs sharing one database.
		st, au, err = openPostgres(ctx, qc.DSN, a.getenv("MUGAI_TEST_PG_SCHEMA"), key, time.Duration(qc.Retention), a.now)
		if errors.Is(err, quarantine.ErrKey) {
			a.errorf("%s", a.t("err.q_key", err))
			return nil, exitUsage
		}
		if err != nil {
			a.errorf("%s", a.t("err.q_open_pg", err))
			return nil, exitInternal
		}
	default:
		info, serr := os.Stat(qc.Dir)
		switch {
		case serr == nil && !info.IsDir():
			a.errorf("%s", a.t("err.q_notdir", qc.Dir))
			return nil, exitUsage
		case errors.Is(serr, fs.ErrNotExist) && mode == openExisting:
			a.errorf("%s", a.t("err.q_nodir", qc.Dir))
			return nil, exitUsage
		case serr != nil && !errors.Is(serr, fs.ErrNotExist):
			a.errorf("%s", a.t("err.q_open", qc.Dir, serr))
			return nil, exitInternal
		}
		st, au, err = openLocal(qc.Dir, key, time.Duration(qc.Retention), a.now)
		if err != nil {
			if errors.Is(err, quarantine.ErrKey) {
				a.errorf("%s", a.t("err.q_key", err))
				return nil, exitUsage
			}
			a.errorf("%s", a.t("err.q_open", qc.Dir, err))
			return nil, exitInternal
		}
	}
	return &qstore{cfg: cfg, store: st, audit: au}, exitOK
}

// openQuarantine loads the policy and opens its quarantine for an ops
// command.
func (a *app) openQuarantine(ctx context.Context, configPath string) (*qstore, int) {
	cfg, _, code := a.loadConfig(configPath)
	if code != exitOK {
		return nil, code
	}
	return a.openStore(ctx, cfg, openExisting)
}

// storeFail prints the message for an error of the store about item id and
// returns the exit code: an unknown item is the operator's mistake (2), a
// legal hold is a refusal (1), a wrong key a configuration error (2), and
// anything else, corruption included, internal (3).
func (a *app) storeFail(id string, err error) int {
	switch {
	case errors.Is(err, quarantine.ErrNotFound):
		a.errorf("%s", a.t("err.q_notfound", id))
		return exitUsage
	case errors.Is(err, quarantine.ErrHeld):
		a.errorf("%s", a.t("err.q_held", id))
		return exitBlocked
	case errors.Is(err, quarantine.ErrKey):
		a.errorf("%s", a.t("err.q_key", err))
		return exitUsage
	case errors.Is(err, quarantine.ErrCorrupt):
		a.errorf("%s", a.t("err.q_corrupt", id, err))
		return exitInternal
	case errors.Is(err, context.Canceled):
		a.errorf("%s", a.t("err.canceled"))
		return exitInternal
	}
	a.errorf("%s", a.t("err.q_internal", err))
	return exitInternal
}

// auditFail reports that an event could not be appended.
func (a *app) auditFail(err error) int {
	a.errorf("%s", a.t("err.audit_append", err))
	return exitInternal
}

// actor names the operator for the audit log: the OS user, else $USER,
// else the numeric uid.
func (a *app) actor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if v := a.getenv("USER"); v != "" {
		return v
	}
	return "uid:" + strconv.Itoa(os.Getuid())
}

// parseItem parses the flags of a command about one item and its ID.
func (a *app) parseItem(fs *flag.FlagSet, args []string) (string, int) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return "", flagExit(err)
	}
	return a.parseID(pos)
}

// parseID checks an ID given by the operator before it reaches a path or a
// query. Crockford base32 is case-insensitive, so lower case is accepted.
func (a *app) parseID(pos []string) (string, int) {
	if len(pos) == 0 {
		a.errorf("%s", a.t("err.q_noid"))
		return "", exitUsage
	}
	if len(pos) > 1 {
		a.errorf("%s", a.t("err.extra_args", strings.Join(pos[1:], " ")))
		return "", exitUsage
	}
	id := strings.ToUpper(pos[0])
	if !quarantine.ValidID(id) {
		a.errorf("%s", a.t("err.q_badid", pos[0]))
		return "", exitUsage
	}
	return id, exitOK
}

var dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// parseWhen reads a time given on the command line: RFC 3339
// ("2026-11-01T09:00:00+09:00"), a local date ("2026-11-01": its start, or
// with end its end, so that --until 2026-11-30 includes that day), or an age
// ("7d", "24h", "90m": that long before now).
func parseWhen(s string, now time.Time, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if dateOnly.MatchString(s) {
		t, err := time.ParseInLocation("2006-01-02", s, time.Local)
		if err != nil {
			return time.Time{}, err
		}
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if d, err := policy.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

// parseAge reads a positive duration such as "30d" or "12h".
func parseAge(s string) (time.Duration, bool) {
	d, err := policy.ParseDuration(s)
	return d, err == nil && d > 0
}

// timeRange parses --since and --until.
func (a *app) timeRange(since, until string) (time.Time, time.Time, int) {
	var s, u time.Time
	now := a.now()
	var err error
	if since != "" {
		if s, err = parseWhen(since, now, false); err != nil {
			a.errorf("%s", a.t("err.bad_time", "--since", since))
			return s, u, exitUsage
		}
	}
	if until != "" {
		if u, err = parseWhen(until, now, true); err != nil {
			a.errorf("%s", a.t("err.bad_time", "--until", until))
			return s, u, exitUsage
		}
	}
	if !s.IsZero() && !u.IsZero() && !s.Before(u) {
		a.errorf("%s", a.t("err.bad_range", since, until))
		return s, u, exitUsage
	}
	return s, u, exitOK
}

// localTime formats t for people: local time with the zone offset.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 -07:00")
}
