package main

import (
	"context"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/local"
	"github.com/mugai-project/mugai/quarantine/postgres"
)

// openLocal opens the default backend: a directory with an embedded index.
func openLocal(dir string, key []byte, retention time.Duration, now func() time.Time) (quarantine.Store, quarantine.Audit, error) {
	s, err := local.Open(dir, local.Options{Key: key, Retention: retention, Now: now})
	if err != nil {
		return nil, nil, err
	}
	return s, s, nil
}

// openPostgres opens the shared backend of several nodes.
// schema is empty for the default; tests pass their own.
func openPostgres(ctx context.Context, dsn, schema string, key []byte, retention time.Duration, now func() time.Time) (quarantine.Store, quarantine.Audit, error) {
	s, err := postgres.Open(ctx, dsn, postgres.Options{Key: key, Retention: retention, Now: now, Schema: schema})
	if err != nil {
		return nil, nil, err
	}
	return s, s, nil
}
