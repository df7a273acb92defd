package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mugai-project/mugai/metrics"
	"github.com/mugai-project/mugai/sanitize"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestReadyzReportsFailingChecks(t *testing.T) {
	m := metrics.New()
	h := &metrics.Health{Timeout: 100 * time.Millisecond}
	down := errors.New("connection refused")
	clamd := down
	h.SetChecks(
		metrics.CheckFunc("quarantine", func(context.Context) error { return nil }),
		metrics.CheckFunc("slow", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }),
	)
	h.AddCheck(metrics.ScannerCheck(m, "clamd", func(context.Context) error { return clamd }))
	srv := metrics.Handler(m, h)
	if code, body := get(t, srv, "/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	code, body := get(t, srv, "/readyz")
	if code != 503 || body != "clamd: connection refused\nslow: context deadline exceeded\n" {
		t.Fatalf("/readyz: %d %q", code, body)
	}
	if code, body := get(t, srv, "/metrics"); code != 200 || !strings.Contains(body, `mugai_scanner_up{scanner="clamd"} 0`) {
		t.Fatalf("/metrics after a failed scanner check: %d\n%s", code, body)
	}
	clamd = nil
	h.SetChecks(metrics.ScannerCheck(m, "clamd", func(context.Context) error { return clamd }))
	if code, _ := get(t, srv, "/readyz"); code != 200 {
		t.Fatalf("/readyz with every check passing: %d", code)
	}
	if _, body := get(t, srv, "/metrics"); !strings.Contains(body, `mugai_scanner_up{scanner="clamd"} 1`) {
		t.Fatal("mugai_scanner_up did not go back to 1")
	}
}

// mailReport is the report of a text-ized mail with two attachments (a
// sanitized PDF, a blocked executable) and four findings.
func mailReport() *sanitize.Report {
	return &sanitize.Report{
		Detected: "eml", Outcome: sanitize.OutcomeTextized, Size: 1000, OutputSize: 600,
		Findings: []sanitize.Finding{{Rule: "html.script"}},
		Children: []*sanitize.Report{
			{Detected: "pdf", Outcome: sanitize.OutcomeSanitized, Findings: []sanitize.Finding{{Rule: "pdf.javascript"}, {Rule: "pdf.openaction"}}},
			{Detected: "exe", Outcome: sanitize.OutcomeBlocked, Findings: []sanitize.Finding{{Rule: "type.executable"}}},
		},
	}
}

func TestMessageCountsTheReportTree(t *testing.T) {
	m := metrics.New()
	rep := mailReport()
	m.Message("smtp", rep, nil, 30*time.Millisecond)
	m.Message("filedrop", nil, errors.New("disk full"), 0)
	want := `
# HELP mugai_files_total Items at every depth (the mail, its parts, attachments, members), by detected type and outcome.
# TYPE mugai_files_total counter
mugai_files_total{outcome="blocked",type="exe"} 1
mugai_files_total{outcome="sanitized",type="pdf"} 1
mugai_files_total{outcome="textized",type="eml"} 1
# HELP mugai_findings_total Findings by rule ID (docs/rules.md).
# TYPE mugai_findings_total counter
mugai_findings_total{rule="html.script"} 1
mugai_findings_total{rule="pdf.javascript"} 1
mugai_findings_total{rule="pdf.openaction"} 1
mugai_findings_total{rule="type.executable"} 1
# HELP mugai_messages_total Top-level items (mails, dropped files) judged, by origin and outcome (sanitized, textized, passed, blocked, error).
# TYPE mugai_messages_total counter
mugai_messages_total{origin="filedrop",outcome="error"} 1
mugai_messages_total{origin="smtp",outcome="textized"} 1
# HELP mugai_bytes_in_total Bytes of the top-level items received, by origin.
# TYPE mugai_bytes_in_total counter
mugai_bytes_in_total{origin="smtp"} 1000
# HELP mugai_bytes_out_total Bytes of the cleared top-level items produced, by origin.
# TYPE mugai_bytes_out_total counter
mugai_bytes_out_total{origin="smtp"} 600
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"mugai_files_total", "mugai_findings_total", "mugai_messages_total", "mugai_bytes_in_total", "mugai_bytes_out_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.Registry(), "mugai_sanitize_duration_seconds"); n != 1 {
		t.Fatalf("duration series: %d", n)
	}
}

// BenchmarkMessage is the cost the relay pays per message for its metrics
// (a mail with two attachments and four findings).
func BenchmarkMessage(b *testing.B) {
	m := metrics.New()
	rep := mailReport()
	r := m.Relay()
	b.ReportAllocs()
	for b.Loop() {
		r.Session()
		r.Reply("MAIL", 250)
		r.Reply("RCPT", 250)
		r.Message(rep, nil, 30*time.Millisecond)
		r.Reply("DATA", 250)
	}
}
