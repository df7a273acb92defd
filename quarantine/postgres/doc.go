// Package postgres keeps the quarantine (原本保持) and the audit log in
// PostgreSQL, so that several mugai nodes behind one MX or load balancer
// share one quarantine and one audit hash chain. A *Store implements both
// quarantine.Store and quarantine.Audit and passes the conformance suite in
// quarantine/storetest.
//
// # Schema
//
// Open creates its own schema (Options.Schema, default "mugai") and tables
// when they are absent. Migrations are numbered, recorded in
// schema_version, and run in one transaction under a database-wide advisory
// lock, so any number of nodes may call Open at the same time.
//
//	settings     key_check: an HMAC that tells Open whether its key is the
//	             one the blobs were encrypted with (ErrKey otherwise)
//	items        one row per kept original: every Meta field; received and
//	             retain_until as timestamptz (µs) plus the nanoseconds below
//	             the µs and the original RFC 3339 text (exact round trip,
//	             zone included); recipients and findings as text[]; report
//	             as the exact bytes
//	blobs        one row per distinct original, keyed by its SHA-256, with a
//	             reference count of the items that use it
//	blob_chunks  the encoded blob (quarantine.Codec: DEFLATE, AES-256-GCM
//	             when a key is set) in chunks of ChunkSize bytes
//	audit        the hash chain, one row per entry; time as the exact
//	             quarantine.TimeFormat string, data as the exact bytes
//	audit_head   one row: the last sequence number and hash, the lock that
//	             serialises appenders and the anchor Verify checks the tail
//	             against
//
// List keeps to indexes at a million rows: newest first is a backward scan
// of (received, received_ns, id), which is also the keyset for paging;
// Outcome has (outcome, received, received_ns, id); Finding is an exact
// element match (findings @> ARRAY[…]) on a GIN index of the text[];
// From and Rcpt are case-insensitive substrings, so an index of whole
// array elements cannot serve them: they use pg_trgm GIN indexes on
// from_lc and rcpt_lc (lower-cased by Go, recipients one per line), created
// when the extension is present or can be created. Since and Until compare
// (received, received_ns) as rows, so they are exact to the nanosecond.
//
// # Put: streaming, atomicity, deduplication
//
// Put runs in one transaction. It reads the original once, through SHA-256
// and the codec, into an in-memory buffer of ChunkSize bytes; each full
// buffer is inserted as a blob_chunks row under a temporary 16-byte key
// (never a valid SHA-256, which is 32 bytes), so memory stays flat however
// large the original is and nothing is spooled to local disk. At EOF the
// hash is known, and one statement inserts the blobs row with ON CONFLICT
// DO NOTHING (which waits for a concurrent Put of the same content to
// commit or roll back):
//
//   - new content: the same statement renames the temporary chunks to the
//     hash (an UPDATE of the key column; PostgreSQL keeps their TOASTed data
//     where it is) and inserts the buffered last chunk under the hash;
//   - known content: nothing was inserted; the blob's reference count goes
//     up and the temporary chunks are deleted in the same transaction, so
//     they are never visible and their space is reclaimed by vacuum. An
//     original that fits in one chunk is deduplicated without writing any
//     chunk.
//
// Hashing first would need a second pass over the original, so a spool on
// the node's local disk; writing under a temporary key keeps nodes
// stateless and reads the input once, at the cost of writing (then
// dropping) the chunks of a large duplicate.
//
// Then the items row is inserted and the transaction commits, which with
// PostgreSQL's default synchronous_commit is durable. (If the connection
// drops during COMMIT itself, the client cannot know the outcome: Put
// returns an error, and the item may exist; a retried Put then stores a
// second item sharing the same blob.) A reader error, a
// cancelled context, a failed statement or a dropped connection rolls
// everything back: no item, no blob, no chunk becomes visible. The foreign
// key from blob_chunks to blobs is checked at commit, so a chunk without a
// blob cannot be committed.
//
// Delete and Purge drop the item and decrement the blob's count under its
// row lock; the blob and its chunks go with the last reference. Get reads
// one chunk per query (no connection is held while the caller reads),
// decodes, and checks size and SHA-256 at EOF (ErrCorrupt).
//
// # Audit concurrency
//
// Append locks the single audit_head row (SELECT … FOR UPDATE), seals the
// new entry after the head's sequence and hash, inserts it and moves the
// head, all in one transaction: appenders on any node are serialised, the
// sequence has no gaps, and a failed Append leaves nothing. The previous
// hash comes from the head, not from the last audit row, so deleting the
// tail and appending again does not heal the chain. Verify reads the head,
// walks the chain in pages of seq order through quarantine.ChainChecker, and
// checks that it ends at the head (a deleted tail, or a sealed entry added
// at the end by SQL, shows). Appends are serialised, so throughput is one
// commit at a time across all nodes (1,300 to 2,500 entries/s measured on
// one local server).
//
// # Connections
//
// The DSN is a libpq URL or key=value string; pgxpool parameters such as
// pool_max_conns are accepted. Store methods are safe for concurrent use.
//
// # Tests
//
// The tests need a server: they read a DSN from MUGAI_TEST_POSTGRES and skip
// without it. `eval "$(bash .ci/postgres.sh)"` installs, starts and prepares
// one on Debian and sets the variable. Each test works in a schema of its
// own, dropped at the end, so tests run in parallel and repeatedly. The
// million-row benchmarks keep their schema, mugai_bench_1m, between runs.
//
// todo: blobs stored before a key was configured are reused by dedup as they
// are (unencrypted); re-encrypting old blobs needs a migration command.
// todo: audit rotation (archiving old entries with an anchor) is not done
// here; the chain lives in one table.
package postgres
