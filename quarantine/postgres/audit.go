package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mugai-project/mugai/quarantine"
)

// Append implements quarantine.Audit. It locks the chain's head row, so
// appenders on every node sharing the schema are serialised; the entry and
// the new head commit together or not at all. Strings that PostgreSQL text
// cannot hold (invalid UTF-8, NUL) are replaced with U+FFFD before the entry
// is sealed, so the stored entry is the hashed one; Data is kept byte for
// byte.
func (s *Store) Append(ctx context.Context, ev quarantine.Event) (quarantine.Entry, error) {
	if len(ev.Data) > 0 && !json.Valid(ev.Data) {
		return quarantine.Entry{}, errors.New("postgres: audit append: Data is not valid JSON")
	}
	for _, p := range []*string{&ev.Type, &ev.Item, &ev.Actor, &ev.Reason} {
		*p = cleanText(*p)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return quarantine.Entry{}, fmt.Errorf("postgres: audit append: %w", err)
	}
	defer rollback(tx)
	if err := deferSync(ctx, tx); err != nil {
		return quarantine.Entry{}, fmt.Errorf("postgres: audit append: %w", err)
	}
	var prev quarantine.Entry
	if err := tx.QueryRow(ctx, s.q.lockHead).Scan(&prev.Seq, &prev.Hash); err != nil {
		return quarantine.Entry{}, fmt.Errorf("postgres: audit append: %w", err)
	}
	// The time is read under the lock, so times follow the sequence as far
	// as the nodes' clocks agree.
	ts := s.clock().Format(quarantine.TimeFormat)
	e := quarantine.Entry{Event: ev}
	if e.Time, err = time.Parse(quarantine.TimeFormat, ts); err != nil {
		return quarantine.Entry{}, fmt.Errorf("postgres: audit append: clock: %w", err)
	}
	e.Seal(prev)
	if _, err := tx.Exec(ctx, s.q.insertEntry, e.Seq, ts, e.Type, e.Item, e.Actor, e.Reason,
		nullJSON(e.Data), e.Prev, e.Hash); err != nil {
		return quarantine.Entry{}, fmt.Errorf("postgres: audit append: %w", err)
	}
	if _, err := tx.Exec(ctx, s.q.moveHead, e.Seq, e.Hash); err != nil {
		return quarantine.Entry{}, fmt.Errorf("postgres: audit append: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return quarantine.Entry{}, fmt.Errorf("postgres: audit append: commit: %w", err)
	}
	return e, nil
}

// auditPage is how many entries Entries and Verify read per query.
const auditPage = 1000

// Entries implements quarantine.Audit. It reads pages in seq order and
// holds no connection while fn runs. An entry whose stored time does not
// parse is reported as an error wrapping quarantine.ErrTampered.
func (s *Store) Entries(ctx context.Context, from int64, fn func(quarantine.Entry) error) error {
	after := int64(math.MinInt64) // from <= 1: whatever is stored, tampered rows included
	if from > 1 {
		after = from - 1
	}
	for {
		rows, err := s.pool.Query(ctx, s.q.entries, after, auditPage)
		if err != nil {
			return fmt.Errorf("postgres: audit: %w", err)
		}
		page := make([]quarantine.Entry, 0, auditPage)
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				rows.Close()
				return err
			}
			page = append(page, e)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgres: audit: %w", err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < auditPage {
			return nil
		}
		after = page[len(page)-1].Seq
	}
}

func scanEntry(row pgx.Row) (quarantine.Entry, error) {
	var (
		e    quarantine.Entry
		ts   string
		data []byte
	)
	if err := row.Scan(&e.Seq, &ts, &e.Type, &e.Item, &e.Actor, &e.Reason, &data, &e.Prev, &e.Hash); err != nil {
		return e, fmt.Errorf("postgres: audit: %w", err)
	}
	t, err := time.Parse(quarantine.TimeFormat, ts)
	if err != nil || t.Format(quarantine.TimeFormat) != ts {
		// The hash covers the canonical string: one that does not parse,
		// or parses to a different one, was not written by Append.
		return e, fmt.Errorf("%w: entry %d: time %q is not as written (edited)", quarantine.ErrTampered, e.Seq, ts)
	}
	e.Time = t
	if len(data) > 0 {
		e.Data = data
	}
	return e, nil
}

// Verify implements quarantine.Audit. It checks every entry in seq order
// with quarantine.ChainChecker, streaming, and that the chain ends at the
// head recorded by the last Append: a deleted tail, or entries added at the
// end by SQL without the head, are found too. Entries appended while it runs
// are checked as well.
func (s *Store) Verify(ctx context.Context) error {
	var head quarantine.ChainChecker
	if err := s.pool.QueryRow(ctx, s.q.head).Scan(&head.Seq, &head.Hash); err != nil {
		return fmt.Errorf("postgres: audit verify: %w", err)
	}
	var c quarantine.ChainChecker
	err := s.Entries(ctx, 1, func(e quarantine.Entry) error {
		if err := c.Check(e); err != nil {
			return err
		}
		if e.Seq == head.Seq && e.Hash != head.Hash {
			return fmt.Errorf("%w: entry %d: is not the entry the chain's head records (replaced)", quarantine.ErrTampered, e.Seq)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, quarantine.ErrTampered) {
			return err
		}
		return fmt.Errorf("postgres: audit verify: %w", err)
	}
	if c.Seq < head.Seq {
		return fmt.Errorf("%w: entry %d: missing (the log ends at entry %d, the head records %d)", quarantine.ErrTampered, c.Seq+1, c.Seq, head.Seq)
	}
	// Append commits an entry and the head together, so every entry read
	// above is covered by the head as it is now. One beyond it was written
	// behind the store's back.
	var end quarantine.ChainChecker
	if err := s.pool.QueryRow(ctx, s.q.head).Scan(&end.Seq, &end.Hash); err != nil {
		return fmt.Errorf("postgres: audit verify: %w", err)
	}
	if c.Seq > end.Seq {
		return fmt.Errorf("%w: entry %d: not recorded by the chain's head (appended behind the store's back)", quarantine.ErrTampered, end.Seq+1)
	}
	return nil
}
