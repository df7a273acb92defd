package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/mugai-project/mugai/quarantine"
)

// cmdAudit dispatches `mugai audit verify|list`.
func (a *app) cmdAudit(ctx context.Context, args []string) int {
	if len(args) == 0 {
		return a.subUsageError("usage.audit", a.t("err.audit_sub"))
	}
	switch args[0] {
	case "verify":
		return a.auditVerify(ctx, args[1:])
	case "list":
		return a.auditList(ctx, args[1:])
	case "-h", "--help", "-help", "help":
		fmt.Fprint(a.stdout, a.t("usage.audit"))
		return exitOK
	}
	return a.subUsageError("usage.audit", a.t("err.audit_unknown_sub", args[0]))
}

// entryRE finds the sequence number of the entry a verification error
// names ("…: entry 42: …"): ChainChecker's wording, which backends reuse.
var entryRE = regexp.MustCompile(`\bentry (\d+)\b`)

// auditVerify walks the whole chain with the backend's Verify: exit 0 when
// intact, 1 when tampered (naming the first bad entry), 3 when it cannot be
// read.
func (a *app) auditVerify(ctx context.Context, args []string) int {
	fs, o := a.opsFlagSet("audit verify", "usage.audit")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if c := a.noArgs(pos); c != exitOK {
		return c
	}
	q, code := a.openQuarantine(ctx, o.config)
	if code != exitOK {
		return code
	}
	defer q.Close()
	verr := q.audit.Verify(ctx)
	if verr != nil && !errors.Is(verr, quarantine.ErrTampered) {
		a.errorf("%s", a.t("err.audit_read", verr))
		return exitInternal
	}
	if verr != nil {
		var seq int64
		if m := entryRE.FindStringSubmatch(verr.Error()); m != nil {
			seq, _ = strconv.ParseInt(m[1], 10, 64)
		}
		if o.json {
			a.printJSON(map[string]any{"ok": false, "entry": seq, "error": verr.Error()})
			return exitBlocked
		}
		if seq > 0 {
			fmt.Fprintln(a.stdout, a.t("audit.tampered_at", seq))
		} else {
			fmt.Fprintln(a.stdout, a.t("audit.tampered"))
		}
		fmt.Fprintf(a.stdout, "  %v\n", verr)
		return exitBlocked
	}
	var n, last int64
	if err := q.audit.Entries(ctx, 1, func(e quarantine.Entry) error {
		n++
		last = e.Seq
		return nil
	}); err != nil {
		a.errorf("%s", a.t("err.audit_read", err))
		return exitInternal
	}
	if o.json {
		return a.printJSON(map[string]any{"ok": true, "entries": n, "last_seq": last})
	}
	fmt.Fprintln(a.stdout, a.t("audit.ok", n))
	return exitOK
}

// auditList prints the latest entries (at most --limit, from --since on),
// oldest first.
//
// todo: it reads the chain from the start; with a very long log, a
// backend query by time would be faster.
func (a *app) auditList(ctx context.Context, args []string) int {
	fs, o := a.opsFlagSet("audit list", "usage.audit")
	since := fs.String("since", "", a.t("flag.since"))
	until := fs.String("until", "", a.t("flag.until"))
	item := fs.String("item", "", a.t("flag.item"))
	limit := fs.Int("limit", 50, a.t("flag.limit"))
	if c := a.parseListFlags(fs, args, limit); c != exitOK {
		return c
	}
	if *item != "" {
		id, code := a.parseID([]string{*item})
		if code != exitOK {
			return code
		}
		*item = id
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
	var ring []quarantine.Entry
	if err := q.audit.Entries(ctx, 1, func(e quarantine.Entry) error {
		if (!s.IsZero() && e.Time.Before(s)) || (!u.IsZero() && !e.Time.Before(u)) || (*item != "" && e.Item != *item) {
			return nil
		}
		ring = append(ring, e)
		if *limit > 0 && len(ring) > *limit {
			ring = ring[1:]
		}
		return nil
	}); err != nil {
		a.errorf("%s", a.t("err.audit_read", err))
		return exitInternal
	}
	if o.json {
		for _, e := range ring {
			if c := a.printJSON(e); c != exitOK {
				return c
			}
		}
		return exitOK
	}
	if len(ring) == 0 {
		fmt.Fprintln(a.stdout, a.t("audit.none"))
		return exitOK
	}
	t := &table{
		head:  []string{a.t("col.seq"), a.t("col.time"), a.t("col.event"), a.t("col.item"), a.t("col.actor"), a.t("col.reason")},
		right: []bool{true},
	}
	for _, e := range ring {
		t.add(strconv.FormatInt(e.Seq, 10), e.Time.Local().Format("2006-01-02 15:04:05.000 -07:00"), a.eventLabel(e.Type),
			orDash(e.Item), fit(orDash(e.Actor), 20), fit(orDash(e.Reason), 40))
	}
	t.write(a.stdout)
	return exitOK
}

func (a *app) eventLabel(typ string) string {
	if _, ok := messages["event."+typ]; ok {
		return a.t("event." + typ)
	}
	return typ
}
