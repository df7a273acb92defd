// Package quarantine keeps the originals of everything mugai receives (原本保持)
// and the tamper-evident audit log of what happened to them.
//
// Two backends implement Store and Audit with the same contract, checked by
// one conformance suite (package quarantine/storetest): a local directory
// with an embedded SQLite index (the default, one node) and PostgreSQL
// (several nodes behind one MX share one quarantine and one audit chain).
//
// The package imports nothing of mugai's: reports are opaque JSON.
package quarantine

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"
)

// Errors. Implementations wrap them with %w; callers test with errors.Is.
var (
	ErrNotFound = errors.New("quarantine: not found")
	ErrHeld     = errors.New("quarantine: under legal hold")
	ErrCorrupt  = errors.New("quarantine: stored data does not match its hash")
	ErrKey      = errors.New("quarantine: encryption key missing or wrong")
)

// Origins of an item.
const (
	OriginSMTP     = "smtp"
	OriginFileDrop = "filedrop"
	OriginCLI      = "cli"
)

// Delivery states.
const (
	DeliveryPending     = "pending"     // stored; not yet judged or delivered
	DeliveryDelivered   = "delivered"   // the cleared content reached the next hop or outbox
	DeliveryUndelivered = "undelivered" // delivery failed (the upstream retries; see the audit log)
	DeliveryBlocked     = "blocked"     // nothing crossed
	DeliveryReleased    = "released"    // an operator released the original
)

// Meta describes one kept original.
type Meta struct {
	ID          string          `json:"id"`       // sortable: time-ordered, unique across nodes
	Received    time.Time       `json:"received"` // with zone
	Origin      string          `json:"origin"`   // OriginSMTP, OriginFileDrop, OriginCLI
	Client      string          `json:"client,omitempty"`
	From        string          `json:"from,omitempty"` // envelope sender
	To          []string        `json:"to,omitempty"`   // envelope recipients
	Subject     string          `json:"subject,omitempty"`
	Size        int64           `json:"size"`
	SHA256      string          `json:"sha256"` // hex
	Outcome     string          `json:"outcome,omitempty"`
	Findings    []string        `json:"findings,omitempty"` // rule IDs, distinct
	Report      json.RawMessage `json:"report,omitempty"`   // the engine's report tree, opaque here
	Delivery    string          `json:"delivery"`
	RetainUntil time.Time       `json:"retain_until"`
	LegalHold   bool            `json:"legal_hold"`
}

// Filter selects items in List. Zero fields match everything.
type Filter struct {
	Since, Until time.Time // Received in [Since, Until)
	From         string    // envelope sender contains (case-insensitive)
	Rcpt         string    // a recipient contains (case-insensitive)
	Outcome      string
	Finding      string // has this rule ID
	Limit        int    // at most this many; 0 means no limit
}

// Store keeps originals. All methods are safe for concurrent use, by
// goroutines and (for shared backends) by several processes.
type Store interface {
	// Put stores the original read from r with m (m.SHA256 and m.Size are
	// set by Put; a Received of zero means now). m.ID is kept when it is a
	// valid ID the caller made with NewID, so that the caller can name the
	// item while Put runs (a second Put with the same ID fails); otherwise
	// Put assigns one. It is durable
	// when Put returns nil: the data is fsynced and renamed into place (or
	// committed), the index entry written. A failed or interrupted Put
	// leaves no visible entry.
	Put(ctx context.Context, m Meta, r io.Reader) (Meta, error)
	// Get returns the metadata and the original, decompressed and
	// decrypted. The reader checks the SHA-256 as it reaches EOF and then
	// fails with ErrCorrupt on a mismatch. The caller closes it.
	Get(ctx context.Context, id string) (Meta, io.ReadCloser, error)
	// Stat returns the metadata only.
	Stat(ctx context.Context, id string) (Meta, error)
	// List calls fn for each matching item, newest first, until fn
	// returns an error (returned as is) or the items run out.
	List(ctx context.Context, f Filter, fn func(Meta) error) error
	// Update changes the mutable metadata (Outcome, Findings, Report,
	// Delivery, RetainUntil, LegalHold, Subject) of one item atomically;
	// fn may be called more than once.
	Update(ctx context.Context, id string, fn func(*Meta) error) error
	// Delete removes one item; ErrHeld if it is under legal hold.
	Delete(ctx context.Context, id string) error
	// Purge deletes items whose RetainUntil is before t and that are not
	// held, and returns their IDs.
	Purge(ctx context.Context, t time.Time) ([]string, error)
	// Close releases the store.
	Close() error
}

// Event is one audit log entry as written by callers.
type Event struct {
	Type   string          `json:"type"`           // "received", "outcome", "delivered", "blocked", "undelivered", "held", "released", "exported", "deleted", "purged", "config", "hold_on", "hold_off"
	Item   string          `json:"item,omitempty"` // quarantine ID it is about
	Actor  string          `json:"actor"`          // "mugai" for the service; the OS user for ops commands
	Reason string          `json:"reason,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// Entry is an Event as stored: sequenced, timed and chained.
type Entry struct {
	Seq  int64     `json:"seq"`  // 1, 2, 3… without gaps
	Time time.Time `json:"time"` // RFC 3339 with nanoseconds and zone
	Event
	Prev string `json:"prev"` // hex SHA-256 of the previous entry's Hash; "" for seq 1
	Hash string `json:"hash"` // hex SHA-256 over the canonical encoding of this entry without Hash
}

// Audit is the append-only, hash-chained log.
type Audit interface {
	// Append adds e to the end of the chain and returns the stored entry.
	// Concurrent appenders keep one valid chain.
	Append(ctx context.Context, e Event) (Entry, error)
	// Entries calls fn for each entry from seq from (1 = the start) in
	// order.
	Entries(ctx context.Context, from int64, fn func(Entry) error) error
	// Verify walks the whole chain and returns nil, or an error wrapping
	// ErrTampered that names the first bad entry.
	Verify(ctx context.Context) error
}

// ErrTampered reports a broken audit chain.
var ErrTampered = errors.New("quarantine: audit log tampered")

// Journal is implemented by a backend that keeps the store and the audit
// log in one database: it writes an item change and the audit event that
// records it in one transaction, with one durable commit instead of two.
// Either both are written or neither is: there is no item without its
// event, and no event about a change that did not happen.
//
// A value that implements Journal also implements Store and Audit, and the
// events go to its own chain (the one its Append extends), in order,
// sealed like Append's; each is durable when the call returns nil. A
// caller given a Store and an Audit uses Journal only when they are the
// same value; otherwise, and for backends without it, it calls the Store
// method and then Append. Journal methods are safe for concurrent use with
// each other and with every Store and Audit method.
type Journal interface {
	// PutWithEvent is Put of m and r followed by Append of e, as one
	// transaction: e.Item is set to the new item's ID. It returns what
	// Put and Append would. On error neither the item nor the entry is
	// visible (a failure of the event, such as Data that is not valid
	// JSON, leaves no item).
	PutWithEvent(ctx context.Context, m Meta, r io.Reader, e Event) (Meta, Entry, error)
	// UpdateWithEvent is Update of id with fn followed by Append of e, as
	// one transaction: e.Item is set to id. On error (including an error
	// from fn, returned so that errors.Is finds it, an unknown ID, and a
	// change to an immutable field) the item is unchanged and no entry is
	// appended. As with Update, fn may be called more than once and must
	// not call the store.
	UpdateWithEvent(ctx context.Context, id string, fn func(*Meta) error, e Event) (Entry, error)
}

// Update is one UpdateWithEvent call, for BatchJournal.
type Update struct {
	ID    string
	Fn    func(*Meta) error
	Event Event
}

// BatchJournal is implemented by a Journal that can apply several updates
// in fewer transactions than calls, such as the relay's delivery records.
// UpdatesWithEvents does what UpdateWithEvent would do for each update, in
// order, and returns one error per update (nil for success): each update
// and its event are written, or not, alone, whatever happens to the
// others.
type BatchJournal interface {
	Journal
	UpdatesWithEvents(ctx context.Context, us []Update) []error
}

type deferSyncKey struct{}

// DeferSync marks the writes made with ctx as bookkeeping after the fact
// (the outcome and delivery status of a message whose original is already
// durable): a store may commit them without waiting for the disk and make
// them durable shortly after (the local store within a second, PostgreSQL
// with synchronous_commit off). They are visible to readers at once, and a
// crash of the process loses none of them; only a crash of the machine in
// that second can. Never use it for Put.
func DeferSync(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferSyncKey{}, true)
}

// SyncDeferred reports whether ctx came from DeferSync.
func SyncDeferred(ctx context.Context) bool {
	v, _ := ctx.Value(deferSyncKey{}).(bool)
	return v
}
