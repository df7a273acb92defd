package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mugai-project/mugai/formats/pdf"
	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
)

func (a *app) cmdSanitize(ctx context.Context, args []string) int {
	fs := a.flags("sanitize", "usage.sanitize")
	configPath := fs.String("config", "", a.t("flag.config"))
	outDir := fs.String("o", "", a.t("flag.out"))
	jsonOut := fs.Bool("json", false, a.t("flag.json"))
	keep := fs.Bool("keep", false, a.t("flag.keep"))
	fs.BoolVar(&a.verbose, "v", false, a.t("flag.v"))
	var passwords []string
	fs.Func("password", a.t("flag.password"), func(v string) error {
		passwords = append(passwords, v)
		return nil
	})
	inputs, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(inputs) == 0 {
		a.errorf("%s", a.t("err.no_inputs"))
		fs.Usage()
		return exitUsage
	}
	if len(passwords) > 0 {
		// For PDFs that need a user password; the PPAP workflow (a
		// password sent in a second mail) will set them the same way.
		ctx = pdf.WithPasswords(ctx, passwords...)
	}
	cfg, _, code := a.loadConfig(*configPath)
	if code != exitOK {
		return code
	}
	var q *qstore
	if *keep || cfg.Quarantine.Keep {
		// Originals are kept before anything is sanitized (原本保持).
		if q, code = a.openStore(ctx, cfg, openCreate); code != exitOK {
			return code
		}
		defer q.Close()
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			a.errorf("%s", a.t("err.outdir", err))
			return exitInternal
		}
	}
	eng := newEngine(cfg, a.logger())
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)

	var counts = map[sanitize.Outcome]int{}
	used := map[string]bool{} // output names taken in this run
	worst := exitOK
	raise := func(c int) {
		if c > worst {
			worst = c
		}
	}
	for _, in := range inputs {
		if ctx.Err() != nil {
			raise(exitInternal)
			break
		}
		rep, c := a.sanitizeOne(ctx, eng, q, in, *outDir, used)
		raise(c)
		if rep == nil {
			continue
		}
		counts[rep.Outcome]++
		rep.Walk(func(_ int, r *sanitize.Report) {
			if r.Outcome == sanitize.OutcomeBlocked {
				raise(exitBlocked) // the item, or a part of it, did not cross
			}
		})
		if *jsonOut {
			if err := enc.Encode(rep); err != nil {
				a.errorf("%v", err)
				return exitInternal
			}
		} else {
			a.printReport(rep)
		}
	}
	if !*jsonOut {
		total := counts[sanitize.OutcomeSanitized] + counts[sanitize.OutcomeTextized] + counts[sanitize.OutcomePassed] + counts[sanitize.OutcomeBlocked]
		fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("summary.total", total, counts[sanitize.OutcomeSanitized],
			counts[sanitize.OutcomeTextized], counts[sanitize.OutcomePassed], counts[sanitize.OutcomeBlocked]))
		if *outDir == "" && total > counts[sanitize.OutcomeBlocked] {
			fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("summary.nowrite"))
		}
	}
	return worst
}

// sanitizeOne runs one input. It returns nil and an exit code when the input
// could not be judged at all.
//
// With a quarantine q, the original is stored first and what the engine
// judges is read back from the store, so the judged bytes are the kept ones;
// when storing fails the input is not sanitized at all (exit 3). The item is
// then updated with the outcome, its findings and the report, and the audit
// log gets "received" and "outcome".
func (a *app) sanitizeOne(ctx context.Context, eng *sanitize.Engine, q *qstore, path, outDir string, used map[string]bool) (*sanitize.Report, int) {
	var r io.Reader
	name := filepath.Base(path)
	if path == "-" {
		r, name = a.stdin, "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			a.errorf("%s", a.t("err.open", path, err))
			return nil, exitUsage
		}
		defer f.Close()
		if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
			a.errorf("%s", a.t("err.notfile", path))
			return nil, exitUsage
		}
		r = f
	}
	host, _ := os.Hostname()
	trace := sanitize.Trace{Received: a.now(), Via: "mugai sanitize", Host: host}
	var kept quarantine.Meta
	if q != nil {
		var rc io.ReadCloser
		var code int
		if kept, rc, code = a.keepOriginal(ctx, q, path, name, trace.Received, r); code != exitOK {
			return nil, code
		}
		defer rc.Close()
		r = rc
		trace.QuarantineID = kept.ID
	}
	ctx = sanitize.WithTrace(ctx, trace)
	rep, out, err := eng.Run(ctx, sanitize.Input{R: r, Name: name})
	if err != nil {
		a.errorf("%s", a.t("err.internal", path, err))
		return nil, exitInternal
	}
	defer out.Close()
	rep.Input = path
	rep.QuarantineID = kept.ID
	if q != nil && rep.Size == kept.Size && rep.SHA256.String() != kept.SHA256 {
		// The store's reader checks the hash at EOF; this is a second
		// opinion that what was judged is what was kept.
		a.errorf("%s", a.t("err.q_corrupt", kept.ID, "the judged bytes differ from the kept original"))
		return nil, exitInternal
	}
	code := exitOK
	if out != nil && outDir != "" {
		target := uniqueName(sanitize.OutputName(name, rep.OutputType), used)
		dst := filepath.Join(outDir, target)
		if err := writeFileAtomic(dst, out.Reader()); err != nil {
			a.errorf("%s", a.t("err.write", path, err))
			code = exitInternal
		} else {
			rep.Outputs = append(rep.Outputs, dst)
		}
	}
	if q != nil {
		if c := a.recordOutcome(ctx, q, kept, rep, outDir != "", code != exitOK); c > code {
			code = c
		}
	}
	return rep, code
}

// keepOriginal stores the original read from r and returns its metadata
// and a reader of the stored copy (the store checks its hash at EOF).
func (a *app) keepOriginal(ctx context.Context, q *qstore, path, name string, now time.Time, r io.Reader) (quarantine.Meta, io.ReadCloser, int) {
	m, err := q.store.Put(ctx, quarantine.Meta{
		Origin:      quarantine.OriginCLI,
		Subject:     name,
		Received:    now,
		RetainUntil: now.Add(time.Duration(q.cfg.Quarantine.Retention)),
		Delivery:    quarantine.DeliveryPending,
	}, r)
	if err != nil {
		a.errorf("%s", a.t("err.q_put", path, err))
		return m, nil, exitInternal
	}
	data, _ := json.Marshal(map[string]any{"origin": m.Origin, "name": name, "size": m.Size, "sha256": m.SHA256})
	if _, err := q.audit.Append(ctx, quarantine.Event{Type: "received", Item: m.ID, Actor: a.actor(), Data: data}); err != nil {
		a.errorf("%s", a.t("err.audit_append", err))
		return m, nil, exitInternal
	}
	_, rc, err := q.store.Get(ctx, m.ID)
	if err != nil {
		return m, nil, a.storeFail(m.ID, err)
	}
	return m, rc, exitOK
}

// recordOutcome updates a kept item with the engine's verdict and appends
// the "outcome" event.
func (a *app) recordOutcome(ctx context.Context, q *qstore, kept quarantine.Meta, rep *sanitize.Report, writing, writeFailed bool) int {
	raw, err := json.Marshal(rep)
	if err != nil {
		a.errorf("%v", err)
		return exitInternal
	}
	findings := ruleIDs(rep)
	delivery := quarantine.DeliveryPending
	switch {
	case rep.Outcome == sanitize.OutcomeBlocked:
		delivery = quarantine.DeliveryBlocked
	case writeFailed:
		delivery = quarantine.DeliveryUndelivered
	case writing && len(rep.Outputs) > 0:
		delivery = quarantine.DeliveryDelivered
	}
	if err := q.store.Update(ctx, kept.ID, func(m *quarantine.Meta) error {
		m.Outcome = string(rep.Outcome)
		m.Findings = findings
		m.Report = raw
		m.Delivery = delivery
		return nil
	}); err != nil {
		return a.storeFail(kept.ID, err)
	}
	data, _ := json.Marshal(map[string]any{"outcome": rep.Outcome, "findings": findings, "delivery": delivery, "outputs": append([]string{}, rep.Outputs...)})
	if _, err := q.audit.Append(ctx, quarantine.Event{Type: "outcome", Item: kept.ID, Actor: a.actor(), Data: data}); err != nil {
		return a.auditFail(err)
	}
	return exitOK
}

// ruleIDs returns the distinct rule IDs of a report tree, sorted.
func ruleIDs(rep *sanitize.Report) []string {
	var ids []string
	rep.Walk(func(_ int, r *sanitize.Report) {
		for _, f := range r.Findings {
			ids = append(ids, f.Rule)
		}
	})
	if ids == nil {
		return []string{}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// uniqueName returns name, or name with "_2", "_3"… before its extension when
// an earlier input of this run already took it.
func uniqueName(name string, used map[string]bool) string {
	cand := name
	ext := filepath.Ext(name)
	for i := 2; used[cand]; i++ {
		cand = fmt.Sprintf("%s_%d%s", strings.TrimSuffix(name, ext), i, ext)
	}
	used[cand] = true
	return cand
}

// writeFileAtomic writes r to path through a temp file in the same directory,
// fsynced and renamed into place, so a reader never sees a partial output.
func writeFileAtomic(path string, r io.Reader) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".mugai-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = io.Copy(f, r); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// printReport writes a readable account of one item on stderr.
func (a *app) printReport(rep *sanitize.Report) { a.writeReport(a.stderr, rep, "") }

// writeReport writes a readable account of a report tree to w, each line
// after prefix.
func (a *app) writeReport(w io.Writer, rep *sanitize.Report, prefix string) {
	rep.Walk(func(depth int, r *sanitize.Report) {
		ind := prefix + strings.Repeat("  ", depth)
		line := fmt.Sprintf("%s[%s] %s", ind, a.t("outcome."+string(r.Outcome)), r.Input)
		if len(r.Outputs) > 0 {
			line += " → " + strings.Join(r.Outputs, ", ")
		}
		fmt.Fprintln(w, line)
		typ := a.t("summary.type", kindLabel(r.Detected))
		if r.Declared != "" && r.Declared != r.Detected {
			typ = a.t("summary.typemm", kindLabel(r.Detected), kindLabel(r.Declared))
		}
		fmt.Fprintf(w, "%s    %s\n", ind, typ)
		for _, f := range r.Findings {
			fmt.Fprintf(w, "%s    - %s (%s", ind, sanitize.DescribeRule(f.Rule, a.lang), f.Rule)
			if f.Where != "" {
				fmt.Fprintf(w, " @ %s", f.Where)
			}
			if f.Detail != "" {
				fmt.Fprintf(w, ": %s", f.Detail)
			}
			fmt.Fprintln(w, ")")
		}
	})
}

func kindLabel(k sanitize.Kind) string {
	if k == "" {
		return "?"
	}
	return string(k)
}
