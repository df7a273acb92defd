package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/storetest"
)

func BenchmarkPut(b *testing.B) {
	key := make([]byte, 32)
	rand.Read(key)
	for _, enc := range []struct {
		name string
		key  []byte
	}{{"plain", nil}, {"encrypted", key}} {
		for _, size := range []int{5 << 10, 1 << 20} {
			b.Run(fmt.Sprintf("%s/%dKB", enc.name, size>>10), func(b *testing.B) {
				s := openFresh(b, Options{Key: enc.key})
				storetest.BenchmarkPut(b, s, size)
			})
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	storetest.BenchmarkAppend(b, openFresh(b, Options{}))
}

// The index benchmarks run on benchSchema holding benchRows items. The
// schema is kept between runs (loading takes a while) and rebuilt when its
// row count or benchLayout differs.
const (
	benchSchema = "mugai_bench_1m"
	benchRows   = 1_000_000
	benchLayout = "v2"
)

var bench1M struct {
	once sync.Once
	s    *Store
	ids  []string // a sample, for Stat
	err  error
}

// open1M returns the store with benchRows items, loading them with COPY the
// first time.
func open1M(b *testing.B) (*Store, []string) {
	dsn := testDSN(b)
	bench1M.once.Do(func() {
		bench1M.s, bench1M.ids, bench1M.err = load1M(dsn)
	})
	if bench1M.err != nil {
		b.Fatal(bench1M.err)
	}
	return bench1M.s, bench1M.ids
}

var (
	benchBase     = time.Date(2025, 11, 22, 0, 0, 0, 0, time.FixedZone("JST", 9*3600))
	benchStep     = 31536 * time.Millisecond // benchRows steps ≈ one year
	benchOutcomes = []string{"sanitized", "sanitized", "sanitized", "sanitized", "sanitized", "sanitized",
		"textized", "textized", "textized", "passed"} // plus 1 in 20 blocked, below
	benchRules = []string{"mail.html", "ooxml.vba", "ooxml.external", "pdf.openaction", "html.script",
		"archive.nested", "image.metadata", "rtf.object", "text.bidi", "csv.formula"}
)

func load1M(dsn string) (*Store, []string, error) {
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{Schema: benchSchema})
	if err != nil {
		return nil, nil, err
	}
	sch := pgx.Identifier{benchSchema}.Sanitize()
	var n int
	var layout string
	s.pool.QueryRow(ctx, `SELECT value FROM `+sch+`.settings WHERE key = 'bench_layout'`).Scan(&layout)
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+sch+`.items`).Scan(&n); err != nil {
		return nil, nil, err
	}
	if n != benchRows || layout != benchLayout {
		s.Close()
		if _, err := pgxExec(ctx, dsn, `DROP SCHEMA IF EXISTS `+sch+` CASCADE`); err != nil {
			return nil, nil, err
		}
		if s, err = Open(ctx, dsn, Options{Schema: benchSchema}); err != nil {
			return nil, nil, err
		}
		start := time.Now()
		if err := copyItems(ctx, s); err != nil {
			return nil, nil, err
		}
		fmt.Printf("loaded %d items into %s in %v\n", benchRows, benchSchema, time.Since(start).Round(time.Second))
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM `+sch+`.items TABLESAMPLE SYSTEM (1) LIMIT 10000`)
	if err != nil {
		return nil, nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return s, ids, err
}

func pgxExec(ctx context.Context, dsn, sql string) (int64, error) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	tag, err := c.Exec(ctx, sql)
	return tag.RowsAffected(), err
}

// copyItems bulk-loads benchRows items sharing one blob.
func copyItems(ctx context.Context, s *Store) error {
	sch := pgx.Identifier{benchSchema}.Sanitize()
	// One real item owns the blob that all the copied rows share.
	m, err := s.Put(ctx, quarantine.Meta{Origin: quarantine.OriginCLI, Received: benchBase.Add(-time.Hour)},
		strings.NewReader(strings.Repeat("bench ", 1000)))
	if err != nil {
		return err
	}
	var sum []byte
	if err := s.pool.QueryRow(ctx, `SELECT sha256 FROM `+sch+`.items WHERE id = $1`, m.ID).Scan(&sum); err != nil {
		return err
	}
	r := mrand.New(mrand.NewPCG(1, 2))
	cols := []string{"id", "received", "received_ns", "received_text", "origin", "client", "mail_from", "rcpt",
		"subject", "size", "sha256", "outcome", "findings", "report", "delivery", "retain_until", "retain_ns",
		"retain_text", "legal_hold", "from_lc", "rcpt_lc"}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == benchRows-1 {
			return nil, nil
		}
		rec := benchBase.Add(time.Duration(i)*benchStep + time.Duration(r.IntN(1000)))
		i++
		from := fmt.Sprintf("user%d@example%d.jp", r.IntN(5000), r.IntN(200))
		to := make([]string, 1+r.IntN(3))
		for k := range to {
			to[k] = fmt.Sprintf("staff%d@city.example.lg.jp", r.IntN(2000))
		}
		outcome := benchOutcomes[r.IntN(len(benchOutcomes))]
		if r.IntN(20) == 0 {
			outcome = "blocked"
		}
		var findings []string
		if r.IntN(2) == 0 {
			findings = append(findings, "mail.html") // common: half the items
		}
		if r.IntN(4) == 0 {
			findings = append(findings, benchRules[1+r.IntN(len(benchRules)-1)])
		}
		if r.IntN(200) == 0 {
			findings = append(findings, "pdf.javascript") // rare: 0.5%
		}
		until := rec.Add(30 * 24 * time.Hour)
		rt, rns := splitTime(rec)
		ut, uns := splitTime(until)
		return []any{quarantine.NewID(rec), rt, rns, rec.Format(quarantine.TimeFormat), quarantine.OriginSMTP,
			"192.0.2.1", from, to, fmt.Sprintf("件名 %d", i), int64(6000), sum, outcome, nonNil(findings),
			[]byte(fmt.Sprintf(`{"n":%d}`, i)), quarantine.DeliveryDelivered, ut, uns, until.Format(quarantine.TimeFormat),
			r.IntN(1000) == 0, strings.ToLower(from), lowerJoin(to)}, nil
	})
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{benchSchema, "items"}, cols, src); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE `+sch+`.blobs SET refs = $2 WHERE sha256 = $1`, sum, benchRows); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE `+sch+`.items`); err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO `+sch+`.settings (key, value) VALUES ('bench_layout', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, benchLayout)
	return err
}

// BenchmarkList1M lists a page of 50 from benchRows items with each filter.
func BenchmarkList1M(b *testing.B) {
	s, _ := open1M(b)
	mid := benchBase.Add(benchRows / 2 * benchStep)
	for _, tc := range []struct {
		name string
		f    quarantine.Filter
	}{
		{"newest", quarantine.Filter{}},
		{"day", quarantine.Filter{Since: mid, Until: mid.Add(24 * time.Hour)}},
		{"from", quarantine.Filter{From: "user42@"}},
		{"from-domain", quarantine.Filter{From: "@example7.jp"}},
		{"rcpt", quarantine.Filter{Rcpt: "staff7@"}},
		{"outcome-blocked", quarantine.Filter{Outcome: "blocked"}},
		{"finding-rare", quarantine.Filter{Finding: "pdf.javascript"}},
		{"finding-common", quarantine.Filter{Finding: "mail.html"}},
		{"month-outcome-finding", quarantine.Filter{Since: mid, Until: mid.Add(30 * 24 * time.Hour), Outcome: "blocked", Finding: "ooxml.vba"}},
		{"from-nomatch", quarantine.Filter{From: "nobody-here"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := tc.f
			f.Limit = 50
			b.ReportAllocs()
			var got int
			for b.Loop() {
				got = 0
				if err := s.List(b.Context(), f, func(quarantine.Meta) error { got++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(got), "items")
		})
	}
}

// BenchmarkStat1M looks up random items among benchRows.
func BenchmarkStat1M(b *testing.B) {
	s, ids := open1M(b)
	if len(ids) == 0 {
		b.Fatal("no sample IDs")
	}
	r := mrand.New(mrand.NewPCG(3, 4))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Stat(b.Context(), ids[r.IntN(len(ids))]); err != nil {
			b.Fatal(err)
		}
	}
}
