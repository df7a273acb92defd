package sanitize

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mugai-project/mugai/sanitize/detect"
)

// Kind is a detected or declared file type; see package detect for the values.
type Kind = detect.Kind

// Errors a Sanitizer returns, wrapped with %w and a package prefix
// ("pdf: xref: %w"). The engine maps each to a blocking finding; a Sanitizer
// that returns any other error is treated as ErrMalformed.
var (
	ErrUnsupported = errors.New("sanitize: unsupported format")
	ErrTooLarge    = errors.New("sanitize: limit exceeded")
	ErrMalformed   = errors.New("sanitize: malformed input") // also: recovered panics
	ErrEncrypted   = errors.New("sanitize: encrypted content")
	ErrTimeout     = errors.New("sanitize: deadline exceeded")
)

// Sanitizer disarms one format.
//
// It reads it.Src (immutable, safe for concurrent ReadAt) and writes the
// cleared content to dst. On error, whatever was written to dst is garbage and
// the engine discards it. A Sanitizer must honour ctx and it.Limits; the engine
// recovers its panics and abandons it at the deadline anyway. Implementations
// must be safe for concurrent use: one value serves every item of its kind.
//
// Findings describe what was found and what was done; a Sanitizer that finds
// something it cannot remove returns a Finding with Action Blocked (or an
// error), never silently passes it.
type Sanitizer interface {
	Sanitize(ctx context.Context, dst io.Writer, it *Item) (Result, error)
}

// SanitizerFunc adapts a function to the Sanitizer interface.
type SanitizerFunc func(ctx context.Context, dst io.Writer, it *Item) (Result, error)

// Sanitize calls f.
func (f SanitizerFunc) Sanitize(ctx context.Context, dst io.Writer, it *Item) (Result, error) {
	return f(ctx, dst, it)
}

// Result is what a Sanitizer reports about one item.
type Result struct {
	// Kind of what was written to dst; zero means the same kind as the input.
	// An HTML file turned into text reports detect.Text.
	Kind     Kind
	Findings []Finding
	// Children are reports for parts handled through Item.Child.
	Children []*Report
	// Textized says the item was converted to text (a mail turned into a
	// text message), so its outcome is textized even though the output
	// keeps the input's kind.
	Textized bool
}

// Action says what happened about a finding.
type Action uint8

// Actions, from mildest to strictest.
const (
	Recorded  Action = iota // noted; nothing needed to change
	Cleaned                 // the content was rewritten in place (e.g. a CSV formula quoted)
	Converted               // the content was converted (e.g. HTML to text, a charset to UTF-8)
	Removed                 // the offending part was removed
	Blocked                 // the whole item does not cross
)

var actionNames = [...]string{"recorded", "cleaned", "converted", "removed", "blocked"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", a)
}

// MarshalText encodes the action as its name.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText decodes an action name.
func (a *Action) UnmarshalText(b []byte) error {
	for i, n := range actionNames {
		if n == string(b) {
			*a = Action(i)
			return nil
		}
	}
	return fmt.Errorf("sanitize: unknown action %q", b)
}

// Finding is one decision about an item, with a stable rule ID.
type Finding struct {
	Rule   string `json:"rule"`            // stable ID: "html.script", "detect.mismatch"
	Where  string `json:"where,omitempty"` // location inside the item: "line 3", "/Root/OpenAction"
	Action Action `json:"action"`
	Detail string `json:"detail,omitempty"` // short English detail for logs; never file content
}

// Outcome is the verdict on one item.
type Outcome string

// Outcomes. Only Blocked forwards nothing.
const (
	OutcomeSanitized Outcome = "sanitized" // risk factors removed; a new file crosses
	OutcomeTextized  Outcome = "textized"  // converted to plain text; the text crosses
	OutcomePassed    Outcome = "passed"    // proven free of risk factors; the original crosses unchanged
	OutcomeBlocked   Outcome = "blocked"   // nothing crosses
)

// Digest is a SHA-256 that encodes as hex in JSON.
type Digest [32]byte

func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// MarshalText encodes the digest as lower-case hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes hex.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return fmt.Errorf("sanitize: digest: want 64 hex digits, got %d", len(b))
	}
	_, err := hex.Decode(d[:], b)
	return err
}

// Report is the engine's account of one item and, through Children, of the
// parts inside it. Its JSON form is the contract of `mugai sanitize --json`.
type Report struct {
	Input        string    `json:"input"`                   // name as given (path for the CLI, file name for parts)
	SHA256       Digest    `json:"sha256"`                  // of the input bytes
	Size         int64     `json:"size"`                    // input bytes
	Declared     Kind      `json:"declared_type"`           // from name and MIME type; "" when nothing was claimed
	DeclaredMIME string    `json:"declared_mime,omitempty"` // Content-Type as given
	Detected     Kind      `json:"detected_type"`
	Outcome      Outcome   `json:"outcome"`
	Findings     []Finding `json:"findings"`
	OutputType   Kind      `json:"output_type,omitempty"`
	OutputSize   int64     `json:"output_size,omitempty"`
	OutputSHA256 *Digest   `json:"output_sha256,omitempty"`
	Outputs      []string  `json:"outputs"` // filled by whoever writes the output somewhere
	Children     []*Report `json:"children"`
	QuarantineID string    `json:"quarantine_id"`
	// Scanner identifies the malware scanner and its signature version that
	// scanned a top-level item ("ClamAV 1.4.6/27830/…"); empty when none did.
	Scanner string `json:"scanner,omitempty"`
	// Error is a short English reason when the engine blocked the item because
	// of an error (parse error, limit, timeout); never file content.
	Error string `json:"error,omitempty"`
}

// MarshalJSON keeps empty lists as [] rather than null, so consumers can
// iterate without checks.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	p := plain(*r)
	if p.Findings == nil {
		p.Findings = []Finding{}
	}
	if p.Children == nil {
		p.Children = []*Report{}
	}
	if p.Outputs == nil {
		p.Outputs = []string{}
	}
	return json.Marshal(&p)
}

// Walk calls fn for r and every descendant, depth first, parents first.
func (r *Report) Walk(fn func(depth int, r *Report)) { r.walk(0, fn) }

func (r *Report) walk(d int, fn func(int, *Report)) {
	fn(d, r)
	for _, c := range r.Children {
		c.walk(d+1, fn)
	}
}

// Limits bound the work on one item. The zero value of each field means the
// package default (the Default* constants); Defaults fills them in.
type Limits struct {
	MaxInput    int64         // bytes of one item's input
	MaxOutput   int64         // bytes of one item's output
	MaxExpanded int64         // bytes expanded from compressed data inside one top-level item
	MaxRatio    int64         // expanded bytes per compressed byte, per stream
	MaxParts    int           // parts, members or entries in one container
	MaxDepth    int           // nesting of containers (a top-level item is depth 0)
	Timeout     time.Duration // wall time for one top-level item, children included
	SpoolMemory int64         // bytes held in memory before spooling to a temp file
}

// Defaults for Limits.
const (
	DefaultMaxInput    = 100 << 20
	DefaultMaxOutput   = 200 << 20
	DefaultMaxExpanded = 200 << 20
	DefaultMaxRatio    = 100
	DefaultMaxParts    = 1000
	DefaultMaxDepth    = 3
	DefaultTimeout     = 60 * time.Second
	DefaultSpoolMemory = 1 << 20
)

// Defaults returns l with every zero field set to its default.
func (l Limits) Defaults() Limits {
	set := func(p *int64, v int64) {
		if *p <= 0 {
			*p = v
		}
	}
	set(&l.MaxInput, DefaultMaxInput)
	set(&l.MaxOutput, DefaultMaxOutput)
	set(&l.MaxExpanded, DefaultMaxExpanded)
	set(&l.MaxRatio, DefaultMaxRatio)
	set(&l.SpoolMemory, DefaultSpoolMemory)
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}
