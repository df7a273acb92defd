package sanitize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mugai-project/mugai/sanitize/detect"
)

// Rule IDs of the malware scan. A detection is "av." followed by the
// scanner's signature name ("av.Win.Test.EICAR_HDB-1"); RuleTable lists the
// prefix "av." for them.
const (
	RuleAVPrefix      = "av."
	RuleAVIncomplete  = "av.incomplete"  // the scanner could not scan everything (its limits, or ours)
	RuleAVUnavailable = "av.unavailable" // the scanner could not be asked (only when scanning is not required)
)

// Scanner scans content for malware. The engine calls it for each top-level
// original before sanitizing and, when Engine.ScanOutputs is set, for each
// top-level output. Implementations must be safe for concurrent use and
// honour ctx.
//
// Scan reads r (size bytes) to the end or until it fails. It returns an error
// only when it could not get a verdict (the scanner is down, slow, or
// answered an error); a verdict that the content was not fully scanned is a
// ScanResult with Incomplete set, never an error and never clean.
type Scanner interface {
	Scan(ctx context.Context, r io.Reader, size int64) (ScanResult, error)
}

// ScanResult is a scanner's verdict on one stream.
type ScanResult struct {
	// Signature is the name of what was detected; "" when nothing was.
	Signature string
	// Incomplete says the content was not fully scanned (it was over the
	// scanner's size, recursion or time limits, or over ours).
	Incomplete bool
	// Detail is a short English reason for Incomplete, for logs.
	Detail string
	// Engine identifies the scanner and its signatures for reports, e.g.
	// "ClamAV 1.4.6/27830/Sat Nov 21 09:20:00 2026"; may be empty.
	Engine string
}

// Clean reports whether the result is a full scan without detection.
func (r ScanResult) Clean() bool { return r.Signature == "" && !r.Incomplete }

// ErrScanUnavailable wraps every error Run returns because a required scan
// could not be done: the item was not processed and must be retried later.
var ErrScanUnavailable = errors.New("sanitize: malware scan unavailable")

// scanTop scans one top-level blob (what is "original" or "output") and
// returns the finding to add (Rule "" when clean), or an error wrapping
// ErrScanUnavailable when the scan is required and could not be done.
func (e *Engine) scanTop(ctx context.Context, b *Blob, what string, rep *Report) (Finding, error) {
	res, err := e.Scanner.Scan(ctx, b.Reader(), b.Size())
	if err != nil {
		if e.ScanRequired {
			e.log().Warn("malware scan failed", "part", rep.Input, "what", what, "err", err)
			return Finding{}, fmt.Errorf("%w: %s: %w", ErrScanUnavailable, what, err)
		}
		e.log().Warn("malware scan failed; continuing unscanned (scanning is not required)", "part", rep.Input, "what", what, "err", err)
		return Finding{Rule: RuleAVUnavailable, Where: what, Action: Recorded, Detail: oneLine(err.Error())}, nil
	}
	if res.Engine != "" {
		rep.Scanner = res.Engine
	}
	switch {
	case res.Signature != "":
		return Finding{Rule: RuleAVPrefix + ruleSafe(res.Signature), Where: what, Action: Blocked, Detail: "malware detected"}, nil
	case res.Incomplete:
		d := res.Detail
		if d == "" {
			d = "not fully scanned"
		}
		return Finding{Rule: RuleAVIncomplete, Where: what, Action: Blocked, Detail: oneLine(d)}, nil
	}
	return Finding{}, nil
}

// scanOriginal runs the scanner on a top-level original before it is
// sanitized. It returns a blocked report when the scan found something, nil
// when the item may go on (clean, or not required and unavailable: then
// *notes gets the av.unavailable finding), or an error.
func (e *Engine) scanOriginal(ctx context.Context, src *Blob, name, mime string, force Kind, notes *[]Finding, scanner *string) (*Report, error) {
	if e.Scanner == nil {
		return nil, nil
	}
	rep := &Report{Input: name, SHA256: src.SHA256(), Size: src.Size(), DeclaredMIME: mime}
	f, err := e.scanTop(ctx, src, "original", rep)
	*scanner = rep.Scanner
	if err != nil {
		return nil, err
	}
	if f.Rule == "" {
		return nil, nil
	}
	if f.Action != Blocked {
		*notes = append(*notes, f)
		return nil, nil
	}
	rep.Declared = detect.Declared(name, mime)
	rep.Detected = force
	if force == "" {
		rep.Detected = detect.Detect(src, src.Size(), name)
	}
	rep.Findings = append(rep.Findings, f)
	rep.Outcome = OutcomeBlocked
	if f.Rule == RuleAVIncomplete {
		rep.Error = "the malware scan could not inspect everything"
	} else {
		rep.Error = "malware detected"
	}
	e.logBlocked(rep)
	return rep, nil
}

// top runs a spooled top-level item: scan the original, process, scan the
// output. The returned Blob follows process's contract.
func (e *Engine) top(ctx context.Context, src *Blob, name, mime string, lim Limits, budget *runState, force Kind) (*Report, *Blob, error) {
	var notes []Finding
	var engine string
	if blocked, err := e.scanOriginal(ctx, src, name, mime, force, &notes, &engine); err != nil || blocked != nil {
		return blocked, nil, err
	}
	rep, out := e.processAs(ctx, src, name, mime, 0, lim, budget, force)
	rep.Findings = append(notes, rep.Findings...)
	if engine != "" {
		rep.Scanner = engine
	}
	if e.Scanner == nil || !e.ScanOutputs || out == nil || out == src {
		return rep, out, nil
	}
	f, err := e.scanTop(ctx, out, "output", rep)
	if err != nil {
		out.Close()
		return nil, nil, err
	}
	if f.Rule == "" {
		return rep, out, nil
	}
	rep.Findings = append(rep.Findings, f)
	if f.Action != Blocked {
		return rep, out, nil
	}
	out.Close()
	rep.Outcome = OutcomeBlocked
	rep.OutputType, rep.OutputSize, rep.OutputSHA256 = "", 0, nil
	rep.Error = "the malware scan of the output found something"
	e.logBlocked(rep)
	return rep, nil, nil
}

// ruleSafe keeps a signature name usable inside a rule ID: printable ASCII
// without spaces, at most 200 bytes.
func ruleSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r <= ' ' || r >= 0x7f {
			return '_'
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
