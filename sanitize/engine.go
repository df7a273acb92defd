package sanitize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/mugai-project/mugai/sanitize/detect"
)

// Mode is what policy says to do with a kind.
type Mode uint8

// Modes. The zero value blocks: a kind policy does not name is denied.
const (
	ModeBlock    Mode = iota // never crosses
	ModeSanitize             // rebuilt by the format's sanitizer; the new file crosses
	ModeVerify               // the original crosses unchanged only if no risk factor is found
)

var modeNames = [...]string{"block", "sanitize", "verify"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", m)
}

// ParseMode decodes a mode name as written in the policy file.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("sanitize: unknown action %q (want block, sanitize or verify)", s)
}

// Engine runs items through detection, policy, the format's sanitizer and
// verification. Its fields are set once before use; after that an Engine is
// safe for concurrent use.
type Engine struct {
	// Sanitizers maps each kind to its sanitizer. A kind policy allows but
	// that has no sanitizer is blocked with policy.unsupported.
	Sanitizers map[Kind]Sanitizer
	// Mode tells what to do with a detected kind; nil blocks everything.
	Mode func(Kind) Mode
	// Limits for each top-level item; zero fields take the defaults.
	Limits Limits
	// TempDir holds spool files; "" means os.TempDir.
	TempDir string
	// Log receives one line per blocked item and per recovered panic; nil
	// discards.
	Log *slog.Logger
	// SkipVerify turns off the re-scan of outputs. Only tests and benchmarks
	// that measure a sanitizer alone set it.
	SkipVerify bool
	// Scanner, when set, scans each top-level original for malware before
	// it is sanitized (and each top-level output with ScanOutputs). A
	// detection blocks the item with "av.<signature>"; content the scanner
	// could not fully scan blocks it with av.incomplete.
	Scanner Scanner
	// ScanRequired makes a failed scan (scanner down, slow, or answering an
	// error) fail Run with an error wrapping ErrScanUnavailable, so that the
	// item is retried later. Without it, the item goes on unscanned with a
	// recorded av.unavailable finding.
	ScanRequired bool
	// ScanOutputs also scans each top-level output before it is returned.
	ScanOutputs bool
}

// Input is one top-level item.
type Input struct {
	R    io.Reader // read to EOF or to the size limit; not closed
	Name string    // declared file name or path; used for the declared type
	MIME string    // declared Content-Type, if any
}

// Item is what a Sanitizer works on.
type Item struct {
	Src    *io.SectionReader // the input; immutable, safe for concurrent ReadAt
	Name   string            // declared file name (may be empty)
	MIME   string            // declared media type (may be empty)
	Kind   Kind              // detected kind
	Limits Limits            // effective limits, defaults filled in
	Depth  int               // 0 for a top-level item

	eng    *Engine
	budget *runState // shared by the whole top-level item
}

// Run spools in.R, decides and sanitizes. It returns the report and, unless
// the item was blocked, the content that may cross: a new Blob, or the input
// itself when the outcome is passed. The caller closes the returned Blob.
//
// Content problems (malformed input, limits, timeouts, panics) never make Run
// fail: they block the item with a finding. Run returns an error only when it
// could not do its job at all (reading in.R failed, the spool directory is
// unwritable, a required malware scan could not be done: ErrScanUnavailable);
// the caller must then treat the item as not processed (for SMTP: a temporary
// failure; for the file drop: retry later).
func (e *Engine) Run(ctx context.Context, in Input) (*Report, *Blob, error) {
	lim := e.Limits.Defaults()
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	budget := newRunState(ctx, lim)
	return e.spoolAndProcess(ctx, in.R, in.Name, in.MIME, 0, lim, budget)
}

// RunBlob is Run for content that is already spooled. The caller keeps
// ownership of src; the returned Blob may be src itself (outcome passed).
func (e *Engine) RunBlob(ctx context.Context, src *Blob, name, mime string) (*Report, *Blob, error) {
	lim := e.Limits.Defaults()
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	budget := newRunState(ctx, lim)
	return e.top(ctx, src, name, mime, lim, budget, "")
}

// RunKind is RunBlob for content whose kind the caller knows for certain
// (SMTP DATA is a message whatever its bytes look like): detection and the
// name check are skipped, the item is judged as kind.
func (e *Engine) RunKind(ctx context.Context, src *Blob, name, mime string, kind Kind) (*Report, *Blob, error) {
	lim := e.Limits.Defaults()
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	budget := newRunState(ctx, lim)
	return e.top(ctx, src, name, mime, lim, budget, kind)
}

// Child runs a part found inside it (a MIME part, an archive member, an
// embedded file) through the engine at the next depth, within the same
// deadline and expanded-bytes budget. Bytes read from r count against the
// budget. The returned Blob belongs to the caller. The error contract is
// Run's.
func (it *Item) Child(ctx context.Context, r io.Reader, name, mime string) (*Report, *Blob, error) {
	return it.eng.spoolAndProcess(ctx, &budgetReader{r: r, left: &it.budget.left}, name, mime, it.Depth+1, it.Limits, it.budget)
}

// NewSpool returns a spool in the engine's temp directory that keeps the
// item's SpoolMemory in memory and refuses more than max bytes (0 means the
// item's MaxOutput). Formats use it for intermediate data such as a mail's
// body text.
func (it *Item) NewSpool(max int64) *Spool {
	if max <= 0 {
		max = it.Limits.MaxOutput
	}
	dir := ""
	if it.eng != nil {
		dir = it.eng.TempDir
	}
	return NewSpool(dir, it.Limits.SpoolMemory, max)
}

// ExpandLimit wraps r, a decompressed stream, so that reading it charges the
// item's expanded-bytes budget (shared with the whole top-level item) and
// fails with ErrTooLarge once the budget is spent.
func (it *Item) ExpandLimit(r io.Reader) io.Reader {
	return &budgetReader{r: r, left: &it.budget.left}
}

// runState is shared by one top-level item and everything inside it: the
// expanded-bytes budget, and the outputs already verified, so that the
// re-scan of a container does not sanitize and verify again the parts it
// re-attached (same bytes, same kind: already proven).
type runState struct {
	left     atomic.Int64
	verified *sync.Map // Digest → Kind; shared with rescanState copies
	// done is the Done channel of the top-level item's deadline context:
	// guard runs parts whose ctx ends with it without a goroutine of their
	// own.
	done <-chan struct{}
}

func newRunState(ctx context.Context, lim Limits) *runState {
	rs := &runState{verified: new(sync.Map), done: ctx.Done()}
	rs.left.Store(lim.MaxExpanded)
	return rs
}

// rescanState is the state for re-scanning an output: a fresh
// expanded-bytes budget (the re-scan expands again what the first pass
// already expanded within its budget, so sharing the budget would halve
// the limit for every container) and the same verified outputs.
func (rs *runState) rescanState(lim Limits) *runState {
	n := &runState{verified: rs.verified, done: rs.done}
	n.left.Store(lim.MaxExpanded)
	return n
}

func (rs *runState) markVerified(d Digest, k Kind) { rs.verified.Store(d, k) }

func (rs *runState) isVerified(d Digest, k Kind) bool {
	v, ok := rs.verified.Load(d)
	return ok && v.(Kind) == k
}

type budgetReader struct {
	r    io.Reader
	left *atomic.Int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 && b.left.Add(-int64(n)) < 0 {
		return 0, fmt.Errorf("%w: expanded size", ErrTooLarge)
	}
	return n, err
}

func (e *Engine) spoolAndProcess(ctx context.Context, r io.Reader, name, mime string, depth int, lim Limits, budget *runState) (*Report, *Blob, error) {
	sp := NewSpool(e.TempDir, lim.SpoolMemory, lim.MaxInput)
	n, err := sp.ReadFrom(r)
	if errors.Is(err, ErrTooLarge) {
		sp.Close()
		// Drain nothing more: the caller owns r. Report what we know.
		rep := &Report{Input: name, Size: n, DeclaredMIME: mime, Outcome: OutcomeBlocked}
		rep.Declared = detect.Declared(name, mime)
		rep.Findings = append(rep.Findings, Finding{Rule: RuleLimitSize, Action: Blocked, Detail: err.Error()})
		rep.Error = "input exceeds the size limit"
		e.logBlocked(rep)
		return rep, nil, nil
	}
	if err != nil {
		sp.Close()
		return nil, nil, fmt.Errorf("sanitize: reading input: %w", err)
	}
	src, err := sp.Finish()
	if err != nil {
		return nil, nil, err
	}
	var (
		rep *Report
		out *Blob
	)
	if depth == 0 {
		rep, out, err = e.top(ctx, src, name, mime, lim, budget, "")
	} else {
		rep, out = e.process(ctx, src, name, mime, depth, lim, budget)
	}
	if out != src {
		src.Close()
	}
	return rep, out, err
}

// process decides one spooled item. It never fails: every problem becomes a
// blocking finding. The returned Blob is nil when the item is blocked, src
// when it passed unchanged, or a new Blob.
func (e *Engine) process(ctx context.Context, src *Blob, name, mime string, depth int, lim Limits, budget *runState) (*Report, *Blob) {
	return e.processAs(ctx, src, name, mime, depth, lim, budget, "")
}

// processAs is process with the kind given (force != "") or detected.
func (e *Engine) processAs(ctx context.Context, src *Blob, name, mime string, depth int, lim Limits, budget *runState, force Kind) (*Report, *Blob) {
	rep := &Report{
		Input:        name,
		SHA256:       src.SHA256(),
		Size:         src.Size(),
		DeclaredMIME: mime,
	}
	block := func(f Finding, reason string) (*Report, *Blob) {
		f.Action = Blocked
		rep.Findings = append(rep.Findings, f)
		rep.Outcome = OutcomeBlocked
		rep.Error = reason
		e.logBlocked(rep)
		return rep, nil
	}
	if depth > lim.MaxDepth {
		return block(Finding{Rule: RuleLimitDepth, Detail: fmt.Sprintf("nesting deeper than %d", lim.MaxDepth)}, "nested too deeply")
	}
	if err := ctx.Err(); err != nil {
		return block(Finding{Rule: RuleLimitTime, Detail: "deadline passed before the item started"}, "time limit exceeded")
	}

	rep.Declared = detect.Declared(name, mime)
	rep.Detected = force
	if force == "" {
		rep.Detected = detect.Detect(src, src.Size(), name)
	}
	if mm := detect.Compare(rep.Declared, rep.Detected); force == "" && mm != detect.Same {
		f := Finding{Rule: RuleMismatch, Detail: fmt.Sprintf("declared %s, detected %s", rep.Declared, rep.Detected)}
		if mm == detect.Dangerous {
			return block(f, "the file is not what its name or type says")
		}
		f.Action = Recorded
		rep.Findings = append(rep.Findings, f)
	}

	mode := ModeBlock
	if e.Mode != nil {
		mode = e.Mode(rep.Detected)
	}
	if depth > 0 && mode != ModeBlock && budget.isVerified(src.SHA256(), rep.Detected) {
		// An output this item already produced and verified, met again
		// while its container is re-scanned.
		rep.Outcome, rep.OutputType, rep.OutputSize = OutcomePassed, rep.Detected, src.Size()
		sum := src.SHA256()
		rep.OutputSHA256 = &sum
		return rep, src
	}
	if mode == ModeBlock {
		return block(Finding{Rule: RuleDenied, Detail: fmt.Sprintf("type %s is not allowed", kindName(rep.Detected))}, "type not allowed")
	}
	if rep.Detected == detect.Empty {
		// Nothing to carry risk: an allowed empty item passes as it is.
		rep.Outcome, rep.OutputType = OutcomePassed, detect.Empty
		sum := src.SHA256()
		rep.OutputSHA256 = &sum
		return rep, src
	}
	s := e.Sanitizers[rep.Detected]
	if s == nil {
		return block(Finding{Rule: RuleUnsupported, Detail: fmt.Sprintf("no sanitizer for %s", kindName(rep.Detected))}, "type not supported yet")
	}

	it := &Item{Name: name, MIME: mime, Kind: rep.Detected, Limits: lim, Depth: depth, eng: e, budget: budget}
	out, res, err := e.guard(ctx, s, src, it, true)
	rep.Children = res.Children
	rep.Findings = append(rep.Findings, res.Findings...)
	if err != nil {
		out.Close()
		f, reason := errFinding(err)
		return block(f, reason)
	}
	if hasAction(res.Findings, Blocked) {
		out.Close()
		rep.Outcome = OutcomeBlocked
		rep.Error = "active content that cannot be removed"
		e.logBlocked(rep)
		return rep, nil
	}
	outKind := res.Kind
	if outKind == "" {
		outKind = rep.Detected
	}

	if mode == ModeVerify {
		out.Close()
		if risky(res.Findings) {
			return block(Finding{Rule: RuleVerifyRisk, Detail: "verify mode: risk factors found"}, "risk factors found")
		}
		rep.Outcome = OutcomePassed
		rep.OutputType = rep.Detected
		rep.OutputSize = src.Size()
		sum := src.SHA256()
		rep.OutputSHA256 = &sum
		return rep, src
	}

	if !e.SkipVerify {
		if f, ok := e.verify(ctx, out, outKind, it); !ok {
			out.Close()
			return block(f, "the sanitized output did not verify")
		}
	}

	rep.OutputType = outKind
	rep.OutputSize = out.Size()
	sum := out.SHA256()
	rep.OutputSHA256 = &sum
	if !e.SkipVerify {
		budget.markVerified(sum, outKind)
	}
	switch {
	case sum == src.SHA256() && !risky(rep.Findings) && outKind == rep.Detected:
		out.Close()
		rep.Outcome = OutcomePassed
		return rep, src
	case res.Textized, outKind == detect.Text && rep.Detected != detect.Text && rep.Detected != detect.CSV:
		rep.Outcome = OutcomeTextized
	default:
		rep.Outcome = OutcomeSanitized
	}
	return rep, out
}

// verify re-scans a sanitizer's output with the sanitizer of the output's
// kind: the output must detect as that kind and show no finding above
// Recorded.
func (e *Engine) verify(ctx context.Context, out *Blob, kind Kind, parent *Item) (Finding, bool) {
	fail := func(detail string) (Finding, bool) {
		return Finding{Rule: RuleVerifyFailed, Detail: detail}, false
	}
	got := detect.Detect(out, out.Size(), "")
	if got != kind && !sameTextFamily(kind, got) && got != detect.Empty {
		return fail(fmt.Sprintf("output detects as %s, want %s", kindName(got), kind))
	}
	s := e.Sanitizers[kind]
	if s == nil {
		return fail(fmt.Sprintf("no sanitizer to verify %s", kind))
	}
	it := &Item{Name: parent.Name, Kind: kind, Limits: parent.Limits, Depth: parent.Depth, eng: e, budget: parent.budget.rescanState(parent.Limits)}
	_, res, err := e.guard(ctx, s, out, it, false)
	for _, c := range res.Children {
		c.Walk(func(_ int, r *Report) {
			if r.Outcome != OutcomeBlocked && risky(r.Findings) {
				err = fmt.Errorf("child %s still has findings", r.Input)
			}
		})
	}
	if err != nil {
		return fail("re-scan failed: " + err.Error())
	}
	for _, f := range res.Findings {
		if f.Action > Recorded {
			return fail("re-scan found " + f.Rule)
		}
	}
	return Finding{}, true
}

// guard runs s under recover, with ctx-aware input and output, and returns at
// the deadline even if s does not. The returned Blob is nil on error, and
// also when keep is false: the verification pass needs only the sanitizer's
// verdict, so its output is counted against MaxOutput and dropped.
//
// A top-level item runs its sanitizer in a goroutine of its own, which guard
// abandons at the deadline. A part inside it (Depth > 0, reached through
// Item.Child) whose ctx ends with the top-level item's deadline runs on the
// calling goroutine, which is the container's sanitizer, itself running in
// such an abandonable goroutine: if the part hangs, the top-level guard
// returns at that deadline and the whole item fails closed, as the part's
// own guard would have made it. A part given another deadline or
// cancellation gets its own goroutine as before. A panic becomes the same
// error either way.
func (e *Engine) guard(ctx context.Context, s Sanitizer, src *Blob, it *Item, keep bool) (*Blob, Result, error) {
	it.Src = io.NewSectionReader(ctxReaderAt{ctx: ctx, r: src}, 0, src.Size())
	var (
		sp   *Spool
		sink io.Writer
	)
	if keep {
		sp = NewSpool(e.TempDir, it.Limits.SpoolMemory, it.Limits.MaxOutput)
		// Most outputs of small items are about as large as their input:
		// size the buffer once instead of doubling it up from 64 bytes.
		sp.grow(min(src.Size(), it.Limits.SpoolMemory, presizeMax))
		sink = sp
	} else {
		sink = &discardSink{max: it.Limits.MaxOutput}
	}
	dst := ctxWriter{ctx: ctx, w: sink}
	finish := func(d guardResult) (*Blob, Result, error) {
		if d.err == nil {
			d.err = ctx.Err()
		}
		if d.err != nil || !keep {
			if sp != nil {
				sp.Close()
			}
			return nil, d.res, d.err
		}
		b, err := sp.Finish()
		return b, d.res, err
	}
	if done := ctx.Done(); it.Depth > 0 && done != nil && it.budget != nil && done == it.budget.done {
		return finish(e.contain(ctx, s, dst, it))
	}
	ch := make(chan guardResult, 1)
	go func() {
		var d guardResult
		returned := false
		defer func() {
			if !returned {
				// runtime.Goexit: the sanitizer neither returned nor
				// panicked, so it has no verdict.
				d = guardResult{err: fmt.Errorf("%w: %s sanitizer did not return", ErrMalformed, it.Kind)}
			}
			ch <- d
		}()
		d = e.contain(ctx, s, dst, it)
		returned = true
	}()
	select {
	case d := <-ch:
		return finish(d)
	case <-ctx.Done():
		// Abandon the sanitizer; its output is closed when it returns.
		go func() {
			<-ch
			if sp != nil {
				sp.Close()
			}
		}()
		return nil, Result{}, fmt.Errorf("%w: %s sanitizer", ErrTimeout, it.Kind)
	}
}

// presizeMax caps the output buffer guard allocates before a sanitizer has
// written anything.
const presizeMax = 64 << 10

type guardResult struct {
	res Result
	err error
}

// contain calls s, turning a panic into an error wrapping ErrMalformed.
func (e *Engine) contain(ctx context.Context, s Sanitizer, dst io.Writer, it *Item) (d guardResult) {
	defer func() {
		if p := recover(); p != nil {
			e.log().Error("sanitizer panic", "kind", string(it.Kind), "part", it.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			d = guardResult{err: fmt.Errorf("%w: recovered panic in %s sanitizer", ErrMalformed, it.Kind)}
		}
	}()
	d.res, d.err = s.Sanitize(ctx, dst, it)
	return d
}

// discardSink counts what the verification pass writes and refuses to go
// past max with the error a Spool gives; it keeps nothing.
type discardSink struct {
	max, n int64
	err    error // sticky
}

func (d *discardSink) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.n+int64(len(p)) > d.max {
		d.err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, d.max)
		return 0, d.err
	}
	d.n += int64(len(p))
	return len(p), nil
}

func (e *Engine) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (e *Engine) logBlocked(r *Report) {
	rules := make([]string, 0, len(r.Findings))
	for _, f := range r.Findings {
		if f.Action == Blocked {
			rules = append(rules, f.Rule)
		}
	}
	e.log().Info("item blocked", "part", r.Input, "declared", string(r.Declared), "detected", string(r.Detected), "rules", rules, "reason", r.Error)
}

// errFinding maps a sanitizer error to a blocking finding and a short reason.
func errFinding(err error) (Finding, string) {
	d := err.Error()
	switch {
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return Finding{Rule: RuleLimitTime, Detail: d}, "time limit exceeded"
	case errors.Is(err, ErrTooLarge):
		return Finding{Rule: RuleLimitSize, Detail: d}, "size limit exceeded"
	case errors.Is(err, ErrEncrypted):
		return Finding{Rule: RuleEncrypted, Detail: d}, "encrypted content cannot be inspected"
	case errors.Is(err, ErrUnsupported):
		return Finding{Rule: RuleUnsupported, Detail: d}, "unsupported content"
	case errors.Is(err, context.Canceled):
		return Finding{Rule: RuleLimitTime, Detail: d}, "processing was cancelled"
	default:
		return Finding{Rule: RuleMalformed, Detail: d}, "the file could not be parsed"
	}
}

func hasAction(fs []Finding, a Action) bool {
	for _, f := range fs {
		if f.Action == a {
			return true
		}
	}
	return false
}

// risky reports whether any finding is a risk factor: something had to be
// cleaned, removed or blocked. Conversions (a charset, HTML to text) and
// records are not risks by themselves.
func risky(fs []Finding) bool {
	for _, f := range fs {
		if f.Action == Cleaned || f.Action == Removed || f.Action == Blocked {
			return true
		}
	}
	return false
}

// sameTextFamily reports whether a text output (kind) that detects as got is
// still plain text: CSV is text without a name, and a text that starts with
// "From:" lines looks like a mail but is only text.
func sameTextFamily(kind, got Kind) bool {
	switch kind {
	case detect.Text:
		return got == detect.CSV || got == detect.EML
	case detect.CSV:
		return got == detect.Text || got == detect.EML
	}
	return false
}

func kindName(k Kind) string {
	if k == "" {
		return "unknown"
	}
	return string(k)
}

type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// ReadFrom lets io.Copy into a sanitizer's output use a pooled buffer
// instead of allocating 32 KiB per copy; every chunk still goes through
// Write, so the context is checked as often.
func (c ctxWriter) ReadFrom(r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(writeOnly{c}, r, *bp)
}

// writeOnly hides ReadFrom from io.CopyBuffer, which would call it again.
type writeOnly struct{ w io.Writer }

func (w writeOnly) Write(p []byte) (int, error) { return w.w.Write(p) }
