package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Usage returns the number of items, the sum of their original sizes and
// the sequence number of the last audit entry (0 for an empty chain), for
// metrics: one round trip of three aggregates.
func (s *Store) Usage(ctx context.Context) (items, bytes, auditSeq int64, err error) {
	q := `SELECT (SELECT count(*) FROM {s}.items), (SELECT coalesce(sum(size), 0)::bigint FROM {s}.items), (SELECT coalesce(max(seq), 0) FROM {s}.audit)`
	err = s.pool.QueryRow(ctx, strings.ReplaceAll(q, "{s}", pgx.Identifier{s.schema}.Sanitize())).Scan(&items, &bytes, &auditSeq)
	return items, bytes, auditSeq, err
}

// Ping checks the connection to the database, for the readiness check.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
