package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/quarantine"
)

// jst is a zone other than UTC and Local, so that lost zones show.
var jst = time.FixedZone("JST", 9*60*60)

// t0 is the base time of the suite's items: microsecond precision, which
// every backend keeps.
var t0 = time.Date(2026, 11, 21, 9, 30, 0, 123456000, jst)

// RunStore runs the conformance suite for quarantine.Store. open must return
// a fresh, empty store for each call and close it when t ends.
func RunStore(t *testing.T, open func(t *testing.T) quarantine.Store) {
	t.Run("PutGet", func(t *testing.T) { testPutGet(t, open(t)) })
	t.Run("Meta", func(t *testing.T) { testMeta(t, open(t)) })
	t.Run("Defaults", func(t *testing.T) { testDefaults(t, open(t)) })
	t.Run("IDs", func(t *testing.T) { testIDs(t, open(t)) })
	t.Run("CallerID", func(t *testing.T) { testCallerID(t, open(t)) })
	t.Run("List", func(t *testing.T) { testList(t, open(t)) })
	t.Run("ListLimit", func(t *testing.T) { testListLimit(t, open(t)) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, open(t)) })
	t.Run("UpdateImmutable", func(t *testing.T) { testUpdateImmutable(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("SharedContent", func(t *testing.T) { testSharedContent(t, open(t)) })
	t.Run("LegalHold", func(t *testing.T) { testLegalHold(t, open(t)) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, open(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, open(t)) })
	t.Run("FailedPut", func(t *testing.T) { testFailedPut(t, open) })
	t.Run("Faults", func(t *testing.T) { testFaults(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("Corrupt", func(t *testing.T) { testCorrupt(t, open(t)) })
	t.Run("Journal", func(t *testing.T) { testJournal(t, open) })
}

// ---- helpers ----

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// data returns n deterministic pseudo-random bytes for seed.
func data(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x6d75676169))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func meta(i int) quarantine.Meta {
	return quarantine.Meta{
		Received: t0.Add(time.Duration(i) * time.Second),
		Origin:   quarantine.OriginSMTP,
		From:     fmt.Sprintf("sender%d@example.jp", i),
		To:       []string{fmt.Sprintf("rcpt%d@city.example.lg.jp", i)},
		Outcome:  "sanitized",
	}
}

func put(t *testing.T, s quarantine.Store, m quarantine.Meta, b []byte) quarantine.Meta {
	t.Helper()
	got, err := s.Put(t.Context(), m, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return got
}

func get(t *testing.T, s quarantine.Store, id string) (quarantine.Meta, []byte) {
	t.Helper()
	m, rc, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%s): read: %v", id, err)
	}
	return m, b
}

func stat(t *testing.T, s quarantine.Store, id string) quarantine.Meta {
	t.Helper()
	m, err := s.Stat(t.Context(), id)
	if err != nil {
		t.Fatalf("Stat(%s): %v", id, err)
	}
	return m
}

func list(t *testing.T, s quarantine.Store, f quarantine.Filter) []string {
	t.Helper()
	var ids []string
	if err := s.List(t.Context(), f, func(m quarantine.Meta) error {
		ids = append(ids, m.ID)
		return nil
	}); err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return ids
}

func sameTime(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
}

func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

func emptyNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// diffMeta lists the fields in which got differs from want.
func diffMeta(got, want quarantine.Meta) []string {
	var d []string
	chk := func(name string, ok bool, g, w any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	chk("ID", got.ID == want.ID, got.ID, want.ID)
	chk("Received", sameTime(got.Received, want.Received), got.Received, want.Received)
	chk("Origin", got.Origin == want.Origin, got.Origin, want.Origin)
	chk("Client", got.Client == want.Client, got.Client, want.Client)
	chk("From", got.From == want.From, got.From, want.From)
	chk("To", slices.Equal(got.To, want.To), got.To, want.To)
	chk("Subject", got.Subject == want.Subject, got.Subject, want.Subject)
	chk("Size", got.Size == want.Size, got.Size, want.Size)
	chk("SHA256", got.SHA256 == want.SHA256, got.SHA256, want.SHA256)
	chk("Outcome", got.Outcome == want.Outcome, got.Outcome, want.Outcome)
	chk("Findings", slices.Equal(emptyNil(got.Findings), emptyNil(want.Findings)), got.Findings, want.Findings)
	chk("Report", sameJSON(got.Report, want.Report), string(got.Report), string(want.Report))
	chk("Delivery", got.Delivery == want.Delivery, got.Delivery, want.Delivery)
	chk("RetainUntil", sameTime(got.RetainUntil, want.RetainUntil), got.RetainUntil, want.RetainUntil)
	chk("LegalHold", got.LegalHold == want.LegalHold, got.LegalHold, want.LegalHold)
	return d
}

func checkMeta(t *testing.T, what string, got, want quarantine.Meta) {
	t.Helper()
	if d := diffMeta(got, want); d != nil {
		t.Errorf("%s: %s", what, strings.Join(d, "; "))
	}
}

func checkNoGarbage(t *testing.T, s any) {
	t.Helper()
	in, ok := s.(Inspector)
	if !ok {
		t.Log("backend offers no storetest.Inspector: stray files/rows not checked")
		return
	}
	g, err := in.Garbage(t.Context())
	if err != nil {
		t.Fatalf("Garbage: %v", err)
	}
	if len(g) > 0 {
		t.Errorf("garbage left behind: %q", g)
	}
}

// ---- tests ----

func testPutGet(t *testing.T, s quarantine.Store) {
	every := make([]byte, 256*4)
	for i := range every {
		every[i] = byte(i)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0}},
		{"5KB", data(1, 5<<10)},
		{"3MB", data(2, 3<<20)},
		{"every byte value", every},
		{"text", bytes.Repeat([]byte("原本保持 original\r\n"), 1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := meta(0)
			m.SHA256, m.Size = "caller's hash is ignored", 12345
			got := put(t, s, m, tc.b)
			if !quarantine.ValidID(got.ID) {
				t.Errorf("Put: ID %q is not valid", got.ID)
			}
			if want := sum(tc.b); got.SHA256 != want {
				t.Errorf("Put: SHA256 = %s, want %s", got.SHA256, want)
			}
			if got.Size != int64(len(tc.b)) {
				t.Errorf("Put: Size = %d, want %d", got.Size, len(tc.b))
			}
			gm, b := get(t, s, got.ID)
			if !bytes.Equal(b, tc.b) {
				t.Errorf("Get: %d bytes differ from the %d put", len(b), len(tc.b))
			}
			checkMeta(t, "Get", gm, got)
			checkMeta(t, "Stat", stat(t, s, got.ID), got)
		})
	}
}

// testCallerID checks that a valid ID the caller made is kept, and that a
// second Put with it fails without a second entry.
func testCallerID(t *testing.T, s quarantine.Store) {
	m := fullMeta()
	m.ID = quarantine.NewID(t0)
	got := put(t, s, m, []byte("named before it was stored"))
	if got.ID != m.ID {
		t.Fatalf("Put: ID %q, want the caller's %q", got.ID, m.ID)
	}
	if _, b := get(t, s, m.ID); string(b) != "named before it was stored" {
		t.Fatalf("Get by the caller's ID = %q", b)
	}
	if _, err := s.Put(t.Context(), m, strings.NewReader("again")); err == nil {
		t.Fatal("a second Put with the same ID succeeded")
	}
	if _, b := get(t, s, m.ID); string(b) != "named before it was stored" {
		t.Fatalf("after the refused Put, Get = %q", b)
	}
}

func fullMeta() quarantine.Meta {
	return quarantine.Meta{
		ID:          "IGNORED",
		Received:    t0,
		Origin:      quarantine.OriginFileDrop,
		Client:      "192.0.2.7",
		From:        "Taro.Yamada@Example.JP",
		To:          []string{"b@city.example.lg.jp", "a@city.example.lg.jp", "c@town.example.lg.jp"},
		Subject:     "【至急】請求書の件",
		Outcome:     "blocked",
		Findings:    []string{"pdf.javascript", "ooxml.vba"},
		Report:      json.RawMessage(`{"kind":"eml","children":[{"kind":"pdf","findings":[{"rule":"pdf.javascript"}]}],"n":1.5}`),
		Delivery:    quarantine.DeliveryBlocked,
		RetainUntil: time.Date(2027, 3, 31, 23, 59, 59, 999999000, jst),
	}
}

func testMeta(t *testing.T, s quarantine.Store) {
	in := fullMeta()
	got := put(t, s, in, []byte("x"))
	want := in
	want.ID, want.SHA256, want.Size = got.ID, sum([]byte("x")), 1
	checkMeta(t, "Put", got, want)
	checkMeta(t, "Stat", stat(t, s, got.ID), want)
	var listed []quarantine.Meta
	if err := s.List(t.Context(), quarantine.Filter{}, func(m quarantine.Meta) error {
		listed = append(listed, m)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 {
		t.Fatalf("List: %d items, want 1", len(listed))
	}
	checkMeta(t, "List", listed[0], want)

	// A zone far from JST and UTC, and a UTC time, survive too.
	for _, rec := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("", -(3*3600+1800))),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	} {
		m := meta(0)
		m.Received = rec
		m.RetainUntil = rec.Add(time.Hour)
		got := put(t, s, m, nil)
		st := stat(t, s, got.ID)
		if !sameTime(st.Received, rec) || !sameTime(st.RetainUntil, rec.Add(time.Hour)) {
			t.Errorf("times: Received %v RetainUntil %v, want %v and an hour later", st.Received, st.RetainUntil, rec)
		}
	}
}

func testDefaults(t *testing.T, s quarantine.Store) {
	fixed := time.Date(2026, 11, 21, 10, 0, 0, 555000000, jst)
	clocked := false
	if c, ok := s.(Clock); ok {
		c.SetClock(func() time.Time { return fixed })
		clocked = true
	}
	before := time.Now()
	got := put(t, s, quarantine.Meta{Origin: quarantine.OriginCLI}, []byte("d"))
	after := time.Now()
	if clocked {
		if !got.Received.Equal(fixed) {
			t.Errorf("zero Received became %v, want the clock's %v", got.Received, fixed)
		}
	} else if got.Received.Before(before.Truncate(time.Millisecond)) || got.Received.After(after.Add(time.Millisecond)) {
		t.Errorf("zero Received became %v, want now (%v…%v)", got.Received, before, after)
	}
	if !got.RetainUntil.After(got.Received) {
		t.Errorf("zero RetainUntil became %v, want a time after Received %v", got.RetainUntil, got.Received)
	}
	if got.Delivery != quarantine.DeliveryPending {
		t.Errorf("empty Delivery became %q, want %q", got.Delivery, quarantine.DeliveryPending)
	}
	if got.LegalHold {
		t.Error("LegalHold set by default")
	}
	checkMeta(t, "Stat", stat(t, s, got.ID), got)
}

func testIDs(t *testing.T, s quarantine.Store) {
	seen := map[string]bool{}
	var ids []string
	for i := range 20 {
		m := meta(i / 4) // several items per second, some in the same ms
		got := put(t, s, m, []byte{byte(i)})
		if !quarantine.ValidID(got.ID) {
			t.Fatalf("ID %q is not valid", got.ID)
		}
		if seen[got.ID] {
			t.Fatalf("ID %q given twice", got.ID)
		}
		seen[got.ID] = true
		ids = append(ids, got.ID)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("IDs of items put in time order do not sort: %q", ids)
	}
	// Identical content still gives distinct items.
	a := put(t, s, meta(9), []byte("same"))
	b := put(t, s, meta(9), []byte("same"))
	if a.ID == b.ID {
		t.Error("identical originals got the same ID")
	}
}

// listFixture puts 7 items (index i: Received t0+i s) in a scrambled order
// and returns their IDs by index.
func listFixture(t *testing.T, s quarantine.Store) []string {
	type item struct {
		from, outcome string
		to, findings  []string
	}
	items := []item{
		0: {"alice@example.jp", "sanitized", []string{"x@city.example.lg.jp"}, []string{"pdf.javascript"}},
		1: {"Bob@Example.JP", "blocked", []string{"y@city.example.lg.jp", "Somchai@Town.example.lg.jp"}, []string{"ooxml.vba", "pdf.javascript"}},
		2: {"carol@other.example.com", "textized", []string{"x@city.example.lg.jp"}, nil},
		3: {"100%_real@spam.example", "blocked", []string{"z@city.example.lg.jp"}, []string{"pdf.js"}},
		4: {"dave@example.jp", "passed", []string{"X@CITY.example.lg.jp"}, nil},
		5: {"", "sanitized", nil, []string{"ooxml.vba"}},
		6: {"eve@EXAMPLE.jp", "sanitized", []string{"w@city.example.lg.jp"}, []string{"html.script"}},
	}
	ids := make([]string, len(items))
	for _, i := range []int{3, 0, 6, 1, 5, 2, 4} {
		m := meta(i)
		m.From, m.To, m.Outcome, m.Findings = items[i].from, items[i].to, items[i].outcome, items[i].findings
		ids[i] = put(t, s, m, []byte{byte(i)}).ID
	}
	return ids
}

func testList(t *testing.T, s quarantine.Store) {
	if got := list(t, s, quarantine.Filter{}); len(got) != 0 {
		t.Fatalf("empty store lists %q", got)
	}
	ids := listFixture(t, s)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	for _, tc := range []struct {
		name string
		f    quarantine.Filter
		want []int
	}{
		{"all", quarantine.Filter{}, []int{6, 5, 4, 3, 2, 1, 0}},
		{"since inclusive", quarantine.Filter{Since: at(4)}, []int{6, 5, 4}},
		{"since just after", quarantine.Filter{Since: at(4).Add(time.Microsecond)}, []int{6, 5}},
		{"until exclusive", quarantine.Filter{Until: at(2)}, []int{1, 0}},
		{"until just after", quarantine.Filter{Until: at(2).Add(time.Microsecond)}, []int{2, 1, 0}},
		{"since and until", quarantine.Filter{Since: at(2), Until: at(5)}, []int{4, 3, 2}},
		{"since equals until", quarantine.Filter{Since: at(3), Until: at(3)}, nil},
		{"since in UTC", quarantine.Filter{Since: at(5).UTC()}, []int{6, 5}},
		{"until before all", quarantine.Filter{Until: at(-1)}, nil},
		{"from case-insensitive", quarantine.Filter{From: "EXAMPLE.jp"}, []int{6, 4, 1, 0}},
		{"from exact", quarantine.Filter{From: "alice@example.jp"}, []int{0}},
		{"from percent is literal", quarantine.Filter{From: "%"}, []int{3}},
		{"from underscore is literal", quarantine.Filter{From: "_"}, []int{3}},
		{"from no match", quarantine.Filter{From: "mallory"}, nil},
		{"rcpt case-insensitive", quarantine.Filter{Rcpt: "x@city"}, []int{4, 2, 0}},
		{"rcpt second recipient", quarantine.Filter{Rcpt: "somchai@town"}, []int{1}},
		{"rcpt no match", quarantine.Filter{Rcpt: "nobody"}, nil},
		{"outcome", quarantine.Filter{Outcome: "blocked"}, []int{3, 1}},
		{"outcome none", quarantine.Filter{Outcome: "released"}, nil},
		{"finding", quarantine.Filter{Finding: "pdf.javascript"}, []int{1, 0}},
		{"finding exact not prefix", quarantine.Filter{Finding: "pdf.js"}, []int{3}},
		{"finding none", quarantine.Filter{Finding: "pdf"}, nil},
		{"limit", quarantine.Filter{Limit: 2}, []int{6, 5}},
		{"limit with filter", quarantine.Filter{Outcome: "sanitized", Limit: 2}, []int{6, 5}},
		{"all fields", quarantine.Filter{Since: at(0), Until: at(6), From: "example", Rcpt: "city", Outcome: "sanitized", Finding: "pdf.javascript", Limit: 5}, []int{0}},
		{"finding and rcpt", quarantine.Filter{Finding: "ooxml.vba", Rcpt: "town"}, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, i := range tc.want {
				want = append(want, ids[i])
			}
			if got := list(t, s, tc.f); !slices.Equal(got, want) {
				t.Errorf("List(%+v) = %q, want %q", tc.f, got, want)
			}
		})
	}

	t.Run("fn error stops", func(t *testing.T) {
		stop := errors.New("stop here")
		n := 0
		err := s.List(t.Context(), quarantine.Filter{}, func(quarantine.Meta) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 2 {
			t.Errorf("List returned %v after %d calls, want %v after 2", err, n, stop)
		}
	})
	t.Run("same received, ties by ID", func(t *testing.T) {
		m := meta(10)
		a := put(t, s, m, []byte("a")).ID
		b := put(t, s, m, []byte("b")).ID
		if got := list(t, s, quarantine.Filter{Since: at(10)}); !slices.Equal(got, []string{b, a}) {
			t.Errorf("List = %q, want %q", got, []string{b, a})
		}
	})
}

func testListLimit(t *testing.T, s quarantine.Store) {
	// Limit at N-1, N and N+1 with N items; then N+1 items with limit N.
	const n = 5
	var ids []string
	for i := range n {
		ids = append(ids, put(t, s, meta(i), []byte{byte(i)}).ID)
	}
	slices.Reverse(ids)
	for _, tc := range []struct{ limit, want int }{{0, n}, {n - 1, n - 1}, {n, n}, {n + 1, n}, {1, 1}} {
		if got := list(t, s, quarantine.Filter{Limit: tc.limit}); !slices.Equal(got, ids[:tc.want]) {
			t.Errorf("Limit %d with %d items: %q, want %q", tc.limit, n, got, ids[:tc.want])
		}
	}
	extra := put(t, s, meta(n), []byte("n+1")).ID
	if got := list(t, s, quarantine.Filter{Limit: n}); !slices.Equal(got, append([]string{extra}, ids[:n-1]...)) {
		t.Errorf("Limit %d with %d items: %q", n, n+1, got)
	}
	if got := list(t, s, quarantine.Filter{Limit: n + 1}); len(got) != n+1 {
		t.Errorf("Limit %d with %d items: %d listed", n+1, n+1, len(got))
	}
}

func testUpdate(t *testing.T, s quarantine.Store) {
	base := put(t, s, fullMeta(), []byte("u"))
	newUntil := time.Date(2030, 1, 1, 0, 0, 0, 1000, time.UTC)
	for _, tc := range []struct {
		name string
		fn   func(*quarantine.Meta)
	}{
		{"Outcome", func(m *quarantine.Meta) { m.Outcome = "passed" }},
		{"Findings", func(m *quarantine.Meta) { m.Findings = []string{"html.script"} }},
		{"Findings cleared", func(m *quarantine.Meta) { m.Findings = nil }},
		{"Report", func(m *quarantine.Meta) { m.Report = json.RawMessage(`{"kind":"pdf","again":true}`) }},
		{"Report cleared", func(m *quarantine.Meta) { m.Report = nil }},
		{"Delivery", func(m *quarantine.Meta) { m.Delivery = quarantine.DeliveryReleased }},
		{"RetainUntil", func(m *quarantine.Meta) { m.RetainUntil = newUntil }},
		{"LegalHold", func(m *quarantine.Meta) { m.LegalHold = true }},
		{"LegalHold off", func(m *quarantine.Meta) { m.LegalHold = false }},
		{"Subject", func(m *quarantine.Meta) { m.Subject = "件名変更" }},
		{"several", func(m *quarantine.Meta) {
			m.Outcome, m.Delivery, m.Findings = "sanitized", quarantine.DeliveryDelivered, []string{"a.b", "c.d"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := stat(t, s, base.ID)
			tc.fn(&want)
			err := s.Update(t.Context(), base.ID, func(m *quarantine.Meta) error {
				tc.fn(m)
				return nil
			})
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			checkMeta(t, "after Update", stat(t, s, base.ID), want)
		})
	}

	t.Run("filters follow", func(t *testing.T) {
		other := put(t, s, meta(1), []byte("other")).ID
		if err := s.Update(t.Context(), base.ID, func(m *quarantine.Meta) error {
			m.Outcome, m.Findings = "quarantined", []string{"rtf.object"}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := list(t, s, quarantine.Filter{Outcome: "quarantined"}); !slices.Equal(got, []string{base.ID}) {
			t.Errorf("Outcome filter after Update: %q", got)
		}
		if got := list(t, s, quarantine.Filter{Finding: "rtf.object"}); !slices.Equal(got, []string{base.ID}) {
			t.Errorf("Finding filter after Update: %q", got)
		}
		if got := list(t, s, quarantine.Filter{Finding: "a.b"}); len(got) != 0 {
			t.Errorf("old finding still matches after Update: %q", got)
		}
		_ = other
	})

	t.Run("fn error", func(t *testing.T) {
		before := stat(t, s, base.ID)
		boom := errors.New("boom")
		err := s.Update(t.Context(), base.ID, func(m *quarantine.Meta) error {
			m.Outcome = "changed"
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("Update returned %v, want %v", err, boom)
		}
		checkMeta(t, "after failed Update", stat(t, s, base.ID), before)
	})

	t.Run("unknown", func(t *testing.T) {
		called := false
		err := s.Update(t.Context(), quarantine.NewID(t0), func(*quarantine.Meta) error { called = true; return nil })
		if !errors.Is(err, quarantine.ErrNotFound) || called {
			t.Errorf("Update of unknown ID: %v (fn called: %v), want ErrNotFound", err, called)
		}
	})

	t.Run("data unchanged", func(t *testing.T) {
		if _, b := get(t, s, base.ID); string(b) != "u" {
			t.Errorf("original after Updates = %q", b)
		}
	})
}

func testUpdateImmutable(t *testing.T, s quarantine.Store) {
	base := put(t, s, fullMeta(), []byte("immutable"))
	for _, tc := range []struct {
		name string
		fn   func(*quarantine.Meta)
	}{
		{"ID", func(m *quarantine.Meta) { m.ID = quarantine.NewID(t0) }},
		{"SHA256", func(m *quarantine.Meta) { m.SHA256 = sum([]byte("other")) }},
		{"Size", func(m *quarantine.Meta) { m.Size++ }},
		{"Received", func(m *quarantine.Meta) { m.Received = m.Received.Add(time.Second) }},
		{"Origin", func(m *quarantine.Meta) { m.Origin = quarantine.OriginCLI }},
		{"Client", func(m *quarantine.Meta) { m.Client = "203.0.113.9" }},
		{"From", func(m *quarantine.Meta) { m.From = "forged@example.jp" }},
		{"To", func(m *quarantine.Meta) { m.To = append(m.To, "extra@example.jp") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(t.Context(), base.ID, func(m *quarantine.Meta) error {
				tc.fn(m)
				m.Outcome = "changed along" // must not stick either
				return nil
			})
			if err == nil {
				t.Errorf("Update changing %s succeeded, want an error", tc.name)
			}
			checkMeta(t, "after refused Update", stat(t, s, base.ID), base)
		})
	}
}

func testDelete(t *testing.T, s quarantine.Store) {
	a := put(t, s, meta(0), []byte("a"))
	b := put(t, s, meta(1), []byte("b"))
	if err := s.Delete(t.Context(), a.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, _, err := s.Get(t.Context(), a.ID); !errors.Is(err, quarantine.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(t.Context(), a.ID); !errors.Is(err, quarantine.ErrNotFound) {
		t.Errorf("Stat after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(t.Context(), a.ID); !errors.Is(err, quarantine.ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	if got := list(t, s, quarantine.Filter{}); !slices.Equal(got, []string{b.ID}) {
		t.Errorf("List after Delete = %q, want %q", got, []string{b.ID})
	}
	if _, d := get(t, s, b.ID); string(d) != "b" {
		t.Errorf("other item damaged: %q", d)
	}
	if err := s.Delete(t.Context(), b.ID); err != nil {
		t.Fatal(err)
	}
	checkNoGarbage(t, s)
}

func testSharedContent(t *testing.T, s quarantine.Store) {
	content := data(3, 100<<10)
	a := put(t, s, meta(0), content)
	b := put(t, s, meta(1), content)
	if a.SHA256 != b.SHA256 {
		t.Fatal("same content, different hashes")
	}
	if err := s.Delete(t.Context(), a.ID); err != nil {
		t.Fatal(err)
	}
	if _, d := get(t, s, b.ID); !bytes.Equal(d, content) {
		t.Error("deleting one of two items with the same content damaged the other")
	}
	c := put(t, s, meta(2), content)
	if _, d := get(t, s, c.ID); !bytes.Equal(d, content) {
		t.Error("re-put content differs")
	}
	for _, id := range []string{b.ID, c.ID} {
		if err := s.Delete(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	checkNoGarbage(t, s)
}

func setHold(t *testing.T, s quarantine.Store, id string, on bool) {
	t.Helper()
	if err := s.Update(t.Context(), id, func(m *quarantine.Meta) error { m.LegalHold = on; return nil }); err != nil {
		t.Fatalf("Update LegalHold: %v", err)
	}
}

func testLegalHold(t *testing.T, s quarantine.Store) {
	m := put(t, s, meta(0), []byte("evidence"))
	setHold(t, s, m.ID, true)
	if err := s.Delete(t.Context(), m.ID); !errors.Is(err, quarantine.ErrHeld) {
		t.Errorf("Delete of held item: %v, want ErrHeld", err)
	}
	if _, d := get(t, s, m.ID); string(d) != "evidence" {
		t.Errorf("held item after refused Delete: %q", d)
	}
	if !stat(t, s, m.ID).LegalHold {
		t.Error("LegalHold not kept")
	}
	setHold(t, s, m.ID, false)
	if err := s.Delete(t.Context(), m.ID); err != nil {
		t.Errorf("Delete after hold lifted: %v", err)
	}
	// Put may set the hold from the start.
	h := meta(1)
	h.LegalHold = true
	hm := put(t, s, h, []byte("held from the start"))
	if err := s.Delete(t.Context(), hm.ID); !errors.Is(err, quarantine.ErrHeld) {
		t.Errorf("Delete of item put held: %v, want ErrHeld", err)
	}
}

func testPurge(t *testing.T, s quarantine.Store) {
	cut := time.Date(2026, 12, 21, 0, 0, 0, 0, jst)
	mk := func(i int, until time.Time, held bool) string {
		m := meta(i)
		m.RetainUntil, m.LegalHold = until, held
		return put(t, s, m, fmt.Appendf(nil, "item %d", i)).ID
	}
	old := mk(0, cut.Add(-time.Hour), false)
	justBefore := mk(1, cut.Add(-time.Microsecond), false)
	atCut := mk(2, cut, false)
	later := mk(3, cut.Add(time.Hour), false)
	held := mk(4, cut.Add(-time.Hour), true)
	sharedOld := mk(5, cut.Add(-time.Hour), false)
	m := meta(6)
	m.RetainUntil = cut.Add(time.Hour)
	sharedNew := put(t, s, m, []byte("item 5")).ID // same content as sharedOld

	got, err := s.Purge(t.Context(), cut.UTC())
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	slices.Sort(got)
	want := []string{old, justBefore, sharedOld}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Purge = %q, want %q", got, want)
	}
	for _, id := range want {
		if _, err := s.Stat(t.Context(), id); !errors.Is(err, quarantine.ErrNotFound) {
			t.Errorf("purged %s: Stat %v, want ErrNotFound", id, err)
		}
	}
	for _, id := range []string{atCut, later, held, sharedNew} {
		stat(t, s, id)
	}
	if _, d := get(t, s, sharedNew); string(d) != "item 5" {
		t.Errorf("item sharing content with a purged one: %q", d)
	}
	again, err := s.Purge(t.Context(), cut)
	if err != nil || len(again) != 0 {
		t.Errorf("second Purge = %q, %v; want nothing", again, err)
	}
	setHold(t, s, held, false)
	for _, id := range []string{atCut, later, held, sharedNew} {
		if err := s.Delete(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	checkNoGarbage(t, s)
}

// badIDs are malformed IDs, path traversal attempts among them.
var badIDs = []string{
	"",
	".",
	"..",
	"../../../../etc/passwd",
	"/etc/passwd",
	"..\\..\\windows",
	"01JD3Z0000000000000000000/",
	"01JD3Z00000000000000000000/../../x",
	"01jd3z00000000000000000000",  // lower case
	"01JD3Z0000000000000000000",   // 25
	"01JD3Z000000000000000000000", // 27
	"01JD3Z000000000000000000\x00A",
	"81JD3Z00000000000000000000", // overflows 128 bits
	"01JD3Z0000000000000000000I", // I is not Crockford
	"' OR 1=1 --",
	"%",
}

func testNotFound(t *testing.T, s quarantine.Store) {
	keep := put(t, s, meta(0), []byte("keep"))
	ids := append([]string{quarantine.NewID(t0)}, badIDs...)
	for _, id := range ids {
		if _, rc, err := s.Get(t.Context(), id); !errors.Is(err, quarantine.ErrNotFound) {
			if rc != nil {
				rc.Close()
			}
			t.Errorf("Get(%q): %v, want ErrNotFound", id, err)
		}
		if _, err := s.Stat(t.Context(), id); !errors.Is(err, quarantine.ErrNotFound) {
			t.Errorf("Stat(%q): %v, want ErrNotFound", id, err)
		}
		if err := s.Update(t.Context(), id, func(m *quarantine.Meta) error { m.Outcome = "x"; return nil }); !errors.Is(err, quarantine.ErrNotFound) {
			t.Errorf("Update(%q): %v, want ErrNotFound", id, err)
		}
		if err := s.Delete(t.Context(), id); !errors.Is(err, quarantine.ErrNotFound) {
			t.Errorf("Delete(%q): %v, want ErrNotFound", id, err)
		}
	}
	if got := list(t, s, quarantine.Filter{}); !slices.Equal(got, []string{keep.ID}) {
		t.Errorf("List = %q, want only %q", got, keep.ID)
	}
	checkMeta(t, "untouched item", stat(t, s, keep.ID), keep)
}

// failingReader yields n bytes of data then err.
type failingReader struct {
	n     int
	err   error
	after func() // called once when the bytes run out
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		if r.after != nil {
			r.after()
			r.after = nil
		}
		if r.err != nil {
			return 0, r.err
		}
		// Keep going: the store must notice ctx on its own.
		r.n = len(p)
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = byte(i * 7)
	}
	r.n -= k
	return k, nil
}

func testFailedPut(t *testing.T, open func(t *testing.T) quarantine.Store) {
	t.Run("reader error", func(t *testing.T) {
		s := open(t)
		boom := errors.New("connection reset")
		_, err := s.Put(t.Context(), meta(0), &failingReader{n: 200 << 10, err: boom})
		if !errors.Is(err, boom) {
			t.Errorf("Put returned %v, want %v", err, boom)
		}
		if got := list(t, s, quarantine.Filter{}); len(got) != 0 {
			t.Errorf("failed Put left %q", got)
		}
		checkNoGarbage(t, s)
	})
	t.Run("context cancelled midway", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		// 1 GB if the store ignored ctx: it must stop soon after cancel.
		r := io.LimitReader(&failingReader{n: 300 << 10, after: cancel}, 1<<30)
		_, err := s.Put(ctx, meta(0), r)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Put returned %v, want context.Canceled", err)
		}
		if got := list(t, s, quarantine.Filter{}); len(got) != 0 {
			t.Errorf("cancelled Put left %q", got)
		}
		checkNoGarbage(t, s)
	})
	t.Run("context cancelled before", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Put(ctx, meta(0), bytes.NewReader([]byte("x"))); !errors.Is(err, context.Canceled) {
			t.Errorf("Put returned %v, want context.Canceled", err)
		}
		if got := list(t, s, quarantine.Filter{}); len(got) != 0 {
			t.Errorf("cancelled Put left %q", got)
		}
		checkNoGarbage(t, s)
	})
}

func testFaults(t *testing.T, open func(t *testing.T) quarantine.Store) {
	for _, p := range []FaultPoint{FaultWrite, FaultIndex} {
		t.Run(p.String(), func(t *testing.T) {
			s := open(t)
			f, ok := s.(Faults)
			if !ok {
				t.Skip("backend offers no storetest.Faults")
			}
			content := data(4, 64<<10)
			f.Inject(t, p)
			if _, err := s.Put(t.Context(), meta(0), bytes.NewReader(content)); err == nil {
				t.Fatalf("Put with %v succeeded", p)
			}
			if got := list(t, s, quarantine.Filter{}); len(got) != 0 {
				t.Errorf("failed Put left %q", got)
			}
			checkNoGarbage(t, s)
			// The store is usable after the fault, for the same content.
			m := put(t, s, meta(1), content)
			if _, d := get(t, s, m.ID); !bytes.Equal(d, content) {
				t.Error("Put after a fault: content differs")
			}
			// A fault while another item holds the same content must not
			// damage that item.
			f.Inject(t, p)
			if _, err := s.Put(t.Context(), meta(2), bytes.NewReader(content)); err == nil {
				t.Fatalf("second Put with %v succeeded", p)
			}
			if _, d := get(t, s, m.ID); !bytes.Equal(d, content) {
				t.Error("failed Put of shared content damaged the existing item")
			}
			if got := list(t, s, quarantine.Filter{}); !slices.Equal(got, []string{m.ID}) {
				t.Errorf("List = %q, want %q", got, []string{m.ID})
			}
			checkNoGarbage(t, s)
		})
	}
}

func testConcurrent(t *testing.T, s quarantine.Store) {
	const workers, each = 8, 6
	shared := put(t, s, meta(0), []byte("shared"))
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	ids := make([][]string, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				var b []byte
				if i%2 == 0 {
					b = []byte("same content for everyone")
				} else {
					b = data(uint64(100+w*each+i), 8<<10)
				}
				m, err := s.Put(t.Context(), meta(w*each+i+1), bytes.NewReader(b))
				if err != nil {
					errs <- fmt.Errorf("worker %d Put %d: %w", w, i, err)
					continue
				}
				ids[w] = append(ids[w], m.ID)
				rule := fmt.Sprintf("w%d.i%d", w, i)
				if err := s.Update(t.Context(), shared.ID, func(m *quarantine.Meta) error {
					m.Findings = append(m.Findings, rule)
					return nil
				}); err != nil {
					errs <- fmt.Errorf("worker %d Update %d: %w", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all := map[string]bool{shared.ID: true}
	for _, l := range ids {
		for _, id := range l {
			if all[id] {
				t.Errorf("ID %s given twice", id)
			}
			all[id] = true
		}
	}
	listed := list(t, s, quarantine.Filter{})
	if len(listed) != len(all) {
		t.Errorf("List: %d items, want %d", len(listed), len(all))
	}
	for _, id := range listed {
		if !all[id] {
			t.Errorf("List: unexpected %s", id)
		}
	}
	if f := stat(t, s, shared.ID).Findings; len(f) != workers*each {
		t.Errorf("shared item has %d findings after %d concurrent Updates: lost updates", len(f), workers*each)
	}
	for w, l := range ids {
		for i, id := range l {
			_, b := get(t, s, id)
			if i%2 == 0 && string(b) != "same content for everyone" {
				t.Errorf("worker %d item %d: content differs", w, i)
			}
		}
	}
	checkNoGarbage(t, s)
}

func testCorrupt(t *testing.T, s quarantine.Store) {
	tm, ok := s.(BlobTamperer)
	if !ok {
		t.Skip("backend offers no storetest.BlobTamperer")
	}
	orig := data(5, 200<<10)
	for _, tc := range []struct {
		name string
		repl []byte
	}{
		{"same length", append(bytes.Clone(orig[:len(orig)-1]), orig[len(orig)-1]^1)},
		{"shorter", orig[:len(orig)-1]},
		{"longer", append(bytes.Clone(orig), 0)},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := put(t, s, meta(0), orig)
			if err := tm.ReplaceBlob(t.Context(), m.ID, tc.repl); err != nil {
				t.Fatalf("ReplaceBlob: %v", err)
			}
			checkMeta(t, "Stat of a tampered item", stat(t, s, m.ID), m)
			_, rc, err := s.Get(t.Context(), m.ID)
			if err == nil {
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
			}
			if !errors.Is(err, quarantine.ErrCorrupt) {
				t.Errorf("reading a tampered original: %v, want ErrCorrupt", err)
			}
			if err := s.Delete(t.Context(), m.ID); err != nil {
				t.Errorf("Delete of a tampered item: %v", err)
			}
		})
	}
}
