// Package storetest is the conformance suite for quarantine backends: every
// implementation of quarantine.Store and quarantine.Audit runs it from its
// own test in a few lines,
//
//	func TestStore(t *testing.T) {
//		storetest.RunStore(t, func(t *testing.T) quarantine.Store { return openFresh(t) })
//	}
//	func TestAudit(t *testing.T) {
//		storetest.RunAudit(t, func(t *testing.T) quarantine.Audit { return openFresh(t) })
//	}
//
// open must return a fresh, empty store for each call and close it itself
// (t.Cleanup); the suite never calls Close.
//
// # Hooks
//
// Some properties cannot be observed through the interfaces alone: that a
// failed Put leaves no stray files or rows, that a tampered blob is caught
// on read, that a crash between storing the bytes and writing the index
// leaves nothing visible, that an edited audit entry is detected. For those
// the suite looks, with type assertions, for optional interfaces on the value
// open returns: [Inspector], [BlobTamperer], [Faults], [JournalFaults],
// [AuditTamperer] and [Clock]. A backend's test offers them on a small
// wrapper that embeds its store, so that no test-only method reaches the
// production API:
//
//	type testStore struct{ *local.Store }
//	func (s testStore) Garbage(ctx context.Context) ([]string, error) { … }
//
// A subtest whose hook is missing is skipped with a message naming the hook,
// so a new backend can grow into the suite; a finished backend offers all of
// them and skips nothing.
//
// # Journal
//
// RunStore also checks quarantine.Journal when the value open returns
// implements it (that value must then implement quarantine.Audit too):
// an item change and its event are written together or not at all, the
// event names the item, the chain stays valid, and concurrent Journal,
// Store and Audit calls keep one chain. A backend without Journal skips
// these subtests.
//
// # Contract details the suite pins down
//
// Beyond the comments on quarantine.Store and quarantine.Audit:
//   - Put ignores the caller's ID, SHA256 and Size; an empty Delivery becomes
//     DeliveryPending; a zero RetainUntil becomes a backend default after
//     Received. Received and RetainUntil keep at least microseconds and
//     their zone offset; Report round-trips as equivalent JSON.
//   - Every method given an unknown or malformed ID (including path
//     traversal attempts) returns an error wrapping ErrNotFound.
//   - List orders by Received, newest first, ties by ID descending. Filter
//     strings match as literal substrings: "%" and "_" are not wildcards.
//     Finding matches one rule ID exactly, not a substring.
//   - Update fails, and changes nothing, when fn changes a field that is not
//     mutable (ID, Received, Origin, Client, From, To, Size, SHA256) or when
//     fn returns an error (returned so that errors.Is finds it).
//   - Purge deletes items with RetainUntil strictly before t.
//   - Audit Data is kept byte for byte (its exact bytes are hashed), and
//     Time keeps nanoseconds and zone: store the quarantine.TimeFormat
//     string. Entries with from <= 1 starts at the first entry.
package storetest
