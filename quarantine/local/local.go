package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mugai-project/mugai/quarantine"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Defaults.
const (
	// DefaultRetention is how long Put keeps an item whose RetainUntil is
	// zero, counted from Received.
	DefaultRetention = 30 * 24 * time.Hour
	// DefaultGrace is how long a temp file or an unreferenced blob is left
	// alone by the cleanup, so that a Put in flight in another process is
	// not disturbed.
	DefaultGrace = time.Minute
	// busyTimeout is how long a writer waits for another one (in this or
	// another process) before failing with "database is locked".
	busyTimeout = 30 * time.Second
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// Key is nil (no encryption) or a 32-byte AES-256 key
	// (quarantine.LoadKey reads one from a file). Once a store has been
	// opened with a key, opening it without that key fails with
	// quarantine.ErrKey.
	Key []byte
	// Retention sets RetainUntil = Received + Retention when Put gets a
	// zero RetainUntil; 0 means DefaultRetention.
	Retention time.Duration
	// Now is the clock for Put (zero Received) and audit entries; nil means
	// time.Now.
	Now func() time.Time
	// Logger receives what the cleanup at Open removed; nil discards.
	Logger *slog.Logger
}

// Store is the local quarantine: see the package documentation. It
// implements quarantine.Store and quarantine.Audit.
type Store struct {
	dir    string
	root   *os.Root
	db     *sql.DB
	codec  *quarantine.Codec
	ret    time.Duration
	now    func() time.Time
	log    *slog.Logger
	linkOK bool // the file system supports hard links

	// inlineMax is the largest encoded original that Put keeps in the
	// database (blob_inline) instead of a blob file; negative: none.
	inlineMax int

	// wmu serialises this process's write transactions, so they queue
	// here instead of spinning on SQLite's busy handler; BEGIN IMMEDIATE
	// serialises them against other processes.
	wmu sync.Mutex
	// qmu guards queue, the write transactions waiting for wmu (see
	// writeTx).
	qmu   sync.Mutex
	queue []*txReq

	// lazyPending: deferred-sync commits not yet on disk; syncTimer: a
	// syncLazy is scheduled; closed: Close has run.
	lazyPending, syncTimer, closed atomic.Bool
	// wconn is the connection of every write transaction of writeTx,
	// taken out of the pool for good so that its page cache stays warm
	// (a connection that finds the database changed by another one drops
	// its cache); wlazy: it is switched to synchronous=NORMAL. Both
	// guarded by wmu.
	wconn *sql.Conn
	wlazy bool

	st stmts // prepared at Open

	hooks hooks // test seams; zero in production
}

// stmts are the statements of the hot paths (Put, Update, Append, Stat),
// prepared once at Open. A *sql.Stmt is safe for concurrent use; inside a
// transaction it is used through tx.StmtContext, which reuses the
// statement already prepared on the transaction's connection (each pooled
// connection prepares it at most once).
type stmts struct {
	insertItem, insertFinding, deleteFindings *sql.Stmt
	selectForUpdate, updateItem, stat         *sql.Stmt
	lastAudit, anchor, insertAudit            *sql.Stmt
	insertInline, selectInline, inlineExists  *sql.Stmt
}

func (st *stmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		s **sql.Stmt
		q string
	}{
		{&st.insertItem, `INSERT INTO items (id, received, received_ns, origin, client, sender, sender_lc,
			rcpts, rcpts_lc, subject, size, sha256, outcome, findings, report, delivery, retain_until, retain_ns, legal_hold)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.insertFinding, `INSERT OR IGNORE INTO item_findings (rule, received_ns, id) VALUES (?, ?, ?)`},
		{&st.deleteFindings, `DELETE FROM item_findings WHERE id = ?`},
		{&st.selectForUpdate, `SELECT ` + itemCols + `, received_ns FROM items WHERE id = ?`},
		{&st.updateItem, `UPDATE items SET outcome = ?, findings = ?, report = ?, delivery = ?,
			retain_until = ?, retain_ns = ?, legal_hold = ?, subject = ? WHERE id = ?`},
		{&st.stat, `SELECT ` + itemCols + ` FROM items WHERE id = ?`},
		{&st.lastAudit, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`},
		{&st.anchor, `SELECT seq, hash FROM audit_anchor WHERE one = 1`},
		{&st.insertAudit, `INSERT INTO audit (seq, time, type, item, actor, reason, data, prev, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.insertInline, `INSERT OR IGNORE INTO blob_inline (sha256, data) VALUES (?, ?)`},
		{&st.selectInline, `SELECT data FROM blob_inline WHERE sha256 = ?`},
		{&st.inlineExists, `SELECT EXISTS (SELECT 1 FROM blob_inline WHERE sha256 = ?)`},
	} {
		var err error
		if *p.s, err = db.PrepareContext(ctx, p.q); err != nil {
			return fmt.Errorf("preparing %q: %w", p.q, err)
		}
	}
	return nil
}

func (st *stmts) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{st.insertItem, st.insertFinding, st.deleteFindings, st.selectForUpdate,
		st.updateItem, st.stat, st.lastAudit, st.anchor, st.insertAudit,
		st.insertInline, st.selectInline, st.inlineExists} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// hooks are test seams for fault injection.
type hooks struct {
	write func() error // before each write of the encoded original (to memory or the temp file)
	index func() error // after the blob is in place, before the index row
	audit func() error // before an audit row is inserted
	temp  func()       // after a temp file is created
	// listQuery sees each List query before it runs.
	listQuery func(q string, args []any)
}

var (
	_ quarantine.Store        = (*Store)(nil)
	_ quarantine.Audit        = (*Store)(nil)
	_ quarantine.Journal      = (*Store)(nil)
	_ quarantine.BatchJournal = (*Store)(nil)
)

// schemaVersion 2 added blob_inline; a version 1 store is migrated by
// creating the (empty) table: its blob files stay where they are.
const schemaVersion = "2"

// InlineMax is the largest encoded (compressed, encrypted) original that
// Put stores inline in the database rather than as a blob file.
const InlineMax = 64 << 10

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
	n            INTEGER PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	received     TEXT NOT NULL,
	received_ns  INTEGER NOT NULL,
	origin       TEXT NOT NULL,
	client       TEXT NOT NULL,
	sender       TEXT NOT NULL,
	sender_lc    TEXT NOT NULL,
	rcpts        TEXT NOT NULL,
	rcpts_lc     TEXT NOT NULL,
	subject      TEXT NOT NULL,
	size         INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	outcome      TEXT NOT NULL,
	findings     TEXT NOT NULL,
	report       BLOB,
	delivery     TEXT NOT NULL,
	retain_until TEXT NOT NULL,
	retain_ns    INTEGER NOT NULL,
	legal_hold   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS items_received ON items (received_ns DESC, id DESC);
CREATE INDEX IF NOT EXISTS items_outcome ON items (outcome, received_ns DESC, id DESC);
CREATE INDEX IF NOT EXISTS items_sender ON items (sender_lc);
CREATE INDEX IF NOT EXISTS items_sha256 ON items (sha256);
CREATE INDEX IF NOT EXISTS items_retain ON items (retain_ns);
CREATE TABLE IF NOT EXISTS item_findings (
	rule        TEXT NOT NULL,
	received_ns INTEGER NOT NULL,
	id          TEXT NOT NULL,
	PRIMARY KEY (rule, received_ns DESC, id DESC)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS item_findings_id ON item_findings (id);
CREATE TABLE IF NOT EXISTS audit (
	seq    INTEGER PRIMARY KEY,
	time   TEXT NOT NULL,
	type   TEXT NOT NULL,
	item   TEXT NOT NULL,
	actor  TEXT NOT NULL,
	reason TEXT NOT NULL,
	data   BLOB,
	prev   TEXT NOT NULL,
	hash   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_anchor (
	one  INTEGER PRIMARY KEY CHECK (one = 1),
	seq  INTEGER NOT NULL,
	hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_inline (
	sha256 TEXT PRIMARY KEY,
	data   BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_archives (
	first  INTEGER PRIMARY KEY,
	last   INTEGER NOT NULL,
	file   TEXT NOT NULL,
	sha256 TEXT NOT NULL
);
`

// Open opens (creating if needed) the store in dir and runs the quick
// cleanup of crash leftovers (see Fsck). The caller closes the store.
func Open(dir string, opts Options) (*Store, error) {
	codec, err := quarantine.NewCodec(opts.Key)
	if err != nil {
		return nil, fmt.Errorf("local: open %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local: open %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("local: open %s: %w", dir, err)
	}
	s := &Store{
		dir:    dir,
		root:   root,
		codec:  codec,
		ret:    opts.Retention,
		now:    opts.Now,
		log:    opts.Logger,
		linkOK: true,

		inlineMax: InlineMax,
	}
	if s.ret <= 0 {
		s.ret = DefaultRetention
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.open(opts.Key); err != nil {
		s.Close()
		return nil, fmt.Errorf("local: open %s: %w", dir, err)
	}
	return s, nil
}

func (s *Store) open(key []byte) error {
	for _, d := range []string{"blobs", "tmp", "trash", "audit"} {
		if err := s.root.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	// SQLite opens the database by path, not through the Root: refuse a
	// symlink there, so that index.db cannot point outside dir.
	if fi, err := s.root.Lstat("index.db"); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("index.db is not a regular file (%v)", fi.Mode().Type())
	}
	abs, err := filepath.Abs(filepath.Join(s.dir, "index.db"))
	if err != nil {
		return err
	}
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	db.SetMaxIdleConns(4)
	s.db = db
	// The schema, under the write lock so that two processes opening a new
	// store at once do not race.
	err = s.writeTx(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec(schema); err != nil {
			return err
		}
		var v string
		switch err := tx.QueryRow(`SELECT value FROM meta WHERE key = 'schema'`).Scan(&v); {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.Exec(`INSERT INTO meta (key, value) VALUES ('schema', ?)`, schemaVersion); err != nil {
				return err
			}
		case err != nil:
			return err
		case v == "1":
			// The schema above created blob_inline.
			if _, err := tx.Exec(`UPDATE meta SET value = ? WHERE key = 'schema'`, schemaVersion); err != nil {
				return err
			}
		case v != schemaVersion:
			return fmt.Errorf("index.db has schema version %s, this build knows %s", v, schemaVersion)
		}
		return checkKey(tx, key)
	})
	if err != nil {
		return dbErr(err)
	}
	if err := s.st.prepare(context.Background(), s.db); err != nil {
		return err
	}
	if _, err := s.Fsck(context.Background(), FsckOptions{}); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}

// checkKey compares key with the check value stored by the first Open with
// a key, so that a wrong key fails at Open rather than on the first Get.
func checkKey(tx *sql.Tx, key []byte) error {
	var stored string
	err := tx.QueryRow(`SELECT value FROM meta WHERE key = 'key_check'`).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		if key == nil {
			return nil
		}
		_, err = tx.Exec(`INSERT INTO meta (key, value) VALUES ('key_check', ?)`, keyCheck(key))
		return err
	}
	if err != nil {
		return err
	}
	if key == nil {
		return fmt.Errorf("%w: the store holds encrypted originals and no key is configured", quarantine.ErrKey)
	}
	if !hmac.Equal([]byte(stored), []byte(keyCheck(key))) {
		return fmt.Errorf("%w: the key is not the one this store was encrypted with", quarantine.ErrKey)
	}
	return nil
}

func keyCheck(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("mugai quarantine key check v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// dbErr makes SQLite's read-only and full-disk errors say so.
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "readonly") || strings.Contains(msg, "read-only"):
		return fmt.Errorf("the quarantine directory is read-only: %w", err)
	case strings.Contains(msg, "database or disk is full") || strings.Contains(msg, "SQLITE_FULL"):
		return fmt.Errorf("the disk is full: %w", err)
	}
	return err
}

// Close closes the database and the directory. It is safe to call once.
func (s *Store) Close() error {
	var errs []error
	s.syncLazy()
	s.wmu.Lock()
	s.closed.Store(true)
	if s.wconn != nil {
		s.wconn.Close()
		s.wconn = nil
	}
	s.wmu.Unlock()
	if s.db != nil {
		errs = append(errs, s.st.close(), s.db.Close())
	}
	errs = append(errs, s.root.Close())
	return errors.Join(errs...)
}

// Dir returns the directory the store was opened on.
func (s *Store) Dir() string { return s.dir }

// writeTx runs fn in a write transaction (BEGIN IMMEDIATE) and returns
// once that transaction has committed.
//
// Concurrent callers share commits (group commit): a caller that finds the
// write lock held queues its fn; the holder's successor takes every queued
// fn and runs them in one transaction, each inside its own savepoint, so a
// failing fn rolls back alone and the others still commit. One commit, one
// WAL fsync, for the whole batch. Each caller still returns only after its
// own writes are durable (or with the error that stopped them).
func (s *Store) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	req := &txReq{ctx: ctx, fn: fn, lazy: quarantine.SyncDeferred(ctx)}
	s.submit(req)
	return req.err
}

// submit queues reqs together (so that they share transactions) and
// returns once every one of them has run or failed (see writeTx).
func (s *Store) submit(reqs ...*txReq) {
	s.qmu.Lock()
	s.queue = append(s.queue, reqs...)
	s.qmu.Unlock()

	s.wmu.Lock()
	defer s.wmu.Unlock()
	for _, req := range reqs {
		// Not run by a previous holder: run the queue up to and including
		// req, still under the lock.
		for !req.done {
			s.qmu.Lock()
			if len(s.queue) == 0 {
				// A previous holder's batch died (a panic in a caller's
				// function) with req in it: never ran, never will.
				s.qmu.Unlock()
				req.err, req.done = errors.New("local: the write was lost with a failed batch"), true
				break
			}
			n := min(len(s.queue), maxBatch)
			batch := s.queue[:n:n]
			s.queue = append([]*txReq(nil), s.queue[n:]...)
			s.qmu.Unlock()
			s.runBatch(batch)
		}
	}
}

// maxBatch caps how many queued writes share one transaction.
const maxBatch = 64

// txReq is one queued write transaction.
type txReq struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	err  error
	done bool // set under wmu
	lazy bool // quarantine.DeferSync: the commit need not wait for the disk
}

// run calls the request's function; a panic in it becomes its error, so
// that it cannot take the other writes of its batch down with it.
func (r *txReq) run(tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("local: write panicked: %v", p)
		}
	}()
	return r.fn(tx)
}

// runBatch runs the batch in one transaction (the caller holds wmu) and
// sets each request's outcome. A batch of deferred-sync writes only
// commits with synchronous=NORMAL: in WAL mode the commit then writes the
// WAL without fsync, and the next ordinary commit's fsync, or syncLazy
// within a second, makes it durable.
func (s *Store) runBatch(batch []*txReq) {
	finish := func(err error) {
		for _, r := range batch {
			if !r.done {
				r.err, r.done = err, true
			}
		}
	}
	lazy := true
	for _, r := range batch {
		lazy = lazy && r.lazy
	}
	conn, err := s.writer(lazy)
	if err != nil {
		finish(err)
		return
	}
	// The shared transaction must not die with one caller's context: each
	// fn's statements still use that caller's ctx.
	tx, err := conn.BeginTx(context.Background(), nil)
	if err != nil {
		// A broken connection is dropped; the next batch makes another.
		s.dropWriter()
		finish(err)
		return
	}
	done := func(committed bool, err error) {
		if committed && err == nil {
			if lazy {
				s.lazyPending.Store(true)
				s.scheduleSync()
			} else {
				s.lazyPending.Store(false) // this commit's fsync covered them
			}
		}
		finish(err)
	}
	if len(batch) == 1 {
		r := batch[0]
		err := r.ctx.Err()
		if err == nil {
			err = r.run(tx)
		}
		if err != nil {
			tx.Rollback()
			done(false, err)
			return
		}
		done(true, tx.Commit())
		return
	}
	done(s.runInTx(tx, batch))
}

// writer returns the write connection (the caller holds wmu), opened on
// first use and switched to synchronous=NORMAL for deferred-sync batches,
// FULL (as every connection opens) for the others.
func (s *Store) writer(lazy bool) (*sql.Conn, error) {
	ctx := context.Background()
	if s.wconn == nil {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		s.wconn, s.wlazy = conn, false
	}
	if s.wlazy != lazy {
		mode := "FULL"
		if lazy {
			mode = "NORMAL"
		}
		if _, err := s.wconn.ExecContext(ctx, "PRAGMA synchronous="+mode); err != nil {
			s.dropWriter()
			return nil, err
		}
		s.wlazy = lazy
	}
	return s.wconn, nil
}

// dropWriter discards the write connection (not back to the pool: it may
// be broken, or left at synchronous=NORMAL).
func (s *Store) dropWriter() {
	if s.wconn != nil {
		s.wconn.Raw(func(any) error { return driver.ErrBadConn })
		s.wconn.Close()
		s.wconn = nil
	}
}

// runInTx runs each request of batch in its own savepoint of tx and
// commits, unless every one failed. Requests are marked done as they
// fail; the returned error is the commit's (or the batch's) and goes to
// the rest.
func (s *Store) runInTx(tx *sql.Tx, batch []*txReq) (committed bool, err error) {
	ok := 0
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err, r.done = err, true
			continue
		}
		if _, err := tx.Exec("SAVEPOINT grp"); err != nil {
			tx.Rollback()
			return false, err
		}
		if err := r.run(tx); err != nil {
			r.err, r.done = err, true
			if _, rerr := tx.Exec("ROLLBACK TO grp"); rerr != nil {
				tx.Rollback()
				return false, rerr
			}
		} else {
			ok++
		}
		if _, err := tx.Exec("RELEASE grp"); err != nil {
			tx.Rollback()
			return false, err
		}
	}
	if ok == 0 {
		tx.Rollback()
		return false, nil
	}
	return true, tx.Commit()
}

// syncWAL fsyncs index.db-wal, where the commits of this store are.
func (s *Store) syncWAL() error {
	f, err := s.root.OpenFile("index.db-wal", os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // checkpointed and removed: everything is in index.db
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// lazySyncDelay bounds how long a deferred-sync commit may wait for the
// disk.
const lazySyncDelay = time.Second

// scheduleSync arranges for syncLazy to run within lazySyncDelay.
func (s *Store) scheduleSync() {
	if s.syncTimer.CompareAndSwap(false, true) {
		time.AfterFunc(lazySyncDelay, func() {
			s.syncTimer.Store(false)
			s.syncLazy()
		})
	}
}

// syncLazy makes deferred-sync commits durable by syncing the WAL file.
// Close calls it too.
func (s *Store) syncLazy() {
	// Under wmu: no commit runs meanwhile, and a Close that overlaps a
	// timer cannot find the flag already cleared by a sync that then
	// finds the store closed.
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed.Load() || !s.lazyPending.Swap(false) {
		return
	}
	if err := s.syncWAL(); err != nil {
		s.lazyPending.Store(true)
		s.log.Warn("quarantine: syncing deferred writes failed; retrying", "err", err)
		s.scheduleSync()
	}
}

// ---- times ----

var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// nanos returns t as Unix nanoseconds, clamped to int64.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minNanoTime):
		return math.MinInt64
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func fmtTime(t time.Time) string { return t.Format(quarantine.TimeFormat) }

// canon returns t as it reads back from its stored form.
func canon(t time.Time) time.Time {
	c, err := time.Parse(quarantine.TimeFormat, fmtTime(t))
	if err != nil {
		return t.Round(0)
	}
	return c
}

// ---- blob paths ----

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// blobPath returns the root-relative path of the blob with hex hash sum.
func blobPath(sum string) string {
	return path.Join("blobs", sum[0:2], sum[2:4], sum)
}

func randName() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// syncDir fsyncs a directory under the root.
func (s *Store) syncDir(name string) error {
	d, err := s.root.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ---- Put ----

// Put implements quarantine.Store.
func (s *Store) Put(ctx context.Context, m quarantine.Meta, r io.Reader) (quarantine.Meta, error) {
	m, _, err := s.put(ctx, m, r, nil)
	if err != nil {
		return quarantine.Meta{}, fmt.Errorf("local: put: %w", err)
	}
	return m, nil
}

// PutWithEvent implements quarantine.Journal: the index row and the audit
// entry are written in one transaction, after the blob is durable.
func (s *Store) PutWithEvent(ctx context.Context, m quarantine.Meta, r io.Reader, e quarantine.Event) (quarantine.Meta, quarantine.Entry, error) {
	m, ent, err := s.put(ctx, m, r, &e)
	if err != nil {
		return quarantine.Meta{}, quarantine.Entry{}, fmt.Errorf("local: put with event: %w", err)
	}
	return m, ent, nil
}

// put stores r with m and, if ev is not nil, appends ev about the new item
// in the same transaction.
func (s *Store) put(ctx context.Context, m quarantine.Meta, r io.Reader, ev *quarantine.Event) (quarantine.Meta, quarantine.Entry, error) {
	if err := ctx.Err(); err != nil {
		return quarantine.Meta{}, quarantine.Entry{}, err
	}
	if len(m.Report) > 0 && !json.Valid(m.Report) {
		return quarantine.Meta{}, quarantine.Entry{}, errors.New("the report is not valid JSON")
	}
	if ev != nil {
		if err := validEvent(*ev); err != nil {
			return quarantine.Meta{}, quarantine.Entry{}, err
		}
	}
	sp, err := s.spool(ctx, r)
	if err != nil {
		return quarantine.Meta{}, quarantine.Entry{}, err
	}
	defer s.discard(sp) // the blob, if kept, is linked elsewhere by now

	// The temp file is written and fsynced only if it is going to
	// become the blob: when the same content is kept already, a small
	// original never reaches the disk, and a large one's temp file is
	// thrown away unsynced. place checks again under the lock, and
	// writes and fsyncs then if the blob went in the meantime.
	// A small original goes inline, into the database, in the
	// transaction of its row: no file, no fsync but the commit's.
	inline := sp.f == nil && sp.mem.Len() <= s.inlineMax
	if !inline {
		if _, err := s.root.Lstat(blobPath(sp.sum)); err != nil {
			if err := s.durable(sp); err != nil {
				return quarantine.Meta{}, quarantine.Entry{}, err
			}
		}
	}

	if m.Received.IsZero() {
		m.Received = s.now()
	}
	m.Received = canon(m.Received)
	if m.RetainUntil.IsZero() {
		m.RetainUntil = m.Received.Add(s.ret)
	}
	m.RetainUntil = canon(m.RetainUntil)
	if m.Delivery == "" {
		m.Delivery = quarantine.DeliveryPending
	}
	if !quarantine.ValidID(m.ID) {
		m.ID = quarantine.NewID(m.Received)
	}
	m.SHA256, m.Size = sp.sum, sp.size
	if len(m.To) == 0 {
		m.To = nil
	}
	if len(m.Findings) == 0 {
		m.Findings = nil
	}
	if len(m.Report) == 0 {
		m.Report = nil
	}

	var ent quarantine.Entry
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var created bool
		if inline {
			err = s.placeInline(ctx, tx, sp)
		} else {
			created, err = s.place(ctx, tx, sp)
		}
		if err != nil {
			return err
		}
		err = s.insert(ctx, tx, m)
		if err == nil && ev != nil {
			e := *ev
			e.Item = m.ID
			ent, err = s.appendTx(ctx, tx, e)
		}
		if err != nil && created {
			// Still under the write lock: nobody else can have seen the
			// new blob, so it goes with the failed row.
			if rerr := s.root.Remove(blobPath(sp.sum)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				s.log.Warn("quarantine: cannot remove the blob of a failed put", "sha256", sp.sum, "err", rerr)
			}
		}
		return err
	})
	// A failed commit after the blob was placed leaves it unreferenced (the
	// lock is gone, so it cannot be removed safely here); Fsck collects it.
	if err != nil {
		return quarantine.Meta{}, quarantine.Entry{}, dbErr(err)
	}
	return m, ent, nil
}

// spoolMem is how much encoded data spool keeps in memory before it
// creates the temp file: a typical mail is written to disk once, straight
// into the temp file that becomes its blob, and only if it is new.
const spoolMem = 256 << 10

// spooled is an original encoded by spool: in memory (mem) while small,
// else in a temp file.
type spooled struct {
	mem    *bytes.Buffer // the encoded original while f is nil; pooled
	name   string        // root-relative temp file name, once created
	f      *os.File      // the temp file, open until discard
	sum    string        // hex SHA-256 of the original
	size   int64         // of the original
	synced bool          // f has been fsynced
}

// spoolMems are the in-memory stages; spoolBufs spool's write and read
// buffers: a Put allocates kilobytes, not the 128 KB of two fresh 64 KB
// buffers.
var (
	spoolMems = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	spoolBufs = sync.Pool{New: func() any { return &spoolBuf{bw: bufio.NewWriterSize(nil, 64<<10), buf: make([]byte, 64<<10)} }}
)

type spoolBuf struct {
	bw  *bufio.Writer // to the temp file
	buf []byte        // reads from the original
}

// Write is the codec's destination: memory up to spoolMem, then the temp
// file.
func (sp *spooled) Write(p []byte) (int, error) {
	if sp.f == nil && sp.mem.Len()+len(p) <= spoolMem {
		return sp.mem.Write(p)
	}
	return 0, errSpill
}

var errSpill = errors.New("spool: spill to a temp file")

// createTemp creates sp's temp file and moves what sp holds in memory into
// it (not fsynced).
func (s *Store) createTemp(sp *spooled) error {
	tmp := path.Join("tmp", randName()+".tmp")
	f, err := s.root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating a temp file: %w", err)
	}
	sp.name, sp.f = tmp, f
	if s.hooks.temp != nil {
		s.hooks.temp()
	}
	if err := s.writeHook(); err != nil {
		return fmt.Errorf("writing the temp file: %w", err)
	}
	if _, err := f.Write(sp.mem.Bytes()); err != nil {
		return fmt.Errorf("writing the temp file: %w", err)
	}
	sp.mem.Reset()
	return nil
}

// writeHook runs the fault seam that stands for storing the original's
// bytes (in memory or in the temp file).
func (s *Store) writeHook() error {
	if s.hooks.write != nil {
		return s.hooks.write()
	}
	return nil
}

// durable makes sp's temp file exist (created from memory if need be) and
// fsyncs it, once.
func (s *Store) durable(sp *spooled) error {
	if sp.f == nil {
		if err := s.createTemp(sp); err != nil {
			return err
		}
	}
	if sp.synced {
		return nil
	}
	if err := sp.f.Sync(); err != nil {
		return fmt.Errorf("syncing the temp file: %w", err)
	}
	sp.synced = true
	return nil
}

// discard closes and removes the temp file, if any (a blob linked from it
// keeps its data), and releases the memory.
func (s *Store) discard(sp *spooled) {
	if sp.f != nil {
		sp.f.Close()
		s.root.Remove(sp.name)
	}
	if sp.mem != nil {
		sp.mem.Reset()
		if sp.mem.Cap() <= 2*spoolMem {
			spoolMems.Put(sp.mem)
		}
		sp.mem = nil
	}
}

// spool streams r through SHA-256 and the codec, into memory while the
// encoded data fits in spoolMem, then into a new temp file (not yet
// fsynced: see durable). On error it has discarded what it wrote.
func (s *Store) spool(ctx context.Context, r io.Reader) (sp *spooled, err error) {
	sp = &spooled{mem: spoolMems.Get().(*bytes.Buffer)}
	defer func() {
		if err != nil {
			s.discard(sp)
			sp = nil
		}
	}()
	b := spoolBufs.Get().(*spoolBuf)
	defer func() {
		b.bw.Reset(nil)
		spoolBufs.Put(b)
	}()
	b.bw.Reset(spillWriter{s, sp})
	cw, err := s.codec.Writer(b.bw)
	if err != nil {
		return sp, fmt.Errorf("writing the temp file: %w", err)
	}
	h := sha256.New()
	for {
		if err := ctx.Err(); err != nil {
			return sp, err
		}
		n, rerr := r.Read(b.buf)
		if n > 0 {
			h.Write(b.buf[:n])
			if _, err := cw.Write(b.buf[:n]); err != nil {
				return sp, fmt.Errorf("writing the temp file: %w", err)
			}
			sp.size += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return sp, fmt.Errorf("reading the original: %w", rerr)
		}
	}
	if err := cw.Close(); err != nil {
		return sp, fmt.Errorf("writing the temp file: %w", err)
	}
	if err := b.bw.Flush(); err != nil {
		return sp, fmt.Errorf("writing the temp file: %w", err)
	}
	sp.sum = hex.EncodeToString(h.Sum(nil))
	return sp, nil
}

// spillWriter is what spool's bufio.Writer flushes into: sp's memory
// while it fits, else the temp file, created on the first spill.
type spillWriter struct {
	s  *Store
	sp *spooled
}

func (w spillWriter) Write(p []byte) (int, error) {
	if err := w.s.writeHook(); err != nil {
		return 0, err
	}
	if n, err := w.sp.Write(p); err != errSpill {
		return n, err
	}
	if w.sp.f == nil {
		if err := w.s.createTemp(w.sp); err != nil {
			return 0, err
		}
	}
	return w.sp.f.Write(p)
}

// place puts the original spooled in sp at the content address of its
// hash, unless a blob is there already, and makes that durable: the temp
// file is written (if sp is still in memory) and fsynced before it is
// linked, and each directory that got a new entry (the blob's, and the
// parents of directories created here) is fsynced after. It reports
// whether it created the blob. The caller holds the write lock.
func (s *Store) place(ctx context.Context, tx *sql.Tx, sp *spooled) (created bool, err error) {
	dst := blobPath(sp.sum)
	if _, err := s.root.Lstat(dst); err == nil {
		return false, nil // same content kept already (or a crash leftover, complete: it was fsynced before it got there)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	var in bool
	if err := tx.StmtContext(ctx, s.st.inlineExists).QueryRowContext(ctx, sp.sum).Scan(&in); err != nil {
		return false, err
	}
	if in {
		return false, nil // same content kept inline
	}
	if err := s.durable(sp); err != nil {
		return false, err
	}
	d1, d2 := path.Dir(path.Dir(dst)), path.Dir(dst)
	var newDirs []string
	for _, d := range []string{d1, d2} {
		if _, err := s.root.Lstat(d); errors.Is(err, fs.ErrNotExist) {
			if err := s.root.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return false, err
			}
			newDirs = append(newDirs, path.Dir(d))
		}
	}
	// Link rather than rename: until the temp name is removed (after the
	// commit), a crash leaves evidence in tmp/ that the cleanup at Open
	// follows to the blob. Without hard links, rename; a full Fsck then
	// finds such orphans.
	if s.linkOK {
		err = s.root.Link(sp.name, dst)
		if err != nil && !errors.Is(err, fs.ErrExist) && (errors.Is(err, errors.ErrUnsupported) || errors.Is(err, fs.ErrPermission)) {
			s.linkOK = false
		}
	}
	if !s.linkOK {
		err = s.root.Rename(sp.name, dst)
	}
	if err != nil {
		return false, err
	}
	for _, d := range append([]string{d2}, newDirs...) {
		if err := s.syncDir(d); err != nil {
			s.root.Remove(dst)
			return false, fmt.Errorf("syncing %s: %w", d, err)
		}
	}
	return true, nil
}

// placeInline stores the original spooled in memory in sp as a
// blob_inline row, inside tx, unless a blob of the same content exists
// already, as a file or a row. The caller holds the write lock.
func (s *Store) placeInline(ctx context.Context, tx *sql.Tx, sp *spooled) error {
	if _, err := s.root.Lstat(blobPath(sp.sum)); err == nil {
		return nil // same content kept as a file (complete: see place)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	_, err := tx.StmtContext(ctx, s.st.insertInline).ExecContext(ctx, sp.sum, sp.mem.Bytes())
	return err
}

func (s *Store) insert(ctx context.Context, tx *sql.Tx, m quarantine.Meta) error {
	if s.hooks.index != nil {
		if err := s.hooks.index(); err != nil {
			return err
		}
	}
	to, _ := json.Marshal(nonNil(m.To))
	findings, _ := json.Marshal(nonNil(m.Findings))
	var report any
	if len(m.Report) > 0 {
		report = []byte(m.Report)
	}
	rns := nanos(m.Received)
	_, err := tx.StmtContext(ctx, s.st.insertItem).ExecContext(ctx,
		m.ID, fmtTime(m.Received), rns, m.Origin, m.Client, m.From, strings.ToLower(m.From),
		string(to), rcptsLC(m.To), m.Subject, m.Size, m.SHA256, m.Outcome, string(findings), report, m.Delivery,
		fmtTime(m.RetainUntil), nanos(m.RetainUntil), m.LegalHold)
	if err != nil {
		return err
	}
	return s.insertFindings(ctx, tx, m.ID, rns, m.Findings)
}

func (s *Store) insertFindings(ctx context.Context, tx *sql.Tx, id string, rns int64, findings []string) error {
	if len(findings) == 0 {
		return nil
	}
	st := tx.StmtContext(ctx, s.st.insertFinding)
	for _, f := range findings {
		if _, err := st.ExecContext(ctx, f, rns, id); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// rcptsLC is the searchable form of the recipients: lower case, one per
// line (a Rcpt filter holding a newline matches nothing).
func rcptsLC(to []string) string {
	return "\n" + strings.ToLower(strings.Join(to, "\n")) + "\n"
}

// ---- reading ----

const itemCols = `id, received, origin, client, sender, rcpts, subject, size, sha256, outcome, findings, report, delivery, retain_until, legal_hold`

type scanner interface{ Scan(...any) error }

func scanMeta(sc scanner) (quarantine.Meta, error) {
	var (
		m                quarantine.Meta
		received, retain string
		to, findings     string
		report           []byte
	)
	err := sc.Scan(&m.ID, &received, &m.Origin, &m.Client, &m.From, &to, &m.Subject, &m.Size, &m.SHA256,
		&m.Outcome, &findings, &report, &m.Delivery, &retain, &m.LegalHold)
	if err != nil {
		return m, err
	}
	if m.Received, err = time.Parse(quarantine.TimeFormat, received); err != nil {
		return m, fmt.Errorf("item %s: bad received time: %w", m.ID, err)
	}
	if m.RetainUntil, err = time.Parse(quarantine.TimeFormat, retain); err != nil {
		return m, fmt.Errorf("item %s: bad retain_until time: %w", m.ID, err)
	}
	if err := json.Unmarshal([]byte(to), &m.To); err != nil {
		return m, fmt.Errorf("item %s: bad rcpts: %w", m.ID, err)
	}
	if err := json.Unmarshal([]byte(findings), &m.Findings); err != nil {
		return m, fmt.Errorf("item %s: bad findings: %w", m.ID, err)
	}
	if len(m.To) == 0 {
		m.To = nil
	}
	if len(m.Findings) == 0 {
		m.Findings = nil
	}
	if len(report) > 0 {
		m.Report = json.RawMessage(report)
	}
	return m, nil
}

func notFound(id string) error {
	if !quarantine.ValidID(id) {
		return fmt.Errorf("local: %w: malformed ID", quarantine.ErrNotFound)
	}
	return fmt.Errorf("local: %s: %w", id, quarantine.ErrNotFound)
}

// Stat implements quarantine.Store.
func (s *Store) Stat(ctx context.Context, id string) (quarantine.Meta, error) {
	if !quarantine.ValidID(id) {
		return quarantine.Meta{}, notFound(id)
	}
	m, err := scanMeta(s.st.stat.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, notFound(id)
	}
	if err != nil {
		return m, fmt.Errorf("local: stat %s: %w", id, err)
	}
	return m, nil
}

// Get implements quarantine.Store. The reader streams the blob from disk; it
// holds an open file until closed.
func (s *Store) Get(ctx context.Context, id string) (quarantine.Meta, io.ReadCloser, error) {
	m, err := s.Stat(ctx, id)
	if err != nil {
		return m, nil, err
	}
	rc, err := s.openBlob(ctx, m.SHA256, m.Size)
	if err != nil {
		return m, nil, fmt.Errorf("local: get %s: %w", id, err)
	}
	return m, rc, nil
}

// openBlob returns the decoded blob of sum, checking its hash and size as it
// reaches EOF.
func (s *Store) openBlob(ctx context.Context, sum string, size int64) (io.ReadCloser, error) {
	if !validSHA(sum) {
		return nil, fmt.Errorf("%w: bad hash %q in the index", quarantine.ErrCorrupt, sum)
	}
	var f io.ReadCloser
	f, err := s.root.Open(blobPath(sum))
	if errors.Is(err, fs.ErrNotExist) {
		var data []byte
		err = s.st.selectInline.QueryRowContext(ctx, sum).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: the blob %s is missing", quarantine.ErrCorrupt, sum)
		}
		f = io.NopCloser(bytes.NewReader(data))
	}
	if err != nil {
		return nil, err
	}
	cr, err := s.codec.Reader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &checkReader{r: cr, f: f, h: sha256.New(), want: sum, size: size}, nil
}

// checkReader hashes what it reads and turns EOF into ErrCorrupt when the
// hash or the size differs from the index.
type checkReader struct {
	r    io.ReadCloser
	f    io.Closer
	h    hash.Hash
	want string
	size int64
	n    int64
	err  error
}

func (c *checkReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.n > c.size {
		c.err = fmt.Errorf("%w: the original is longer than its recorded size %d", quarantine.ErrCorrupt, c.size)
		return 0, c.err
	}
	if err == io.EOF {
		if c.n != c.size {
			c.err = fmt.Errorf("%w: the original has %d bytes, recorded %d", quarantine.ErrCorrupt, c.n, c.size)
		} else if got := hex.EncodeToString(c.h.Sum(nil)); got != c.want {
			c.err = fmt.Errorf("%w: SHA-256 %s, recorded %s", quarantine.ErrCorrupt, got, c.want)
		} else {
			c.err = io.EOF
		}
		return n, c.err
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

func (c *checkReader) Close() error {
	err := c.r.Close()
	if ferr := c.f.Close(); err == nil {
		err = ferr
	}
	return err
}

// ---- List ----

// listPage is how many rows List reads per query; between pages it holds
// no read transaction, so fn may call the store.
const listPage = 256

// List implements quarantine.Store. Received ranges, Outcome and Finding
// use indexes; From and Rcpt are substring scans over the rows that the
// other conditions leave, in index order, stopping at Limit (with a million
// items, a From that matches nothing scans them all: about 0.7 s). Rows are
// read in pages, with no transaction held while fn runs, so fn may call the
// store.
func (s *Store) List(ctx context.Context, f quarantine.Filter, fn func(quarantine.Meta) error) error {
	if f.Rcpt != "" && strings.Contains(f.Rcpt, "\n") {
		return nil
	}
	// Without a Finding, walk items by its received index; with one, walk
	// that rule's rows of item_findings, which carry received_ns and id in
	// the same order.
	var (
		from  = `items i`
		t     = `i`
		where []string
		args  []any
	)
	if f.Finding != "" {
		from, t = `item_findings f JOIN items i ON i.id = f.id`, `f`
		where = append(where, `f.rule = ?`)
		args = append(args, f.Finding)
	}
	col := t + `.received_ns`
	order := t + `.received_ns DESC, ` + t + `.id DESC`
	key := `(` + t + `.received_ns, ` + t + `.id)`
	if !f.Since.IsZero() {
		where = append(where, col+` >= ?`)
		args = append(args, nanos(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, col+` < ?`)
		args = append(args, nanos(f.Until))
	}
	if f.Outcome != "" {
		where = append(where, `i.outcome = ?`)
		args = append(args, f.Outcome)
	}
	if f.From != "" {
		where = append(where, `instr(i.sender_lc, ?) > 0`)
		args = append(args, strings.ToLower(f.From))
	}
	if f.Rcpt != "" {
		where = append(where, `instr(i.rcpts_lc, ?) > 0`)
		args = append(args, strings.ToLower(f.Rcpt))
	}
	left := f.Limit
	var lastNS int64
	var lastID string
	first := true
	for {
		page := listPage
		if f.Limit > 0 {
			if left <= 0 {
				return nil
			}
			page = min(page, left)
		}
		w, a := where, args
		if !first {
			w = append(w[:len(w):len(w)], key+` < (?, ?)`)
			a = append(a[:len(a):len(a)], lastNS, lastID)
		}
		q := `SELECT ` + prefixCols("i.") + `, i.received_ns FROM ` + from
		if len(w) > 0 {
			q += ` WHERE ` + strings.Join(w, ` AND `)
		}
		q += ` ORDER BY ` + order + ` LIMIT ?`
		a = append(a[:len(a):len(a)], page)
		if s.hooks.listQuery != nil {
			s.hooks.listQuery(q, a)
		}
		ms, ns, err := s.queryPage(ctx, q, a)
		if err != nil {
			return fmt.Errorf("local: list: %w", err)
		}
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		if len(ms) < page {
			return nil
		}
		left -= len(ms)
		lastNS, lastID, first = ns, ms[len(ms)-1].ID, false
	}
}

func prefixCols(p string) string {
	cols := strings.Split(itemCols, ", ")
	for i := range cols {
		cols[i] = p + cols[i]
	}
	return strings.Join(cols, ", ")
}

// queryPage runs a List query and returns its items and the received_ns of
// the last one.
func (s *Store) queryPage(ctx context.Context, q string, args []any) ([]quarantine.Meta, int64, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var (
		out []quarantine.Meta
		ns  int64
	)
	for rows.Next() {
		m, err := scanMeta(nsScanner{rows, &ns})
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, ns, rows.Err()
}

// nsScanner scans the item columns plus a trailing received_ns.
type nsScanner struct {
	rows *sql.Rows
	ns   *int64
}

func (n nsScanner) Scan(dest ...any) error { return n.rows.Scan(append(dest, n.ns)...) }

// ---- Update ----

// Update implements quarantine.Store. fn is called once, inside the write
// transaction; it must not call the store.
func (s *Store) Update(ctx context.Context, id string, fn func(*quarantine.Meta) error) error {
	_, err := s.update(ctx, id, fn, nil)
	if err != nil && !errors.Is(err, quarantine.ErrNotFound) {
		err = fmt.Errorf("local: update %s: %w", id, err)
	}
	return err
}

// UpdateWithEvent implements quarantine.Journal: the row change and the
// audit entry are written in one transaction. fn is called once, inside
// it; it must not call the store.
func (s *Store) UpdateWithEvent(ctx context.Context, id string, fn func(*quarantine.Meta) error, e quarantine.Event) (quarantine.Entry, error) {
	if err := validEvent(e); err != nil {
		return quarantine.Entry{}, fmt.Errorf("local: update %s with event: %w", id, err)
	}
	ent, err := s.update(ctx, id, fn, &e)
	if err != nil && !errors.Is(err, quarantine.ErrNotFound) {
		err = fmt.Errorf("local: update %s with event: %w", id, err)
	}
	return ent, err
}

// update changes item id with fn and, if ev is not nil, appends ev about it
// in the same transaction. An unknown ID fails with the bare ErrNotFound
// error of notFound; other errors are unwrapped.
func (s *Store) update(ctx context.Context, id string, fn func(*quarantine.Meta) error, ev *quarantine.Event) (quarantine.Entry, error) {
	if !quarantine.ValidID(id) {
		return quarantine.Entry{}, notFound(id)
	}
	var ent quarantine.Entry
	err := s.writeTx(ctx, s.updateTx(ctx, id, fn, ev, &ent))
	if err != nil {
		if errors.Is(err, quarantine.ErrNotFound) {
			return quarantine.Entry{}, err
		}
		return quarantine.Entry{}, dbErr(err)
	}
	return ent, nil
}

// UpdatesWithEvents implements quarantine.BatchJournal: the updates are
// queued together, so that they share transactions (each in its own
// savepoint: one failing does not undo the others).
func (s *Store) UpdatesWithEvents(ctx context.Context, us []quarantine.Update) []error {
	errs := make([]error, len(us))
	reqs := make([]*txReq, 0, len(us))
	idx := make([]int, 0, len(us))
	lazy := quarantine.SyncDeferred(ctx)
	for i, u := range us {
		if err := validEvent(u.Event); err != nil {
			errs[i] = fmt.Errorf("local: update %s with event: %w", u.ID, err)
			continue
		}
		if !quarantine.ValidID(u.ID) {
			errs[i] = notFound(u.ID)
			continue
		}
		ev := u.Event
		reqs = append(reqs, &txReq{ctx: ctx, fn: s.updateTx(ctx, u.ID, u.Fn, &ev, new(quarantine.Entry)), lazy: lazy})
		idx = append(idx, i)
	}
	s.submit(reqs...)
	for k, r := range reqs {
		if err := r.err; err != nil {
			if !errors.Is(err, quarantine.ErrNotFound) {
				err = fmt.Errorf("local: update %s with event: %w", us[idx[k]].ID, dbErr(err))
			}
			errs[idx[k]] = err
		}
	}
	return errs
}

// updateTx returns the transaction function of update: it changes item id
// with fn and, if ev is not nil, appends ev about it, setting *ent.
func (s *Store) updateTx(ctx context.Context, id string, fn func(*quarantine.Meta) error, ev *quarantine.Event, ent *quarantine.Entry) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		var rns int64
		old, err := scanMeta(nsScanner2{tx.StmtContext(ctx, s.st.selectForUpdate).QueryRowContext(ctx, id), &rns})
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(id)
		}
		if err != nil {
			return err
		}
		m := old
		m.To = append([]string(nil), old.To...)
		m.Findings = append([]string(nil), old.Findings...)
		m.Report = append(json.RawMessage(nil), old.Report...)
		if err := fn(&m); err != nil {
			return err
		}
		if err := immutable(old, m); err != nil {
			return err
		}
		if len(m.Report) > 0 && !json.Valid(m.Report) {
			return errors.New("the report is not valid JSON")
		}
		findings, _ := json.Marshal(nonNil(m.Findings))
		var report any
		if len(m.Report) > 0 {
			report = []byte(m.Report)
		}
		m.RetainUntil = canon(m.RetainUntil)
		if _, err := tx.StmtContext(ctx, s.st.updateItem).ExecContext(ctx,
			m.Outcome, string(findings), report, m.Delivery, fmtTime(m.RetainUntil), nanos(m.RetainUntil),
			m.LegalHold, m.Subject, id); err != nil {
			return err
		}
		// The findings index changes only with the findings (a delivery
		// status update leaves it alone).
		if !equalStrings(old.Findings, m.Findings) {
			if _, err := tx.StmtContext(ctx, s.st.deleteFindings).ExecContext(ctx, id); err != nil {
				return err
			}
			if err := s.insertFindings(ctx, tx, id, rns, m.Findings); err != nil {
				return err
			}
		}
		if ev != nil {
			e := *ev
			e.Item = id
			*ent, err = s.appendTx(ctx, tx, e)
		}
		return err
	}
}

type nsScanner2 struct {
	row *sql.Row
	ns  *int64
}

func (n nsScanner2) Scan(dest ...any) error { return n.row.Scan(append(dest, n.ns)...) }

// immutable returns an error naming the first field that Update may not
// change but that differs between old and m.
func immutable(old, m quarantine.Meta) error {
	var bad string
	switch {
	case m.ID != old.ID:
		bad = "ID"
	case !m.Received.Equal(old.Received) || fmtTime(m.Received) != fmtTime(old.Received):
		bad = "Received"
	case m.Origin != old.Origin:
		bad = "Origin"
	case m.Client != old.Client:
		bad = "Client"
	case m.From != old.From:
		bad = "From"
	case !equalStrings(m.To, old.To):
		bad = "To"
	case m.Size != old.Size:
		bad = "Size"
	case m.SHA256 != old.SHA256:
		bad = "SHA256"
	default:
		return nil
	}
	return fmt.Errorf("%s cannot be changed", bad)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ---- Delete and Purge ----

// Delete implements quarantine.Store.
func (s *Store) Delete(ctx context.Context, id string) error {
	if !quarantine.ValidID(id) {
		return notFound(id)
	}
	var trashed []trashed
	err := s.removeTx(ctx, &trashed, func(tx *sql.Tx) ([]string, error) {
		var (
			sum  string
			held bool
		)
		err := tx.QueryRowContext(ctx, `SELECT sha256, legal_hold FROM items WHERE id = ?`, id).Scan(&sum, &held)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound(id)
		}
		if err != nil {
			return nil, err
		}
		if held {
			return nil, fmt.Errorf("local: %s: %w", id, quarantine.ErrHeld)
		}
		if err := deleteItem(ctx, tx, id); err != nil {
			return nil, err
		}
		return []string{sum}, nil
	})
	if err != nil {
		if errors.Is(err, quarantine.ErrNotFound) || errors.Is(err, quarantine.ErrHeld) {
			return err
		}
		return fmt.Errorf("local: delete %s: %w", id, dbErr(err))
	}
	return nil
}

// Purge implements quarantine.Store.
func (s *Store) Purge(ctx context.Context, t time.Time) ([]string, error) {
	var ids []string
	var trashed []trashed
	err := s.removeTx(ctx, &trashed, func(tx *sql.Tx) ([]string, error) {
		ids = ids[:0]
		rows, err := tx.QueryContext(ctx, `SELECT id, sha256 FROM items WHERE retain_ns < ? AND legal_hold = 0`, nanos(t))
		if err != nil {
			return nil, err
		}
		var sums []string
		for rows.Next() {
			var id, sum string
			if err := rows.Scan(&id, &sum); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
			sums = append(sums, sum)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if err := deleteItem(ctx, tx, id); err != nil {
				return nil, err
			}
		}
		return sums, nil
	})
	if err != nil {
		return nil, fmt.Errorf("local: purge: %w", dbErr(err))
	}
	return ids, nil
}

func deleteItem(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM item_findings WHERE id = ?`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM items WHERE id = ?`, id)
	return err
}

type trashed struct{ blob, trash string }

// removeTx runs fn, which deletes rows and returns the hashes of the blobs
// they referenced, in a write transaction; blobs left without references
// move to trash/ before the commit, go back if it fails, and are removed
// after it.
func (s *Store) removeTx(ctx context.Context, moved *[]trashed, fn func(*sql.Tx) ([]string, error)) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	restore := func() {
		for _, t := range *moved {
			if err := s.root.Rename(t.trash, t.blob); err != nil {
				s.log.Error("quarantine: cannot restore a blob from trash; Fsck will", "blob", t.blob, "err", err)
			}
		}
		*moved = (*moved)[:0]
	}
	fail := func(err error) error {
		restore()
		tx.Rollback()
		return err
	}
	sums, err := fn(tx)
	if err != nil {
		return fail(err)
	}
	seen := map[string]bool{}
	for _, sum := range sums {
		if seen[sum] {
			continue
		}
		seen[sum] = true
		var refs int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE sha256 = ?`, sum).Scan(&refs); err != nil {
			return fail(err)
		}
		if refs > 0 || !validSHA(sum) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM blob_inline WHERE sha256 = ?`, sum); err != nil {
			return fail(err)
		}
		t := trashed{blob: blobPath(sum), trash: path.Join("trash", sum+"."+randName())}
		if err := s.root.Rename(t.blob, t.trash); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // already gone; nothing to keep
			}
			return fail(err)
		}
		*moved = append(*moved, t)
	}
	if len(*moved) > 0 {
		// Make the moves durable before the rows go, so that after a crash
		// the blobs are in trash/, where the quick cleanup looks, and not
		// back at their addresses unreferenced (which only a full Fsck
		// finds).
		if err := s.syncDir("trash"); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		restore()
		return err
	}
	for _, t := range *moved {
		if err := s.root.Remove(t.trash); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("quarantine: cannot remove a trashed blob; Fsck will", "file", t.trash, "err", err)
		}
	}
	return nil
}
