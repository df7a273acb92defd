package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/storetest"
)

// envDSN names the variable that points the tests at a PostgreSQL server;
// .ci/postgres.sh prints it.
const envDSN = "MUGAI_TEST_POSTGRES"

func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		t.Skipf("%s is not set (eval \"$(bash .ci/postgres.sh)\" sets it)", envDSN)
	}
	return dsn
}

// admin opens a plain connection for the test's own SQL.
func admin(t testing.TB) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), testDSN(t))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// freshSchema returns a random schema name, dropped when t ends.
func freshSchema(t testing.TB) string {
	t.Helper()
	dsn := testDSN(t)
	b := make([]byte, 6)
	rand.Read(b)
	name := "mugai_t_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// openFresh opens a store on a new schema, closed and dropped when t ends.
func openFresh(t testing.TB, opts Options) *Store {
	t.Helper()
	dsn := testDSN(t)
	opts.Schema = freshSchema(t)
	s, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testStore offers the conformance suite's hooks for the Store side.
type testStore struct{ *Store }

var (
	_ storetest.Inspector    = testStore{}
	_ storetest.BlobTamperer = testStore{}
	_ storetest.Faults       = testStore{}
	_ storetest.Clock        = testStore{}
)

func (s testStore) SetClock(now func() time.Time) { s.now.Store(&now) }

func (s testStore) Inject(t *testing.T, p storetest.FaultPoint) {
	point := map[storetest.FaultPoint]string{storetest.FaultWrite: hookWrite, storetest.FaultIndex: hookIndex}[p]
	if point == "" {
		t.Fatalf("unknown fault point %v", p)
	}
	var fired atomic.Bool
	fn := func(at string, _ uint32) error {
		if at == point && fired.CompareAndSwap(false, true) {
			return fmt.Errorf("injected fault at %s", at)
		}
		return nil
	}
	s.hook.Store(&fn)
	t.Cleanup(func() { s.hook.Store(nil) })
}

// Garbage lists rows that no item accounts for.
func (s testStore) Garbage(ctx context.Context) ([]string, error) {
	sch := pgx.Identifier{s.schema}.Sanitize()
	checks := []struct{ what, sql string }{
		{"chunk without blob", `SELECT encode(c.sha256, 'hex') || ' #' || c.n FROM {s}.blob_chunks c
			WHERE NOT EXISTS (SELECT 1 FROM {s}.blobs b WHERE b.sha256 = c.sha256)`},
		{"blob refs do not match its items", `SELECT encode(b.sha256, 'hex') || ' refs ' || b.refs || ' items ' || count(i.id)
			FROM {s}.blobs b LEFT JOIN {s}.items i ON i.sha256 = b.sha256
			GROUP BY b.sha256, b.refs HAVING count(i.id) <> b.refs OR count(i.id) = 0`},
		{"blob chunks not 0..n-1", `SELECT encode(b.sha256, 'hex') || ' has ' || count(c.n) || ' chunks, wants ' || b.chunks
			FROM {s}.blobs b LEFT JOIN {s}.blob_chunks c ON c.sha256 = b.sha256
			GROUP BY b.sha256, b.chunks HAVING count(c.n) <> b.chunks OR coalesce(max(c.n), -1) <> b.chunks - 1`},
		{"item without blob", `SELECT i.id FROM {s}.items i WHERE NOT EXISTS (SELECT 1 FROM {s}.blobs b WHERE b.sha256 = i.sha256)`},
	}
	var out []string
	for _, c := range checks {
		rows, err := s.pool.Query(ctx, strings.ReplaceAll(c.sql, "{s}", sch))
		if err != nil {
			return nil, err
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			out = append(out, c.what+": "+f)
		}
	}
	return out, nil
}

// ReplaceBlob encodes data with the store's codec and puts it in place of
// the chunks of item id's blob.
func (s testStore) ReplaceBlob(ctx context.Context, id string, data []byte) error {
	var enc bytes.Buffer
	w, err := s.codec.Writer(&enc)
	if err != nil {
		return err
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		return err
	}
	sch := pgx.Identifier{s.schema}.Sanitize()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var sum []byte
		if err := tx.QueryRow(ctx, `SELECT sha256 FROM `+sch+`.items WHERE id = $1`, id).Scan(&sum); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+sch+`.blob_chunks WHERE sha256 = $1`, sum); err != nil {
			return err
		}
		b := enc.Bytes()
		n := 0
		for ; len(b) > 0 || n == 0; n++ {
			k := min(len(b), ChunkSize)
			if _, err := tx.Exec(ctx, `INSERT INTO `+sch+`.blob_chunks (sha256, n, data) VALUES ($1, $2, $3)`, sum, n, b[:k]); err != nil {
				return err
			}
			b = b[k:]
		}
		_, err := tx.Exec(ctx, `UPDATE `+sch+`.blobs SET chunks = $2, stored = $3 WHERE sha256 = $1`, sum, n, enc.Len())
		return err
	})
}

// testAudit offers the suite's hooks for the Audit side. (Its Delete is the
// tamperer's, shadowing Store.Delete, which quarantine.Audit does not have.)
type testAudit struct{ *Store }

var (
	_ storetest.AuditTamperer = testAudit{}
	_ storetest.Clock         = testAudit{}
	_ quarantine.Audit        = testAudit{}
)

func (a testAudit) SetClock(now func() time.Time) { a.now.Store(&now) }

func (a testAudit) sch() string { return pgx.Identifier{a.schema}.Sanitize() }

func (a testAudit) Edit(ctx context.Context, seq int64, field, value string) error {
	var v any = value
	switch field {
	case "time", "type", "item", "actor", "reason", "prev", "hash":
	case "data":
		v = []byte(value)
	default:
		return fmt.Errorf("unknown field %q", field)
	}
	tag, err := a.pool.Exec(ctx, `UPDATE `+a.sch()+`.audit SET `+field+` = $2 WHERE seq = $1`, seq, v)
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("no entry %d", seq)
	}
	return err
}

func (a testAudit) Delete(ctx context.Context, seq int64) error {
	_, err := a.pool.Exec(ctx, `DELETE FROM `+a.sch()+`.audit WHERE seq = $1`, seq)
	return err
}

func (a testAudit) Swap(ctx context.Context, x, y int64) error {
	// The FROM side is read before the update: each row gets the other's
	// old contents.
	_, err := a.pool.Exec(ctx, `UPDATE `+a.sch()+`.audit t SET time = o.time, type = o.type, item = o.item,
		actor = o.actor, reason = o.reason, data = o.data, prev = o.prev, hash = o.hash
		FROM `+a.sch()+`.audit o WHERE (t.seq, o.seq) IN (($1, $2), ($2, $1))`, x, y)
	return err
}

func (a testAudit) InsertAfter(ctx context.Context, seq int64, e quarantine.Entry) error {
	s := a.sch()
	return pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE `+s+`.audit SET seq = -seq WHERE seq > $1`, seq); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE `+s+`.audit SET seq = -seq + 1 WHERE seq < 0`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, a.q.insertEntry, seq+1, e.Time.Format(quarantine.TimeFormat), e.Type, e.Item,
			e.Actor, e.Reason, nullJSON(e.Data), e.Prev, e.Hash)
		return err
	})
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.RunStore(t, func(t *testing.T) quarantine.Store { return testStore{openFresh(t, Options{})} })
}

func TestStoreEncrypted(t *testing.T) {
	t.Parallel()
	key := make([]byte, 32)
	rand.Read(key)
	storetest.RunStore(t, func(t *testing.T) quarantine.Store { return testStore{openFresh(t, Options{Key: key})} })
}

func TestAudit(t *testing.T) {
	t.Parallel()
	storetest.RunAudit(t, func(t *testing.T) quarantine.Audit { return testAudit{openFresh(t, Options{})} })
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	ctx := t.Context()
	t.Run("bad schema name", func(t *testing.T) {
		for _, name := range []string{"Mugai", "a-b", "x;drop", "1abc", strings.Repeat("a", 64)} {
			if s, err := Open(ctx, dsn, Options{Schema: name}); err == nil {
				s.Close()
				t.Errorf("Open with schema %q succeeded", name)
			}
		}
	})
	t.Run("bad key", func(t *testing.T) {
		if _, err := Open(ctx, dsn, Options{Key: []byte("short"), Schema: "unused"}); !errors.Is(err, quarantine.ErrKey) {
			t.Errorf("Open with a short key: %v, want ErrKey", err)
		}
	})
	t.Run("bad dsn", func(t *testing.T) {
		if _, err := Open(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", Options{}); err == nil {
			t.Error("Open of an unreachable server succeeded")
		}
	})
	t.Run("concurrent and repeated", func(t *testing.T) {
		schema := freshSchema(t)
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Go(func() {
				s, err := Open(ctx, dsn, Options{Schema: schema})
				if err != nil {
					errs <- err
					return
				}
				s.Close()
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Open: %v", err)
		}
		var n int
		if err := admin(t).QueryRow(ctx, `SELECT count(*) FROM `+schema+`.schema_version`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(migrations) {
			t.Errorf("%d migrations recorded, want %d", n, len(migrations))
		}
	})
	t.Run("newer schema refused", func(t *testing.T) {
		s := openFresh(t, Options{})
		if _, err := admin(t).Exec(ctx, `INSERT INTO `+s.schema+`.schema_version (version, name) VALUES (999, 'future')`); err != nil {
			t.Fatal(err)
		}
		if s2, err := Open(ctx, dsn, Options{Schema: s.schema}); err == nil {
			s2.Close()
			t.Error("Open of a schema from a newer mugai succeeded")
		}
	})
}

// TestEncryptedAtRest checks that no plaintext reaches the database and that
// a store without the key, or with another, cannot read.
func TestEncryptedAtRest(t *testing.T) {
	t.Parallel()
	key := make([]byte, 32)
	rand.Read(key)
	s := openFresh(t, Options{Key: key})
	ctx := t.Context()
	plain := bytes.Repeat([]byte("秘密の原本 secret original "), 1<<16)
	m, err := s.Put(ctx, quarantine.Meta{Origin: quarantine.OriginCLI}, bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT data FROM `+s.schema+`.blob_chunks`)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if bytes.Contains(c, []byte("secret")) {
			t.Fatal("plaintext in blob_chunks")
		}
	}
	for name, k := range map[string][]byte{"no key": nil, "other key": bytes.Repeat([]byte{7}, 32)} {
		if o, err := Open(ctx, testDSN(t), Options{Key: k, Schema: s.schema}); !errors.Is(err, quarantine.ErrKey) {
			if err == nil {
				o.Close()
			}
			t.Errorf("%s: Open: %v, want ErrKey", name, err)
		}
	}
	o, err := Open(ctx, testDSN(t), Options{Key: key, Schema: s.schema})
	if err != nil {
		t.Fatalf("Open with the right key: %v", err)
	}
	defer o.Close()
	_, rc, err := o.Get(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("Get with the right key: %d bytes, %v", len(got), err)
	}
}

// TestLarge puts and gets an original of many chunks, checking the chunk
// layout and that memory stays flat: the heap never holds more than a few
// chunks, however large the original.
func TestLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := openFresh(t, Options{})
	ctx := t.Context()
	const size = 64 << 20
	const heapLimit = 40 << 20
	var peak atomic.Uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > peak.Load() {
			peak.Store(ms.HeapAlloc)
		}
	}
	fn := func(at string, _ uint32) error {
		if at == hookChunk {
			sample()
		}
		return nil
	}
	s.hook.Store(&fn)
	runtime.GC()
	m, err := s.Put(ctx, quarantine.Meta{Origin: quarantine.OriginCLI}, io.LimitReader(rand.Reader, size))
	if err != nil {
		t.Fatal(err)
	}
	putPeak := peak.Load()
	if putPeak == 0 || putPeak > heapLimit {
		t.Errorf("Put of %d MB: heap peaked at %d MB, want at most %d", size>>20, putPeak>>20, heapLimit>>20)
	}
	var chunks, maxLen int
	if err := s.pool.QueryRow(ctx, `SELECT count(*), max(length(data)) FROM `+s.schema+`.blob_chunks`).Scan(&chunks, &maxLen); err != nil {
		t.Fatal(err)
	}
	if chunks < size/ChunkSize || maxLen != ChunkSize {
		t.Errorf("%d chunks of at most %d bytes for %d random bytes", chunks, maxLen, size)
	}
	_, rc, err := s.Get(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	peak.Store(0)
	runtime.GC()
	buf := make([]byte, 256<<10)
	var n int64
	for i := 0; ; i++ {
		k, err := rc.Read(buf)
		n += int64(k)
		if i%64 == 0 {
			sample()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Get: after %d bytes: %v", n, err)
		}
	}
	if n != size {
		t.Fatalf("Get: %d bytes, want %d", n, size)
	}
	if p := peak.Load(); p > heapLimit {
		t.Errorf("Get of %d MB: heap peaked at %d MB, want at most %d", size>>20, p>>20, heapLimit>>20)
	}
	t.Logf("%d MB in %d chunks; heap peak %d MB in Put, %d MB in Get", size>>20, chunks, putPeak>>20, peak.Load()>>20)
}

// TestKilledConnection terminates the backend of a Put after its first
// chunk, as PostgreSQL going away would: the Put fails, nothing is left,
// and the store works afterwards.
func TestKilledConnection(t *testing.T) {
	t.Parallel()
	s := openFresh(t, Options{})
	ctx := t.Context()
	adm := admin(t)
	var killed atomic.Uint32
	fn := func(at string, pid uint32) error {
		if at == hookChunk && killed.CompareAndSwap(0, pid) {
			var ok bool
			if err := adm.QueryRow(ctx, `SELECT pg_terminate_backend($1, 10000)`, int32(pid)).Scan(&ok); err != nil || !ok {
				t.Errorf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
			}
		}
		return nil
	}
	s.hook.Store(&fn)
	content := make([]byte, 5<<20)
	rand.Read(content)
	_, err := s.Put(ctx, quarantine.Meta{Origin: quarantine.OriginSMTP}, bytes.NewReader(content))
	if err == nil {
		t.Fatal("Put on a killed connection succeeded")
	}
	if killed.Load() == 0 {
		t.Fatal("the hook never fired")
	}
	t.Logf("Put on a killed connection: %v", err)
	s.hook.Store(nil)
	for _, table := range []string{"items", "blobs", "blob_chunks"} {
		var n int
		if err := adm.QueryRow(ctx, `SELECT count(*) FROM `+s.schema+`.`+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows left by the failed Put", table, n)
		}
	}
	m, err := s.Put(ctx, quarantine.Meta{Origin: quarantine.OriginSMTP}, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("Put after the kill: %v", err)
	}
	_, rc, err := s.Get(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("Get after the kill: %d bytes, %v", len(got), err)
	}
}

// TestKilledAppend terminates the backend while Append holds the chain's
// head lock (a second transaction waits on it): the Append fails, the
// other goes on, the chain stays whole.
func TestKilledAppend(t *testing.T) {
	t.Parallel()
	s := openFresh(t, Options{})
	ctx := t.Context()
	adm := admin(t)
	if _, err := s.Append(ctx, quarantine.Event{Type: "config", Actor: "mugai"}); err != nil {
		t.Fatal(err)
	}
	// Hold the head lock from an outside transaction, so the next Append
	// blocks inside its transaction; kill that Append's backend there.
	lock, err := admin(t).Begin(ctx) // not adm: pg_stat_activity is a snapshot per transaction
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `SELECT 1 FROM `+s.schema+`.audit_head FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, quarantine.Event{Type: "received", Actor: "mugai"})
		done <- err
	}()
	var pid int32
	for deadline := time.Now().Add(10 * time.Second); pid == 0; {
		// This test's schema only: parallel tests append to their own
		// chains, and killing one of their backends would leave ours
		// waiting forever.
		err := adm.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%audit_head%' LIMIT 1`, s.schema).Scan(&pid)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the Append never waited for the head lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := adm.Exec(ctx, `SELECT pg_terminate_backend($1, 10000)`, pid); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Append on a killed connection succeeded")
		}
	case <-time.After(30 * time.Second):
		lock.Rollback(ctx)
		t.Fatal("the killed Append never returned")
	}
	lock.Rollback(ctx)
	if _, err := s.Append(ctx, quarantine.Event{Type: "received", Actor: "mugai"}); err != nil {
		t.Fatalf("Append after the kill: %v", err)
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	var seqs []int64
	s.Entries(ctx, 1, func(e quarantine.Entry) error { seqs = append(seqs, e.Seq); return nil })
	if fmt.Sprint(seqs) != "[1 2]" {
		t.Errorf("seqs after a killed Append: %v, want [1 2]", seqs)
	}
}

// TestVerifyTail checks what ChainChecker alone cannot see: a deleted last
// entry, and one whose time string was rewritten to an equivalent form.
func TestVerifyTail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sql  string
		want string
	}{
		{"delete last", `DELETE FROM {s}.audit WHERE seq = 5`, "entry 5"},
		{"replace last", `UPDATE {s}.audit SET actor = 'x', hash = 'y' WHERE seq = 5`, "entry 5"},
		{"time not canonical", `UPDATE {s}.audit SET time = replace(time, 'Z', '+00:00') WHERE seq = 3`, "entry 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openFresh(t, Options{Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC) }})
			ctx := t.Context()
			for range 5 {
				if _, err := s.Append(ctx, quarantine.Event{Type: "received", Actor: "mugai"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.pool.Exec(ctx, strings.ReplaceAll(tc.sql, "{s}", s.schema)); err != nil {
				t.Fatal(err)
			}
			err := s.Verify(ctx)
			if !errors.Is(err, quarantine.ErrTampered) || !strings.Contains(err.Error(), tc.want+":") {
				t.Errorf("Verify: %v, want ErrTampered naming %s", err, tc.want)
			}
			// Appending after the tail was removed does not heal it.
			if tc.name == "delete last" {
				s.Append(ctx, quarantine.Event{Type: "received", Actor: "mugai"})
				if err := s.Verify(ctx); !errors.Is(err, quarantine.ErrTampered) {
					t.Errorf("Verify after a new Append: %v, want ErrTampered", err)
				}
			}
		})
	}
}

// TestVerifyForgedTail adds a correctly sealed entry at the end by SQL: the
// chain checks, but the head does not record it.
func TestVerifyForgedTail(t *testing.T) {
	t.Parallel()
	s := openFresh(t, Options{})
	ctx := t.Context()
	var last quarantine.Entry
	for range 3 {
		e, err := s.Append(ctx, quarantine.Event{Type: "received", Actor: "mugai"})
		if err != nil {
			t.Fatal(err)
		}
		last = e
	}
	f := quarantine.Entry{Time: last.Time.Add(time.Second), Event: quarantine.Event{Type: "released", Actor: "mallory"}}
	f.Seal(last)
	if err := (testAudit{s}).InsertAfter(ctx, last.Seq, f); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx); !errors.Is(err, quarantine.ErrTampered) || !strings.Contains(err.Error(), "entry 4:") {
		t.Errorf("Verify: %v, want ErrTampered naming entry 4", err)
	}
}

// TestListPaging lists more items than one page holds, with and without a
// limit, and with a callback that calls the store.
func TestListPaging(t *testing.T) {
	t.Parallel()
	s := openFresh(t, Options{})
	ctx := t.Context()
	base := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	const n = listPage*2 + 7
	var want []string
	for i := range n {
		// Pairs share a microsecond and differ below it; every 10th
		// shares the exact instant with the previous one.
		off := time.Duration(i/2)*time.Microsecond + time.Duration(i%2)*time.Nanosecond
		if i%10 == 9 {
			off = time.Duration((i-1)/2)*time.Microsecond + time.Duration((i-1)%2)*time.Nanosecond
		}
		m, err := s.Put(ctx, quarantine.Meta{Origin: quarantine.OriginCLI, Received: base.Add(off)}, strings.NewReader(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, m.ID)
	}
	// Newest first, ties by ID descending: since IDs grow, that is the
	// reverse put order.
	for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
		want[i], want[j] = want[j], want[i]
	}
	for _, limit := range []int{0, listPage, listPage + 1, n - 1, n, n + 1} {
		var got []string
		err := s.List(ctx, quarantine.Filter{Limit: limit}, func(m quarantine.Meta) error {
			if _, err := s.Stat(ctx, m.ID); err != nil { // the store is usable from fn
				return err
			}
			got = append(got, m.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		w := want
		if limit > 0 && limit < n {
			w = want[:limit]
		}
		if strings.Join(got, ",") != strings.Join(w, ",") {
			t.Errorf("limit %d: %d items, want %d in order", limit, len(got), len(w))
		}
	}
	// Since with nanoseconds is exact.
	var got int
	s.List(ctx, quarantine.Filter{Since: base.Add(time.Nanosecond)}, func(quarantine.Meta) error { got++; return nil })
	if got != n-1 {
		t.Errorf("Since base+1ns: %d items, want %d", got, n-1)
	}
}

// TestText stores strings PostgreSQL text cannot hold (NUL, invalid UTF-8):
// Put and Append replace them rather than fail, and the chain stays valid.
func TestText(t *testing.T) {
	t.Parallel()
	s := openFresh(t, Options{})
	ctx := t.Context()
	m, err := s.Put(ctx, quarantine.Meta{Origin: quarantine.OriginSMTP, Subject: "bad \xff subject\x00",
		To: []string{"a\x00@example.jp"}}, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stat(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Subject != "bad \uFFFD subject\uFFFD" || st.Subject != m.Subject || st.To[0] != "a\uFFFD@example.jp" {
		t.Errorf("Subject %q To %q (Put returned %q)", st.Subject, st.To, m.Subject)
	}
	e, err := s.Append(ctx, quarantine.Event{Type: "received", Actor: "mugai", Reason: "\xfe\x00"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Reason != "\uFFFD\uFFFD" {
		t.Errorf("Reason %q", e.Reason)
	}
	if _, err := s.Append(ctx, quarantine.Event{Type: "x", Actor: "mugai", Data: []byte("{not json")}); err == nil {
		t.Error("Append with Data that is not JSON succeeded")
	}
	if err := s.Verify(ctx); err != nil {
		t.Error(err)
	}
}

// TestGetDeletedWhileReading deletes an item while its original is being
// read: the reader fails with ErrNotFound instead of returning less.
func TestGetDeletedWhileReading(t *testing.T) {
	t.Parallel()
	s := openFresh(t, Options{})
	ctx := t.Context()
	content := make([]byte, 3<<20)
	rand.Read(content)
	m, err := s.Put(ctx, quarantine.Meta{Origin: quarantine.OriginCLI}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	_, rc, err := s.Get(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, rc); !errors.Is(err, quarantine.ErrNotFound) {
		t.Errorf("reading on after Delete: %v, want ErrNotFound", err)
	}
}

// Environment of the helper processes of TestTwoProcesses.
const (
	envHelper = "MUGAI_PG_HELPER"
	envSchema = "MUGAI_PG_HELPER_SCHEMA"
	envStart  = "MUGAI_PG_HELPER_START"
)

const (
	helperAppends = 300
	helperPuts    = 50
)

// TestHelperProcess is not a test: TestTwoProcesses runs the test binary
// with -test.run=TestHelperProcess and envHelper set, as a second mugai
// node.
func TestHelperProcess(t *testing.T) {
	name := os.Getenv(envHelper)
	if name == "" {
		t.Skip("helper process for TestTwoProcesses")
	}
	if err := runHelper(name); err != nil {
		fmt.Fprintf(os.Stderr, "helper %s: %v\n", name, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runHelper(name string) error {
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv(envDSN), Options{Schema: os.Getenv(envSchema)})
	if err != nil {
		return err
	}
	defer s.Close()
	start, err := time.Parse(time.RFC3339Nano, os.Getenv(envStart))
	if err != nil {
		return err
	}
	time.Sleep(time.Until(start)) // both nodes begin together
	var (
		wg   sync.WaitGroup
		errs = make(chan error, 2)
	)
	wg.Go(func() {
		for i := range helperAppends {
			if _, err := s.Append(ctx, quarantine.Event{Type: "received", Actor: name, Reason: fmt.Sprint(i)}); err != nil {
				errs <- fmt.Errorf("append %d: %w", i, err)
				return
			}
		}
	})
	wg.Go(func() {
		for i := range helperPuts {
			content := fmt.Sprintf("%s item %d", name, i)
			if i%5 == 0 {
				content = fmt.Sprintf("shared content %d", i) // the other node puts it too
			}
			m := quarantine.Meta{Origin: quarantine.OriginSMTP, From: name + "@example.jp"}
			if _, err := s.Put(ctx, m, strings.NewReader(strings.Repeat(content, 1000))); err != nil {
				errs <- fmt.Errorf("put %d: %w", i, err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	return <-errs
}

// TestTwoProcesses runs two nodes (processes) against one schema: each
// appends helperAppends audit entries and puts helperPuts items at the same
// time. The chain must verify with seqs 1..N without gaps, and every item
// must be there.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short")
	}
	s := openFresh(t, Options{})
	ctx := t.Context()
	start := time.Now().Add(time.Second).Format(time.RFC3339Nano)
	var cmds []*exec.Cmd
	outs := make([]*bytes.Buffer, 2)
	for i, name := range []string{"node-a", "node-b"} {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envHelper+"="+name, envSchema+"="+s.schema, envStart+"="+start)
		outs[i] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v\n%s", i, err, outs[i])
		}
	}
	if t.Failed() {
		return
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	var (
		next   int64 = 1
		actors       = map[string]int{}
	)
	err := s.Entries(ctx, 1, func(e quarantine.Entry) error {
		if e.Seq != next {
			return fmt.Errorf("seq %d where %d was due", e.Seq, next)
		}
		next++
		actors[e.Actor]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next-1 != 2*helperAppends || actors["node-a"] != helperAppends || actors["node-b"] != helperAppends {
		t.Errorf("%d entries (%v), want %d from each node", next-1, actors, helperAppends)
	}
	var interleaved int
	prev := ""
	s.Entries(ctx, 1, func(e quarantine.Entry) error {
		if prev != "" && e.Actor != prev {
			interleaved++
		}
		prev = e.Actor
		return nil
	})
	t.Logf("the two nodes alternated %d times in the chain", interleaved)
	var items int
	if err := s.List(ctx, quarantine.Filter{}, func(quarantine.Meta) error { items++; return nil }); err != nil {
		t.Fatal(err)
	}
	if items != 2*helperPuts {
		t.Errorf("%d items, want %d", items, 2*helperPuts)
	}
	g, err := testStore{s}.Garbage(ctx)
	if err != nil || len(g) > 0 {
		t.Errorf("Garbage: %q, %v", g, err)
	}
}
