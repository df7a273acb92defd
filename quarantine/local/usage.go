package local

import "context"

// Usage returns the number of items, the sum of their original sizes and
// the sequence number of the last audit entry (0 for an empty chain), for
// metrics. It reads the index only: two aggregate queries, no blob.
func (s *Store) Usage(ctx context.Context) (items, bytes, auditSeq int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0) FROM items`).Scan(&items, &bytes)
	if err != nil {
		return 0, 0, 0, err
	}
	err = s.db.QueryRowContext(ctx, `SELECT max(coalesce((SELECT max(seq) FROM audit), 0), coalesce((SELECT seq FROM audit_anchor WHERE one = 1), 0))`).Scan(&auditSeq)
	return items, bytes, auditSeq, err
}
