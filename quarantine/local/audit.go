package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/mugai-project/mugai/quarantine"
)

// The audit log lives in the audit table of index.db. Append seals each
// entry inside a write transaction (BEGIN IMMEDIATE) that reads the last
// entry, so goroutines and processes sharing the directory append to one
// chain. RotateAudit moves old entries into JSON Lines files under audit/
// and keeps the last moved entry's sequence and hash as the anchor the live
// log continues from.

// Append implements quarantine.Audit. The entry's time is the store's clock.
func (s *Store) Append(ctx context.Context, ev quarantine.Event) (quarantine.Entry, error) {
	if err := validEvent(ev); err != nil {
		return quarantine.Entry{}, fmt.Errorf("local: audit append: %w", err)
	}
	var e quarantine.Entry
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		e, err = s.appendTx(ctx, tx, ev)
		return err
	})
	if err != nil {
		return quarantine.Entry{}, fmt.Errorf("local: audit append: %w", dbErr(err))
	}
	return e, nil
}

func validEvent(ev quarantine.Event) error {
	if len(ev.Data) > 0 && !json.Valid(ev.Data) {
		return errors.New("the event data is not valid JSON")
	}
	return nil
}

// appendTx seals ev after the last entry and inserts it, inside tx (which
// holds the write lock, so the last entry stays the last).
func (s *Store) appendTx(ctx context.Context, tx *sql.Tx, ev quarantine.Event) (quarantine.Entry, error) {
	var prev quarantine.Entry
	err := tx.StmtContext(ctx, s.st.lastAudit).QueryRowContext(ctx).Scan(&prev.Seq, &prev.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		// An empty live log continues from the anchor, if any.
		prev = quarantine.Entry{}
		err = tx.StmtContext(ctx, s.st.anchor).QueryRowContext(ctx).Scan(&prev.Seq, &prev.Hash)
		if errors.Is(err, sql.ErrNoRows) {
			prev, err = quarantine.Entry{}, nil
		}
	}
	if err != nil {
		return quarantine.Entry{}, err
	}
	if s.hooks.audit != nil {
		if err := s.hooks.audit(); err != nil {
			return quarantine.Entry{}, err
		}
	}
	e := quarantine.Entry{Time: canon(s.now()), Event: ev}
	e.Seal(prev)
	var data any
	if len(e.Data) > 0 {
		data = []byte(e.Data)
	}
	_, err = tx.StmtContext(ctx, s.st.insertAudit).ExecContext(ctx,
		e.Seq, fmtTime(e.Time), e.Type, e.Item, e.Actor, e.Reason, data, e.Prev, e.Hash)
	if err != nil {
		return quarantine.Entry{}, err
	}
	return e, nil
}

// anchor returns the last rotated-away entry's Seq and Hash (zero if none).
func anchor(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (quarantine.Entry, error) {
	var e quarantine.Entry
	err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_anchor WHERE one = 1`).Scan(&e.Seq, &e.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return quarantine.Entry{}, nil
	}
	return e, err
}

// entryPage is how many entries Entries reads per query.
const entryPage = 512

// Entries implements quarantine.Audit. Entries rotated away (before the
// anchor) are not visited: read them with Archives. An entry whose stored
// time is not a canonical quarantine.TimeFormat string fails with
// ErrTampered.
func (s *Store) Entries(ctx context.Context, from int64, fn func(quarantine.Entry) error) error {
	next := max(from, 1)
	for {
		es, err := s.entryPage(ctx, next)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(es) < entryPage {
			return nil
		}
		next = es[len(es)-1].Seq + 1
	}
}

func (s *Store) entryPage(ctx context.Context, from int64) ([]quarantine.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, time, type, item, actor, reason, data, prev, hash
		FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?`, from, entryPage)
	if err != nil {
		return nil, fmt.Errorf("local: audit: %w", err)
	}
	defer rows.Close()
	var out []quarantine.Entry
	for rows.Next() {
		var (
			r    rawEntry
			data []byte
		)
		if err := rows.Scan(&r.Seq, &r.Time, &r.Type, &r.Item, &r.Actor, &r.Reason, &data, &r.Prev, &r.Hash); err != nil {
			return nil, fmt.Errorf("local: audit: %w", err)
		}
		r.Data = string(data)
		e, err := r.entry()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("local: audit: %w", err)
	}
	return out, nil
}

// rawEntry is an entry as stored: the archive line format, and the columns.
type rawEntry struct {
	Seq    int64  `json:"seq"`
	Time   string `json:"time"`
	Type   string `json:"type"`
	Item   string `json:"item,omitempty"`
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	Data   string `json:"data,omitempty"` // the exact bytes, as a string: re-encoding JSON would change the hash input
	Prev   string `json:"prev"`
	Hash   string `json:"hash"`
}

func (r rawEntry) entry() (quarantine.Entry, error) {
	t, err := time.Parse(quarantine.TimeFormat, r.Time)
	if err != nil || fmtTime(t) != r.Time {
		return quarantine.Entry{}, fmt.Errorf("local: %w: entry %d: time %q is not in the stored form", quarantine.ErrTampered, r.Seq, r.Time)
	}
	e := quarantine.Entry{
		Seq: r.Seq, Time: t,
		Event: quarantine.Event{Type: r.Type, Item: r.Item, Actor: r.Actor, Reason: r.Reason},
		Prev:  r.Prev, Hash: r.Hash,
	}
	if r.Data != "" {
		e.Data = json.RawMessage(r.Data)
	}
	return e, nil
}

func raw(e quarantine.Entry) rawEntry {
	return rawEntry{Seq: e.Seq, Time: fmtTime(e.Time), Type: e.Type, Item: e.Item, Actor: e.Actor,
		Reason: e.Reason, Data: string(e.Data), Prev: e.Prev, Hash: e.Hash}
}

// Verify implements quarantine.Audit: it checks the live log from the anchor
// left by the last rotation (from the start if none). VerifyArchive checks
// the rotated-away part.
func (s *Store) Verify(ctx context.Context) error {
	a, err := anchor(ctx, s.db)
	if err != nil {
		return fmt.Errorf("local: audit verify: %w", err)
	}
	c := quarantine.ChainChecker{Seq: a.Seq, Hash: a.Hash}
	// Start at 1, not after the anchor, so that stray entries left before
	// the anchor are reported too.
	return s.Entries(ctx, 1, c.Check)
}

// Archive describes one rotated audit file.
type Archive struct {
	First, Last int64
	File        string // relative to the store directory
	SHA256      string // of the file
}

// Archives returns the rotated audit files, oldest first.
func (s *Store) Archives(ctx context.Context) ([]Archive, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT first, last, file, sha256 FROM audit_archives ORDER BY first`)
	if err != nil {
		return nil, fmt.Errorf("local: audit archives: %w", err)
	}
	defer rows.Close()
	var out []Archive
	for rows.Next() {
		var a Archive
		if err := rows.Scan(&a.First, &a.Last, &a.File, &a.SHA256); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RotateAudit moves the entries before keepFrom out of the database into
// dir/audit/<first>-<last>.jsonl (one JSON object per line, fsynced and
// renamed into place), and records the last moved entry as the anchor from
// which the live log continues, and the file in the list of archives. It
// refuses to move entries that do not verify (ErrTampered). It returns the
// archive, or the zero Archive when there is nothing to move.
//
// If the transaction fails before its commit, the file is removed; a crash
// or a failed commit after the file was written leaves a file that no
// archive record names (kept: whether the commit happened is not known),
// which the next rotation overwrites.
func (s *Store) RotateAudit(ctx context.Context, keepFrom int64) (Archive, error) {
	var arc Archive
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		a, err := anchor(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, time, type, item, actor, reason, data, prev, hash
			FROM audit WHERE seq > ? AND seq < ? ORDER BY seq`, a.Seq, keepFrom)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		c := quarantine.ChainChecker{Seq: a.Seq, Hash: a.Hash}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for rows.Next() {
			var (
				r    rawEntry
				data []byte
			)
			if err := rows.Scan(&r.Seq, &r.Time, &r.Type, &r.Item, &r.Actor, &r.Reason, &data, &r.Prev, &r.Hash); err != nil {
				rows.Close()
				return err
			}
			r.Data = string(data)
			e, err := r.entry()
			if err == nil {
				err = c.Check(e)
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("refusing to rotate a broken chain: %w", err)
			}
			if arc.First == 0 {
				arc.First = r.Seq
			}
			arc.Last = r.Seq
			if err := enc.Encode(r); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if arc.First == 0 {
			return nil
		}
		arc.File = path.Join("audit", fmt.Sprintf("%d-%d.jsonl", arc.First, arc.Last))
		sum := sha256.Sum256(buf.Bytes())
		arc.SHA256 = hex.EncodeToString(sum[:])
		if err := s.writeFile(arc.File, buf.Bytes()); err != nil {
			return err
		}
		err = s.recordRotation(ctx, tx, arc, c)
		if err != nil {
			// The transaction rolls back: the entries stay in the log,
			// so the file goes.
			s.root.Remove(arc.File)
		}
		return err
	})
	if err != nil {
		return Archive{}, fmt.Errorf("local: audit rotate: %w", dbErr(err))
	}
	return arc, nil
}

func (s *Store) recordRotation(ctx context.Context, tx *sql.Tx, arc Archive, c quarantine.ChainChecker) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE seq >= ? AND seq <= ?`, arc.First, arc.Last); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_anchor (one, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, c.Seq, c.Hash); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_archives (first, last, file, sha256) VALUES (?, ?, ?, ?)
		ON CONFLICT (first) DO UPDATE SET last = excluded.last, file = excluded.file, sha256 = excluded.sha256`,
		arc.First, arc.Last, arc.File, arc.SHA256)
	return err
}

// writeFile writes b durably to name under the root: temp file, fsync,
// rename, fsync of the directory; on error nothing is left.
func (s *Store) writeFile(name string, b []byte) (err error) {
	tmp := path.Join("tmp", randName()+".tmp")
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			s.root.Remove(tmp)
		}
	}()
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err = s.root.Rename(tmp, name); err != nil {
		return err
	}
	return s.syncDir(path.Dir(name))
}

// VerifyArchive checks the rotated-away part of the audit log: every
// archive file is intact (its recorded SHA-256), the archives chain from
// entry 1 without gaps, and the last of them ends at the anchor the live
// log continues from. It returns nil or an error wrapping ErrTampered that
// names the file and the first bad entry.
func (s *Store) VerifyArchive(ctx context.Context) error {
	arcs, err := s.Archives(ctx)
	if err != nil {
		return err
	}
	var c quarantine.ChainChecker
	for _, a := range arcs {
		if err := s.verifyArchiveFile(a, &c); err != nil {
			return fmt.Errorf("local: audit archive %s: %w", a.File, err)
		}
	}
	an, err := anchor(ctx, s.db)
	if err != nil {
		return fmt.Errorf("local: audit verify archive: %w", err)
	}
	if an.Seq != c.Seq || an.Hash != c.Hash {
		return fmt.Errorf("local: %w: the archives end at entry %d, the live log continues after entry %d", quarantine.ErrTampered, c.Seq, an.Seq)
	}
	return nil
}

func (s *Store) verifyArchiveFile(a Archive, c *quarantine.ChainChecker) error {
	f, err := s.root.Open(a.File)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: entries %d-%d: file missing", quarantine.ErrTampered, a.First, a.Last)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	br := bufio.NewReader(io.TeeReader(f, h))
	first := true
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var r rawEntry
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				return fmt.Errorf("%w: after entry %d: unreadable line: %v", quarantine.ErrTampered, c.Seq, err)
			}
			e, err := r.entry()
			if err != nil {
				return err
			}
			if first && e.Seq != a.First {
				return fmt.Errorf("%w: entry %d: the archive should start at entry %d", quarantine.ErrTampered, e.Seq, a.First)
			}
			first = false
			if err := c.Check(e); err != nil {
				return err
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if c.Seq != a.Last {
		return fmt.Errorf("%w: entry %d: the archive should end at entry %d", quarantine.ErrTampered, c.Seq, a.Last)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != a.SHA256 {
		return fmt.Errorf("%w: entries %d-%d: the file's SHA-256 differs from the one recorded", quarantine.ErrTampered, a.First, a.Last)
	}
	return nil
}
