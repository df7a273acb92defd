package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/quarantine"
)

// These run without a server.

func TestSplitTime(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	for _, tc := range []struct {
		in     time.Time
		wantUS time.Time
		wantNS int16
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 123456789, jst), time.Date(2026, 1, 2, 3, 4, 5, 123456000, jst), 789},
		{time.Date(2026, 1, 2, 3, 4, 5, 123456000, jst), time.Date(2026, 1, 2, 3, 4, 5, 123456000, jst), 0},
		{time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), 999},
	} {
		us, ns := splitTime(tc.in)
		if !us.Equal(tc.wantUS) || ns != tc.wantNS {
			t.Errorf("splitTime(%v) = %v, %d; want %v, %d", tc.in, us, ns, tc.wantUS, tc.wantNS)
		}
	}
	// Order of (µs, ns) pairs is the order of the times.
	a, b := time.Unix(0, 1999), time.Unix(0, 2000)
	au, an := splitTime(a)
	bu, bn := splitTime(b)
	if !(au.Before(bu) || au.Equal(bu) && an < bn) {
		t.Errorf("split of %v does not sort before %v", a, b)
	}
}

func TestLikeContains(t *testing.T) {
	for in, want := range map[string]string{
		"Bob@Example.JP": "%bob@example.jp%",
		"100%_real":      `%100\%\_real%`,
		`a\b`:            `%a\\b%`,
		"":               "%%",
	} {
		if got := likeContains(in); got != want {
			t.Errorf("likeContains(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"件名":           "件名",
		"a\x00b":       "a\uFFFDb",
		"bad \xff\xfe": "bad \uFFFD",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanMetaCopies(t *testing.T) {
	to := []string{"a\x00@example.jp"}
	m := quarantine.Meta{To: to}
	cleanMeta(&m)
	if to[0] != "a\x00@example.jp" || !strings.Contains(m.To[0], "\uFFFD") {
		t.Errorf("cleanMeta: caller's slice %q, cleaned %q", to, m.To)
	}
}

func TestQueriesQualified(t *testing.T) {
	q := makeQueries(`"s"`)
	for _, stmt := range []string{q.insertItem, q.newBlob, q.list, q.purge, q.entries, q.lockHead} {
		if strings.Contains(stmt, "{") || !strings.Contains(stmt, `"s".`) {
			t.Errorf("statement not filled in: %s", stmt)
		}
	}
}
