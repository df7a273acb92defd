package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/storetest"
)

// testStore offers the conformance suite's Store hooks on top of a Store,
// testAudit its Audit hooks.
type (
	testStore struct{ *Store }
	testAudit struct{ *Store }
)

var (
	_ storetest.Inspector     = testStore{}
	_ storetest.BlobTamperer  = testStore{}
	_ storetest.Faults        = testStore{}
	_ storetest.JournalFaults = testStore{}
	_ storetest.Clock         = testStore{}
	_ storetest.Clock         = testAudit{}
	_ storetest.AuditTamperer = testAudit{}
)

func openStore(t testing.TB, dir string, o Options) *Store {
	t.Helper()
	s, err := Open(dir, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openFileStore is openStore with every original in a blob file, for the
// tests of the file layout and its crash windows.
func openFileStore(t testing.TB, dir string, o Options) *Store {
	s := openStore(t, dir, o)
	s.inlineMax = -1
	return s
}

func newStore(t testing.TB, o Options) testStore {
	return testStore{openStore(t, t.TempDir(), o)}
}

func TestStore(t *testing.T) {
	storetest.RunStore(t, func(t *testing.T) quarantine.Store { return newStore(t, Options{}) })
}

func TestStoreEncrypted(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	storetest.RunStore(t, func(t *testing.T) quarantine.Store { return newStore(t, Options{Key: key}) })
}

func TestAudit(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) quarantine.Audit { return testAudit{newStore(t, Options{}).Store} })
}

// ---- hooks ----

func (s testStore) Garbage(ctx context.Context) ([]string, error) {
	rep, err := s.Fsck(ctx, FsckOptions{Full: true, DryRun: true, Grace: -1})
	if err != nil {
		return nil, err
	}
	return append(append(rep.Removed, rep.Restored...), rep.Problems...), nil
}

func (s testStore) ReplaceBlob(ctx context.Context, id string, data []byte) error {
	m, err := s.Stat(ctx, id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w, err := s.codec.Writer(&buf)
	if err != nil {
		return err
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE blob_inline SET data = ? WHERE sha256 = ?`, buf.Bytes(), m.SHA256)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil // kept inline
	}
	return s.writeFile(blobPath(m.SHA256), buf.Bytes())
}

// placeTx runs place in a write transaction of its own.
func placeTx(s *Store, sp *spooled) (created bool, err error) {
	err = s.writeTx(context.Background(), func(tx *sql.Tx) error {
		created, err = s.place(context.Background(), tx, sp)
		return err
	})
	return created, err
}

func (s testStore) Inject(t *testing.T, p storetest.FaultPoint) {
	fired := false
	fault := func(err error) func() error {
		return func() error {
			if fired {
				return nil
			}
			fired = true
			return err
		}
	}
	switch p {
	case storetest.FaultWrite:
		s.hooks.write = fault(fmt.Errorf("injected: %w", syscall.ENOSPC))
	case storetest.FaultIndex:
		s.hooks.index = fault(errors.New("injected: index insert fails"))
	default:
		t.Fatalf("unknown fault %v", p)
	}
	t.Cleanup(func() { s.hooks = hooks{} })
}

func (s testStore) InjectAudit(t *testing.T) {
	fired := false
	s.hooks.audit = func() error {
		if fired {
			return nil
		}
		fired = true
		return errors.New("injected: audit insert fails")
	}
	t.Cleanup(func() { s.hooks.audit = nil })
}

func (s testStore) SetClock(now func() time.Time) { s.now = now }
func (s testAudit) SetClock(now func() time.Time) { s.now = now }

var auditCols = map[string]string{
	"time": "time", "type": "type", "item": "item", "actor": "actor", "reason": "reason",
	"data": "data", "prev": "prev", "hash": "hash",
}

func (s testAudit) exec1(ctx context.Context, q string, args ...any) error {
	r, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return fmt.Errorf("%d rows affected", n)
	}
	return nil
}

func (s testAudit) Edit(ctx context.Context, seq int64, field, value string) error {
	col, ok := auditCols[field]
	if !ok {
		return fmt.Errorf("unknown field %q", field)
	}
	var v any = value
	if col == "data" {
		v = []byte(value)
	}
	return s.exec1(ctx, `UPDATE audit SET `+col+` = ? WHERE seq = ?`, v, seq)
}

func (s testAudit) Delete(ctx context.Context, seq int64) error {
	return s.exec1(ctx, `DELETE FROM audit WHERE seq = ?`, seq)
}

func (s testAudit) rawAt(ctx context.Context, seq int64) (rawEntry, error) {
	var (
		r    rawEntry
		data []byte
	)
	err := s.db.QueryRowContext(ctx, `SELECT seq, time, type, item, actor, reason, data, prev, hash FROM audit WHERE seq = ?`, seq).
		Scan(&r.Seq, &r.Time, &r.Type, &r.Item, &r.Actor, &r.Reason, &data, &r.Prev, &r.Hash)
	r.Data = string(data)
	return r, err
}

func (s testAudit) putRaw(ctx context.Context, seq int64, r rawEntry) error {
	return s.exec1(ctx, `UPDATE audit SET time = ?, type = ?, item = ?, actor = ?, reason = ?, data = ?, prev = ?, hash = ? WHERE seq = ?`,
		r.Time, r.Type, r.Item, r.Actor, r.Reason, []byte(r.Data), r.Prev, r.Hash, seq)
}

func (s testAudit) Swap(ctx context.Context, a, b int64) error {
	ra, err := s.rawAt(ctx, a)
	if err != nil {
		return err
	}
	rb, err := s.rawAt(ctx, b)
	if err != nil {
		return err
	}
	if err := s.putRaw(ctx, a, rb); err != nil {
		return err
	}
	return s.putRaw(ctx, b, ra)
}

func (s testAudit) InsertAfter(ctx context.Context, seq int64, e quarantine.Entry) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE audit SET seq = -seq WHERE seq > ?`, seq); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE audit SET seq = -seq + 1 WHERE seq < 0`); err != nil {
		return err
	}
	r := raw(e)
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit (seq, time, type, item, actor, reason, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		seq+1, r.Time, r.Type, r.Item, r.Actor, r.Reason, []byte(r.Data), r.Prev, r.Hash)
	return err
}

// ---- helpers ----

var jst = time.FixedZone("JST", 9*3600)

func put(t testing.TB, s *Store, b []byte) quarantine.Meta {
	t.Helper()
	m, err := s.Put(context.Background(), quarantine.Meta{Origin: quarantine.OriginSMTP, From: "a@example.jp"}, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return m
}

func read(t testing.TB, s *Store, id string) ([]byte, error) {
	t.Helper()
	_, rc, err := s.Get(context.Background(), id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func noGarbage(t *testing.T, s *Store) {
	t.Helper()
	g, err := testStore{s}.Garbage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(g) > 0 {
		t.Errorf("garbage: %q", g)
	}
}

func ageFile(t *testing.T, dir, name string) {
	t.Helper()
	old := time.Now().Add(-2 * DefaultGrace)
	if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(name)), old, old); err != nil {
		t.Fatal(err)
	}
}

func exists(dir, name string) bool {
	_, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name)))
	return err == nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// ---- local tests ----

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := randBytes(10 << 10)
	m := put(t, s, b)
	var last quarantine.Entry
	for i := range 5 {
		if last, err = s.Append(t.Context(), quarantine.Event{Type: "received", Item: m.ID, Actor: "mugai", Reason: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{})
	if got, err := read(t, s, m.ID); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("after reopen: %v", err)
	}
	st, err := s.Stat(t.Context(), m.ID)
	if err != nil || st.SHA256 != m.SHA256 || !st.Received.Equal(m.Received) {
		t.Errorf("Stat after reopen: %+v %v", st, err)
	}
	e, err := s.Append(t.Context(), quarantine.Event{Type: "deleted", Actor: "ops"})
	if err != nil || e.Seq != 6 || e.Prev != last.Hash {
		t.Errorf("Append after reopen: %+v %v", e, err)
	}
	if err := s.Verify(t.Context()); err != nil {
		t.Error(err)
	}
	noGarbage(t, s)
}

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s := openFileStore(t, dir, Options{})
	b := []byte("two items, one blob")
	m1, m2 := put(t, s, b), put(t, s, b)
	p := filepath.Join(dir, "blobs", m1.SHA256[:2], m1.SHA256[2:4], m1.SHA256)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("blob not at its content address: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("blob mode %v, want 0600", fi.Mode().Perm())
	}
	for _, d := range []string{"blobs", "tmp", "trash", "audit"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", d, fi.Mode(), err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Errorf("tmp/ not empty after Put: %v", ents)
	}
	if err := s.Delete(t.Context(), m1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Errorf("blob removed while still referenced: %v", err)
	}
	if err := s.Delete(t.Context(), m2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("blob kept after its last item went: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "trash")); len(ents) != 0 {
		t.Errorf("trash/ not empty after Delete: %v", ents)
	}
}

func TestRetentionDefault(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, jst)
	s := newStore(t, Options{Now: func() time.Time { return now }, Retention: 7 * 24 * time.Hour})
	m := put(t, s.Store, []byte("x"))
	if !m.Received.Equal(now) || !m.RetainUntil.Equal(now.Add(7*24*time.Hour)) {
		t.Errorf("Received %v RetainUntil %v", m.Received, m.RetainUntil)
	}
	s2 := newStore(t, Options{Now: func() time.Time { return now }})
	if m := put(t, s2.Store, []byte("x")); !m.RetainUntil.Equal(now.Add(DefaultRetention)) {
		t.Errorf("default RetainUntil %v", m.RetainUntil)
	}
}

// TestCrashWindows reproduces on disk what a crash at each point leaves
// behind and checks that the cleanup at Open repairs it.
func TestCrashWindows(t *testing.T) {
	ctx := context.Background()
	t.Run("while writing the temp file", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		os.WriteFile(filepath.Join(dir, "tmp", "old.tmp"), []byte("MGQ1\x00partial"), 0o600)
		os.WriteFile(filepath.Join(dir, "tmp", "young.tmp"), []byte("MGQ1\x00in flight elsewhere"), 0o600)
		ageFile(t, dir, "tmp/old.tmp")
		s.Close()
		s = openFileStore(t, dir, Options{})
		if exists(dir, "tmp/old.tmp") {
			t.Error("old temp file kept")
		}
		if !exists(dir, "tmp/young.tmp") {
			t.Error("young temp file (a Put in flight in another process) removed")
		}
		os.Remove(filepath.Join(dir, "tmp", "young.tmp"))
		noGarbage(t, s)
	})

	// spoolAndPlace does what Put does up to the commit, and stops.
	spoolAndPlace := func(t *testing.T, s *Store, b []byte) (tmp, sum string) {
		t.Helper()
		sp, err := s.spool(ctx, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := placeTx(s, sp); err != nil {
			t.Fatal(err)
		}
		sp.f.Close()
		return sp.name, sp.sum
	}

	t.Run("after the blob is placed, before the commit", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		tmp, sum := spoolAndPlace(t, s, randBytes(50<<10))
		if !exists(dir, blobPath(sum)) {
			t.Fatal("blob not placed")
		}
		s.Close()
		ageFile(t, dir, tmp)
		s = openFileStore(t, dir, Options{})
		if exists(dir, blobPath(sum)) || exists(dir, tmp) {
			t.Error("the cleanup left the uncommitted blob or its temp file")
		}
		noGarbage(t, s)
		if got := list(t, s); len(got) != 0 {
			t.Errorf("visible items: %q", got)
		}
	})

	t.Run("before the commit, content shared with a committed item", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		b := randBytes(50 << 10)
		m := put(t, s, b)
		sp, err := s.spool(ctx, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		// A small original stays in memory when its content is kept
		// already; a large one has a temp file by now.
		if err := s.durable(sp); err != nil {
			t.Fatal(err)
		}
		sp.f.Close()
		tmp := sp.name
		if created, err := placeTx(s, sp); err != nil || created {
			t.Fatalf("place: created %v, %v", created, err)
		}
		s.Close()
		ageFile(t, dir, tmp)
		s = openFileStore(t, dir, Options{})
		if got, err := read(t, s, m.ID); err != nil || !bytes.Equal(got, b) {
			t.Errorf("committed item damaged by the cleanup: %v", err)
		}
		noGarbage(t, s)
	})

	t.Run("after the commit, before the temp name is removed", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		b := randBytes(50 << 10)
		m := put(t, s, b)
		// Put removed its temp name; put one back, as a crash would leave it.
		if err := os.Link(filepath.Join(dir, blobPath(m.SHA256)), filepath.Join(dir, "tmp", "x.tmp")); err != nil {
			t.Fatal(err)
		}
		s.Close()
		ageFile(t, dir, "tmp/x.tmp")
		s = openFileStore(t, dir, Options{})
		if exists(dir, "tmp/x.tmp") {
			t.Error("temp link kept")
		}
		if got, err := read(t, s, m.ID); err != nil || !bytes.Equal(got, b) {
			t.Errorf("committed item damaged by the cleanup: %v", err)
		}
		noGarbage(t, s)
	})

	t.Run("Delete: after the move to trash, before the commit", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		b := randBytes(50 << 10)
		m := put(t, s, b)
		os.Rename(filepath.Join(dir, blobPath(m.SHA256)), filepath.Join(dir, "trash", m.SHA256+".abc"))
		s.Close()
		s = openFileStore(t, dir, Options{})
		if got, err := read(t, s, m.ID); err != nil || !bytes.Equal(got, b) {
			t.Errorf("blob not restored from trash: %v", err)
		}
		noGarbage(t, s)
	})

	t.Run("Delete: after the commit, before the trash is emptied", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		m := put(t, s, []byte("deleted"))
		os.Link(filepath.Join(dir, blobPath(m.SHA256)), filepath.Join(dir, "trash", m.SHA256+".abc"))
		if err := s.Delete(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = openFileStore(t, dir, Options{})
		if exists(dir, "trash/"+m.SHA256+".abc") {
			t.Error("trash kept")
		}
		noGarbage(t, s)
	})

	t.Run("blob without row and without evidence (full fsck)", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		tmp, sum := spoolAndPlace(t, s, randBytes(1000))
		os.Remove(filepath.Join(dir, tmp)) // as with rename instead of link
		young, ysum := spoolAndPlace(t, s, randBytes(1000))
		os.Remove(filepath.Join(dir, young))
		ageFile(t, dir, blobPath(sum))
		rep, err := s.Fsck(ctx, FsckOptions{Full: true})
		if err != nil {
			t.Fatal(err)
		}
		if exists(dir, blobPath(sum)) || len(rep.Removed) != 1 {
			t.Errorf("orphan blob not removed: %+v", rep)
		}
		if !exists(dir, blobPath(ysum)) {
			t.Error("young unreferenced blob (a Put about to commit) removed")
		}
	})

	t.Run("missing blob is reported, Get says ErrCorrupt", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		m := put(t, s, []byte("soon missing"))
		os.Remove(filepath.Join(dir, blobPath(m.SHA256)))
		rep, err := s.Fsck(ctx, FsckOptions{Full: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], m.SHA256) {
			t.Errorf("Problems = %q", rep.Problems)
		}
		if _, err := read(t, s, m.ID); !errors.Is(err, quarantine.ErrCorrupt) {
			t.Errorf("Get of an item whose blob is missing: %v", err)
		}
	})
}

// TestSpool: a small original stays in memory until it is known to be
// new, so content kept already costs no temp file; a large one spills to
// its temp file as it streams.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	s := openFileStore(t, dir, Options{})
	temps := 0
	s.hooks.temp = func() { temps++ }
	small, large := randBytes(100<<10), randBytes(spoolMem+100<<10) // random: DEFLATE cannot shrink them
	for _, tc := range []struct {
		name  string
		b     []byte
		temps int
	}{
		{"small, new", small, 1},
		{"small, kept already", small, 0},
		{"large, new", large, 1},
		{"large, kept already", large, 1}, // spilled, thrown away unsynced
		{"empty, new", nil, 1},
		{"empty, kept already", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			temps = 0
			m := put(t, s, tc.b)
			if temps != tc.temps {
				t.Errorf("%d temp files created, want %d", temps, tc.temps)
			}
			if got, err := read(t, s, m.ID); err != nil || !bytes.Equal(got, tc.b) {
				t.Errorf("round trip: %v", err)
			}
			if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
				t.Errorf("tmp/ not empty after Put: %v", ents)
			}
		})
	}
	noGarbage(t, s)
}

func list(t *testing.T, s *Store) []string {
	t.Helper()
	var ids []string
	if err := s.List(t.Context(), quarantine.Filter{}, func(m quarantine.Meta) error {
		ids = append(ids, m.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestEncryption(t *testing.T) {
	key := randBytes(32)
	plain := randBytes(100 << 10) // incompressible: DEFLATE stores it verbatim
	marker := plain[5000:5064]
	blobs := func(dir string) [][]byte {
		var out [][]byte
		filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				b, _ := os.ReadFile(p)
				out = append(out, b)
			}
			return nil
		})
		return out
	}
	// Without a key the test would see the plaintext: it can tell.
	clearDir := t.TempDir()
	put(t, openFileStore(t, clearDir, Options{}), plain)
	if bs := blobs(clearDir); len(bs) != 1 || !bytes.Contains(bs[0], marker) {
		t.Fatal("unencrypted blob does not show the plaintext: the test cannot tell")
	}

	dir := t.TempDir()
	s := openFileStore(t, dir, Options{Key: key})
	m := put(t, s, plain)
	bs := blobs(dir)
	if len(bs) != 1 {
		t.Fatalf("%d blobs", len(bs))
	}
	if bytes.Contains(bs[0], marker) {
		t.Error("encrypted blob contains the plaintext")
	}
	if got, err := read(t, s, m.ID); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("round trip: %v", err)
	}
	s.Close()

	if _, err := Open(dir, Options{Key: randBytes(32)}); !errors.Is(err, quarantine.ErrKey) {
		t.Errorf("Open with a wrong key: %v, want ErrKey", err)
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, quarantine.ErrKey) {
		t.Errorf("Open of an encrypted store without a key: %v, want ErrKey", err)
	}
	if _, err := Open(dir, Options{Key: key[:16]}); !errors.Is(err, quarantine.ErrKey) {
		t.Errorf("Open with a short key: %v, want ErrKey", err)
	}
	s = openFileStore(t, dir, Options{Key: key})
	if got, err := read(t, s, m.ID); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("after reopen with the key: %v", err)
	}
	// A blob encrypted under another key (copied in from another store)
	// reads as ErrKey.
	other := testStore{openFileStore(t, t.TempDir(), Options{Key: randBytes(32)})}
	om := put(t, other.Store, plain[:1000])
	ob, _ := os.ReadFile(filepath.Join(other.Dir(), blobPath(om.SHA256)))
	m2 := put(t, s, plain[:1000])
	os.WriteFile(filepath.Join(dir, blobPath(m2.SHA256)), ob, 0o600)
	if _, err := read(t, s, m2.ID); !errors.Is(err, quarantine.ErrKey) {
		t.Errorf("blob under another key: %v, want ErrKey", err)
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	s := testStore{openStore(t, dir, Options{})}
	ctx := t.Context()
	appendN := func(n int) {
		for range n {
			if _, err := s.Append(ctx, quarantine.Event{Type: "outcome", Actor: "mugai", Data: []byte(`{"a": 1}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	verify := func(what string) {
		t.Helper()
		if err := s.Verify(ctx); err != nil {
			t.Errorf("%s: Verify: %v", what, err)
		}
		if err := s.VerifyArchive(ctx); err != nil {
			t.Errorf("%s: VerifyArchive: %v", what, err)
		}
	}
	seqs := func() []int64 {
		var out []int64
		s.Entries(ctx, 1, func(e quarantine.Entry) error { out = append(out, e.Seq); return nil })
		return out
	}
	if a, err := s.RotateAudit(ctx, 100); err != nil || a.First != 0 {
		t.Errorf("rotating an empty log: %+v %v", a, err)
	}
	appendN(10)
	a, err := s.RotateAudit(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if a.First != 1 || a.Last != 4 || a.File != "audit/1-4.jsonl" || !exists(dir, a.File) {
		t.Errorf("archive %+v", a)
	}
	if got := seqs(); len(got) != 6 || got[0] != 5 {
		t.Errorf("live entries after rotation: %v", got)
	}
	verify("after rotation")
	appendN(3) // 11..13 chain on
	if _, err := s.RotateAudit(ctx, 5); err != nil {
		t.Errorf("rotating nothing new: %v", err)
	}
	if _, err := s.RotateAudit(ctx, 12); err != nil {
		t.Fatal(err)
	}
	verify("after second rotation")
	s.Close()
	s = testStore{openStore(t, dir, Options{})}
	verify("after reopen")
	// Rotate everything: the next entry chains from the anchor alone.
	if a, err := s.RotateAudit(ctx, 1<<40); err != nil || a.First != 12 || a.Last != 13 {
		t.Fatalf("rotate all: %+v %v", a, err)
	}
	e, err := s.Append(ctx, quarantine.Event{Type: "config", Actor: "mugai"})
	if err != nil || e.Seq != 14 {
		t.Fatalf("Append after rotating all: %+v %v", e, err)
	}
	verify("after rotating all")
	arcs, _ := s.Archives(ctx)
	if len(arcs) != 3 {
		t.Fatalf("archives %+v", arcs)
	}

	// Tampering with an archive names the entry.
	p := filepath.Join(dir, "audit", "5-11.jsonl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	lines[2] = bytes.Replace(lines[2], []byte(`"actor":"mugai"`), []byte(`"actor":"root"`), 1)
	os.WriteFile(p, bytes.Join(lines, nil), 0o600)
	if err := s.VerifyArchive(ctx); !errors.Is(err, quarantine.ErrTampered) || !strings.Contains(err.Error(), "entry 7") {
		t.Errorf("VerifyArchive after editing entry 7: %v", err)
	}
	os.WriteFile(p, b, 0o600)
	os.WriteFile(p, bytes.Join(append(lines[:1:1], lines[2:]...), nil), 0o600)
	if err := s.VerifyArchive(ctx); !errors.Is(err, quarantine.ErrTampered) || !strings.Contains(err.Error(), "sequence 6") {
		t.Errorf("VerifyArchive after deleting entry 6: %v", err)
	}
	os.Remove(p)
	if err := s.VerifyArchive(ctx); !errors.Is(err, quarantine.ErrTampered) {
		t.Errorf("VerifyArchive with a missing archive: %v", err)
	}
	os.WriteFile(p, b, 0o600)
	verify("restored")

	// A broken live chain is not rotated away.
	appendN(3)
	if err := testAudit(s).Edit(ctx, 15, "actor", "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateAudit(ctx, 100); !errors.Is(err, quarantine.ErrTampered) {
		t.Errorf("rotating a tampered log: %v", err)
	}
	if err := s.Verify(ctx); !errors.Is(err, quarantine.ErrTampered) || !strings.Contains(err.Error(), "entry 15") {
		t.Errorf("Verify: %v", err)
	}
	// A tampered anchor shows as a break between archives and log.
	s.db.ExecContext(ctx, `UPDATE audit_anchor SET hash = '00'`)
	if err := s.VerifyArchive(ctx); !errors.Is(err, quarantine.ErrTampered) {
		t.Errorf("VerifyArchive with a tampered anchor: %v", err)
	}
}

const helperEnv = "MUGAI_LOCAL_HELPER_DIR"

// TestHelperProcess is not a test: TestTwoProcessAudit runs the test binary
// again with it, to append from another process.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	// Tell the parent we are ready, and start when it says so, so that the
	// two helpers append at the same time.
	fmt.Println("ready")
	if _, err := io.ReadFull(os.Stdin, make([]byte, 1)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(5)
	}
	for i := range 200 {
		if _, err := s.Append(context.Background(), quarantine.Event{Type: "outcome", Actor: fmt.Sprintf("pid%d", os.Getpid()), Reason: fmt.Sprint(i)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
	}
	s.Close()
	os.Exit(0)
}

func TestTwoProcessAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	openStore(t, dir, Options{}).Close() // create the schema first
	var (
		cmds   []*exec.Cmd
		gos    []io.WriteCloser
		stderr []*bytes.Buffer
	)
	for range 2 {
		c := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		c.Env = append(os.Environ(), helperEnv+"="+dir)
		var errOut bytes.Buffer
		c.Stderr = &errOut
		stdout, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdin, err := c.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
		ready := make([]byte, len("ready\n"))
		if _, err := io.ReadFull(stdout, ready); err != nil {
			t.Fatalf("helper did not get ready: %v: %s", err, errOut.String())
		}
		go io.Copy(io.Discard, stdout)
		cmds, gos, stderr = append(cmds, c), append(gos, stdin), append(stderr, &errOut)
	}
	for _, g := range gos {
		g.Write([]byte("g"))
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper: %v: %s", err, stderr[i])
		}
	}
	s := openStore(t, dir, Options{})
	if err := s.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
	var n int
	actors := map[string]int{}
	switches := 0
	prev := ""
	s.Entries(t.Context(), 1, func(e quarantine.Entry) error {
		n++
		actors[e.Actor]++
		if prev != "" && e.Actor != prev {
			switches++
		}
		prev = e.Actor
		return nil
	})
	if n != 400 || len(actors) != 2 {
		t.Errorf("%d entries from %v, want 400 from two processes", n, actors)
	}
	t.Logf("the two processes' entries interleave %d times", switches)
}

func TestReadOnlyAndFull(t *testing.T) {
	ctx := context.Background()
	t.Run("disk full (fault seam)", func(t *testing.T) {
		s := newStore(t, Options{})
		s.Inject(t, storetest.FaultWrite)
		_, err := s.Put(ctx, quarantine.Meta{}, bytes.NewReader(randBytes(200<<10)))
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("Put on a full disk: %v", err)
		}
		if got := list(t, s.Store); len(got) != 0 {
			t.Errorf("half entry: %q", got)
		}
		noGarbage(t, s.Store)
	})
	t.Run("read-only directory", func(t *testing.T) {
		dir := t.TempDir()
		s := openStore(t, dir, Options{})
		if os.Geteuid() == 0 {
			// chmod does not stop root: simulate what the kernel would say.
			s.hooks.write = func() error { return &fs.PathError{Op: "write", Path: "tmp/x", Err: syscall.EROFS} }
		} else {
			for _, d := range []string{"", "tmp", "blobs"} {
				os.Chmod(filepath.Join(dir, d), 0o500)
			}
			t.Cleanup(func() {
				for _, d := range []string{"", "tmp", "blobs"} {
					os.Chmod(filepath.Join(dir, d), 0o700)
				}
			})
		}
		_, err := s.Put(ctx, quarantine.Meta{}, bytes.NewReader([]byte("x")))
		if err == nil || !(errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) {
			t.Errorf("Put into a read-only directory: %v", err)
		}
		t.Logf("error: %v", err)
		if got := list(t, s); len(got) != 0 {
			t.Errorf("half entry: %q", got)
		}
	})
	t.Run("open of an unwritable directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("chmod does not stop root")
		}
		dir := t.TempDir()
		os.Chmod(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		_, err := Open(filepath.Join(dir, "q"), Options{})
		if err == nil {
			t.Fatal("Open succeeded")
		}
		t.Logf("error: %v", err)
	})
	t.Run("open of an existing read-only store", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("chmod does not stop root")
		}
		dir := t.TempDir()
		put(t, openStore(t, dir, Options{}), []byte("x"))
		chmodAll(t, dir, false)
		t.Cleanup(func() { chmodAll(t, dir, true) })
		// Open succeeds (reading works: an auditor may inspect a
		// read-only copy); writes fail and say why.
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("Open of a read-only store: %v", err)
		}
		defer s.Close()
		if got := list(t, s); len(got) != 1 {
			t.Errorf("List of a read-only store: %q", got)
		}
		_, err = s.Put(t.Context(), quarantine.Meta{}, bytes.NewReader([]byte("y")))
		if err == nil || !strings.Contains(err.Error(), "read-only") && !errors.Is(err, fs.ErrPermission) {
			t.Errorf("Put into a read-only store: %v", err)
		}
		t.Logf("Put: %v", err)
		_, err = s.Append(t.Context(), quarantine.Event{Type: "config", Actor: "mugai"})
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("Append to a read-only store: %v", err)
		}
		t.Logf("Append: %v", err)
		if got := list(t, s); len(got) != 1 {
			t.Errorf("List after failed writes: %q", got)
		}
	})
}

// chmodAll makes the tree under dir writable or not.
func chmodAll(t *testing.T, dir string, writable bool) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		mode := fs.FileMode(0o400)
		if d.IsDir() {
			mode = 0o500
		}
		if writable {
			mode |= 0o200
		}
		os.Chmod(p, mode)
		return nil
	})
}

func TestRootConfinement(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	s := openStore(t, dir, Options{})
	// Replace blobs/xy with a symlink out of the store.
	b2 := []byte("the attacker wants this outside")
	sum2 := sha(b2)
	d1 := filepath.Join(dir, "blobs", sum2[:2])
	os.RemoveAll(d1)
	if err := os.Symlink(outside, d1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), quarantine.Meta{}, bytes.NewReader(b2)); err == nil {
		t.Error("Put followed a symlink out of the store")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("files written outside the store: %v", ents)
	}
	if got := list(t, s); len(got) != 0 {
		t.Errorf("half entry: %q", got)
	}

	// index.db as a symlink is refused.
	dir2 := t.TempDir()
	os.Symlink(filepath.Join(outside, "index.db"), filepath.Join(dir2, "index.db"))
	if _, err := Open(dir2, Options{}); err == nil {
		t.Error("Open accepted a symlinked index.db")
	}
}

func TestQueryPlans(t *testing.T) {
	s := newStore(t, Options{})
	put(t, s.Store, []byte("x"))
	for _, tc := range []struct {
		name string
		f    quarantine.Filter
		want string // index the plan must use
	}{
		{"newest first", quarantine.Filter{Limit: 50}, "items_received"},
		{"since until", quarantine.Filter{Since: time.Now(), Until: time.Now(), Limit: 50}, "items_received"},
		{"outcome", quarantine.Filter{Outcome: "blocked", Limit: 50}, "items_outcome"},
		{"finding", quarantine.Filter{Finding: "pdf.javascript", Limit: 50}, "SEARCH f USING PRIMARY KEY"},
		{"finding since", quarantine.Filter{Finding: "pdf.javascript", Since: time.Now(), Limit: 50}, "SEARCH f USING PRIMARY KEY"},
		{"rcpt", quarantine.Filter{Rcpt: "city", Limit: 50}, "items_received"},
		{"from", quarantine.Filter{From: "example", Limit: 50}, "items_received"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := s.plan(t, tc.f)
			if !strings.Contains(plan, tc.want) || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("plan for %+v:\n%s", tc.f, plan)
			}
		})
	}
}

// plan returns SQLite's query plan for List's first page.
func (s testStore) plan(t *testing.T, f quarantine.Filter) string {
	var out strings.Builder
	s.hooks.listQuery = func(q string, args []any) {
		rows, err := s.db.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			fmt.Fprintln(&out, detail)
		}
	}
	defer func() { s.hooks.listQuery = nil }()
	s.List(t.Context(), f, func(quarantine.Meta) error { return nil })
	return out.String()
}

// inlineRows returns how many blob_inline rows hold sum.
func inlineRows(t *testing.T, s *Store, sum string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM blob_inline WHERE sha256 = ?`, sum).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInline(t *testing.T) {
	ctx := t.Context()

	t.Run("small originals stay in the database", func(t *testing.T) {
		dir := t.TempDir()
		s := openStore(t, dir, Options{})
		b := randBytes(5 << 10)
		m1, m2 := put(t, s, b), put(t, s, b)
		if exists(dir, blobPath(m1.SHA256)) || inlineRows(t, s, m1.SHA256) != 1 {
			t.Fatal("a small original is not inline, once")
		}
		big := randBytes(InlineMax + 1)
		mb := put(t, s, big)
		if !exists(dir, blobPath(mb.SHA256)) || inlineRows(t, s, mb.SHA256) != 0 {
			t.Fatal("a large original is not a blob file")
		}
		for _, c := range []struct {
			id   string
			want []byte
		}{{m1.ID, b}, {m2.ID, b}, {mb.ID, big}} {
			if got, err := read(t, s, c.id); err != nil || !bytes.Equal(got, c.want) {
				t.Fatalf("Get %s: %v", c.id, err)
			}
		}
		noGarbage(t, s)
		if err := s.Delete(ctx, m1.ID); err != nil {
			t.Fatal(err)
		}
		if inlineRows(t, s, m1.SHA256) != 1 {
			t.Fatal("inline blob dropped while referenced")
		}
		if err := s.Delete(ctx, m2.ID); err != nil {
			t.Fatal(err)
		}
		if inlineRows(t, s, m1.SHA256) != 0 {
			t.Fatal("unreferenced inline blob kept")
		}
		noGarbage(t, s)
	})

	t.Run("dedup with a blob file", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		b := randBytes(5 << 10)
		m1 := put(t, s, b)
		s.inlineMax = InlineMax
		m2 := put(t, s, b)
		if !exists(dir, blobPath(m1.SHA256)) || inlineRows(t, s, m1.SHA256) != 0 {
			t.Fatal("the blob file was not reused")
		}
		c := randBytes(5 << 10)
		m3 := put(t, s, c)
		s.inlineMax = -1
		m4 := put(t, s, c)
		if exists(dir, blobPath(m3.SHA256)) || inlineRows(t, s, m3.SHA256) != 1 {
			t.Fatal("the inline blob was not reused")
		}
		for _, m := range []quarantine.Meta{m1, m2, m3, m4} {
			if _, err := read(t, s, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		noGarbage(t, s)
		for _, m := range []quarantine.Meta{m1, m2, m3, m4} {
			if err := s.Delete(ctx, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		if exists(dir, blobPath(m1.SHA256)) || inlineRows(t, s, m3.SHA256) != 0 {
			t.Fatal("blobs kept after the last delete")
		}
		noGarbage(t, s)
	})

	t.Run("fsck removes unreferenced inline rows", func(t *testing.T) {
		s := openStore(t, t.TempDir(), Options{})
		sum := strings.Repeat("ab", 32)
		if _, err := s.db.Exec(`INSERT INTO blob_inline (sha256, data) VALUES (?, x'00')`, sum); err != nil {
			t.Fatal(err)
		}
		if g, _ := (testStore{s}).Garbage(ctx); len(g) != 1 {
			t.Fatalf("Garbage = %q", g)
		}
		if _, err := s.Fsck(ctx, FsckOptions{Full: true}); err != nil {
			t.Fatal(err)
		}
		if inlineRows(t, s, sum) != 0 {
			t.Fatal("row kept")
		}
		noGarbage(t, s)
	})

	t.Run("encrypted at rest", func(t *testing.T) {
		s := openStore(t, t.TempDir(), Options{Key: randBytes(32)})
		marker := []byte("a very recognisable marker line\n")
		m := put(t, s, bytes.Repeat(marker, 20))
		var data []byte
		if err := s.db.QueryRow(`SELECT data FROM blob_inline WHERE sha256 = ?`, m.SHA256).Scan(&data); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, marker) {
			t.Fatal("plaintext in the inline blob")
		}
	})

	t.Run("migration from schema 1", func(t *testing.T) {
		dir := t.TempDir()
		s := openFileStore(t, dir, Options{})
		b := randBytes(5 << 10)
		m := put(t, s, b)
		if _, err := s.db.Exec(`DROP TABLE blob_inline; UPDATE meta SET value = '1' WHERE key = 'schema'`); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = openStore(t, dir, Options{})
		var v string
		if err := s.db.QueryRow(`SELECT value FROM meta WHERE key = 'schema'`).Scan(&v); err != nil || v != schemaVersion {
			t.Fatalf("schema %q, %v", v, err)
		}
		if got, err := read(t, s, m.ID); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("old blob: %v", err)
		}
		m2 := put(t, s, b)
		if inlineRows(t, s, m.SHA256) != 0 {
			t.Fatal("content of an old blob file stored again inline")
		}
		if _, err := read(t, s, m2.ID); err != nil {
			t.Fatal(err)
		}
		noGarbage(t, s)
	})
}
