package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
)

// reportDoc is `mugai report --json`: one document for the periodic
// review of what crossed and what did not.
type reportDoc struct {
	Since         string       `json:"since,omitempty"` // RFC 3339; empty: from the start
	Until         string       `json:"until"`           // RFC 3339; the end, exclusive
	Items         int          `json:"items"`
	Bytes         int64        `json:"bytes"`
	Outcomes      []countRow   `json:"outcomes"`
	Findings      []findingRow `json:"findings"`
	SenderDomains []countRow   `json:"sender_domains"`
	BlockedTypes  []countRow   `json:"blocked_types"`
	TopRecipients []countRow   `json:"top_recipients"`
	Days          []dayRow     `json:"days"`
}

type countRow struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

type findingRow struct {
	Rule        string `json:"rule"`
	Description string `json:"description"`
	Count       int    `json:"count"` // items that have it
}

type dayRow struct {
	Date  string `json:"date"` // local date, 2006-01-02
	Count int    `json:"count"`
	Bytes int64  `json:"bytes"`
}

// counter counts keys and returns them most frequent first.
type counter map[string]int

func (c counter) rows(limit int) []countRow {
	rows := make([]countRow, 0, len(c))
	for k, n := range c {
		rows = append(rows, countRow{k, n})
	}
	slices.SortFunc(rows, func(x, y countRow) int {
		if x.Count != y.Count {
			return y.Count - x.Count
		}
		return strings.Compare(x.Key, y.Key)
	})
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	return rows
}

func (a *app) cmdReport(ctx context.Context, args []string) int {
	fs, o := a.opsFlagSet("report", "usage.report")
	since := fs.String("since", "7d", a.t("flag.since"))
	until := fs.String("until", "", a.t("flag.until"))
	top := fs.Int("top", 10, a.t("flag.top"))
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if c := a.noArgs(pos); c != exitOK {
		return c
	}
	if *top < 0 {
		a.errorf("%s", a.t("err.bad_limit", *top))
		return exitUsage
	}
	s, u, code := a.timeRange(*since, *until)
	if code != exitOK {
		return code
	}
	end := u // what the review covers up to; without --until, now
	if end.IsZero() {
		end = a.now()
	}
	if !s.IsZero() && !s.Before(end) {
		a.errorf("%s", a.t("err.bad_range", *since, end.Format(time.RFC3339)))
		return exitUsage
	}
	q, code := a.openQuarantine(ctx, o.config)
	if code != exitOK {
		return code
	}
	defer q.Close()

	doc := reportDoc{Until: end.Format(time.RFC3339)}
	if !s.IsZero() {
		doc.Since = s.Format(time.RFC3339)
	}
	outcomesSeen, findings, domains, blocked, rcpts := counter{}, counter{}, counter{}, counter{}, counter{}
	days := map[string]*dayRow{}
	err = q.store.List(ctx, quarantine.Filter{Since: s, Until: u}, func(m quarantine.Meta) error {
		doc.Items++
		doc.Bytes += m.Size
		outcomesSeen[cmp.Or(m.Outcome, "pending")]++
		for _, f := range m.Findings {
			findings[f]++
		}
		domains[senderDomain(m.From)]++
		for _, r := range m.To {
			rcpts[strings.ToLower(r)]++
		}
		day := m.Received.Local().Format("2006-01-02")
		d := days[day]
		if d == nil {
			d = &dayRow{Date: day}
			days[day] = d
		}
		d.Count++
		d.Bytes += m.Size
		if len(m.Report) > 0 {
			if rep, err := reportTree(m.Report); err == nil {
				rep.Walk(func(_ int, r *sanitize.Report) {
					if r.Outcome == sanitize.OutcomeBlocked {
						blocked[cmp.Or(string(r.Detected), "unknown")]++
					}
				})
			}
		}
		return nil
	})
	if err != nil {
		return a.storeFail("", err)
	}
	// Outcomes in their fixed order, from the mildest to nothing crossing.
	for _, o := range append(slices.Clone(outcomes), "pending") {
		if n := outcomesSeen[o]; n > 0 {
			doc.Outcomes = append(doc.Outcomes, countRow{o, n})
		}
	}
	for o, n := range outcomesSeen {
		if !slices.Contains(outcomes, o) && o != "pending" {
			doc.Outcomes = append(doc.Outcomes, countRow{o, n})
		}
	}
	for _, r := range findings.rows(0) {
		doc.Findings = append(doc.Findings, findingRow{Rule: r.Key, Description: sanitize.DescribeRule(r.Key, a.lang), Count: r.Count})
	}
	doc.SenderDomains = domains.rows(*top)
	doc.BlockedTypes = blocked.rows(0)
	doc.TopRecipients = rcpts.rows(*top)
	for _, d := range days {
		doc.Days = append(doc.Days, *d)
	}
	slices.SortFunc(doc.Days, func(x, y dayRow) int { return strings.Compare(x.Date, y.Date) })
	if doc.Findings == nil {
		doc.Findings = []findingRow{}
	}
	if doc.Days == nil {
		doc.Days = []dayRow{}
	}
	if o.json {
		return a.printJSON(doc)
	}
	a.printReview(&doc, s, end)
	return exitOK
}

// senderDomain is the domain of an envelope sender, lower case; "" for a
// null sender or an item without an envelope.
func senderDomain(from string) string {
	i := strings.LastIndexByte(from, '@')
	if i < 0 || i == len(from)-1 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(from[i+1:], "."))
}

// printReview writes the readable review.
func (a *app) printReview(doc *reportDoc, s, u time.Time) {
	w := a.stdout
	from := a.t("report.beginning")
	if !s.IsZero() {
		from = localTime(s)
	}
	fmt.Fprintln(w, a.t("report.title"))
	fmt.Fprintln(w, a.t("report.period", from, localTime(u)))
	fmt.Fprintln(w, a.t("report.total", doc.Items, humanSize(doc.Bytes)))
	if doc.Items == 0 {
		return
	}
	section := func(title string, t *table) {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "■ "+title)
		t.write(w)
	}
	count := func(rows []countRow, head string, label func(string) string) *table {
		t := &table{head: []string{head, a.t("col.count")}, right: []bool{false, true}}
		for _, r := range rows {
			t.add(fit(label(r.Key), 48), strconv.Itoa(r.Count))
		}
		return t
	}
	section(a.t("report.by_outcome"), count(doc.Outcomes, a.t("col.outcome"), func(k string) string {
		if k == "pending" {
			return a.t("outcome.none")
		}
		return a.outcomeLabel(k)
	}))
	if len(doc.Findings) > 0 {
		t := &table{head: []string{a.t("col.rule"), a.t("col.description"), a.t("col.count")}, right: []bool{2: true}}
		for _, f := range doc.Findings {
			t.add(f.Rule, fit(f.Description, 60), strconv.Itoa(f.Count))
		}
		section(a.t("report.by_finding"), t)
	}
	section(a.t("report.by_domain"), count(doc.SenderDomains, a.t("col.domain"), func(k string) string {
		if k == "" {
			return a.t("report.no_sender")
		}
		return k
	}))
	if len(doc.BlockedTypes) > 0 {
		section(a.t("report.blocked_types"), count(doc.BlockedTypes, a.t("col.type"), func(k string) string { return k }))
	}
	if len(doc.TopRecipients) > 0 {
		section(a.t("report.top_rcpts"), count(doc.TopRecipients, a.t("col.rcpt"), func(k string) string { return k }))
	}
	t := &table{head: []string{a.t("col.date"), a.t("col.count"), a.t("col.volume")}, right: []bool{false, true, true}}
	for _, d := range doc.Days {
		t.add(d.Date, strconv.Itoa(d.Count), humanSize(d.Bytes))
	}
	section(a.t("report.by_day"), t)
}
