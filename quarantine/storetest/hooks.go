package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/mugai-project/mugai/quarantine"
)

// Inspector lets the suite look behind the Store interface.
type Inspector interface {
	// Garbage describes each thing the backend holds that no visible item
	// accounts for: temp files, blobs (files or rows) that no item
	// references, index rows whose blob is missing, side-table rows
	// without an item. A consistent store returns none.
	Garbage(ctx context.Context) ([]string, error)
}

// BlobTamperer damages stored originals, as an attacker or a bad disk
// would.
type BlobTamperer interface {
	// ReplaceBlob encodes data the way the backend encodes originals
	// (compressed, encrypted if configured) and stores it in place of the
	// original of item id, leaving the metadata alone. Get then reads a
	// well-formed blob whose content no longer matches Meta.SHA256, which
	// only the hash check at EOF can catch.
	ReplaceBlob(ctx context.Context, id string, data []byte) error
}

// FaultPoint names a crash window inside Put.
type FaultPoint int

const (
	// FaultWrite: storing the original's bytes fails part way, as on a
	// full disk.
	FaultWrite FaultPoint = iota + 1
	// FaultIndex: the original's bytes are stored durably, then writing
	// the index entry (the metadata row or its commit) fails.
	FaultIndex
)

func (p FaultPoint) String() string {
	switch p {
	case FaultWrite:
		return "FaultWrite"
	case FaultIndex:
		return "FaultIndex"
	}
	return "FaultPoint(?)"
}

// Faults injects failures into Put.
type Faults interface {
	// Inject makes the next Put that reaches p fail there, once, with an
	// error, taking the backend's ordinary error path (cleanup included).
	// The fault is disarmed when t ends if it has not fired.
	Inject(t *testing.T, p FaultPoint)
}

// AuditTamperer edits the stored audit log behind the backend's back, as
// someone with write access to its files or database would. Sequence
// numbers are those of the stored entries. Delete clashes with
// Store.Delete: a backend whose one type implements both offers this on a
// separate wrapper.
type AuditTamperer interface {
	// Edit overwrites one stored field of entry seq with value, as stored
	// (for "time" a quarantine.TimeFormat string, for "data" the raw
	// bytes). Fields: "time", "type", "item", "actor", "reason", "data",
	// "prev", "hash".
	Edit(ctx context.Context, seq int64, field, value string) error
	// Delete removes entry seq; later entries keep their sequence numbers.
	Delete(ctx context.Context, seq int64) error
	// Swap exchanges the stored contents (every field but the position,
	// that is the sequence number) of entries a and b, so the log reads
	// them in the other order.
	Swap(ctx context.Context, a, b int64) error
	// InsertAfter stores e, verbatim but with Seq set to seq+1, right after
	// entry seq, and renumbers the stored sequence of every later entry by
	// one (their other fields unchanged), as a forger making room would.
	// (With seq as a primary key, move them out of the way first, e.g. to
	// -seq, then to -seq+1.)
	InsertAfter(ctx context.Context, seq int64, e quarantine.Entry) error
}

// Clock lets the suite fix the backend's time, for Put with a zero Received
// and for Append.
type Clock interface {
	SetClock(now func() time.Time)
}

// JournalFaults injects failures into the audit half of a
// quarantine.Journal call, so that the suite can check that the item change
// made before it in the same transaction is undone.
type JournalFaults interface {
	// InjectAudit makes the next audit entry the backend writes fail,
	// once, with an error, taking the backend's ordinary error path; in a
	// Journal call that is after the item change has been made inside the
	// transaction. The fault is disarmed when t ends if it has not fired.
	InjectAudit(t *testing.T)
}
