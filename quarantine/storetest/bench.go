package storetest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/mugai-project/mugai/quarantine"
)

// BenchmarkPut measures s.Put of distinct originals of size bytes (so that
// content addressing saves nothing) and reports MB/s and items/s.
func BenchmarkPut(b *testing.B, s quarantine.Store, size int) {
	b.Helper()
	buf := data(uint64(size), size)
	m := meta(0)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var n uint64
	for b.Loop() {
		n++
		if size >= 8 {
			binary.LittleEndian.PutUint64(buf, n) // distinct content
		}
		if _, err := s.Put(b.Context(), m, bytes.NewReader(buf)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkAppend measures a.Append and reports entries/s.
func BenchmarkAppend(b *testing.B, a quarantine.Audit) {
	b.Helper()
	e := event(0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Append(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkMessage measures the store's work for one relayed message of
// size bytes (distinct originals): with journal, PutWithEvent and
// UpdateWithEvent (two transactions; s must implement quarantine.Journal);
// without, the separate calls Put, Append, Update, Append, Update, Append
// (six; s must implement quarantine.Audit). It reports msg/s.
func BenchmarkMessage(b *testing.B, s quarantine.Store, size int, journal bool) {
	b.Helper()
	buf := data(uint64(size), size)
	m := meta(0)
	report := json.RawMessage(`{"kind":"eml","outcome":"textized","children":[{"kind":"html","findings":[{"rule":"html.script"}]}]}`)
	ev := func(typ string) quarantine.Event {
		return quarantine.Event{Type: typ, Actor: "mugai", Data: json.RawMessage(`{"trace":"0123456789ab","next_hop":"250 2.0.0 Ok"}`)}
	}
	outcome := func(m *quarantine.Meta) error {
		m.Outcome, m.Findings, m.Report = "textized", []string{"html.script"}, report
		return nil
	}
	delivered := func(m *quarantine.Meta) error { m.Delivery = quarantine.DeliveryDelivered; return nil }
	j, _ := s.(quarantine.Journal)
	a, _ := s.(quarantine.Audit)
	if journal && j == nil || !journal && a == nil {
		b.Skip("the store lacks the interfaces for this mode")
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var n uint64
	ctx := b.Context()
	for b.Loop() {
		n++
		if size >= 8 {
			binary.LittleEndian.PutUint64(buf, n) // distinct content
		}
		if journal {
			got, _, err := j.PutWithEvent(ctx, m, bytes.NewReader(buf), ev("received"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := j.UpdateWithEvent(ctx, got.ID, func(m *quarantine.Meta) error {
				outcome(m)
				return delivered(m)
			}, ev("delivered")); err != nil {
				b.Fatal(err)
			}
			continue
		}
		got, err := s.Put(ctx, m, bytes.NewReader(buf))
		if err != nil {
			b.Fatal(err)
		}
		for _, step := range []struct {
			fn  func(*quarantine.Meta) error
			typ string
		}{{nil, "received"}, {outcome, "outcome"}, {delivered, "delivered"}} {
			if step.fn != nil {
				if err := s.Update(ctx, got.ID, step.fn); err != nil {
					b.Fatal(err)
				}
			}
			e := ev(step.typ)
			e.Item = got.ID
			if _, err := a.Append(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}
