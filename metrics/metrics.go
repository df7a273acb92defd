package metrics

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/mugai-project/mugai/sanitize"
)

// Metrics holds mugai's collectors. Create it with New; it is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	messages      *prometheus.CounterVec
	files         *prometheus.CounterVec
	findings      *prometheus.CounterVec
	bytesIn       *prometheus.CounterVec
	bytesOut      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	sessions      prometheus.Counter
	replies       *prometheus.CounterVec
	nextHopErrors *prometheus.CounterVec
	hold          prometheus.GaugeFunc
	scanner       *prometheus.GaugeVec
	reloads       *prometheus.CounterVec
	configTime    prometheus.Gauge

	mu     sync.Mutex
	usage  Usager
	holdFn func() bool
}

// Outcome label values beyond sanitize's outcomes.
const (
	// OutcomeError counts items the engine could not judge (the sender
	// retries; nothing crossed).
	OutcomeError = "error"
)

// Scanner states for SetScanner.
const (
	ScannerDown = 0 // configured and not answering
	ScannerUp   = 1 // answering
)

// DurationBuckets are the bounds (seconds) of the sanitize-time histogram:
// from a small text file to the one-minute default timeout.
var DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// New returns the collectors, registered on a new registry together with
// the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mugai_messages_total",
		Help: "Top-level items (mails, dropped files) judged, by origin and outcome (sanitized, textized, passed, blocked, error).",
	}, []string{"origin", "outcome"})
	m.files = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mugai_files_total",
		Help: "Items at every depth (the mail, its parts, attachments, members), by detected type and outcome.",
	}, []string{"type", "outcome"})
	m.findings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mugai_findings_total",
		Help: "Findings by rule ID (docs/rules.md).",
	}, []string{"rule"})
	m.bytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mugai_bytes_in_total",
		Help: "Bytes of the top-level items received, by origin.",
	}, []string{"origin"})
	m.bytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mugai_bytes_out_total",
		Help: "Bytes of the cleared top-level items produced, by origin.",
	}, []string{"origin"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mugai_sanitize_duration_seconds",
		Help:    "Time the engine took on one top-level item, by its detected type.",
		Buckets: DurationBuckets,
	}, []string{"type"})
	m.sessions = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mugai_smtp_sessions_total",
		Help: "SMTP connections accepted from the upstream MTA.",
	})
	m.replies = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mugai_smtp_replies_total",
		Help: "Replies to the upstream MTA, by command (CONNECT for refused connections, MAIL, RCPT, DATA) and code.",
	}, []string{"command", "code"})
	m.nextHopErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mugai_next_hop_errors_total",
		Help: "Failures and refusals of the next hop, by step (connect, MAIL, RCPT, DATA, maildir) and code (none when it did not answer).",
	}, []string{"step", "code"})
	m.hold = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "mugai_hold",
		Help: "1 while the incident hold is on (new mail gets 451), else 0.",
	}, func() float64 {
		m.mu.Lock()
		fn := m.holdFn
		m.mu.Unlock()
		if fn != nil && fn() {
			return 1
		}
		return 0
	})
	m.scanner = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mugai_scanner_up",
		Help: "1 when the malware scanner answered its last check, 0 when not; absent when none is configured.",
	}, []string{"scanner"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mugai_config_reloads_total",
		Help: "Configuration reloads (SIGHUP), by result (ok, failed).",
	}, []string{"result"})
	m.configTime = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "mugai_config_loaded_timestamp_seconds",
		Help: "When the configuration in use was loaded (Unix time).",
	})
	m.reg.MustRegister(m.messages, m.files, m.findings, m.bytesIn, m.bytesOut, m.duration,
		m.sessions, m.replies, m.nextHopErrors, m.hold, m.scanner, m.reloads, m.configTime,
		&usageCollector{m: m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Message records one top-level item that the engine judged: rep is its
// report (nil when err is non-nil) and d the time the engine took. origin is
// "smtp" or "filedrop". The per-type counts, the findings and the bytes are
// read from the report tree.
func (m *Metrics) Message(origin string, rep *sanitize.Report, err error, d time.Duration) {
	if err != nil || rep == nil {
		m.messages.WithLabelValues(origin, OutcomeError).Inc()
		return
	}
	m.messages.WithLabelValues(origin, string(rep.Outcome)).Inc()
	m.bytesIn.WithLabelValues(origin).Add(float64(rep.Size))
	if rep.Outcome != sanitize.OutcomeBlocked {
		out := rep.OutputSize
		if out == 0 && rep.Outcome == sanitize.OutcomePassed {
			out = rep.Size
		}
		m.bytesOut.WithLabelValues(origin).Add(float64(out))
	}
	m.duration.WithLabelValues(kindLabel(rep.Detected)).Observe(d.Seconds())
	rep.Walk(func(_ int, r *sanitize.Report) {
		m.files.WithLabelValues(kindLabel(r.Detected), string(r.Outcome)).Inc()
		for _, f := range r.Findings {
			m.findings.WithLabelValues(f.Rule).Inc()
		}
	})
}

func kindLabel(k sanitize.Kind) string {
	if k == "" {
		return "unknown"
	}
	return string(k)
}

// SetHold makes mugai_hold report on(), called at each scrape (e.g. a
// check that the hold file exists).
func (m *Metrics) SetHold(on func() bool) {
	m.mu.Lock()
	m.holdFn = on
	m.mu.Unlock()
}

// SetScanner records the state of a malware scanner (ScannerUp or
// ScannerDown) under its name, e.g. "clamd". The scanner's own health
// check calls it; until then the series is absent.
func (m *Metrics) SetScanner(name string, state int) {
	m.scanner.WithLabelValues(name).Set(float64(state))
}

// Reloaded records a configuration reload (ok false: the old configuration
// stays) and, when ok, the time the new one took effect.
func (m *Metrics) Reloaded(ok bool, at time.Time) {
	if !ok {
		m.reloads.WithLabelValues("failed").Inc()
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
	m.configTime.Set(float64(at.Unix()))
}

// ConfigLoaded records when the configuration in use was loaded at start.
func (m *Metrics) ConfigLoaded(at time.Time) { m.configTime.Set(float64(at.Unix())) }

// Relay returns the observer of the SMTP relay (it satisfies
// smtpd.Observer): its messages count under origin "smtp".
func (m *Metrics) Relay() *Relay { return &Relay{m: m} }

// Relay reports the SMTP relay's events to Metrics.
type Relay struct{ m *Metrics }

// Session counts an accepted connection.
func (r *Relay) Session() { r.m.sessions.Inc() }

// Reply counts a reply to the upstream MTA.
func (r *Relay) Reply(cmd string, code int) {
	r.m.replies.WithLabelValues(cmd, strconv.Itoa(code)).Inc()
}

// Message records a mail the engine judged.
func (r *Relay) Message(rep *sanitize.Report, err error, d time.Duration) {
	r.m.Message("smtp", rep, err, d)
}

// NextHopError counts a failure or refusal of the next hop.
func (r *Relay) NextHopError(step string, code int) {
	c := "none"
	if code != 0 {
		c = strconv.Itoa(code)
	}
	r.m.nextHopErrors.WithLabelValues(step, c).Inc()
}

// Usager is a quarantine backend that can tell its size and the last
// sequence number of its audit chain cheaply (one indexed query).
type Usager interface {
	Usage(ctx context.Context) (items, bytes, auditSeq int64, err error)
}

// SetUsage makes /metrics report the quarantine size and the audit
// sequence from u, queried at each scrape (with a 5-second limit; the
// scrape interval bounds the load).
func (m *Metrics) SetUsage(u Usager) {
	m.mu.Lock()
	m.usage = u
	m.mu.Unlock()
}

// usageCollector turns the backend's usage into gauges at scrape time.
type usageCollector struct{ m *Metrics }

var (
	descItems = prometheus.NewDesc("mugai_quarantine_items", "Originals kept in the quarantine.", nil, nil)
	descBytes = prometheus.NewDesc("mugai_quarantine_bytes", "Bytes of the originals kept in the quarantine (before compression).", nil, nil)
	descSeq   = prometheus.NewDesc("mugai_audit_sequence", "Sequence number of the last entry of the audit chain.", nil, nil)
	descUsage = prometheus.NewDesc("mugai_quarantine_usage_up", "1 when the last quarantine size query succeeded.", nil, nil)
)

func (c *usageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descItems
	ch <- descBytes
	ch <- descSeq
	ch <- descUsage
}

func (c *usageCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	m.mu.Lock()
	u := m.usage
	m.mu.Unlock()
	if u == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	items, bytes, seq, err := u.Usage(ctx)
	cancel()
	up := 0.0
	if err == nil {
		up = 1
		ch <- prometheus.MustNewConstMetric(descItems, prometheus.GaugeValue, float64(items))
		ch <- prometheus.MustNewConstMetric(descBytes, prometheus.GaugeValue, float64(bytes))
		ch <- prometheus.MustNewConstMetric(descSeq, prometheus.GaugeValue, float64(seq))
	}
	ch <- prometheus.MustNewConstMetric(descUsage, prometheus.GaugeValue, up)
}
