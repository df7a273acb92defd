package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/quarantine"
)

// RunAudit runs the conformance suite for quarantine.Audit. open must return
// a fresh, empty log for each call and close it when t ends.
func RunAudit(t *testing.T, open func(t *testing.T) quarantine.Audit) {
	t.Run("Append", func(t *testing.T) { testAppend(t, open(t)) })
	t.Run("Entries", func(t *testing.T) { testEntries(t, open(t)) })
	t.Run("Verify", func(t *testing.T) { testVerify(t, open(t)) })
	t.Run("Times", func(t *testing.T) { testTimes(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrentAppend(t, open(t)) })
	t.Run("Tamper", func(t *testing.T) { testTamper(t, open) })
}

func event(i int) quarantine.Event {
	e := quarantine.Event{
		Type:  "received",
		Item:  fmt.Sprintf("01JD3Z%020d", i), // a valid ID, the same for the same i
		Actor: "mugai",
		// Odd spacing and key order: Data is hashed as the exact bytes, so a
		// backend that normalises JSON breaks the chain.
		Data: json.RawMessage(fmt.Sprintf(`{"z":1,  "a":[%d, 2],"s":"原本"}`, i)),
	}
	if i%3 == 1 {
		e.Type, e.Actor, e.Reason, e.Data = "released", "yamada", "担当者確認済み (ticket #42)", nil
	}
	return e
}

func appendN(t *testing.T, a quarantine.Audit, n int) []quarantine.Entry {
	t.Helper()
	var out []quarantine.Entry
	for i := range n {
		e, err := a.Append(t.Context(), event(i))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

func entries(t *testing.T, a quarantine.Audit, from int64) []quarantine.Entry {
	t.Helper()
	var out []quarantine.Entry
	if err := a.Entries(t.Context(), from, func(e quarantine.Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("Entries(%d): %v", from, err)
	}
	return out
}

func diffEntry(got, want quarantine.Entry) string {
	switch {
	case got.Seq != want.Seq:
		return fmt.Sprintf("Seq %d, want %d", got.Seq, want.Seq)
	case got.Time.Format(quarantine.TimeFormat) != want.Time.Format(quarantine.TimeFormat):
		return fmt.Sprintf("Time %s, want %s", got.Time.Format(quarantine.TimeFormat), want.Time.Format(quarantine.TimeFormat))
	case got.Type != want.Type, got.Item != want.Item, got.Actor != want.Actor, got.Reason != want.Reason:
		return fmt.Sprintf("event %+v, want %+v", got.Event, want.Event)
	case !bytes.Equal(got.Data, want.Data):
		return fmt.Sprintf("Data %q, want %q", got.Data, want.Data)
	case got.Prev != want.Prev, got.Hash != want.Hash:
		return fmt.Sprintf("Prev/Hash %s/%s, want %s/%s", got.Prev, got.Hash, want.Prev, want.Hash)
	}
	return ""
}

func testAppend(t *testing.T, a quarantine.Audit) {
	const n = 7
	es := appendN(t, a, n)
	var prev quarantine.Entry
	for i, e := range es {
		ev := event(i)
		if e.Seq != int64(i+1) {
			t.Errorf("entry %d: Seq %d", i+1, e.Seq)
		}
		if e.Time.IsZero() {
			t.Errorf("entry %d: Time not set", e.Seq)
		}
		if e.Type != ev.Type || e.Item != ev.Item || e.Actor != ev.Actor || e.Reason != ev.Reason || !bytes.Equal(e.Data, ev.Data) {
			t.Errorf("entry %d: event %+v, want %+v", e.Seq, e.Event, ev)
		}
		// Exactly what Entry.Seal makes.
		want := quarantine.Entry{Time: e.Time, Event: ev}
		want.Seal(prev)
		if e.Prev != want.Prev || e.Hash != want.Hash {
			t.Errorf("entry %d: Prev/Hash %s/%s, want %s/%s (Entry.Seal)", e.Seq, e.Prev, e.Hash, want.Prev, want.Hash)
		}
		prev = e
	}
	if es[0].Prev != "" {
		t.Errorf("entry 1: Prev %q, want empty", es[0].Prev)
	}
	for i, got := range entries(t, a, 1) {
		if d := diffEntry(got, es[i]); d != "" {
			t.Errorf("stored entry %d: %s", i+1, d)
		}
	}
}

func testEntries(t *testing.T, a quarantine.Audit) {
	if got := entries(t, a, 1); len(got) != 0 {
		t.Fatalf("empty log has %d entries", len(got))
	}
	const n = 6
	es := appendN(t, a, n)
	for _, from := range []int64{-1, 0, 1, 2, 4, n, n + 1, n + 100} {
		got := entries(t, a, from)
		start := max(from, 1)
		var want []quarantine.Entry
		if start <= n {
			want = es[start-1:]
		}
		if len(got) != len(want) {
			t.Errorf("Entries(%d): %d entries, want %d", from, len(got), len(want))
			continue
		}
		for i := range got {
			if d := diffEntry(got[i], want[i]); d != "" {
				t.Errorf("Entries(%d)[%d]: %s", from, i, d)
			}
		}
	}
	stop := errors.New("stop")
	calls := 0
	err := a.Entries(t.Context(), 1, func(quarantine.Entry) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("Entries returned %v after %d calls, want %v after 3", err, calls, stop)
	}
}

func testVerify(t *testing.T, a quarantine.Audit) {
	if err := a.Verify(t.Context()); err != nil {
		t.Errorf("Verify of an empty log: %v", err)
	}
	appendN(t, a, 1)
	if err := a.Verify(t.Context()); err != nil {
		t.Errorf("Verify of one entry: %v", err)
	}
	appendN(t, a, 30)
	if err := a.Verify(t.Context()); err != nil {
		t.Errorf("Verify of an untouched log: %v", err)
	}
}

func testTimes(t *testing.T, a quarantine.Audit) {
	c, ok := a.(Clock)
	if !ok {
		// Still: whatever the backend's clock gave must come back exactly.
		es := appendN(t, a, 3)
		for i, got := range entries(t, a, 1) {
			if d := diffEntry(got, es[i]); d != "" {
				t.Errorf("entry %d: %s", i+1, d)
			}
		}
		t.Skip("backend offers no storetest.Clock: fixed times not checked")
	}
	times := []time.Time{
		time.Date(2026, 11, 21, 9, 30, 0, 123456789, jst),
		time.Date(2026, 11, 21, 9, 30, 0, 123456790, jst), // 1 ns later
		time.Date(2026, 11, 21, 0, 30, 0, 1, time.UTC),
		time.Date(2026, 11, 21, 9, 30, 0, 0, time.FixedZone("", -(9*3600+1800))),
		time.Date(2026, 11, 21, 9, 30, 0, 100000000, time.FixedZone("JST", 9*3600)),
	}
	var cur time.Time
	c.SetClock(func() time.Time { return cur })
	for i, tm := range times {
		cur = tm
		e, err := a.Append(t.Context(), event(i))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := e.Time.Format(quarantine.TimeFormat), tm.Format(quarantine.TimeFormat); got != want {
			t.Errorf("Append: Time %s, want %s", got, want)
		}
	}
	for i, e := range entries(t, a, 1) {
		got, want := e.Time.Format(quarantine.TimeFormat), times[i].Format(quarantine.TimeFormat)
		if got != want || !e.Time.Equal(times[i]) {
			t.Errorf("entry %d: Time %s, want %s", e.Seq, got, want)
		}
	}
	if err := a.Verify(t.Context()); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func testConcurrentAppend(t *testing.T, a quarantine.Audit) {
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	seqs := make(chan int64, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e, err := a.Append(t.Context(), quarantine.Event{Type: "outcome", Actor: fmt.Sprintf("w%d", w), Reason: fmt.Sprint(i)})
				if err != nil {
					errs <- err
					continue
				}
				seqs <- e.Seq
			}
		})
	}
	wg.Wait()
	close(errs)
	close(seqs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[int64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Errorf("sequence %d handed out twice", s)
		}
		seen[s] = true
	}
	es := entries(t, a, 1)
	if len(es) != workers*each {
		t.Errorf("%d entries, want %d", len(es), workers*each)
	}
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry at position %d has Seq %d: gap or duplicate", i+1, e.Seq)
		}
	}
	if err := a.Verify(t.Context()); err != nil {
		t.Errorf("Verify after concurrent appends: %v", err)
	}
}

// names reports whether err names entry k, as "entry k" or "sequence k".
func names(err error, k int64) bool {
	return err != nil && regexp.MustCompile(fmt.Sprintf(`\b(entry|sequence) %d\b`, k)).MatchString(err.Error())
}

func testTamper(t *testing.T, open func(t *testing.T) quarantine.Audit) {
	const n = 6
	otherTime := time.Date(2026, 11, 21, 9, 30, 0, 999, jst).Format(quarantine.TimeFormat)
	type tamper func(t *testing.T, tm AuditTamperer, es []quarantine.Entry) error
	edit := func(seq int64, field, value string) tamper {
		return func(t *testing.T, tm AuditTamperer, _ []quarantine.Entry) error {
			return tm.Edit(t.Context(), seq, field, value)
		}
	}
	for _, tc := range []struct {
		name string
		do   tamper
		want int64 // the entry the error must name
	}{
		{"edit time", edit(3, "time", otherTime), 3},
		{"edit type", edit(3, "type", "deleted"), 3},
		{"edit item", edit(3, "item", quarantine.NewID(t0)), 3},
		{"edit actor", edit(3, "actor", "root"), 3},
		{"edit reason", edit(2, "reason", "理由なし"), 2},
		{"edit data", edit(3, "data", `{"z":1, "a":[2, 2],"s":"原本"}`), 3},
		{"edit data whitespace", edit(3, "data", `{"z":1,"a":[2,2],"s":"原本"}`), 3},
		{"edit prev", edit(4, "prev", "00"), 4},
		{"edit hash", edit(4, "hash", "00"), 4},
		{"edit first", edit(1, "actor", "root"), 1},
		{"edit last", edit(n, "actor", "root"), n},
		{"delete first", func(t *testing.T, tm AuditTamperer, _ []quarantine.Entry) error { return tm.Delete(t.Context(), 1) }, 1},
		{"delete middle", func(t *testing.T, tm AuditTamperer, _ []quarantine.Entry) error { return tm.Delete(t.Context(), 3) }, 3},
		{"swap", func(t *testing.T, tm AuditTamperer, _ []quarantine.Entry) error { return tm.Swap(t.Context(), 2, 4) }, 2},
		{"swap neighbours", func(t *testing.T, tm AuditTamperer, _ []quarantine.Entry) error { return tm.Swap(t.Context(), 3, 4) }, 3},
		{"insert forged", func(t *testing.T, tm AuditTamperer, es []quarantine.Entry) error {
			// A well-formed entry sealed after entry 2: only its successor
			// shows the break.
			f := quarantine.Entry{Time: es[1].Time.Add(time.Millisecond), Event: quarantine.Event{Type: "released", Actor: "mallory"}}
			f.Seal(es[1])
			return tm.InsertAfter(t.Context(), 2, f)
		}, 3},
		{"insert copy", func(t *testing.T, tm AuditTamperer, es []quarantine.Entry) error {
			return tm.InsertAfter(t.Context(), 4, es[3]) // a replayed entry 4
		}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := open(t)
			tm, ok := a.(AuditTamperer)
			if !ok {
				t.Skip("backend offers no storetest.AuditTamperer")
			}
			es := appendN(t, a, n)
			if err := a.Verify(t.Context()); err != nil {
				t.Fatalf("Verify before tampering: %v", err)
			}
			if err := tc.do(t, tm, es); err != nil {
				t.Fatalf("tampering: %v", err)
			}
			err := a.Verify(t.Context())
			if !errors.Is(err, quarantine.ErrTampered) {
				t.Fatalf("Verify after tampering: %v, want ErrTampered", err)
			}
			if !names(err, tc.want) {
				t.Errorf("Verify: %v; want it to name entry %d", err, tc.want)
			}
		})
	}
}
