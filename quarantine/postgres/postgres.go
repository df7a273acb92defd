package postgres

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mugai-project/mugai/quarantine"
)

// ChunkSize is the size of one blob_chunks row: the most a Put or a Get
// holds of an original's encoded bytes at a time.
const ChunkSize = 1 << 20

// DefaultRetention is how long an item is kept when neither Meta.RetainUntil
// nor Options.Retention says otherwise.
const DefaultRetention = 30 * 24 * time.Hour

// DefaultSchema is the schema used when Options.Schema is empty.
const DefaultSchema = "mugai"

// Options configure a Store. The zero value is usable: no encryption, 30
// days' retention, the system clock, schema "mugai".
type Options struct {
	// Key is nil (blobs compressed only) or 32 bytes (also encrypted with
	// AES-256-GCM). The key never goes into the database. Every node
	// sharing a schema needs the same key.
	Key []byte
	// Retention sets RetainUntil = Received + Retention for items put
	// without one; zero means DefaultRetention.
	Retention time.Duration
	// Now is the clock for IDs, a zero Received and audit times; nil means
	// time.Now.
	Now func() time.Time
	// Schema holds the tables: lower-case letters, digits and underscores,
	// at most 63, not starting with a digit. Empty means DefaultSchema.
	Schema string
}

// Store keeps originals, their index and the audit log in PostgreSQL. It
// implements quarantine.Store and quarantine.Audit and is safe for
// concurrent use by goroutines and by other processes sharing the schema.
type Store struct {
	pool      *pgxpool.Pool
	codec     *quarantine.Codec
	key       []byte // for the check at Open only
	retention time.Duration
	now       atomic.Pointer[func() time.Time]
	schema    string
	q         queries

	// hook, when set (tests only), is called at named points inside Put
	// with the backend PID of Put's connection; an error fails the Put
	// there.
	hook atomic.Pointer[func(point string, pid uint32) error]
}

var (
	_ quarantine.Store = (*Store)(nil)
	_ quarantine.Audit = (*Store)(nil)
)

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database named by dsn, creates or migrates the
// schema, and returns the store. The caller closes it.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	codec, err := quarantine.NewCodec(opts.Key)
	if err != nil {
		return nil, err
	}
	schema := opts.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	if !schemaRE.MatchString(schema) {
		return nil, fmt.Errorf("postgres: invalid schema name %q (want [a-z_][a-z0-9_]*, at most 63)", schema)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "mugai"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{
		pool:      pool,
		codec:     codec,
		key:       opts.Key,
		retention: opts.Retention,
		schema:    schema,
		q:         makeQueries(pgx.Identifier{schema}.Sanitize()),
	}
	if s.retention <= 0 {
		s.retention = DefaultRetention
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s.now.Store(&now)
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the connections. It waits for queries in progress.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) clock() time.Time { return (*s.now.Load())() }

// migration is one step of the schema. Steps are applied in order, each
// once, recorded in schema_version.
type migration struct {
	version int
	name    string
	apply   func(ctx context.Context, tx pgx.Tx, s string) error
}

func sqlStep(stmts string) func(context.Context, pgx.Tx, string) error {
	return func(ctx context.Context, tx pgx.Tx, s string) error {
		_, err := tx.Exec(ctx, strings.ReplaceAll(stmts, "{s}", s))
		return err
	}
}

var migrations = []migration{
	{1, "items and blobs", sqlStep(`
CREATE TABLE {s}.settings (
	key   text PRIMARY KEY,
	value text NOT NULL
);
CREATE TABLE {s}.blobs (
	sha256    bytea PRIMARY KEY CHECK (length(sha256) = 32),
	size      bigint NOT NULL,
	stored    bigint NOT NULL,
	chunks    integer NOT NULL,
	encrypted boolean NOT NULL,
	refs      bigint NOT NULL CHECK (refs >= 0),
	created   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {s}.blob_chunks (
	sha256 bytea NOT NULL REFERENCES {s}.blobs ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	n      integer NOT NULL,
	data   bytea NOT NULL,
	PRIMARY KEY (sha256, n)
);
-- The data is compressed (and maybe encrypted) already: do not try again.
ALTER TABLE {s}.blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE {s}.items (
	id            text COLLATE "C" PRIMARY KEY,
	received      timestamptz NOT NULL,
	received_ns   smallint NOT NULL,
	received_text text NOT NULL,
	origin        text NOT NULL,
	client        text NOT NULL,
	mail_from     text NOT NULL,
	rcpt          text[] NOT NULL,
	subject       text NOT NULL,
	size          bigint NOT NULL,
	sha256        bytea NOT NULL REFERENCES {s}.blobs,
	outcome       text NOT NULL,
	findings      text[] NOT NULL,
	report        bytea,
	delivery      text NOT NULL,
	retain_until  timestamptz NOT NULL,
	retain_ns     smallint NOT NULL,
	retain_text   text NOT NULL,
	legal_hold    boolean NOT NULL,
	from_lc       text NOT NULL,
	rcpt_lc       text NOT NULL
);
COMMENT ON COLUMN {s}.items.received_ns IS 'nanoseconds below the microsecond of received (0-999)';
COMMENT ON COLUMN {s}.items.received_text IS 'received as given, RFC 3339 with nanoseconds and zone';
COMMENT ON COLUMN {s}.items.from_lc IS 'mail_from lower-cased, for Filter.From';
COMMENT ON COLUMN {s}.items.rcpt_lc IS 'recipients lower-cased, one per line, for Filter.Rcpt';
CREATE INDEX items_received ON {s}.items (received, received_ns, id);
CREATE INDEX items_outcome ON {s}.items (outcome, received, received_ns, id);
CREATE INDEX items_findings ON {s}.items USING gin (findings);
CREATE INDEX items_sha256 ON {s}.items (sha256);
CREATE INDEX items_purge ON {s}.items (retain_until, retain_ns) WHERE NOT legal_hold;
`)},
	{2, "audit chain", sqlStep(`
CREATE TABLE {s}.audit (
	seq    bigint PRIMARY KEY,
	time   text NOT NULL,
	type   text NOT NULL,
	item   text NOT NULL,
	actor  text NOT NULL,
	reason text NOT NULL,
	data   bytea,
	prev   text NOT NULL,
	hash   text NOT NULL
);
CREATE TABLE {s}.audit_head (
	one  boolean PRIMARY KEY DEFAULT true CHECK (one),
	seq  bigint NOT NULL,
	hash text NOT NULL
);
INSERT INTO {s}.audit_head (seq, hash) VALUES (0, '');
`)},
	{3, "substring search indexes", trigramIndexes},
}

// trigramIndexes adds pg_trgm indexes for the case-insensitive substring
// filters (From, Rcpt) when the extension is installed or can be (it is a
// trusted extension: the database owner may create it). Without it those
// filters still work, by scanning.
func trigramIndexes(ctx context.Context, tx pgx.Tx, s string) error {
	var ns string
	err := tx.QueryRow(ctx, `SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'`).Scan(&ns)
	if errors.Is(err, pgx.ErrNoRows) {
		sp, err := tx.Begin(ctx) // a savepoint: failure here is not fatal
		if err != nil {
			return err
		}
		if _, err := sp.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`); err != nil {
			sp.Rollback(ctx)
			return nil
		}
		if err := sp.Commit(ctx); err != nil {
			return err
		}
		ns = "public"
	} else if err != nil {
		return err
	}
	ops := pgx.Identifier{ns, "gin_trgm_ops"}.Sanitize()
	_, err = tx.Exec(ctx, strings.NewReplacer("{s}", s, "{ops}", ops).Replace(`
CREATE INDEX items_from_trgm ON {s}.items USING gin (from_lc {ops});
CREATE INDEX items_rcpt_trgm ON {s}.items USING gin (rcpt_lc {ops});
`))
	return err
}

// migrateLock is the advisory lock key that serialises migrations of every
// schema in the database (CREATE EXTENSION is database-wide).
const migrateLock = 0x6d756761_69000001 // "mugai" 1

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	sch := pgx.Identifier{s.schema}.Sanitize()
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+sch); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+sch+`.schema_version (
	version integer PRIMARY KEY,
	name    text NOT NULL,
	applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+sch+`.schema_version`).Scan(&have); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	latest := migrations[len(migrations)-1].version
	if have > latest {
		return fmt.Errorf("postgres: schema %s is at version %d, newer than this mugai knows (%d)", s.schema, have, latest)
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		if err := m.apply(ctx, tx, sch); err != nil {
			return fmt.Errorf("postgres: migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+sch+`.schema_version (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
	}
	if err := s.checkKey(ctx, tx, sch); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// checkKey compares the configured key with the check value that the first
// Open with a key stored, so that a missing or wrong key fails at Open
// rather than at the first Get. The check value is an HMAC of a fixed label:
// it does not reveal the key.
func (s *Store) checkKey(ctx context.Context, tx pgx.Tx, sch string) error {
	var stored string
	err := tx.QueryRow(ctx, `SELECT value FROM `+sch+`.settings WHERE key = 'key_check'`).Scan(&stored)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if s.key == nil {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO `+sch+`.settings (key, value) VALUES ('key_check', $1)`, keyCheck(s.key))
		if err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("postgres: migrate: %w", err)
	case s.key == nil:
		return fmt.Errorf("%w: schema %s holds encrypted originals and no key is configured", quarantine.ErrKey, s.schema)
	case !hmac.Equal([]byte(stored), []byte(keyCheck(s.key))):
		return fmt.Errorf("%w: the key is not the one schema %s was encrypted with", quarantine.ErrKey, s.schema)
	}
	return nil
}

func keyCheck(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("mugai/quarantine/postgres key check 1"))
	return hex.EncodeToString(mac.Sum(nil))
}
