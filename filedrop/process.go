package filedrop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
)

// Rule IDs of files refused without being read.
const (
	RuleSymlink  = "filedrop.symlink"  // a symbolic link: never followed
	RuleSpecial  = "filedrop.special"  // a FIFO, device or socket
	RuleHardlink = "filedrop.hardlink" // a file with other names (hard links)
)

// errRetry marks a failure after which the claim is retried later.
type errRetry struct{ err error }

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

func (s *Service) worker(ctx context.Context) {
	// Processing is not cancelled by shutdown: an item half sanitized
	// would be blocked for a timeout that is not its fault.
	pctx := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.retry:
			s.run(pctx, j)
		case c := <-s.work:
			j, err := s.claim(c)
			if err != nil {
				s.log.Error("file drop: cannot claim", "folder", c.f.Name, "input", c.rel, "err", err)
				continue
			}
			if j != nil {
				s.run(pctx, j)
			}
		}
	}
}

// run processes j and, on a failure worth retrying, schedules it again with
// exponential backoff.
func (s *Service) run(ctx context.Context, j *job) {
	j.tries++
	j.st.Attempts++
	res, err := s.process(ctx, j)
	if err == nil {
		if s.cfg.OnDone != nil {
			s.cfg.OnDone(res)
		}
		return
	}
	d := s.cfg.RetryMin << min(j.tries-1, 20)
	if d > s.cfg.RetryMax || d <= 0 {
		d = s.cfg.RetryMax
	}
	if errors.Is(err, errGone) {
		return
	}
	var rw errStillWriting
	if errors.As(err, &rw) {
		d = max(j.f.StableTime, 100*time.Millisecond)
		s.log.Info("file drop: input still being written; waiting", "folder", j.f.Name, "input", j.st.Rel, "claim", j.id)
	} else {
		s.log.Error("file drop: not processed; will retry", "folder", j.f.Name, "input", j.st.Rel, "claim", j.id,
			"qid", j.st.QID, "attempt", j.tries, "retry_in", d.String(), "err", err)
	}
	s.later(j, d)
}

type errStillWriting struct{}

func (errStillWriting) Error() string { return "filedrop: input changed while it was read" }

// process runs the steps of one claim, skipping those already done:
//
//  1. keep: the input is spooled and stored in the quarantine (a resumed
//     claim first looks for the item stored under its claim token);
//  2. judge: the engine runs on the spooled bytes (an engine error means
//     "not processed": retried later);
//  3. place: the output, then the report, are written atomically into the
//     outbox (a resumed claim finds an output already linked into place);
//  4. settle: the quarantine item gets the outcome, delivery and event;
//  5. the input and the claim directory are removed.
func (s *Service) process(ctx context.Context, j *job) (Result, error) {
	f := j.f
	res := Result{Folder: f.Name, Node: s.cfg.Node, Input: j.st.Rel, Resumed: j.resumed, Attempts: j.st.Attempts}
	if j.st.Refused == "" && j.st.Output == "" && j.st.Report == "" {
		if rule := s.refuseRule(j); rule != "" {
			j.st.Refused = rule
			if err := j.save(); err != nil {
				return res, err
			}
		}
	}
	if j.st.Refused != "" {
		return s.refuse(ctx, j, res)
	}

	var rep *sanitize.Report
	var out *sanitize.Blob
	if j.st.Output == "" && j.st.Report == "" {
		src, err := s.keep(ctx, j)
		if err != nil {
			return res, err
		}
		defer src.Close()
		name := path.Base(j.st.Rel)
		tr := sanitize.Trace{QuarantineID: j.st.QID, Received: j.st.Claimed, Via: "file drop " + f.Name, Host: s.cfg.Hostname}
		var blob *sanitize.Blob
		start := time.Now()
		rep, blob, err = f.Engine.RunBlob(sanitize.WithTrace(ctx, tr), src, name, "")
		if s.cfg.Observe != nil {
			s.cfg.Observe(rep, err, time.Since(start))
		}
		if err != nil {
			return res, errRetry{fmt.Errorf("engine: %w", err)}
		}
		out = blob
		if out != nil && out != src {
			defer out.Close()
		}
		rep.Input = j.st.Rel
		rep.QuarantineID = j.st.QID
		j.rep = rep
		if err := s.place(j, rep, out); err != nil {
			return res, errRetry{err}
		}
	} else {
		// Placed by an earlier attempt whose settle failed.
		rep = j.rep
		if rep == nil {
			rep = s.storedReport(ctx, j)
		}
	}
	res.Outcome = sanitize.Outcome(j.st.Outcome)
	res.QID = j.st.QID
	res.Output = s.outPath(f, j.st.Output)
	res.Report = s.outPath(f, j.st.Report)
	if err := s.settle(ctx, j, rep); err != nil {
		return res, errRetry{err}
	}
	s.finish(j)
	s.log.Info("file drop", "folder", f.Name, "input", j.st.Rel, "qid", j.st.QID, "outcome", j.st.Outcome,
		"output", j.st.Output, "report", j.st.Report, "findings", ruleIDs(rep), "resumed", j.resumed)
	return res, nil
}

func (s *Service) outPath(f *folder, rel string) string {
	if rel == "" {
		return ""
	}
	return filepath.Join(f.Outbox, filepath.FromSlash(rel))
}

// refuseRule lstats the claimed input and says why it is refused without
// being read, or "".
func (s *Service) refuseRule(j *job) string {
	fi, err := os.Lstat(j.inputPath())
	if err != nil {
		return ""
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return RuleSymlink
	case !fi.Mode().IsRegular():
		return RuleSpecial
	case sysInfo(fi).nlink > 1:
		return RuleHardlink
	case fi.Size() > j.f.MaxInput:
		return sanitize.RuleLimitSize
	}
	return ""
}

// keep opens and spools the input, stores it in the quarantine unless the
// sidecar already names the stored copy, and returns the spooled bytes.
// When the input is gone but the original was kept, the kept copy is used.
func (s *Service) keep(ctx context.Context, j *job) (*sanitize.Blob, error) {
	f := j.f
	in, err := openInput(j.inputPath())
	if err != nil {
		if isLoop(err) {
			return nil, errRetry{err} // swapped for a link: refused on the next attempt
		}
		if errors.Is(err, fs.ErrNotExist) && j.st.QID == "" && j.resumed {
			if m, ok := s.findKept(ctx, j); ok {
				j.st.QID, j.st.SHA256 = m.ID, m.SHA256
			}
		}
		if errors.Is(err, fs.ErrNotExist) && j.st.QID != "" {
			s.log.Warn("file drop: input deleted while being processed; using the kept original", "folder", f.Name, "input", j.st.Rel, "qid", j.st.QID)
			return s.fromStore(ctx, j)
		}
		if errors.Is(err, fs.ErrNotExist) {
			s.log.Error("file drop: input deleted while being processed", "folder", f.Name, "input", j.st.Rel, "claim", j.id)
			s.auditEvent(ctx, "", "input_lost", map[string]any{"folder": f.Name, "input": j.st.Rel, "claim": j.id})
			os.RemoveAll(j.dir)
			return nil, errGone
		}
		return nil, errRetry{err}
	}
	defer in.Close()
	before, err := in.Stat()
	if err != nil {
		return nil, errRetry{err}
	}
	if !before.Mode().IsRegular() || sysInfo(before).nlink > 1 || before.Size() > f.MaxInput {
		return nil, errRetry{errors.New("input changed type or size after it was claimed")}
	}
	if j.st.QID == "" && (before.Size() != j.st.Size || !before.ModTime().Equal(j.st.MTime)) {
		// Written to since it was looked at: a writer still had it open.
		j.st.Size, j.st.MTime = before.Size(), before.ModTime()
		return nil, errStillWriting{}
	}
	sp := sanitize.NewSpool(f.Engine.TempDir, spoolMemory(f.Engine), f.MaxInput)
	if _, err := sp.ReadFrom(in); err != nil {
		sp.Close()
		if errors.Is(err, sanitize.ErrTooLarge) {
			return nil, errStillWriting{} // grew past the limit: refused on the next look
		}
		return nil, errRetry{err}
	}
	src, err := sp.Finish()
	if err != nil {
		return nil, errRetry{err}
	}
	after, err := in.Stat()
	if err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) || src.Size() != before.Size() {
		// A writer still had it open: wait until it is stable again.
		src.Close()
		j.st.Size, j.st.MTime = after.Size(), after.ModTime()
		return nil, errStillWriting{}
	}
	sum := src.SHA256().String()
	if j.st.QID != "" && j.st.SHA256 == sum {
		return src, nil
	}
	if j.st.QID == "" && j.resumed {
		// A crash between Put and the sidecar update: find the item
		// stored for this claim rather than storing a second copy.
		if m, ok := s.findKept(ctx, j); ok && m.SHA256 == sum {
			j.st.QID, j.st.SHA256 = m.ID, m.SHA256
			return src, nil
		}
	}
	m := quarantine.Meta{
		Received: j.st.Claimed, Origin: quarantine.OriginFileDrop, Client: s.claimToken(j),
		Subject: j.st.Rel, Delivery: quarantine.DeliveryPending,
	}
	recv := map[string]any{"folder": f.Name, "input": j.st.Rel, "claim": j.id, "node": s.cfg.Node, "size": src.Size()}
	var kept quarantine.Meta
	if jr := s.journal(); jr != nil {
		kept, _, err = jr.PutWithEvent(ctx, m, src.Reader(), event("received", "", recv))
	} else {
		kept, err = s.store.Put(ctx, m, src.Reader())
		if err == nil {
			s.auditEvent(ctx, kept.ID, "received", recv)
		}
	}
	if err != nil {
		src.Close()
		return nil, errRetry{fmt.Errorf("quarantine: %w", err)}
	}
	// Not written to the sidecar: a restart finds the item by the claim
	// token (findKept), which saves a file creation per input.
	j.st.QID, j.st.SHA256 = kept.ID, kept.SHA256
	return src, nil
}

var errGone = errors.New("filedrop: input gone")

// claimToken identifies the claim in the kept item's Client field, so a
// restart can find an item stored just before a crash.
func (s *Service) claimToken(j *job) string { return "filedrop:" + j.id }

func (s *Service) findKept(ctx context.Context, j *job) (quarantine.Meta, bool) {
	var found quarantine.Meta
	stop := errors.New("found")
	err := s.store.List(ctx, quarantine.Filter{Since: j.st.Claimed.Add(-time.Minute)}, func(m quarantine.Meta) error {
		if m.Origin == quarantine.OriginFileDrop && m.Client == s.claimToken(j) {
			found = m
			return stop
		}
		return nil
	})
	return found, errors.Is(err, stop)
}

// fromStore spools the kept original back from the quarantine.
func (s *Service) fromStore(ctx context.Context, j *job) (*sanitize.Blob, error) {
	_, rc, err := s.store.Get(ctx, j.st.QID)
	if err != nil {
		return nil, errRetry{fmt.Errorf("quarantine: %w", err)}
	}
	defer rc.Close()
	sp := sanitize.NewSpool(j.f.Engine.TempDir, spoolMemory(j.f.Engine), j.f.MaxInput+1)
	if _, err := sp.ReadFrom(rc); err != nil {
		sp.Close()
		return nil, errRetry{err}
	}
	return sp.Finish()
}

func spoolMemory(e *sanitize.Engine) int64 { return e.Limits.Defaults().SpoolMemory }

// storedReport returns the engine's report of a claim placed before a
// restart, from the quarantine item, or a minimal one.
func (s *Service) storedReport(ctx context.Context, j *job) *sanitize.Report {
	rep := &sanitize.Report{Input: j.st.Rel, Outcome: sanitize.Outcome(j.st.Outcome), QuarantineID: j.st.QID}
	if j.st.QID == "" {
		return rep
	}
	if m, err := s.store.Stat(ctx, j.st.QID); err == nil && len(m.Report) > 0 {
		var r sanitize.Report
		if json.Unmarshal(m.Report, &r) == nil {
			return &r
		}
	}
	return rep
}

// refuse handles an input refused unread: a report only, the entry moved to
// <work>/refused/ for an operator (never opened), an audit event.
func (s *Service) refuse(ctx context.Context, j *job, res Result) (Result, error) {
	f := j.f
	res.Refused = j.st.Refused
	res.Outcome = sanitize.OutcomeBlocked
	rep := &sanitize.Report{
		Input: j.st.Rel, Size: j.st.Size, Outcome: sanitize.OutcomeBlocked,
		Findings: []sanitize.Finding{{Rule: j.st.Refused, Action: sanitize.Blocked}},
	}
	if j.st.Refused == sanitize.RuleLimitSize {
		rep.Findings[0].Detail = fmt.Sprintf("%d bytes over the limit of %d; not read", j.st.Size, f.MaxInput)
	}
	if j.st.Report == "" {
		if err := s.place(j, rep, nil); err != nil {
			return res, errRetry{err}
		}
	}
	res.Report = s.outPath(f, j.st.Report)
	dir := filepath.Join(f.Work, refusedDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return res, errRetry{err}
	}
	keep := filepath.Join(dir, j.id+"-"+sanitize.CleanName(path.Base(j.st.Rel)))
	if err := os.Rename(j.inputPath(), keep); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, errRetry{err}
	}
	// The entry is in refused/ on disk before its claim goes.
	if err := syncDir(dir); err != nil {
		return res, errRetry{err}
	}
	s.auditEvent(ctx, "", "refused", map[string]any{
		"folder": f.Name, "input": j.st.Rel, "rule": j.st.Refused, "size": j.st.Size,
		"kept_as": keep, "report": j.st.Report, "node": s.cfg.Node,
	})
	s.finish(j)
	s.log.Warn("file drop: refused", "folder", f.Name, "input", j.st.Rel, "rule", j.st.Refused, "report", j.st.Report, "kept_as", keep)
	return res, nil
}

// settle records the outcome and delivery of the kept item with its event.
func (s *Service) settle(ctx context.Context, j *job, rep *sanitize.Report) error {
	if j.st.QID == "" {
		return nil
	}
	rules := ruleIDs(rep)
	raw, _ := json.Marshal(rep)
	delivery, typ := quarantine.DeliveryDelivered, "delivered"
	if j.st.Outcome == string(sanitize.OutcomeBlocked) {
		delivery, typ = quarantine.DeliveryBlocked, "blocked"
	}
	data := map[string]any{"folder": j.f.Name, "outcome": j.st.Outcome, "findings": rules, "output": j.st.Output, "report": j.st.Report}
	update := func(m *quarantine.Meta) error {
		m.Outcome, m.Findings, m.Delivery = j.st.Outcome, rules, delivery
		if rep.Outcome != "" && rep.SHA256 != (sanitize.Digest{}) {
			m.Report = raw
		}
		return nil
	}
	if jr := s.journal(); jr != nil {
		_, err := jr.UpdateWithEvent(ctx, j.st.QID, update, event(typ, "", data))
		return err
	}
	if err := s.store.Update(ctx, j.st.QID, update); err != nil {
		return err
	}
	s.auditEvent(ctx, j.st.QID, typ, data)
	return nil
}

// finish removes the input and the claim directory, and then the temp file
// that placed the output (kept until now so that a restart before this
// point finds the placed file by its inode instead of writing it again).
//
// The input goes first: a claim directory whose sidecar remains without an
// input is either one whose rename never happened or a finished one, and
// recovery tells them apart by the kept item's delivery state.
func (s *Service) finish(j *job) {
	for _, p := range []string{j.inputPath(), j.statePath(), j.dir} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Error("file drop: cannot remove the claim", "folder", j.f.Name, "claim", j.id, "err", err)
			return
		}
	}
	syncDir(j.f.ownDir)
	if j.tmp != "" {
		os.Remove(j.tmp)
	}
}

func (s *Service) journal() quarantine.Journal {
	jr, ok := s.store.(quarantine.Journal)
	if !ok || !sameValue(s.store, s.audit) {
		return nil
	}
	return jr
}

// sameValue reports whether a and b are the same value, without panicking
// on types that cannot be compared.
func sameValue(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.IsValid() && vb.IsValid() && va.Type() == vb.Type() && va.Comparable() && vb.Comparable() && a == b
}

func event(typ, item string, data map[string]any) quarantine.Event {
	raw, _ := json.Marshal(data)
	return quarantine.Event{Type: typ, Item: item, Actor: "mugai", Data: raw}
}

func (s *Service) auditEvent(ctx context.Context, item, typ string, data map[string]any) {
	if s.audit == nil {
		return
	}
	if _, err := s.audit.Append(ctx, event(typ, item, data)); err != nil {
		s.log.Error("file drop: audit log append failed", "qid", item, "event", typ, "err", err)
	}
}

// ruleIDs returns the distinct rule IDs of a report tree, sorted.
func ruleIDs(rep *sanitize.Report) []string {
	ids := []string{}
	if rep == nil {
		return ids
	}
	rep.Walk(func(_ int, r *sanitize.Report) {
		for _, f := range r.Findings {
			ids = append(ids, f.Rule)
		}
	})
	slices.Sort(ids)
	return slices.Compact(ids)
}

// copyTo is io.Copy with a larger buffer for big outputs.
func copyTo(dst io.Writer, src io.Reader) (int64, error) {
	return io.CopyBuffer(dst, src, make([]byte, 256<<10))
}
