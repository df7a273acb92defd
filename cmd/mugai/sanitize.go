package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mugai-project/mugai/sanitize"
)

func (a *app) cmdSanitize(ctx context.Context, args []string) int {
	fs := a.flags("sanitize", "usage.sanitize")
	configPath := fs.String("config", "", a.t("flag.config"))
	outDir := fs.String("o", "", a.t("flag.out"))
	jsonOut := fs.Bool("json", false, a.t("flag.json"))
	fs.BoolVar(&a.verbose, "v", false, a.t("flag.v"))
	inputs, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(inputs) == 0 {
		a.errorf("%s", a.t("err.no_inputs"))
		fs.Usage()
		return exitUsage
	}
	cfg, _, code := a.loadConfig(*configPath)
	if code != exitOK {
		return code
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
		rep, c := a.sanitizeOne(ctx, eng, in, *outDir, used)
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
func (a *app) sanitizeOne(ctx context.Context, eng *sanitize.Engine, path, outDir string, used map[string]bool) (*sanitize.Report, int) {
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
	ctx = sanitize.WithTrace(ctx, sanitize.Trace{Received: a.now(), Via: "mugai sanitize", Host: host})
	rep, out, err := eng.Run(ctx, sanitize.Input{R: r, Name: name})
	if err != nil {
		a.errorf("%s", a.t("err.internal", path, err))
		return nil, exitInternal
	}
	defer out.Close()
	rep.Input = path
	if out == nil || outDir == "" {
		return rep, exitOK
	}
	target := uniqueName(sanitize.OutputName(name, rep.OutputType), used)
	dst := filepath.Join(outDir, target)
	if err := writeFileAtomic(dst, out.Reader()); err != nil {
		a.errorf("%s", a.t("err.write", path, err))
		return rep, exitInternal
	}
	rep.Outputs = append(rep.Outputs, dst)
	return rep, exitOK
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
func (a *app) printReport(rep *sanitize.Report) {
	rep.Walk(func(depth int, r *sanitize.Report) {
		ind := strings.Repeat("  ", depth)
		line := fmt.Sprintf("%s[%s] %s", ind, a.t("outcome."+string(r.Outcome)), r.Input)
		if len(r.Outputs) > 0 {
			line += " → " + strings.Join(r.Outputs, ", ")
		}
		fmt.Fprintln(a.stderr, line)
		typ := a.t("summary.type", kindLabel(r.Detected))
		if r.Declared != "" && r.Declared != r.Detected {
			typ = a.t("summary.typemm", kindLabel(r.Detected), kindLabel(r.Declared))
		}
		fmt.Fprintf(a.stderr, "%s    %s\n", ind, typ)
		for _, f := range r.Findings {
			fmt.Fprintf(a.stderr, "%s    - %s (%s", ind, sanitize.DescribeRule(f.Rule, a.lang), f.Rule)
			if f.Where != "" {
				fmt.Fprintf(a.stderr, " @ %s", f.Where)
			}
			if f.Detail != "" {
				fmt.Fprintf(a.stderr, ": %s", f.Detail)
			}
			fmt.Fprintln(a.stderr, ")")
		}
	})
}

func kindLabel(k sanitize.Kind) string {
	if k == "" {
		return "?"
	}
	return string(k)
}
