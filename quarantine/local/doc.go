// Package local is the default quarantine backend for one node: the
// originals in a directory, their index and the audit log in an embedded
// SQLite database (modernc.org/sqlite, no cgo). One [*Store] implements
// quarantine.Store, quarantine.Audit and quarantine.Journal; the store and
// the log share the database file but not their tables. Store methods never
// write audit entries (the caller appends the events it wants logged); the
// Journal methods, PutWithEvent and UpdateWithEvent, write an item change
// and its audit entry in one transaction, with one commit.
//
// # Layout
//
//	dir/index.db         SQLite, WAL mode, synchronous=FULL (plus -wal, -shm)
//	dir/blobs/ab/cd/<sha256>  originals larger than InlineMax once encoded,
//	                     content-addressed by the hex SHA-256 of the
//	                     plaintext, in quarantine.Codec format (DEFLATE,
//	                     AES-256-GCM when a key is set)
//	dir/tmp/             Put's temp files (and links of in-flight blobs)
//	dir/trash/           blobs being deleted, removed after the commit
//	dir/audit/<first>-<last>.jsonl  rotated audit entries (see RotateAudit)
//
// Every file operation goes through an os.Root opened on dir, so no path can
// leave it, and IDs are checked with quarantine.ValidID before any use; blob
// paths are built from hashes in the index, never from IDs. Directories are
// created 0700 and files 0600.
//
// Originals whose encoded form (the codec's output, so encrypted at rest
// like the files) is at most InlineMax (64 KiB) are kept inline, in the
// blob_inline table of index.db, instead of a blob file. A hash has at most
// one blob, a file or a row: Put reuses whichever exists.
//
// # Schema
//
//	items(n INTEGER PRIMARY KEY, id TEXT UNIQUE, received TEXT, received_ns INTEGER,
//	      origin, client, sender, sender_lc, rcpts JSON, rcpts_lc, subject,
//	      size, sha256, outcome, findings JSON, report BLOB, delivery,
//	      retain_until TEXT, retain_ns INTEGER, legal_hold)
//	  indexes: (received_ns DESC, id DESC), (outcome, received_ns DESC, id DESC),
//	           (sender_lc), (sha256), (retain_ns)
//	item_findings(rule, received_ns, id) PRIMARY KEY (rule, received_ns DESC, id DESC)
//	audit(seq INTEGER PRIMARY KEY, time TEXT, type, item, actor, reason, data BLOB, prev, hash)
//	audit_anchor(seq, hash)        the last rotated-away entry
//	audit_archives(first, last, file, sha256)
//	blob_inline(sha256 PRIMARY KEY, data BLOB)  small originals, encoded
//	meta(key, value)               schema version (2), key check
//
// Version 1 had no blob_inline: Open migrates it by creating the empty
// table, and its blob files are read where they are.
//
// Times are stored as quarantine.TimeFormat strings (exact, zone kept) with
// an integer nanosecond copy for ordering and ranges. The reference count of
// a blob is the number of items rows with its sha256 (indexed), so it cannot
// drift from the rows. Get opens the blob file of the hash or, if there is
// none, reads its blob_inline row; both go through the codec and the
// SHA-256 and size check at EOF.
//
// # Durability and crash windows
//
// Put streams the original through SHA-256 and the codec, into memory while
// the encoded data is under 256 KB and into a temp file in tmp/ beyond
// that. An original whose encoded form is at most InlineMax long goes
// inline: holding the write lock, Put checks that no blob file has its
// hash, inserts the blob_inline row (unless there is one) and the index row
// (and, for PutWithEvent, the audit entry), and commits: one WAL commit,
// fsynced, and no file at all. A crash leaves the rows or none of them, so
// an inline original has no crash window of its own. For a larger
// original, if a blob with the same hash exists already (a file or a
// blob_inline row), the copy is thrown away unsynced (one still in memory
// never touches the disk). Otherwise the temp file is written (if it was
// still in memory) and fsynced; then, holding the database's write lock
// (BEGIN IMMEDIATE, which also serialises other processes), Put checks
// again, hard-links the temp file to its content
// address (writing and fsyncing it first if the blob went in the
// meantime), fsyncs each directory that got a new entry (the blob's, and
// the parents of directories it created), inserts the index row (and, for
// PutWithEvent, the audit entry) and commits with an fsync of the WAL; the
// temp name is removed last. So:
//   - a crash while writing leaves only a temp file, never fsynced and
//     perhaps partial: removed by the cleanup that Open runs (temp files
//     untouched for DefaultGrace);
//   - a crash after the link and before the commit leaves a blob without a
//     row and its temp link: the cleanup decodes the temp file, finds the
//     blob and removes both;
//   - a crash after the commit leaves a temp link of a referenced blob: the
//     cleanup removes the temp name only;
//   - an index row never exists before its blob is durable, and a blob is
//     never linked to its content address before its data is: a blob found
//     there is complete, which is what lets Put skip content it has;
//   - the row and the audit entry of PutWithEvent or UpdateWithEvent are
//     committed together: after a crash both are there or neither.
//
// Delete and Purge delete the blob_inline row of each hash left without
// references in the transaction that removes the items rows (so both go,
// or neither), and move unreferenced blob files into trash/ inside it,
// commit, then remove them; a failed commit moves them back. A crash in
// between leaves a trash file that the cleanup moves back (if its blob is
// still referenced) or removes. Fsck with Full also walks every blob file,
// removes blob_inline rows and blob files that no item needs, and reports
// items that have neither.
//
// # Concurrency
//
// A Store is safe for concurrent use. Several processes may open the same
// directory (the service and the ops CLI): writes are serialised by SQLite's
// lock, and the audit chain stays single. The statements of the hot paths
// are prepared once, at Open, and reused by every transaction.
package local
