package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/mugai-project/mugai/quarantine"
)

// queries are the statements with the schema filled in.
type queries struct {
	insertChunk, dropChunks, getChunk                   string
	newBlob, refBlob, unrefBlob, dropBlob, getItem      string
	insertItem, stat, statForUpdate, lockItem, dropItem string
	update, list, purge                                 string
	head, lockHead, moveHead, insertEntry, entries      string
}

// itemCols are the items columns that make a Meta, in scanMeta's order.
const itemCols = `id, received_text, origin, client, mail_from, rcpt, subject, size, sha256,
	outcome, findings, report, delivery, retain_text, legal_hold`

// entryCols are the audit columns that make an Entry, in scanEntry's order.
const entryCols = `seq, time, type, item, actor, reason, data, prev, hash`

func makeQueries(s string) queries {
	r := strings.NewReplacer("{s}", s, "{items}", itemCols, "{entry}", entryCols)
	q := queries{
		insertChunk: `INSERT INTO {s}.blob_chunks (sha256, n, data) VALUES ($1, $2, $3)`,
		dropChunks:  `DELETE FROM {s}.blob_chunks WHERE sha256 = $1`,
		getChunk:    `SELECT data FROM {s}.blob_chunks WHERE sha256 = $1 AND n = $2`,
		newBlob: `WITH b AS (
				INSERT INTO {s}.blobs (sha256, size, stored, chunks, encrypted, refs)
				VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (sha256) DO NOTHING
				RETURNING sha256),
			r AS (UPDATE {s}.blob_chunks c SET sha256 = b.sha256 FROM b WHERE c.sha256 = $6)
			INSERT INTO {s}.blob_chunks (sha256, n, data) SELECT sha256, $7, $8 FROM b`,
		refBlob:   `UPDATE {s}.blobs SET refs = refs + 1 WHERE sha256 = $1`,
		unrefBlob: `UPDATE {s}.blobs SET refs = refs - $2 WHERE sha256 = $1 RETURNING refs`,
		dropBlob:  `DELETE FROM {s}.blobs WHERE sha256 = $1 AND refs = 0`,
		getItem: `SELECT {items}, coalesce((SELECT chunks FROM {s}.blobs b WHERE b.sha256 = i.sha256), 0)
			FROM {s}.items i WHERE id = $1`,
		insertItem: `INSERT INTO {s}.items (id, received, received_ns, received_text, origin, client,
			mail_from, rcpt, subject, size, sha256, outcome, findings, report, delivery,
			retain_until, retain_ns, retain_text, legal_hold, from_lc, rcpt_lc)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		stat:          `SELECT {items} FROM {s}.items WHERE id = $1`,
		statForUpdate: `SELECT {items} FROM {s}.items WHERE id = $1 FOR UPDATE`,
		lockItem:      `SELECT legal_hold, sha256 FROM {s}.items WHERE id = $1 FOR UPDATE`,
		dropItem:      `DELETE FROM {s}.items WHERE id = $1`,
		update: `UPDATE {s}.items SET subject = $2, outcome = $3, findings = $4, report = $5,
			delivery = $6, retain_until = $7, retain_ns = $8, retain_text = $9, legal_hold = $10
			WHERE id = $1`,
		// list is completed by List with its conditions.
		list: `SELECT {items}, received, received_ns FROM {s}.items`,
		purge: `DELETE FROM {s}.items WHERE id IN (
			SELECT id FROM {s}.items
			WHERE NOT legal_hold AND (retain_until, retain_ns) < ($1, $2)
			ORDER BY retain_until, retain_ns LIMIT $3
			FOR UPDATE SKIP LOCKED)
			RETURNING id, sha256`,
		head:        `SELECT seq, hash FROM {s}.audit_head`,
		lockHead:    `SELECT seq, hash FROM {s}.audit_head FOR UPDATE`,
		moveHead:    `UPDATE {s}.audit_head SET seq = $1, hash = $2`,
		insertEntry: `INSERT INTO {s}.audit ({entry}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		entries:     `SELECT {entry} FROM {s}.audit WHERE seq > $1 ORDER BY seq LIMIT $2`,
	}
	for _, p := range []*string{
		&q.insertChunk, &q.dropChunks, &q.getChunk,
		&q.newBlob, &q.refBlob, &q.unrefBlob, &q.dropBlob, &q.getItem,
		&q.insertItem, &q.stat, &q.statForUpdate, &q.lockItem, &q.dropItem,
		&q.update, &q.list, &q.purge,
		&q.head, &q.lockHead, &q.moveHead, &q.insertEntry, &q.entries,
	} {
		*p = r.Replace(*p)
	}
	return q
}

// Hook points inside Put, for tests.
const (
	hookChunk = "chunk" // after each full chunk is written mid-stream
	hookWrite = "write" // the input is read; before the blob and last chunk are written
	hookIndex = "index" // the blob is written; before the items row
)

func (s *Store) fire(point string, pid uint32) error {
	if h := s.hook.Load(); h != nil {
		return (*h)(point, pid)
	}
	return nil
}

// rollback ends tx when it was not committed. It does not use the caller's
// context, which may be the reason for the rollback; a connection that is
// gone rolls back by itself.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx.Rollback(ctx)
}

// Put implements quarantine.Store. See the package documentation for how it
// streams and deduplicates.
func (s *Store) Put(ctx context.Context, m quarantine.Meta, r io.Reader) (quarantine.Meta, error) {
	now := s.clock()
	if !quarantine.ValidID(m.ID) {
		m.ID = quarantine.NewID(now)
	}
	if m.Received.IsZero() {
		m.Received = now
	}
	if m.Delivery == "" {
		m.Delivery = quarantine.DeliveryPending
	}
	if m.RetainUntil.IsZero() {
		m.RetainUntil = m.Received.Add(s.retention)
	}
	if !storable(m.Received) || !storable(m.RetainUntil) {
		return quarantine.Meta{}, errors.New("postgres: put: Received and RetainUntil must be in years 1 to 9999")
	}
	m.Received = roundTrip(m.Received)
	m.RetainUntil = roundTrip(m.RetainUntil)
	cleanMeta(&m)
	if len(m.Report) > 0 && !json.Valid(m.Report) {
		return quarantine.Meta{}, errors.New("postgres: put: Report is not valid JSON")
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return quarantine.Meta{}, fmt.Errorf("postgres: put: %w", err)
	}
	defer rollback(tx)
	pid := tx.Conn().PgConn().PID()

	tmp := make([]byte, 16) // not 32 bytes: never a SHA-256
	rand.Read(tmp)
	bp := chunkBufs.Get().(*[]byte)
	defer chunkBufs.Put(bp)
	cw := &chunkWriter{ctx: ctx, s: s, tx: tx, pid: pid, key: tmp, buf: (*bp)[:0]}
	enc, err := s.codec.Writer(cw)
	if err != nil {
		return quarantine.Meta{}, fmt.Errorf("postgres: put: %w", err)
	}
	h := sha256.New()
	size, err := copyCtx(ctx, io.MultiWriter(h, enc), r)
	if err == nil {
		err = enc.Close()
	}
	if cw.err != nil {
		err = cw.err // the database's error, not the codec's view of it
	}
	if err != nil {
		return quarantine.Meta{}, fmt.Errorf("postgres: put: %w", err)
	}
	sum := h.Sum(nil)
	m.SHA256 = hex.EncodeToString(sum)
	m.Size = size

	if err := s.fire(hookWrite, pid); err != nil {
		return quarantine.Meta{}, fmt.Errorf("postgres: put: %w", err)
	}
	if err := cw.finish(sum, size); err != nil {
		return quarantine.Meta{}, fmt.Errorf("postgres: put: %w", err)
	}
	if err := s.fire(hookIndex, pid); err != nil {
		return quarantine.Meta{}, fmt.Errorf("postgres: put: %w", err)
	}
	rt, rns := splitTime(m.Received)
	ut, uns := splitTime(m.RetainUntil)
	if _, err := tx.Exec(ctx, s.q.insertItem,
		m.ID, rt, rns, m.Received.Format(quarantine.TimeFormat), m.Origin, m.Client,
		m.From, nonNil(m.To), m.Subject, m.Size, sum, m.Outcome, nonNil(m.Findings), nullJSON(m.Report), m.Delivery,
		ut, uns, m.RetainUntil.Format(quarantine.TimeFormat), m.LegalHold,
		strings.ToLower(m.From), lowerJoin(m.To),
	); err != nil {
		return quarantine.Meta{}, fmt.Errorf("postgres: put: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return quarantine.Meta{}, fmt.Errorf("postgres: put: commit: %w", err)
	}
	return m, nil
}

// chunkWriter collects the encoded blob and writes it as blob_chunks rows of
// ChunkSize bytes under a temporary key. The last chunk stays in buf until
// finish, which knows the hash.
type chunkWriter struct {
	ctx    context.Context
	s      *Store
	tx     pgx.Tx
	pid    uint32
	key    []byte
	buf    []byte
	n      int   // chunks written
	stored int64 // encoded bytes
	err    error
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	total := len(p)
	for len(p) > 0 {
		if len(c.buf) == ChunkSize {
			if _, err := c.tx.Exec(c.ctx, c.s.q.insertChunk, c.key, c.n, c.buf); err != nil {
				c.err = err
				return total - len(p), err
			}
			c.n++
			if err := c.s.fire(hookChunk, c.pid); err != nil {
				c.err = err
				return total - len(p), err
			}
			c.buf = c.buf[:0]
		}
		k := min(ChunkSize-len(c.buf), len(p))
		c.buf = append(c.buf, p[:k]...)
		c.stored += int64(k)
		p = p[k:]
	}
	return total, nil
}

// finish stores the blob under sum: a new blob takes the temporary chunks
// and the buffered last one; for a known blob they are dropped and its
// reference count goes up.
func (c *chunkWriter) finish(sum []byte, size int64) error {
	q := &c.s.q
	for range 5 {
		// One statement for new content: the blob row, the temporary
		// chunks renamed, the last chunk. Nothing happens for known
		// content (ON CONFLICT waits for a concurrent insert of it).
		tag, err := c.tx.Exec(c.ctx, q.newBlob, sum, size, c.stored, c.n+1, c.s.codec.Encrypted(), c.key, c.n, c.buf)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		// Known content. The row may vanish between the two statements
		// (its last item deleted and committed): then insert again.
		tag, err = c.tx.Exec(c.ctx, q.refBlob, sum)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			if c.n > 0 {
				if _, err := c.tx.Exec(c.ctx, q.dropChunks, c.key); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return errors.New("blob row keeps changing under concurrent deletes; try again")
}

// chunkBufs holds ChunkSize buffers for Put, copyBufs its read buffers.
var (
	chunkBufs = sync.Pool{New: func() any { b := make([]byte, 0, ChunkSize); return &b }}
	copyBufs  = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}
)

// copyCtx copies like io.Copy and stops when ctx is done.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, rerr := src.Read(buf)
		if k > 0 {
			if _, err := dst.Write(buf[:k]); err != nil {
				return n, err
			}
			n += int64(k)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("reading the original: %w", rerr)
		}
	}
}

// Get implements quarantine.Store. The returned reader fetches one chunk
// per query with ctx, so ctx must stay live until the reader is closed; it
// holds no connection between reads.
func (s *Store) Get(ctx context.Context, id string) (quarantine.Meta, io.ReadCloser, error) {
	if !quarantine.ValidID(id) {
		return quarantine.Meta{}, nil, fmt.Errorf("postgres: %q: %w", id, quarantine.ErrNotFound)
	}
	var (
		m      quarantine.Meta
		chunks int
	)
	err := scanMetaInto(s.pool.QueryRow(ctx, s.q.getItem, id), &m, &chunks)
	if errors.Is(err, pgx.ErrNoRows) {
		return quarantine.Meta{}, nil, fmt.Errorf("postgres: %s: %w", id, quarantine.ErrNotFound)
	}
	if err != nil {
		return quarantine.Meta{}, nil, fmt.Errorf("postgres: get %s: %w", id, err)
	}
	sum, err := hex.DecodeString(m.SHA256)
	if err != nil {
		return quarantine.Meta{}, nil, fmt.Errorf("postgres: get %s: %w: bad hash in the index", id, quarantine.ErrCorrupt)
	}
	cr := &chunkReader{ctx: ctx, s: s, id: id, key: sum, chunks: chunks}
	dec, err := s.codec.Reader(cr)
	if cr.err != nil {
		err = cr.err
	}
	if err != nil {
		return quarantine.Meta{}, nil, fmt.Errorf("postgres: get %s: %w", id, err)
	}
	return m, &verifyReader{dec: dec, cr: cr, want: sum, size: m.Size, h: sha256.New()}, nil
}

// chunkReader reads the chunks of one blob in order.
type chunkReader struct {
	ctx    context.Context
	s      *Store
	id     string
	key    []byte
	chunks int
	n      int
	buf    []byte
	err    error // a database error, kept so that it is not reported as corruption
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.n == c.chunks {
			return 0, io.EOF
		}
		var data []byte
		err := c.s.pool.QueryRow(c.ctx, c.s.q.getChunk, c.key, c.n).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			// Deleted while being read, or damaged.
			if _, serr := c.s.Stat(c.ctx, c.id); errors.Is(serr, quarantine.ErrNotFound) {
				c.err = fmt.Errorf("postgres: get %s: deleted while being read: %w", c.id, quarantine.ErrNotFound)
			} else {
				c.err = fmt.Errorf("postgres: get %s: chunk %d of %d missing: %w", c.id, c.n, c.chunks, quarantine.ErrCorrupt)
			}
			return 0, c.err
		}
		if err != nil {
			c.err = fmt.Errorf("postgres: get %s: %w", c.id, err)
			return 0, c.err
		}
		c.n++
		c.buf = data
	}
	k := copy(p, c.buf)
	c.buf = c.buf[k:]
	return k, nil
}

// verifyReader decodes and checks size and SHA-256 at EOF.
type verifyReader struct {
	dec  io.ReadCloser
	cr   *chunkReader
	want []byte
	size int64
	n    int64
	h    hash.Hash
	err  error
}

func (v *verifyReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	k, err := v.dec.Read(p)
	v.h.Write(p[:k])
	v.n += int64(k)
	switch {
	case err == io.EOF:
		if v.n != v.size || !bytes.Equal(v.h.Sum(nil), v.want) {
			v.err = fmt.Errorf("postgres: get %s: %w (%d bytes read, %d expected)", v.cr.id, quarantine.ErrCorrupt, v.n, v.size)
			return k, v.err
		}
		v.err = io.EOF
	case err != nil:
		if v.cr.err != nil {
			err = v.cr.err
		}
		v.err = err
	}
	return k, err
}

func (v *verifyReader) Close() error {
	if v.err == nil {
		v.err = errors.New("postgres: read after Close")
	}
	return v.dec.Close()
}

// Stat implements quarantine.Store.
func (s *Store) Stat(ctx context.Context, id string) (quarantine.Meta, error) {
	if !quarantine.ValidID(id) {
		return quarantine.Meta{}, fmt.Errorf("postgres: %q: %w", id, quarantine.ErrNotFound)
	}
	m, err := scanMeta(s.pool.QueryRow(ctx, s.q.stat, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return quarantine.Meta{}, fmt.Errorf("postgres: %s: %w", id, quarantine.ErrNotFound)
	}
	if err != nil {
		return quarantine.Meta{}, fmt.Errorf("postgres: stat %s: %w", id, err)
	}
	return m, nil
}

// listPage is how many rows List reads per query. No connection is held
// while fn runs, so fn may call the store.
const listPage = 200

// List implements quarantine.Store. It pages through the index newest
// first (keyset pagination on received, its nanoseconds and id).
func (s *Store) List(ctx context.Context, f quarantine.Filter, fn func(quarantine.Meta) error) error {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if !f.Since.IsZero() {
		t, ns := splitTime(f.Since)
		conds = append(conds, fmt.Sprintf("(received, received_ns) >= (%s, %s)", arg(t), arg(ns)))
	}
	if !f.Until.IsZero() {
		t, ns := splitTime(f.Until)
		conds = append(conds, fmt.Sprintf("(received, received_ns) < (%s, %s)", arg(t), arg(ns)))
	}
	if f.From != "" {
		conds = append(conds, "from_lc LIKE "+arg(likeContains(f.From)))
	}
	if f.Rcpt != "" {
		conds = append(conds, "rcpt_lc LIKE "+arg(likeContains(f.Rcpt)))
	}
	if f.Outcome != "" {
		conds = append(conds, "outcome = "+arg(f.Outcome))
	}
	if f.Finding != "" {
		conds = append(conds, "findings @> ARRAY["+arg(f.Finding)+"]::text[]")
	}
	nFixed := len(args)
	left := f.Limit
	var (
		after   bool
		lastT   time.Time
		lastNS  int16
		lastID  string
		rcptLow = strings.ToLower(f.Rcpt)
	)
	for {
		args = args[:nFixed]
		c := slices.Clone(conds)
		if after {
			c = append(c, fmt.Sprintf("(received, received_ns, id) < (%s, %s, %s)", arg(lastT), arg(lastNS), arg(lastID)))
		}
		page := listPage
		if f.Limit > 0 {
			page = min(page, left)
		}
		q := s.q.list
		if len(c) > 0 {
			q += " WHERE " + strings.Join(c, " AND ")
		}
		q += " ORDER BY received DESC, received_ns DESC, id DESC LIMIT " + arg(page)
		rows, err := s.pool.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("postgres: list: %w", err)
		}
		var ms []quarantine.Meta
		for rows.Next() {
			var m quarantine.Meta
			if err := scanMetaInto(rows, &m, &lastT, &lastNS); err != nil {
				rows.Close()
				return fmt.Errorf("postgres: list: %w", err)
			}
			lastID = m.ID
			ms = append(ms, m)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgres: list: %w", err)
		}
		for _, m := range ms {
			if rcptLow != "" && !slices.ContainsFunc(m.To, func(a string) bool {
				return strings.Contains(strings.ToLower(a), rcptLow)
			}) {
				continue // matched only across the line break in rcpt_lc
			}
			if err := fn(m); err != nil {
				return err
			}
			left--
			if f.Limit > 0 && left == 0 {
				return nil
			}
		}
		if len(ms) < page {
			return nil
		}
		after = true
	}
}

// likeContains returns a LIKE pattern matching s lower-cased as a literal
// substring.
func likeContains(s string) string {
	s = strings.ToLower(cleanText(s))
	s = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
	return "%" + s + "%"
}

// Update implements quarantine.Store. The row is locked for the duration,
// so fn is called once.
func (s *Store) Update(ctx context.Context, id string, fn func(*quarantine.Meta) error) error {
	if !quarantine.ValidID(id) {
		return fmt.Errorf("postgres: %q: %w", id, quarantine.ErrNotFound)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: update %s: %w", id, err)
	}
	defer rollback(tx)
	if err := deferSync(ctx, tx); err != nil {
		return fmt.Errorf("postgres: update %s: %w", id, err)
	}
	old, err := scanMeta(tx.QueryRow(ctx, s.q.statForUpdate, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", id, quarantine.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: update %s: %w", id, err)
	}
	m := cloneMeta(old)
	if err := fn(&m); err != nil {
		return err
	}
	if f := changedImmutable(old, m); f != "" {
		return fmt.Errorf("postgres: update %s: %s is not mutable", id, f)
	}
	if len(m.Report) > 0 && !json.Valid(m.Report) {
		return fmt.Errorf("postgres: update %s: Report is not valid JSON", id)
	}
	if !storable(m.RetainUntil) {
		return fmt.Errorf("postgres: update %s: RetainUntil must be in years 1 to 9999", id)
	}
	cleanMeta(&m)
	m.RetainUntil = roundTrip(m.RetainUntil)
	ut, uns := splitTime(m.RetainUntil)
	if _, err := tx.Exec(ctx, s.q.update, id, m.Subject, m.Outcome, nonNil(m.Findings), nullJSON(m.Report),
		m.Delivery, ut, uns, m.RetainUntil.Format(quarantine.TimeFormat), m.LegalHold); err != nil {
		return fmt.Errorf("postgres: update %s: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: update %s: commit: %w", id, err)
	}
	return nil
}

// changedImmutable names the first immutable field that differs, or "".
func changedImmutable(a, b quarantine.Meta) string {
	switch {
	case a.ID != b.ID:
		return "ID"
	case a.Received.Format(quarantine.TimeFormat) != b.Received.Format(quarantine.TimeFormat):
		return "Received"
	case a.Origin != b.Origin:
		return "Origin"
	case a.Client != b.Client:
		return "Client"
	case a.From != b.From:
		return "From"
	case !slices.Equal(a.To, b.To):
		return "To"
	case a.Size != b.Size:
		return "Size"
	case a.SHA256 != b.SHA256:
		return "SHA256"
	}
	return ""
}

func cloneMeta(m quarantine.Meta) quarantine.Meta {
	m.To = slices.Clone(m.To)
	m.Findings = slices.Clone(m.Findings)
	m.Report = bytes.Clone(m.Report)
	return m
}

// Delete implements quarantine.Store.
func (s *Store) Delete(ctx context.Context, id string) error {
	if !quarantine.ValidID(id) {
		return fmt.Errorf("postgres: %q: %w", id, quarantine.ErrNotFound)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: delete %s: %w", id, err)
	}
	defer rollback(tx)
	var (
		held bool
		sum  []byte
	)
	err = tx.QueryRow(ctx, s.q.lockItem, id).Scan(&held, &sum)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", id, quarantine.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: delete %s: %w", id, err)
	}
	if held {
		return fmt.Errorf("postgres: delete %s: %w", id, quarantine.ErrHeld)
	}
	if _, err := tx.Exec(ctx, s.q.dropItem, id); err != nil {
		return fmt.Errorf("postgres: delete %s: %w", id, err)
	}
	if err := s.unref(ctx, tx, sum, 1); err != nil {
		return fmt.Errorf("postgres: delete %s: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: delete %s: commit: %w", id, err)
	}
	return nil
}

// unref drops n references to blob sum, and the blob with its chunks when
// none remain.
func (s *Store) unref(ctx context.Context, tx pgx.Tx, sum []byte, n int64) error {
	var refs int64
	if err := tx.QueryRow(ctx, s.q.unrefBlob, sum, n).Scan(&refs); err != nil {
		return err
	}
	if refs == 0 {
		if _, err := tx.Exec(ctx, s.q.dropBlob, sum); err != nil {
			return err
		}
	}
	return nil
}

// purgeBatch is how many items one Purge transaction deletes.
const purgeBatch = 500

// Purge implements quarantine.Store. It deletes in transactions of
// purgeBatch items; items another transaction holds locked at that moment
// (being updated or deleted) are left for the next Purge.
func (s *Store) Purge(ctx context.Context, t time.Time) ([]string, error) {
	ut, uns := splitTime(t)
	var ids []string
	for {
		n, err := s.purgeOnce(ctx, ut, uns, &ids)
		if err != nil {
			return ids, fmt.Errorf("postgres: purge: %w", err)
		}
		if n < purgeBatch {
			return ids, nil
		}
	}
}

func (s *Store) purgeOnce(ctx context.Context, ut time.Time, uns int16, ids *[]string) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer rollback(tx)
	rows, err := tx.Query(ctx, s.q.purge, ut, uns, purgeBatch)
	if err != nil {
		return 0, err
	}
	var (
		got  []string
		refs = map[string]int64{}
	)
	for rows.Next() {
		var (
			id  string
			sum []byte
		)
		if err := rows.Scan(&id, &sum); err != nil {
			rows.Close()
			return 0, err
		}
		got = append(got, id)
		refs[string(sum)]++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	// Lock blobs in one order so concurrent purges cannot deadlock.
	sums := make([]string, 0, len(refs))
	for k := range refs {
		sums = append(sums, k)
	}
	sort.Strings(sums)
	for _, k := range sums {
		if err := s.unref(ctx, tx, []byte(k), refs[k]); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	*ids = append(*ids, got...)
	return len(got), nil
}

// scanMeta reads one Meta in itemCols order.
func scanMeta(row pgx.Row) (quarantine.Meta, error) {
	var m quarantine.Meta
	err := scanMetaInto(row, &m)
	return m, err
}

func scanMetaInto(row pgx.Row, m *quarantine.Meta, extra ...any) error {
	var (
		received, retain string
		sum, report      []byte
	)
	dest := []any{&m.ID, &received, &m.Origin, &m.Client, &m.From, &m.To, &m.Subject, &m.Size, &sum,
		&m.Outcome, &m.Findings, &report, &m.Delivery, &retain, &m.LegalHold}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return err
	}
	var err error
	if m.Received, err = time.Parse(quarantine.TimeFormat, received); err != nil {
		return fmt.Errorf("item %s: bad received time %q", m.ID, received)
	}
	if m.RetainUntil, err = time.Parse(quarantine.TimeFormat, retain); err != nil {
		return fmt.Errorf("item %s: bad retain_until time %q", m.ID, retain)
	}
	m.SHA256 = hex.EncodeToString(sum)
	if len(report) > 0 {
		m.Report = json.RawMessage(report)
	}
	if len(m.To) == 0 {
		m.To = nil
	}
	if len(m.Findings) == 0 {
		m.Findings = nil
	}
	return nil
}

// splitTime splits t into the microseconds a timestamptz keeps and the
// nanoseconds below them, so that order and comparisons stay exact.
func splitTime(t time.Time) (time.Time, int16) {
	us := t.Truncate(time.Microsecond)
	return us, int16(t.Sub(us))
}

// storable reports whether t survives RFC 3339 (four-digit years).
func storable(t time.Time) bool { return t.Year() >= 1 && t.Year() <= 9999 }

// roundTrip returns t as it reads back from the stored RFC 3339 text: same
// instant and offset, no monotonic reading, a fixed zone.
func roundTrip(t time.Time) time.Time {
	r, err := time.Parse(quarantine.TimeFormat, t.Format(quarantine.TimeFormat))
	if err != nil {
		return t // not storable; refused before
	}
	return r
}

// cleanText makes s storable as PostgreSQL text: valid UTF-8 without NUL.
func cleanText(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// cleanMeta applies cleanText to every string of m. It copies the slices
// first: they are the caller's.
func cleanMeta(m *quarantine.Meta) {
	m.To = slices.Clone(m.To)
	m.Findings = slices.Clone(m.Findings)
	for _, p := range []*string{&m.Origin, &m.Client, &m.From, &m.Subject, &m.Outcome, &m.Delivery} {
		*p = cleanText(*p)
	}
	for i := range m.To {
		m.To[i] = cleanText(m.To[i])
	}
	for i := range m.Findings {
		m.Findings[i] = cleanText(m.Findings[i])
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nullJSON(r json.RawMessage) []byte {
	if len(r) == 0 {
		return nil
	}
	return r
}

// lowerJoin is rcpt_lc: the recipients lower-cased, one per line.
func lowerJoin(to []string) string {
	return strings.ToLower(strings.Join(to, "\n"))
}

// deferSync turns off synchronous_commit for tx when ctx asks for
// quarantine.DeferSync: the server then confirms the commit before its WAL
// is flushed (within a few wal_writer_delay), for bookkeeping written after
// the fact.
func deferSync(ctx context.Context, tx pgx.Tx) error {
	if !quarantine.SyncDeferred(ctx) {
		return nil
	}
	_, err := tx.Exec(ctx, "SET LOCAL synchronous_commit TO OFF")
	return err
}
