package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mugai-project/mugai/quarantine"
)

// TestGroupCommit runs many writers at once, some failing, and checks that
// each writer's outcome is its own: the rows of the successful ones are
// there, the failing ones left nothing, and the audit chain written by all
// of them in shared transactions still verifies.
func TestGroupCommit(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	ctx := context.Background()
	if _, err := s.db.Exec(`CREATE TABLE scratch (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const writers = 200
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.writeTx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO scratch VALUES (?)`, i); err != nil {
					return err
				}
				if _, err := s.appendTx(ctx, tx, quarantine.Event{Type: "test", Actor: "t", Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}); err != nil {
					return err
				}
				if i%7 == 0 {
					return errors.New("refused")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	want := 0
	for i, err := range errs {
		if (err != nil) != (i%7 == 0) {
			t.Fatalf("writer %d: err = %v", i, err)
		}
		if err == nil {
			want++
		}
	}
	var got int
	if err := s.db.QueryRow(`SELECT count(*) FROM scratch WHERE n % 7 != 0`).Scan(&got); err != nil || got != want {
		t.Fatalf("rows of successful writers: %d, %v (want %d)", got, err, want)
	}
	if err := s.db.QueryRow(`SELECT count(*) FROM scratch WHERE n % 7 = 0`).Scan(&got); err != nil || got != 0 {
		t.Fatalf("rows of failed writers: %d, %v", got, err)
	}
	var cc quarantine.ChainChecker
	n := 0
	err := s.Entries(ctx, 1, func(e quarantine.Entry) error {
		n++
		return cc.Check(e)
	})
	if err != nil || n != want {
		t.Fatalf("audit after group commits: %d entries, %v (want %d)", n, err, want)
	}
}

// TestGroupCommitCancelled checks that a writer whose context is done when
// its batch runs fails alone.
func TestGroupCommitCancelled(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	if _, err := s.db.Exec(`CREATE TABLE scratch (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	a := &txReq{ctx: context.Background(), fn: func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO scratch VALUES (1)`); return err }}
	b := &txReq{ctx: dead, fn: func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO scratch VALUES (2)`); return err }}
	c := &txReq{ctx: context.Background(), fn: func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO scratch VALUES (3)`); return err }}
	s.wmu.Lock()
	s.runBatch([]*txReq{a, b, c})
	s.wmu.Unlock()
	if a.err != nil || c.err != nil || !errors.Is(b.err, context.Canceled) {
		t.Fatalf("errs: %v, %v, %v", a.err, b.err, c.err)
	}
	var ns []string
	rows, err := s.db.Query(`SELECT n FROM scratch ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		rows.Scan(&n)
		ns = append(ns, n)
	}
	if strings.Join(ns, ",") != "1,3" {
		t.Fatalf("rows %v", ns)
	}
}

// TestDeferSync checks the deferred-sync writes: visible at once, durable
// after Close (which syncs), and the connection they used is back to
// synchronous=FULL for everyone else.
func TestDeferSync(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, _, err := s.PutWithEvent(ctx, quarantine.Meta{Origin: quarantine.OriginSMTP, From: "a@example.com"}, strings.NewReader("original"), quarantine.Event{Type: "received", Actor: "mugai"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateWithEvent(quarantine.DeferSync(ctx), m.ID, func(m *quarantine.Meta) error {
		m.Delivery = quarantine.DeliveryDelivered
		return nil
	}, quarantine.Event{Type: "delivered", Actor: "mugai"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.lazyPending.Load() {
		t.Error("a deferred-sync commit is not pending a sync")
	}
	if got, err := s.Stat(ctx, m.ID); err != nil || got.Delivery != quarantine.DeliveryDelivered {
		t.Fatalf("right after the deferred write: %+v, %v", got, err)
	}
	// Every pooled connection is back to FULL (2).
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var level int
			if err := s.db.QueryRow(`PRAGMA synchronous`).Scan(&level); err != nil || level != 2 {
				t.Errorf("PRAGMA synchronous = %d, %v; want 2 (FULL)", level, err)
			}
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.lazyPending.Load() {
		t.Error("Close left deferred writes unsynced")
	}
	s2 := openStore(t, dir, Options{})
	if got, err := s2.Stat(ctx, m.ID); err != nil || got.Delivery != quarantine.DeliveryDelivered {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
	var cc quarantine.ChainChecker
	if err := s2.Entries(ctx, 1, cc.Check); err != nil || cc.Seq != 2 {
		t.Fatalf("audit after reopening: seq %d, %v", cc.Seq, err)
	}
}

// TestGroupCommitPanic: a writer whose function panics fails alone; the
// others in its batch commit.
func TestGroupCommitPanic(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	if _, err := s.db.Exec(`CREATE TABLE scratch (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	ins := func(n int) func(*sql.Tx) error {
		return func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO scratch VALUES (?)`, n); return err }
	}
	a := &txReq{ctx: context.Background(), fn: ins(1)}
	b := &txReq{ctx: context.Background(), fn: func(*sql.Tx) error { panic("boom") }}
	c := &txReq{ctx: context.Background(), fn: ins(3)}
	s.wmu.Lock()
	s.runBatch([]*txReq{a, b, c})
	s.wmu.Unlock()
	if a.err != nil || c.err != nil || b.err == nil || !strings.Contains(b.err.Error(), "panicked") {
		t.Fatalf("errs: %v, %v, %v", a.err, b.err, c.err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM scratch`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows %d, %v", n, err)
	}
}

// TestUpdatesWithEvents: a batch of updates, some failing in each way an
// update can, is written with each update's outcome its own, and the audit
// chain holds exactly the successful ones' events.
func TestUpdatesWithEvents(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	ctx := quarantine.DeferSync(context.Background())
	var ids []string
	for i := range 10 {
		m, err := s.Put(context.Background(), quarantine.Meta{Origin: quarantine.OriginSMTP, From: fmt.Sprintf("a%d@example.com", i)}, strings.NewReader(fmt.Sprint("original ", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	boom := errors.New("boom")
	var us []quarantine.Update
	for i, id := range ids {
		u := quarantine.Update{ID: id, Event: quarantine.Event{Type: "delivered", Actor: "mugai", Data: []byte(fmt.Sprintf(`{"n":%d}`, i))},
			Fn: func(m *quarantine.Meta) error { m.Delivery = quarantine.DeliveryDelivered; return nil }}
		switch i {
		case 2:
			u.Fn = func(*quarantine.Meta) error { return boom }
		case 4:
			u.Event.Data = []byte("{not json")
		case 6:
			u.ID = "01NOTANIDATALL"
		case 8:
			u.Fn = func(m *quarantine.Meta) error { m.SHA256 = "00"; return nil } // immutable
		}
		us = append(us, u)
	}
	errs := s.UpdatesWithEvents(ctx, us)
	for i, err := range errs {
		switch i {
		case 2:
			if !errors.Is(err, boom) {
				t.Errorf("update %d: %v, want boom", i, err)
			}
		case 4, 8:
			if err == nil {
				t.Errorf("update %d succeeded", i)
			}
		case 6:
			if !errors.Is(err, quarantine.ErrNotFound) {
				t.Errorf("update %d: %v, want ErrNotFound", i, err)
			}
		default:
			if err != nil {
				t.Errorf("update %d: %v", i, err)
			}
		}
	}
	for i, id := range ids {
		m, err := s.Stat(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		want := quarantine.DeliveryDelivered
		if i == 2 || i == 4 || i == 6 || i == 8 {
			want = quarantine.DeliveryPending
		}
		if m.Delivery != want {
			t.Errorf("item %d: delivery %q, want %q", i, m.Delivery, want)
		}
	}
	var cc quarantine.ChainChecker
	var data []string
	if err := s.Entries(context.Background(), 1, func(e quarantine.Entry) error {
		data = append(data, string(e.Data))
		return cc.Check(e)
	}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(data, " "); got != `{"n":0} {"n":1} {"n":3} {"n":5} {"n":7} {"n":9}` {
		t.Errorf("events %s", got)
	}
	if err := s.Verify(context.Background()); err != nil {
		t.Error(err)
	}
}
