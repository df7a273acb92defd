package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
)

// cmdQuarantine dispatches `mugai quarantine SUBCOMMAND`.
func (a *app) cmdQuarantine(ctx context.Context, args []string) int {
	if len(args) == 0 {
		return a.subUsageError("usage.quarantine", a.t("err.q_sub"))
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
		return a.qList(ctx, rest)
	case "show":
		return a.qShow(ctx, rest)
	case "export":
		return a.qExport(ctx, rest)
	case "release":
		return a.qRelease(ctx, rest)
	case "delete":
		return a.qDelete(ctx, rest)
	case "hold":
		return a.qHold(ctx, rest)
	case "purge":
		return a.qPurge(ctx, rest)
	case "-h", "--help", "-help", "help":
		fmt.Fprint(a.stdout, a.t("usage.quarantine"))
		return exitOK
	}
	return a.subUsageError("usage.quarantine", a.t("err.q_unknown_sub", sub))
}

// subUsageError prints msg and a subcommand's usage on stderr: exit 2.
func (a *app) subUsageError(usageKey, msg string) int {
	fmt.Fprintf(a.stderr, "mugai: %s\n\n", msg)
	fmt.Fprint(a.stderr, a.t(usageKey))
	return exitUsage
}

// opsFlags are the options every ops command has.
type opsFlags struct {
	config string
	json   bool
}

func (a *app) opsFlagSet(name, usageKey string) (*flag.FlagSet, *opsFlags) {
	fs := a.flags(name, usageKey)
	o := &opsFlags{}
	fs.StringVar(&o.config, "config", "", a.t("flag.config"))
	fs.BoolVar(&o.json, "json", false, a.t("flag.json_ops"))
	return fs, o
}

// noArgs rejects positional arguments of a command that takes none.
func (a *app) noArgs(pos []string) int {
	if len(pos) > 0 {
		a.errorf("%s", a.t("err.extra_args", strings.Join(pos, " ")))
		return exitUsage
	}
	return exitOK
}

// parseListFlags parses the flags of a listing command, which takes no
// positional arguments and a --limit that must not be negative (read
// after parsing).
func (a *app) parseListFlags(fs *flag.FlagSet, args []string, limit *int) int {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if c := a.noArgs(pos); c != exitOK {
		return c
	}
	if *limit < 0 {
		a.errorf("%s", a.t("err.bad_limit", *limit))
		return exitUsage
	}
	return exitOK
}

// printJSON writes v as one line of JSON on stdout.
func (a *app) printJSON(v any) int {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		a.errorf("%v", err)
		return exitInternal
	}
	return exitOK
}

var outcomes = []string{string(sanitize.OutcomeSanitized), string(sanitize.OutcomeTextized), string(sanitize.OutcomePassed), string(sanitize.OutcomeBlocked)}

func (a *app) outcomeLabel(o string) string {
	if o == "" {
		return a.t("outcome.none")
	}
	if slices.Contains(outcomes, o) {
		return a.t("outcome." + o)
	}
	return o
}

func (a *app) deliveryLabel(d string) string {
	switch d {
	case quarantine.DeliveryPending, quarantine.DeliveryDelivered, quarantine.DeliveryUndelivered,
		quarantine.DeliveryBlocked, quarantine.DeliveryReleased:
		return a.t("delivery." + d)
	case "":
		return "-"
	}
	return d
}

func (a *app) originLabel(o string) string {
	switch o {
	case quarantine.OriginSMTP, quarantine.OriginFileDrop, quarantine.OriginCLI:
		return a.t("origin." + o)
	}
	return o
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// rcptSummary is the first recipient and how many more there are.
func (a *app) rcptSummary(to []string) string {
	switch len(to) {
	case 0:
		return "-"
	case 1:
		return to[0]
	}
	return to[0] + a.t("list.more", len(to)-1)
}

// ---- list

func (a *app) qList(ctx context.Context, args []string) int {
	fs, o := a.opsFlagSet("quarantine list", "usage.quarantine")
	since := fs.String("since", "", a.t("flag.since"))
	until := fs.String("until", "", a.t("flag.until"))
	from := fs.String("from", "", a.t("flag.from"))
	rcpt := fs.String("rcpt", "", a.t("flag.rcpt"))
	outcome := fs.String("outcome", "", a.t("flag.outcome"))
	finding := fs.String("finding", "", a.t("flag.finding"))
	limit := fs.Int("limit", 50, a.t("flag.limit"))
	if c := a.parseListFlags(fs, args, limit); c != exitOK {
		return c
	}
	if *outcome != "" && !slices.Contains(outcomes, *outcome) {
		a.errorf("%s", a.t("err.bad_outcome", *outcome))
		return exitUsage
	}
	s, u, code := a.timeRange(*since, *until)
	if code != exitOK {
		return code
	}
	q, code := a.openQuarantine(ctx, o.config)
	if code != exitOK {
		return code
	}
	defer q.Close()
	f := quarantine.Filter{Since: s, Until: u, From: *from, Rcpt: *rcpt, Outcome: *outcome, Finding: *finding, Limit: *limit}
	var items []quarantine.Meta
	if err := q.store.List(ctx, f, func(m quarantine.Meta) error {
		m.Report = nil // list shows the summary; show has the report
		items = append(items, m)
		return nil
	}); err != nil {
		return a.storeFail("", err)
	}
	if o.json {
		for _, m := range items {
			if c := a.printJSON(m); c != exitOK {
				return c
			}
		}
		return exitOK
	}
	if len(items) == 0 {
		fmt.Fprintln(a.stdout, a.t("list.none"))
		return exitOK
	}
	t := &table{
		head:  []string{"ID", a.t("col.received"), a.t("col.from"), a.t("col.to"), a.t("col.subject"), a.t("col.size"), a.t("col.outcome"), a.t("col.delivery"), a.t("col.hold")},
		right: []bool{5: true},
	}
	for _, m := range items {
		hold := ""
		if m.LegalHold {
			hold = a.t("lhold.on_short")
		}
		t.add(m.ID, localTime(m.Received), fit(orDash(m.From), 28), fit(a.rcptSummary(m.To), 28),
			fit(orDash(m.Subject), 32), humanSize(m.Size), a.outcomeLabel(m.Outcome), a.deliveryLabel(m.Delivery), hold)
	}
	t.write(a.stdout)
	fmt.Fprintln(a.stdout)
	fmt.Fprintln(a.stdout, a.t("list.count", len(items)))
	if *limit > 0 && len(items) == *limit {
		fmt.Fprintln(a.stdout, a.t("list.limited", *limit))
	}
	return exitOK
}

// ---- show

func (a *app) qShow(ctx context.Context, args []string) int {
	fs, o := a.opsFlagSet("quarantine show", "usage.quarantine")
	id, code := a.parseItem(fs, args)
	if code != exitOK {
		return code
	}
	q, code := a.openQuarantine(ctx, o.config)
	if code != exitOK {
		return code
	}
	defer q.Close()
	m, err := q.store.Stat(ctx, id)
	if err != nil {
		return a.storeFail(id, err)
	}
	if o.json {
		return a.printJSON(m)
	}
	hold := a.t("lhold.off")
	if m.LegalHold {
		hold = a.t("lhold.on")
	}
	findings := "-"
	if len(m.Findings) > 0 {
		findings = strings.Join(m.Findings, ", ")
	}
	kv := [][2]string{
		{a.t("col.id"), m.ID},
		{a.t("col.received"), localTime(m.Received)},
		{a.t("col.origin"), a.originLabel(m.Origin)},
		{a.t("col.client"), orDash(m.Client)},
		{a.t("col.from"), orDash(m.From)},
		{a.t("col.to"), orDash(strings.Join(m.To, ", "))},
		{a.t("col.subject"), fit(orDash(m.Subject), 200)},
		{a.t("col.size"), a.t("show.size", humanSize(m.Size), m.Size)},
		{"SHA-256", m.SHA256},
		{a.t("col.outcome"), a.outcomeLabel(m.Outcome)},
		{a.t("col.findings"), findings},
		{a.t("col.delivery"), a.deliveryLabel(m.Delivery)},
		{a.t("col.retain"), localTime(m.RetainUntil)},
		{a.t("col.hold"), hold},
	}
	kw := 0
	for _, p := range kv {
		kw = max(kw, textWidth(p[0]))
	}
	for _, p := range kv {
		fmt.Fprintf(a.stdout, "%s%s  %s\n", p[0], strings.Repeat(" ", kw-textWidth(p[0])), p[1])
	}
	if len(m.Report) > 0 {
		var rep sanitize.Report
		fmt.Fprintln(a.stdout)
		fmt.Fprintln(a.stdout, a.t("show.report"))
		if err := json.Unmarshal(m.Report, &rep); err != nil {
			fmt.Fprintln(a.stdout, a.t("show.bad_report", err))
		} else {
			a.writeReport(a.stdout, &rep, "  ")
		}
	}
	return exitOK
}

// ---- export

func (a *app) qExport(ctx context.Context, args []string) int {
	fset, o := a.opsFlagSet("quarantine export", "usage.quarantine")
	out := fset.String("o", "", a.t("flag.export_out"))
	force := fset.Bool("force", false, a.t("flag.force"))
	pos, err := parseInterspersed(fset, args)
	if err != nil {
		return flagExit(err)
	}
	id, code := a.parseID(pos)
	if code != exitOK {
		return code
	}
	if *out == "" {
		a.errorf("%s", a.t("err.export_no_out"))
		return exitUsage
	}
	if st, err := os.Lstat(*out); err == nil {
		if st.IsDir() {
			a.errorf("%s", a.t("err.export_isdir", *out))
			return exitUsage
		}
		if !*force {
			a.errorf("%s", a.t("err.export_exists", *out))
			return exitUsage
		}
	}
	q, code := a.openQuarantine(ctx, o.config)
	if code != exitOK {
		return code
	}
	defer q.Close()
	m, rc, err := q.store.Get(ctx, id)
	if err != nil {
		return a.storeFail(id, err)
	}
	defer rc.Close()
	n, sum, err := exportAtomic(*out, rc, *force)
	switch {
	case errors.Is(err, fs.ErrExist):
		a.errorf("%s", a.t("err.export_exists", *out))
		return exitUsage
	case errors.Is(err, quarantine.ErrCorrupt) || errors.Is(err, quarantine.ErrKey) || errors.Is(err, quarantine.ErrNotFound):
		return a.storeFail(id, err)
	case err != nil:
		a.errorf("%s", a.t("err.write", *out, err))
		return exitInternal
	}
	if sum != m.SHA256 || n != m.Size {
		// The store checks the hash itself; this is a second opinion.
		os.Remove(*out)
		a.errorf("%s", a.t("err.q_corrupt", id, fmt.Sprintf("sha256 %s, want %s", sum, m.SHA256)))
		return exitInternal
	}
	abs, _ := filepath.Abs(*out)
	data, _ := json.Marshal(map[string]any{"file": abs, "size": n, "sha256": sum})
	if _, err := q.audit.Append(ctx, quarantine.Event{Type: "exported", Item: id, Actor: a.actor(), Data: data}); err != nil {
		return a.auditFail(err)
	}
	if o.json {
		return a.printJSON(map[string]any{"id": id, "file": *out, "size": n, "sha256": sum})
	}
	fmt.Fprintln(a.stdout, a.t("export.done", id, *out, n))
	return exitOK
}

// exportAtomic writes r to path through a temp file in the same directory,
// fsynced, and moves it into place only when r reached EOF without error
// (the store's reader checks the hash there). Without force an existing
// path is never replaced: the temp file is hard-linked into place, which
// fails if path exists (fs.ErrExist). Every error path removes the temp
// file. It returns the size and hex SHA-256 of what was written.
func exportAtomic(path string, r io.Reader, force bool) (n int64, sum string, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".mugai-export-*.tmp")
	if err != nil {
		return 0, "", err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	if n, err = io.Copy(io.MultiWriter(f, h), r); err != nil {
		return n, "", err
	}
	if err = f.Chmod(0o600); err != nil {
		return n, "", err
	}
	if err = f.Sync(); err != nil {
		return n, "", err
	}
	if err = f.Close(); err != nil {
		return n, "", err
	}
	if force {
		err = os.Rename(tmp, path)
	} else {
		err = os.Link(tmp, path)
		if err == nil || errors.Is(err, fs.ErrExist) {
			os.Remove(tmp)
		} else if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) {
			// No hard links on this file system: check, then rename.
			if _, serr := os.Lstat(path); serr == nil {
				err = fs.ErrExist
			} else {
				err = os.Rename(tmp, path)
			}
		}
	}
	if err != nil {
		return n, "", err
	}
	syncDir(dir)
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// ---- delete

func (a *app) qDelete(ctx context.Context, args []string) int {
	fs, o := a.opsFlagSet("quarantine delete", "usage.quarantine")
	reason := fs.String("reason", "", a.t("flag.q_reason"))
	id, code := a.parseItem(fs, args)
	if code != exitOK {
		return code
	}
	if strings.TrimSpace(*reason) == "" {
		a.errorf("%s", a.t("err.no_reason"))
		return exitUsage
	}
	q, code := a.openQuarantine(ctx, o.config)
	if code != exitOK {
		return code
	}
	defer q.Close()
	m, err := q.store.Stat(ctx, id)
	if err != nil {
		return a.storeFail(id, err)
	}
	if m.LegalHold {
		return a.storeFail(id, quarantine.ErrHeld)
	}
	if err := q.store.Delete(ctx, id); err != nil {
		return a.storeFail(id, err)
	}
	data, _ := json.Marshal(map[string]any{"sha256": m.SHA256, "size": m.Size})
	if _, err := q.audit.Append(ctx, quarantine.Event{Type: "deleted", Item: id, Actor: a.actor(), Reason: *reason, Data: data}); err != nil {
		return a.auditFail(err)
	}
	if o.json {
		return a.printJSON(map[string]any{"id": id, "deleted": true, "reason": *reason})
	}
	fmt.Fprintln(a.stdout, a.t("delete.done", id))
	return exitOK
}

// ---- hold

func (a *app) qHold(ctx context.Context, args []string) int {
	fs, o := a.opsFlagSet("quarantine hold", "usage.quarantine")
	off := fs.Bool("off", false, a.t("flag.hold_off"))
	reason := fs.String("reason", "", a.t("flag.hold_reason"))
	id, code := a.parseItem(fs, args)
	if code != exitOK {
		return code
	}
	q, code := a.openQuarantine(ctx, o.config)
	if code != exitOK {
		return code
	}
	defer q.Close()
	want := !*off
	changed := false
	if err := q.store.Update(ctx, id, func(m *quarantine.Meta) error {
		changed = m.LegalHold != want
		m.LegalHold = want
		return nil
	}); err != nil {
		return a.storeFail(id, err)
	}
	if changed {
		typ := "hold_on"
		if !want {
			typ = "hold_off"
		}
		if _, err := q.audit.Append(ctx, quarantine.Event{Type: typ, Item: id, Actor: a.actor(), Reason: *reason}); err != nil {
			return a.auditFail(err)
		}
	}
	if o.json {
		return a.printJSON(map[string]any{"id": id, "legal_hold": want, "changed": changed})
	}
	switch {
	case want && changed:
		fmt.Fprintln(a.stdout, a.t("lhold.done_on", id))
	case want:
		fmt.Fprintln(a.stdout, a.t("lhold.already_on", id))
	case changed:
		fmt.Fprintln(a.stdout, a.t("lhold.done_off", id))
	default:
		fmt.Fprintln(a.stdout, a.t("lhold.already_off", id))
	}
	return exitOK
}

// ---- purge

func (a *app) qPurge(ctx context.Context, args []string) int {
	fs, o := a.opsFlagSet("quarantine purge", "usage.quarantine")
	olderThan := fs.String("older-than", "", a.t("flag.older_than"))
	dryRun := fs.Bool("dry-run", false, a.t("flag.dry_run"))
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if c := a.noArgs(pos); c != exitOK {
		return c
	}
	var age time.Duration
	if *olderThan != "" {
		var ok bool
		if age, ok = parseAge(*olderThan); !ok {
			a.errorf("%s", a.t("err.bad_age", *olderThan))
			return exitUsage
		}
	}
	q, code := a.openQuarantine(ctx, o.config)
	if code != exitOK {
		return code
	}
	defer q.Close()
	now := a.now()

	// Which items go: with --older-than, those received before now-age;
	// otherwise those whose retention deadline has passed. Legal holds stay.
	var victims []quarantine.Meta
	filter := quarantine.Filter{}
	if age > 0 {
		filter.Until = now.Add(-age)
	}
	if err := q.store.List(ctx, filter, func(m quarantine.Meta) error {
		if !m.LegalHold && (age > 0 || m.RetainUntil.Before(now)) {
			m.Report = nil
			victims = append(victims, m)
		}
		return nil
	}); err != nil {
		return a.storeFail("", err)
	}
	var purged []string
	var rule map[string]any
	if age > 0 {
		rule = map[string]any{"older_than": *olderThan, "received_before": now.Add(-age).Format(time.RFC3339)}
	} else {
		rule = map[string]any{"retain_until_before": now.Format(time.RFC3339)}
	}
	if *dryRun {
		for _, m := range victims {
			purged = append(purged, m.ID)
		}
	} else if age > 0 {
		for _, m := range victims {
			err := q.store.Delete(ctx, m.ID)
			if errors.Is(err, quarantine.ErrHeld) || errors.Is(err, quarantine.ErrNotFound) {
				continue // put on hold, or deleted, since the list
			}
			if err != nil {
				return a.storeFail(m.ID, err)
			}
			if code := a.auditPurged(ctx, q, m.ID, rule); code != exitOK {
				return code
			}
			purged = append(purged, m.ID)
		}
	} else {
		ids, err := q.store.Purge(ctx, now)
		if err != nil {
			return a.storeFail("", err)
		}
		for _, id := range ids {
			if code := a.auditPurged(ctx, q, id, rule); code != exitOK {
				return code
			}
		}
		purged = ids
	}
	if o.json {
		if purged == nil {
			purged = []string{}
		}
		return a.printJSON(map[string]any{"dry_run": *dryRun, "purged": purged, "count": len(purged)})
	}
	for _, id := range purged {
		fmt.Fprintln(a.stdout, id)
	}
	if *dryRun {
		fmt.Fprintln(a.stdout, a.t("purge.dry", len(purged)))
	} else {
		fmt.Fprintln(a.stdout, a.t("purge.done", len(purged)))
	}
	return exitOK
}

func (a *app) auditPurged(ctx context.Context, q *qstore, id string, rule map[string]any) int {
	data, _ := json.Marshal(rule)
	if _, err := q.audit.Append(ctx, quarantine.Event{Type: "purged", Item: id, Actor: a.actor(), Data: data}); err != nil {
		return a.auditFail(err)
	}
	return exitOK
}
