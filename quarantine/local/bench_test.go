package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bigDir != "" {
		os.RemoveAll(bigDir)
	}
	os.Exit(code)
}

func BenchmarkPut(b *testing.B) {
	key := make([]byte, 32)
	rand.Read(key)
	for _, size := range []int{5 << 10, 1 << 20} {
		for _, enc := range []struct {
			name string
			key  []byte
		}{{"plain", nil}, {"aes", key}} {
			b.Run(fmt.Sprintf("%dKB/%s", size>>10, enc.name), func(b *testing.B) {
				s := openStore(b, b.TempDir(), Options{Key: enc.key})
				storetest.BenchmarkPut(b, s, size)
			})
		}
	}
}

// BenchmarkMessage compares the relay's store work per 5 KB message: the
// six separate calls against the two Journal transactions.
func BenchmarkMessage(b *testing.B) {
	for _, journal := range []bool{false, true} {
		name := "separate"
		if journal {
			name = "journal"
		}
		b.Run("5KB/"+name, func(b *testing.B) {
			storetest.BenchmarkMessage(b, openStore(b, b.TempDir(), Options{}), 5<<10, journal)
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	storetest.BenchmarkAppend(b, openStore(b, b.TempDir(), Options{}))
}

// The million-item index is built once per run, with bulk INSERTs in one
// transaction (no blobs: List and Stat read only the index), and shared by
// the benchmarks below.
const bigN = 1_000_000

var (
	bigOnce sync.Once
	bigDir  string
	bigIDs  []string // a sample, for Stat
	bigErr  error
	bigT0   = time.Date(2026, 10, 1, 0, 0, 0, 0, jst)
)

var (
	bigOutcomes = []string{"sanitized", "sanitized", "sanitized", "textized", "passed", "blocked"}
	bigRules    = []string{"pdf.javascript", "pdf.openaction", "ooxml.vba", "ooxml.external", "html.script",
		"html.form", "mail.html", "archive.nested", "ole.macro", "rtf.object", "image.exif", "text.bidi"}
)

func bigStore(b *testing.B) *Store {
	b.Helper()
	bigOnce.Do(func() {
		start := time.Now()
		bigDir, bigErr = os.MkdirTemp("", "mugai-bench-1m-")
		if bigErr == nil {
			bigErr = buildBig(bigDir)
		}
		b.Logf("built %d index rows in %v", bigN, time.Since(start).Round(time.Millisecond))
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return openStore(b, bigDir, Options{})
}

func buildBig(dir string) error {
	s, err := Open(dir, Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	r := mrand.New(mrand.NewPCG(1, 2))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO items (id, received, received_ns, origin, client, sender, sender_lc,
		rcpts, rcpts_lc, subject, size, sha256, outcome, findings, report, delivery, retain_until, retain_ns, legal_hold)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	insF, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO item_findings (rule, received_ns, id) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	// 30 days of mail, a bit under 3 s apart.
	step := 30 * 24 * time.Hour / bigN
	var sum [32]byte
	for i := range bigN {
		rec := bigT0.Add(time.Duration(i)*step + time.Duration(r.IntN(int(step))))
		id := quarantine.NewID(rec)
		from := fmt.Sprintf("user%d@sender%d.example.jp", r.IntN(5000), r.IntN(1000))
		var to []string
		for range 1 + r.IntN(3) {
			to = append(to, fmt.Sprintf("staff%d@city.example.lg.jp", r.IntN(2000)))
		}
		var findings []string
		for range r.IntN(3) {
			f := bigRules[r.IntN(len(bigRules))]
			if !strings.Contains(strings.Join(findings, ","), f) {
				findings = append(findings, f)
			}
		}
		outcome := bigOutcomes[r.IntN(len(bigOutcomes))]
		tj, _ := json.Marshal(to)
		fj, _ := json.Marshal(nonNil(findings))
		rand.Read(sum[:])
		until := rec.Add(DefaultRetention)
		rns := nanos(rec)
		if _, err := ins.ExecContext(ctx, id, fmtTime(rec), rns, quarantine.OriginSMTP, "192.0.2.1", from, from,
			string(tj), rcptsLC(to), "件名 "+fmt.Sprint(i), 5000+r.IntN(100000), hex.EncodeToString(sum[:]), outcome,
			string(fj), []byte(`{"kind":"eml"}`), quarantine.DeliveryDelivered, fmtTime(until), nanos(until), false); err != nil {
			return err
		}
		for _, f := range findings {
			if _, err := insF.ExecContext(ctx, f, rns, id); err != nil {
				return err
			}
		}
		if i%(bigN/1000) == 0 {
			bigIDs = append(bigIDs, id)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `ANALYZE`)
	return err
}

func BenchmarkList1M(b *testing.B) {
	s := bigStore(b)
	lastDay := bigT0.Add(29 * 24 * time.Hour)
	for _, tc := range []struct {
		name string
		f    quarantine.Filter
	}{
		{"newest50", quarantine.Filter{Limit: 50}},
		{"since_lastday50", quarantine.Filter{Since: lastDay, Limit: 50}},
		{"until_firstday50", quarantine.Filter{Until: bigT0.Add(24 * time.Hour), Limit: 50}},
		{"outcome50", quarantine.Filter{Outcome: "blocked", Limit: 50}},
		{"finding50", quarantine.Filter{Finding: "ole.macro", Limit: 50}},
		{"from_common50", quarantine.Filter{From: "sender7.example.jp", Limit: 50}},
		{"from_absent50", quarantine.Filter{From: "nobody@nowhere", Limit: 50}}, // the worst case: a full scan
		{"rcpt50", quarantine.Filter{Rcpt: "staff42@", Limit: 50}},
		{"day_all", quarantine.Filter{Since: lastDay, Until: lastDay.Add(24 * time.Hour)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = 0
				if err := s.List(b.Context(), tc.f, func(quarantine.Meta) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "items/op")
		})
	}
}

func BenchmarkStat1M(b *testing.B) {
	s := bigStore(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Stat(b.Context(), bigIDs[i%len(bigIDs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkMessageParallel is the relay's store work per 5 KB message
// (PutWithEvent, then UpdateWithEvent) from 16 goroutines at once, as 16
// concurrent SMTP sessions do it: concurrent writers share commits (group
// commit), and "defersync" writes the update as the relay does, with
// quarantine.DeferSync.
func BenchmarkMessageParallel(b *testing.B) {
	b.Run("sync", func(b *testing.B) { benchMessageParallel(b, func(ctx context.Context) context.Context { return ctx }) })
	b.Run("defersync", func(b *testing.B) { benchMessageParallel(b, quarantine.DeferSync) })
}

func benchMessageParallel(b *testing.B, updateCtx func(context.Context) context.Context) {
	s := openStore(b, b.TempDir(), Options{})
	var n atomic.Uint64
	report := json.RawMessage(`{"kind":"eml","outcome":"textized"}`)
	ev := func(typ string) quarantine.Event {
		return quarantine.Event{Type: typ, Actor: "mugai", Data: json.RawMessage(`{"trace":"0123456789ab"}`)}
	}
	b.SetParallelism(8) // 16 goroutines on 2 CPUs
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 5<<10)
		ctx := context.Background()
		for pb.Next() {
			binary.LittleEndian.PutUint64(buf, n.Add(1))
			got, _, err := s.PutWithEvent(ctx, quarantine.Meta{Origin: quarantine.OriginSMTP}, bytes.NewReader(buf), ev("received"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.UpdateWithEvent(updateCtx(ctx), got.ID, func(m *quarantine.Meta) error {
				m.Outcome, m.Report, m.Delivery = "textized", report, quarantine.DeliveryDelivered
				return nil
			}, ev("delivered")); err != nil {
				b.Fatal(err)
			}
		}
	})
}
