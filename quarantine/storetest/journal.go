package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/mugai-project/mugai/quarantine"
)

// journalOf returns s as a Journal and an Audit, or skips t.
func journalOf(t *testing.T, s quarantine.Store) (quarantine.Journal, quarantine.Audit) {
	t.Helper()
	j, ok := s.(quarantine.Journal)
	if !ok {
		t.Skip("backend does not implement quarantine.Journal")
	}
	a, ok := s.(quarantine.Audit)
	if !ok {
		t.Fatal("the backend implements quarantine.Journal but not quarantine.Audit: its events would go nowhere readable")
	}
	return j, a
}

func testJournal(t *testing.T, open func(t *testing.T) quarantine.Store) {
	first := open(t)
	if _, ok := first.(quarantine.Journal); !ok {
		t.Skip("backend does not implement quarantine.Journal")
	}
	t.Run("PutWithEvent", func(t *testing.T) { testPutWithEvent(t, first) })
	t.Run("UpdateWithEvent", func(t *testing.T) { testUpdateWithEvent(t, open(t)) })
	t.Run("EventFails", func(t *testing.T) { testJournalEventFails(t, open) })
	t.Run("ChangeFails", func(t *testing.T) { testJournalChangeFails(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testJournalConcurrent(t, open(t)) })
}

// checkChain verifies the log and that it holds exactly want (in order).
func checkChain(t *testing.T, a quarantine.Audit, want []quarantine.Entry) {
	t.Helper()
	if err := a.Verify(t.Context()); err != nil {
		t.Errorf("Verify: %v", err)
	}
	got := entries(t, a, 1)
	if len(got) != len(want) {
		t.Fatalf("the log holds %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if d := diffEntry(got[i], want[i]); d != "" {
			t.Errorf("stored entry %d: %s", i+1, d)
		}
	}
}

// checkSealed checks that e is ev, sealed after prev, about item.
func checkSealed(t *testing.T, e quarantine.Entry, ev quarantine.Event, item string, prev quarantine.Entry) {
	t.Helper()
	ev.Item = item
	if e.Type != ev.Type || e.Item != ev.Item || e.Actor != ev.Actor || e.Reason != ev.Reason || !bytes.Equal(e.Data, ev.Data) {
		t.Errorf("entry %d: event %+v, want %+v", e.Seq, e.Event, ev)
	}
	if e.Time.IsZero() {
		t.Errorf("entry %d: Time not set", e.Seq)
	}
	want := quarantine.Entry{Time: e.Time, Event: ev}
	want.Seal(prev)
	if e.Seq != want.Seq || e.Prev != want.Prev || e.Hash != want.Hash {
		t.Errorf("entry %d: Seq/Prev/Hash %d/%s/%s, want %d/%s/%s (Entry.Seal after entry %d)",
			e.Seq, e.Seq, e.Prev, e.Hash, want.Seq, want.Prev, want.Hash, prev.Seq)
	}
}

func testPutWithEvent(t *testing.T, s quarantine.Store) {
	j, a := journalOf(t, s)
	first, err := a.Append(t.Context(), event(1))
	if err != nil {
		t.Fatal(err)
	}
	content := data(10, 20<<10)
	ev := event(0) // its Item names another item: replaced by the new ID
	m, e, err := j.PutWithEvent(t.Context(), fullMeta(), bytes.NewReader(content), ev)
	if err != nil {
		t.Fatalf("PutWithEvent: %v", err)
	}
	want := fullMeta()
	want.ID, want.SHA256, want.Size = m.ID, sum(content), int64(len(content))
	checkMeta(t, "PutWithEvent", m, want)
	checkMeta(t, "Stat", stat(t, s, m.ID), want)
	if _, b := get(t, s, m.ID); !bytes.Equal(b, content) {
		t.Error("Get: content differs")
	}
	checkSealed(t, e, ev, m.ID, first)

	// A Put and an Append after it chain on.
	m2 := put(t, s, meta(2), []byte("plain put"))
	last, err := a.Append(t.Context(), quarantine.Event{Type: "received", Item: m2.ID, Actor: "mugai"})
	if err != nil {
		t.Fatal(err)
	}
	checkSealed(t, last, quarantine.Event{Type: "received", Actor: "mugai"}, m2.ID, e)
	checkChain(t, a, []quarantine.Entry{first, e, last})
	checkNoGarbage(t, s)
}

func testUpdateWithEvent(t *testing.T, s quarantine.Store) {
	j, a := journalOf(t, s)
	m, e1, err := j.PutWithEvent(t.Context(), meta(0), bytes.NewReader([]byte("u")), quarantine.Event{Type: "received", Actor: "mugai"})
	if err != nil {
		t.Fatal(err)
	}
	ev := quarantine.Event{Type: "delivered", Item: "ignored", Actor: "mugai",
		Data: json.RawMessage(`{"outcome":"textized",  "next_hop":"250 2.0.0 Ok"}`)}
	e2, err := j.UpdateWithEvent(t.Context(), m.ID, func(m *quarantine.Meta) error {
		m.Outcome, m.Findings, m.Delivery = "textized", []string{"html.script"}, quarantine.DeliveryDelivered
		m.Report = json.RawMessage(`{"kind":"eml"}`)
		return nil
	}, ev)
	if err != nil {
		t.Fatalf("UpdateWithEvent: %v", err)
	}
	want := m
	want.Outcome, want.Findings, want.Delivery = "textized", []string{"html.script"}, quarantine.DeliveryDelivered
	want.Report = json.RawMessage(`{"kind":"eml"}`)
	checkMeta(t, "after UpdateWithEvent", stat(t, s, m.ID), want)
	checkSealed(t, e2, ev, m.ID, e1)
	if got := list(t, s, quarantine.Filter{Finding: "html.script"}); !slices.Equal(got, []string{m.ID}) {
		t.Errorf("Finding filter after UpdateWithEvent: %q", got)
	}
	// A status-only change keeps the findings (and their filter).
	e3, err := j.UpdateWithEvent(t.Context(), m.ID, func(m *quarantine.Meta) error {
		m.Delivery = quarantine.DeliveryReleased
		return nil
	}, quarantine.Event{Type: "released", Actor: "yamada", Reason: "確認済み"})
	if err != nil {
		t.Fatal(err)
	}
	want.Delivery = quarantine.DeliveryReleased
	checkMeta(t, "after a second UpdateWithEvent", stat(t, s, m.ID), want)
	if got := list(t, s, quarantine.Filter{Finding: "html.script"}); !slices.Equal(got, []string{m.ID}) {
		t.Errorf("Finding filter after a status-only UpdateWithEvent: %q", got)
	}
	checkChain(t, a, []quarantine.Entry{e1, e2, e3})
}

// testJournalEventFails: when the event cannot be written, the item change
// does not happen.
func testJournalEventFails(t *testing.T, open func(t *testing.T) quarantine.Store) {
	badData := quarantine.Event{Type: "received", Actor: "mugai", Data: json.RawMessage(`{"not json`)}
	t.Run("put, invalid data", func(t *testing.T) {
		s := open(t)
		j, a := journalOf(t, s)
		if _, _, err := j.PutWithEvent(t.Context(), meta(0), bytes.NewReader([]byte("x")), badData); err == nil {
			t.Fatal("PutWithEvent with invalid event Data succeeded")
		}
		if got := list(t, s, quarantine.Filter{}); len(got) != 0 {
			t.Errorf("the failed PutWithEvent left items %q", got)
		}
		checkChain(t, a, nil)
		checkNoGarbage(t, s)
	})
	t.Run("update, invalid data", func(t *testing.T) {
		s := open(t)
		j, a := journalOf(t, s)
		m := put(t, s, meta(0), []byte("x"))
		if _, err := j.UpdateWithEvent(t.Context(), m.ID, func(m *quarantine.Meta) error { m.Outcome = "changed"; return nil }, badData); err == nil {
			t.Fatal("UpdateWithEvent with invalid event Data succeeded")
		}
		checkMeta(t, "after the failed UpdateWithEvent", stat(t, s, m.ID), m)
		checkChain(t, a, nil)
	})
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("put, audit insert fails, content kept already: %v", shared), func(t *testing.T) {
			s := open(t)
			j, a := journalOf(t, s)
			f, ok := s.(JournalFaults)
			if !ok {
				t.Skip("backend offers no storetest.JournalFaults")
			}
			content := data(11, 64<<10)
			var keep []quarantine.Meta
			var log []quarantine.Entry
			if shared {
				m, e, err := j.PutWithEvent(t.Context(), meta(0), bytes.NewReader(content), quarantine.Event{Type: "received", Actor: "mugai"})
				if err != nil {
					t.Fatal(err)
				}
				keep, log = append(keep, m), append(log, e)
			}
			f.InjectAudit(t)
			if _, _, err := j.PutWithEvent(t.Context(), meta(1), bytes.NewReader(content), quarantine.Event{Type: "received", Actor: "mugai"}); err == nil {
				t.Fatal("PutWithEvent with a failing audit insert succeeded")
			}
			var ids []string
			for _, m := range keep {
				ids = append(ids, m.ID)
				if _, b := get(t, s, m.ID); !bytes.Equal(b, content) {
					t.Error("the failed PutWithEvent damaged an item with the same content")
				}
			}
			if got := list(t, s, quarantine.Filter{}); !slices.Equal(got, ids) {
				t.Errorf("after the failed PutWithEvent: items %q, want %q", got, ids)
			}
			checkChain(t, a, log)
			checkNoGarbage(t, s)
			// The store and the chain go on.
			m, e, err := j.PutWithEvent(t.Context(), meta(2), bytes.NewReader(content), quarantine.Event{Type: "received", Actor: "mugai"})
			if err != nil {
				t.Fatalf("PutWithEvent after the fault: %v", err)
			}
			if _, b := get(t, s, m.ID); !bytes.Equal(b, content) {
				t.Error("PutWithEvent after the fault: content differs")
			}
			checkChain(t, a, append(log, e))
		})
	}
	t.Run("update, audit insert fails", func(t *testing.T) {
		s := open(t)
		j, a := journalOf(t, s)
		f, ok := s.(JournalFaults)
		if !ok {
			t.Skip("backend offers no storetest.JournalFaults")
		}
		m, e, err := j.PutWithEvent(t.Context(), fullMeta(), bytes.NewReader([]byte("x")), quarantine.Event{Type: "received", Actor: "mugai"})
		if err != nil {
			t.Fatal(err)
		}
		f.InjectAudit(t)
		_, err = j.UpdateWithEvent(t.Context(), m.ID, func(m *quarantine.Meta) error {
			m.Outcome, m.Findings, m.Delivery, m.LegalHold = "passed", []string{"new.rule"}, quarantine.DeliveryDelivered, true
			return nil
		}, quarantine.Event{Type: "delivered", Actor: "mugai"})
		if err == nil {
			t.Fatal("UpdateWithEvent with a failing audit insert succeeded")
		}
		checkMeta(t, "after the failed UpdateWithEvent", stat(t, s, m.ID), m)
		if got := list(t, s, quarantine.Filter{Finding: "new.rule"}); len(got) != 0 {
			t.Errorf("the failed UpdateWithEvent changed the findings index: %q", got)
		}
		checkChain(t, a, []quarantine.Entry{e})
		e2, err := a.Append(t.Context(), event(5))
		if err != nil {
			t.Fatal(err)
		}
		checkSealed(t, e2, event(5), event(5).Item, e)
	})
}

// testJournalChangeFails: when the item change fails, no event is written.
func testJournalChangeFails(t *testing.T, open func(t *testing.T) quarantine.Store) {
	ev := quarantine.Event{Type: "received", Actor: "mugai", Data: json.RawMessage(`{"a":1}`)}
	t.Run("put, reader error", func(t *testing.T) {
		s := open(t)
		j, a := journalOf(t, s)
		boom := errors.New("connection reset")
		_, _, err := j.PutWithEvent(t.Context(), meta(0), &failingReader{n: 100 << 10, err: boom}, ev)
		if !errors.Is(err, boom) {
			t.Errorf("PutWithEvent returned %v, want %v", err, boom)
		}
		if got := list(t, s, quarantine.Filter{}); len(got) != 0 {
			t.Errorf("the failed PutWithEvent left items %q", got)
		}
		checkChain(t, a, nil)
		checkNoGarbage(t, s)
	})
	for _, p := range []FaultPoint{FaultWrite, FaultIndex} {
		t.Run("put, "+p.String(), func(t *testing.T) {
			s := open(t)
			j, a := journalOf(t, s)
			f, ok := s.(Faults)
			if !ok {
				t.Skip("backend offers no storetest.Faults")
			}
			f.Inject(t, p)
			if _, _, err := j.PutWithEvent(t.Context(), meta(0), bytes.NewReader(data(12, 64<<10)), ev); err == nil {
				t.Fatalf("PutWithEvent with %v succeeded", p)
			}
			if got := list(t, s, quarantine.Filter{}); len(got) != 0 {
				t.Errorf("the failed PutWithEvent left items %q", got)
			}
			checkChain(t, a, nil)
			checkNoGarbage(t, s)
		})
	}
	t.Run("update", func(t *testing.T) {
		s := open(t)
		j, a := journalOf(t, s)
		m, e, err := j.PutWithEvent(t.Context(), fullMeta(), bytes.NewReader([]byte("x")), ev)
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		for _, tc := range []struct {
			name  string
			id    string
			fn    func(*quarantine.Meta) error
			check func(error) bool
		}{
			{"fn error", m.ID, func(m *quarantine.Meta) error { m.Outcome = "changed"; return boom },
				func(err error) bool { return errors.Is(err, boom) }},
			{"immutable field", m.ID, func(m *quarantine.Meta) error { m.Outcome, m.From = "changed", "forged@example.jp"; return nil },
				func(err error) bool { return err != nil }},
			{"unknown ID", quarantine.NewID(t0), func(m *quarantine.Meta) error { m.Outcome = "changed"; return nil },
				func(err error) bool { return errors.Is(err, quarantine.ErrNotFound) }},
			{"malformed ID", "../../etc/passwd", func(m *quarantine.Meta) error { m.Outcome = "changed"; return nil },
				func(err error) bool { return errors.Is(err, quarantine.ErrNotFound) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := j.UpdateWithEvent(t.Context(), tc.id, tc.fn, quarantine.Event{Type: "delivered", Actor: "mugai"})
				if !tc.check(err) {
					t.Errorf("UpdateWithEvent: %v", err)
				}
				checkMeta(t, "after the failed UpdateWithEvent", stat(t, s, m.ID), m)
				checkChain(t, a, []quarantine.Entry{e})
			})
		}
	})
}

// testJournalConcurrent runs the relay's pattern (PutWithEvent, then
// UpdateWithEvent) from several goroutines beside plain Puts, Updates and
// Appends: every call succeeds, the log is one valid chain, and each
// item's events are in order.
func testJournalConcurrent(t *testing.T, s quarantine.Store) {
	j, a := journalOf(t, s)
	const workers, each = 8, 6
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		items = map[string]bool{} // journalled items
		got   = map[int64]quarantine.Entry{}
	)
	errs := make(chan error, workers*each*4)
	keep := func(es ...quarantine.Entry) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range es {
			if _, dup := got[e.Seq]; dup {
				errs <- fmt.Errorf("sequence %d handed out twice", e.Seq)
			}
			got[e.Seq] = e
		}
	}
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				b := []byte("same content for everyone")
				if i%2 == 1 {
					b = data(uint64(200+w*each+i), 8<<10)
				}
				m, e1, err := j.PutWithEvent(t.Context(), meta(w*each+i), bytes.NewReader(b),
					quarantine.Event{Type: "received", Actor: "mugai", Data: fmt.Appendf(nil, `{"w":%d,"i":%d}`, w, i)})
				if err != nil {
					errs <- fmt.Errorf("worker %d PutWithEvent %d: %w", w, i, err)
					continue
				}
				e2, err := j.UpdateWithEvent(t.Context(), m.ID, func(m *quarantine.Meta) error {
					m.Outcome, m.Delivery, m.Findings = "sanitized", quarantine.DeliveryDelivered, []string{fmt.Sprintf("w%d.i%d", w, i)}
					return nil
				}, quarantine.Event{Type: "delivered", Actor: "mugai"})
				if err != nil {
					errs <- fmt.Errorf("worker %d UpdateWithEvent %d: %w", w, i, err)
					continue
				}
				// Beside them, the separate calls.
				p, err := s.Put(t.Context(), meta(1000+w*each+i), bytes.NewReader(b))
				if err != nil {
					errs <- err
					continue
				}
				if err := s.Update(t.Context(), p.ID, func(m *quarantine.Meta) error { m.Outcome = "passed"; return nil }); err != nil {
					errs <- err
				}
				e3, err := a.Append(t.Context(), quarantine.Event{Type: "outcome", Item: p.ID, Actor: fmt.Sprintf("w%d", w)})
				if err != nil {
					errs <- err
					continue
				}
				mu.Lock()
				items[m.ID] = true
				mu.Unlock()
				keep(e1, e2, e3)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	es := entries(t, a, 1)
	if len(es) != workers*each*3 {
		t.Fatalf("%d entries, want %d", len(es), workers*each*3)
	}
	if err := a.Verify(t.Context()); err != nil {
		t.Errorf("Verify after concurrent use: %v", err)
	}
	seen := map[string][]string{}
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry at position %d has Seq %d: gap or duplicate", i+1, e.Seq)
		}
		if r, ok := got[e.Seq]; !ok {
			t.Errorf("entry %d was not returned by any call", e.Seq)
		} else if d := diffEntry(e, r); d != "" {
			t.Errorf("entry %d as stored differs from the one returned: %s", e.Seq, d)
		}
		if items[e.Item] {
			seen[e.Item] = append(seen[e.Item], e.Type)
		}
	}
	for id := range items {
		if got := seen[id]; !slices.Equal(got, []string{"received", "delivered"}) {
			t.Errorf("item %s: events %q, want received, delivered", id, got)
		}
		if m := stat(t, s, id); m.Delivery != quarantine.DeliveryDelivered || len(m.Findings) != 1 {
			t.Errorf("item %s: %+v", id, m)
		}
	}
	if len(items) != workers*each {
		t.Errorf("%d journalled items, want %d", len(items), workers*each)
	}
	checkNoGarbage(t, s)
}
