package filedrop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/mugai-project/mugai/formats/csv"
	"github.com/mugai-project/mugai/formats/html"
	"github.com/mugai-project/mugai/formats/pdf"
	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/local"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// testEngine sanitizes text, CSV, HTML and PDF and blocks everything else.
func testEngine(tmp string) *sanitize.Engine {
	allowed := map[sanitize.Kind]sanitize.Mode{
		detect.Text: sanitize.ModeSanitize, detect.CSV: sanitize.ModeSanitize,
		detect.HTML: sanitize.ModeSanitize, detect.PDF: sanitize.ModeSanitize,
		detect.Empty: sanitize.ModeVerify,
	}
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{
			detect.Text: text.New(text.Options{}),
			detect.CSV:  csv.New(csv.Options{}),
			detect.HTML: html.New(html.Options{}),
			detect.PDF:  pdf.New(pdf.Options{}),
		},
		Mode:    func(k sanitize.Kind) sanitize.Mode { return allowed[k] },
		TempDir: tmp,
	}
}

// collector records OnDone results.
type collector struct {
	mu   sync.Mutex
	res  []Result
	wake chan struct{}
}

func newCollector() *collector { return &collector{wake: make(chan struct{}, 1)} }

func (c *collector) add(r Result) {
	c.mu.Lock()
	c.res = append(c.res, r)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *collector) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.res)
}

// waitFor waits until cond holds or the timeout passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type harness struct {
	t      testing.TB
	root   string
	inbox  string
	outbox string
	store  *local.Store
	col    *collector
	cancel context.CancelFunc
	done   chan error
}

// start runs a Service over one folder rooted in a temp directory.
func start(t testing.TB, mod func(*Config, *Folder)) *harness {
	t.Helper()
	root := t.TempDir()
	st, err := local.Open(filepath.Join(root, "quarantine"), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, root: root, inbox: filepath.Join(root, "in"), outbox: filepath.Join(root, "out"), store: st, col: newCollector()}
	f := Folder{
		Name: "test", Inbox: h.inbox, Outbox: h.outbox, StableTime: 300 * time.Millisecond,
		Rescan: 500 * time.Millisecond, MaxInput: 64 << 20, Engine: testEngine(root), Subfolders: true,
	}
	cfg := Config{Workers: 4, RetryMin: 100 * time.Millisecond, RetryMax: 400 * time.Millisecond, OnDone: h.col.add}
	if mod != nil {
		mod(&cfg, &f)
	}
	cfg.Folders = []Folder{f}
	h.run(cfg)
	return h
}

func (h *harness) run(cfg Config) {
	log := slog.New(slog.NewTextHandler(&testWriter{t: h.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := New(cfg, h.store, h.store, log)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- s.Run(ctx) }()
	h.t.Cleanup(h.stop)
}

func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		<-h.done
		h.cancel = nil
	}
}

type testWriter struct {
	t  testing.TB
	mu sync.Mutex
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if testing.Verbose() {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// drop writes a file into the inbox as a plain copy would (create, write).
func (h *harness) drop(rel string, data []byte) {
	h.t.Helper()
	p := filepath.Join(h.inbox, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// moveIn writes a file elsewhere and renames it into the inbox.
func (h *harness) moveIn(rel string, data []byte) {
	h.t.Helper()
	tmp := filepath.Join(h.root, "staging-"+fmt.Sprint(time.Now().UnixNano()))
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		h.t.Fatal(err)
	}
	p := filepath.Join(h.inbox, filepath.FromSlash(rel))
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.Rename(tmp, p); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) result(input string) (Result, bool) {
	h.col.mu.Lock()
	defer h.col.mu.Unlock()
	for _, r := range h.col.res {
		if r.Input == input {
			return r, true
		}
	}
	return Result{}, false
}

func (h *harness) waitResult(input string, timeout time.Duration) Result {
	h.t.Helper()
	var r Result
	waitFor(h.t, "the result of "+input, timeout, func() bool {
		var ok bool
		r, ok = h.result(input)
		return ok
	})
	return r
}

func readFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// outboxFiles lists the outbox, relative paths, temp files included.
func outboxFiles(t testing.TB, dir string) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	return names
}

// claimsLeft counts the claim directories in the work folder.
func claimsLeft(t testing.TB, work string) int {
	n := 0
	des, _ := os.ReadDir(work)
	for _, de := range des {
		if de.IsDir() && de.Name() != refusedDir {
			sub, _ := os.ReadDir(filepath.Join(work, de.Name()))
			n += len(sub)
		}
	}
	return n
}

// TestEndToEnd drops the cases the service must withstand and checks the
// outputs, the reports and the quarantine.
func TestEndToEnd(t *testing.T) {
	h := start(t, nil)
	ctx := t.Context()

	// A benign text with a Japanese name, renamed into place: taken at once.
	h.moveIn("お知らせ.txt", []byte("庁内のお知らせです。\n"))
	r := h.waitResult("お知らせ.txt", 5*time.Second)
	if r.Outcome != sanitize.OutcomeSanitized && r.Outcome != sanitize.OutcomePassed {
		t.Fatalf("outcome %s", r.Outcome)
	}
	if got := readFile(t, filepath.Join(h.outbox, "お知らせ.txt")); !strings.Contains(got, "庁内のお知らせです。") {
		t.Errorf("output lost the text: %q", got)
	}
	rpt := readFile(t, filepath.Join(h.outbox, "お知らせ.txt.mugai.txt"))
	if !strings.Contains(rpt, "原本の保管ID："+r.QID) || !strings.Contains(rpt, "mugai 無害化レポート") {
		t.Errorf("report:\n%s", rpt)
	}
	m, err := h.store.Stat(ctx, r.QID)
	if err != nil || m.Origin != quarantine.OriginFileDrop || m.Delivery != quarantine.DeliveryDelivered || m.Subject != "お知らせ.txt" {
		t.Errorf("kept item %+v, %v", m, err)
	}

	t.Run("partial write", func(t *testing.T) {
		p := filepath.Join(h.inbox, "書きかけ.csv")
		w, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		for i := range 8 {
			line := fmt.Sprintf("%d,行%d,=1+%d\n", i, i, i)
			want.WriteString(line)
			w.WriteString(line)
			time.Sleep(150 * time.Millisecond) // shorter than the stable time
			if _, ok := h.result("書きかけ.csv"); ok {
				t.Fatalf("taken while still being written (after line %d)", i)
			}
		}
		w.Close()
		r := h.waitResult("書きかけ.csv", 5*time.Second)
		got := readFile(t, r.Output)
		for i := range 8 {
			if !strings.Contains(got, fmt.Sprintf("行%d", i)) {
				t.Errorf("line %d missing from the output:\n%s", i, got)
			}
		}
		if strings.Contains(got, "\n=1") || strings.Contains(got, ",=1") {
			t.Errorf("formula not neutralised:\n%s", got)
		}
		_, rc, err := h.store.Get(ctx, r.QID)
		if err != nil {
			t.Fatal(err)
		}
		var kept bytes.Buffer
		kept.ReadFrom(rc)
		rc.Close()
		if kept.String() != want.String() {
			t.Errorf("kept original differs from what was written")
		}
	})

	t.Run("symlink to /etc/passwd", func(t *testing.T) {
		if err := os.Symlink("/etc/passwd", filepath.Join(h.inbox, "passwd.txt")); err != nil {
			t.Skip(err)
		}
		r := h.waitResult("passwd.txt", 5*time.Second)
		if r.Refused != RuleSymlink || r.Output != "" || r.QID != "" {
			t.Fatalf("result %+v", r)
		}
		rpt := readFile(t, r.Report)
		if !strings.Contains(rpt, RuleSymlink) || !strings.Contains(rpt, "ブロック") {
			t.Errorf("report:\n%s", rpt)
		}
		for _, n := range outboxFiles(t, h.outbox) {
			if strings.Contains(readFile(t, filepath.Join(h.outbox, n)), "root:") {
				t.Errorf("%s holds the link target's content", n)
			}
		}
		refused, _ := os.ReadDir(filepath.Join(h.inbox, ".mugai-work", refusedDir))
		if len(refused) != 1 || refused[0].Type()&fs.ModeSymlink == 0 {
			t.Errorf("the link is not kept for the operator: %v", refused)
		}
	})

	t.Run("FIFO and hard link", func(t *testing.T) {
		if err := mkfifo(filepath.Join(h.inbox, "pipe.txt")); err != nil {
			t.Skip(err)
		}
		r := h.waitResult("pipe.txt", 5*time.Second)
		if r.Refused != RuleSpecial {
			t.Errorf("fifo: %+v", r)
		}
		other := filepath.Join(h.root, "elsewhere.txt")
		os.WriteFile(other, []byte("secret elsewhere\n"), 0o600)
		if err := os.Link(other, filepath.Join(h.inbox, "link.txt")); err != nil {
			t.Skip(err)
		}
		r = h.waitResult("link.txt", 5*time.Second)
		if r.Refused != RuleHardlink || r.Output != "" {
			t.Errorf("hard link: %+v", r)
		}
		if readFile(t, other) != "secret elsewhere\n" {
			t.Error("the other name's file changed")
		}
	})

	t.Run("U+202E name and reserved names", func(t *testing.T) {
		h.moveIn("写真\u202Egnp.txt", []byte("ただのテキスト\n"))
		h.moveIn("CON.txt", []byte("device name\n"))
		h.moveIn("か\u3099いよう.txt... ", []byte("NFD name\n"))
		r1 := h.waitResult("写真\u202Egnp.txt", 5*time.Second)
		r2 := h.waitResult("CON.txt", 5*time.Second)
		r3 := h.waitResult("か\u3099いよう.txt... ", 5*time.Second)
		for _, c := range []struct {
			r    Result
			want string
		}{{r1, "写真gnp.txt"}, {r2, "_CON.txt"}, {r3, "がいよう.txt"}} {
			if filepath.Base(c.r.Output) != c.want || !norm.NFC.IsNormalString(c.r.Output) {
				t.Errorf("output %q, want %q", filepath.Base(c.r.Output), c.want)
			}
			if filepath.Base(c.r.Report) != c.want+".mugai.txt" {
				t.Errorf("report %q", c.r.Report)
			}
		}
		for _, n := range outboxFiles(t, h.outbox) {
			if strings.ContainsAny(n, "\u202E\u202D\u2066") {
				t.Errorf("bidi control in %q", n)
			}
		}
	})

	t.Run("two files with the same name", func(t *testing.T) {
		h.moveIn("総務課/同名.txt", []byte("一つ目\n"))
		a := h.waitResult("総務課/同名.txt", 5*time.Second)
		h.col.mu.Lock()
		h.col.res = nil
		h.col.mu.Unlock()
		h.moveIn("総務課/同名.txt", []byte("二つ目\n"))
		b := h.waitResult("総務課/同名.txt", 5*time.Second)
		if a.Output != filepath.Join(h.outbox, "総務課", "同名.txt") || b.Output != filepath.Join(h.outbox, "総務課", "同名_2.txt") {
			t.Fatalf("outputs %q and %q", a.Output, b.Output)
		}
		if !strings.Contains(readFile(t, a.Output), "一つ目") || !strings.Contains(readFile(t, b.Output), "二つ目") {
			t.Error("an output was overwritten")
		}
		if !strings.Contains(readFile(t, b.Report), b.QID) || a.QID == b.QID {
			t.Error("reports or quarantine IDs mixed up")
		}
	})

	t.Run("dangerous content is only reported", func(t *testing.T) {
		h.moveIn("setup.exe", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 200)...))
		h.moveIn("page.html", []byte("<p>お知らせ</p><script>alert(1)</script>"))
		r := h.waitResult("setup.exe", 5*time.Second)
		if r.Outcome != sanitize.OutcomeBlocked || r.Output != "" || filepath.Base(r.Report) != "setup.exe.mugai.txt" {
			t.Errorf("exe: %+v", r)
		}
		if m, err := h.store.Stat(ctx, r.QID); err != nil || m.Delivery != quarantine.DeliveryBlocked {
			t.Errorf("exe kept as %+v, %v", m, err)
		}
		r = h.waitResult("page.html", 5*time.Second)
		if filepath.Base(r.Output) != "page.txt" || strings.Contains(readFile(t, r.Output), "alert") {
			t.Errorf("html: %+v", r)
		}
		if rpt := readFile(t, r.Report); !strings.Contains(rpt, "html.script") || !strings.Contains(rpt, "スクリプトを削除しました") {
			t.Errorf("html report:\n%s", rpt)
		}
	})

	t.Run("unwritable outbox", func(t *testing.T) {
		// A file where the department's outbox folder should be: every
		// write fails, as on a full or read-only share.
		blocker := filepath.Join(h.outbox, "経理課")
		os.WriteFile(blocker, nil, 0o644)
		h.moveIn("経理課/予算.csv", []byte("科目,金額\n印刷費,1000\n"))
		time.Sleep(1200 * time.Millisecond) // several retries
		if _, ok := h.result("経理課/予算.csv"); ok {
			t.Fatal("processed although the outbox is unwritable")
		}
		work := filepath.Join(h.inbox, ".mugai-work")
		if claimsLeft(t, work) != 1 {
			t.Fatalf("the input is not waiting in the work folder (%d claims)", claimsLeft(t, work))
		}
		os.Remove(blocker)
		r := h.waitResult("経理課/予算.csv", 5*time.Second)
		if r.Attempts < 2 || !strings.Contains(readFile(t, r.Output), "印刷費") {
			t.Errorf("after recovery: %+v", r)
		}
		var kept int
		h.store.List(ctx, quarantine.Filter{}, func(m quarantine.Meta) error {
			if m.Subject == "経理課/予算.csv" {
				kept++
			}
			return nil
		})
		if kept != 1 {
			t.Errorf("kept %d times, want once across the retries", kept)
		}
	})

	t.Run("input deleted while being processed", func(t *testing.T) {
		// The outbox fails, so the claim waits for a retry; meanwhile
		// someone deletes the claimed input. The kept original finishes
		// the job.
		blocker := filepath.Join(h.outbox, "人事課")
		os.WriteFile(blocker, nil, 0o644)
		h.moveIn("人事課/名簿.txt", []byte("山田\n佐藤\n"))
		work := filepath.Join(h.inbox, ".mugai-work")
		var inputs []string
		waitFor(t, "the claim", 5*time.Second, func() bool {
			inputs, _ = filepath.Glob(filepath.Join(work, "*", "*", inputFile))
			return len(inputs) == 1
		})
		time.Sleep(300 * time.Millisecond) // kept, and failed at the outbox
		if err := os.Remove(inputs[0]); err != nil {
			t.Fatal(err)
		}
		os.Remove(blocker)
		r := h.waitResult("人事課/名簿.txt", 5*time.Second)
		if !strings.Contains(readFile(t, r.Output), "佐藤") || r.QID == "" {
			t.Errorf("not finished from the kept original: %+v", r)
		}
	})

	t.Run("1000 small files", func(t *testing.T) {
		h.col.mu.Lock()
		h.col.res = nil
		h.col.mu.Unlock()
		n := 1000
		if raceEnabled {
			n = 150
		}
		for i := range n {
			h.drop(fmt.Sprintf("bulk/%04d.txt", i), fmt.Appendf(nil, "file %d 内容\n", i))
		}
		waitFor(t, "all results", 50*time.Second, func() bool { return h.col.n() >= n })
		outs := 0
		for _, n := range outboxFiles(t, filepath.Join(h.outbox, "bulk")) {
			if strings.HasSuffix(n, ".txt") && !strings.HasSuffix(n, ".mugai.txt") {
				outs++
			}
		}
		if outs != n || h.col.n() != n {
			t.Errorf("%d outputs, %d results, want %d", outs, h.col.n(), n)
		}
	})

	// Nothing is left behind: inbox empty, no claims, no temp files.
	waitFor(t, "an empty work folder", 5*time.Second, func() bool { return claimsLeft(t, filepath.Join(h.inbox, ".mugai-work")) == 0 })
	filepath.WalkDir(h.inbox, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, ".mugai-work") {
			t.Errorf("left in the inbox: %s", p)
		}
		return nil
	})
	for _, n := range outboxFiles(t, h.outbox) {
		if strings.HasPrefix(filepath.Base(n), ".") {
			t.Errorf("temp file left in the outbox: %s", n)
		}
	}
	if err := h.store.Verify(ctx); err != nil {
		t.Error(err)
	}
}

// TestLargeFile drops a 100 MB file: over the folder's limit it is refused
// unread with a report; under it, it is sanitized.
func TestLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("100 MB")
	}
	h := start(t, func(c *Config, f *Folder) { f.MaxInput = 100<<20 - 1 })
	big := filepath.Join(h.root, "big.csv")
	writeCSV(t, big, 100<<20)
	if err := os.Rename(big, filepath.Join(h.inbox, "大きい.csv")); err != nil {
		t.Fatal(err)
	}
	r := h.waitResult("大きい.csv", 10*time.Second)
	if r.Refused != sanitize.RuleLimitSize || r.QID != "" || r.Output != "" {
		t.Fatalf("%+v", r)
	}
	if rpt := readFile(t, r.Report); !strings.Contains(rpt, "limit.size") {
		t.Errorf("report:\n%s", rpt)
	}
	fi, err := os.Stat(filepath.Join(h.inbox, ".mugai-work", refusedDir))
	if err != nil || !fi.IsDir() {
		t.Fatal("refused file not kept")
	}
}

func TestLargeFileProcessed(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("100 MB")
	}
	h := start(t, func(c *Config, f *Folder) {
		f.MaxInput = 100 << 20
		f.Engine.Limits = sanitize.Limits{MaxInput: 100 << 20, MaxOutput: 200 << 20, SpoolMemory: 1 << 20}
	})
	big := filepath.Join(h.root, "big.csv")
	writeCSV(t, big, 100<<20)
	if err := os.Rename(big, filepath.Join(h.inbox, "大きい.csv")); err != nil {
		t.Fatal(err)
	}
	r := h.waitResult("大きい.csv", 50*time.Second)
	if r.Outcome == sanitize.OutcomeBlocked || r.Output == "" {
		t.Fatalf("%+v\n%s", r, readFile(t, r.Report))
	}
	fi, err := os.Stat(r.Output)
	if err != nil || fi.Size() < 100<<20 {
		t.Fatalf("output %v, %v", fi, err)
	}
	if m, err := h.store.Stat(t.Context(), r.QID); err != nil || m.Size != 100<<20 {
		t.Errorf("kept %+v, %v", m, err)
	}
}

// writeCSV writes a CSV file of exactly size bytes.
func writeCSV(t testing.TB, p string, size int64) {
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var n int64
	for i := 0; n < size; i++ {
		line := fmt.Sprintf("%d,品目%d,%d,備考\n", i, i%97, i*7)
		if n+int64(len(line)) > size {
			line = strings.Repeat("x", int(size-n-1)) + "\n"
		}
		w.WriteString(line)
		n += int64(len(line))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestReportJSON checks the JSON report format.
func TestReportJSON(t *testing.T) {
	h := start(t, func(c *Config, f *Folder) { f.Report = "json"; f.Mode = 0o640 })
	h.moveIn("a.html", []byte("<b>x</b><script>1</script>"))
	r := h.waitResult("a.html", 5*time.Second)
	if filepath.Base(r.Report) != "a.txt.mugai.json" {
		t.Fatalf("report %q", r.Report)
	}
	var jr struct {
		Input, Output, Outcome string
		QuarantineID           string `json:"quarantine_id"`
		Report                 sanitize.Report
	}
	raw := readFile(t, r.Report)
	if err := json.Unmarshal([]byte(raw), &jr); err != nil {
		t.Fatal(err)
	}
	if jr.QuarantineID != r.QID || jr.Report.SHA256.String() == "" || len(jr.Report.Findings) == 0 {
		t.Errorf("json report:\n%s", raw)
	}
	if fi, _ := os.Stat(r.Output); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
}

// TestTwoInstances runs two services on one inbox: every file is processed
// exactly once.
func TestTwoInstances(t *testing.T) {
	h := start(t, func(c *Config, f *Folder) { c.Node = "node-a"; f.StableTime = 0; f.Subfolders = false })
	cfg := Config{Node: "node-b", Workers: 2, OnDone: h.col.add, RetryMin: 100 * time.Millisecond, RetryMax: time.Second}
	cfg.Folders = []Folder{{Name: "test", Inbox: h.inbox, Outbox: h.outbox, Rescan: 200 * time.Millisecond, Engine: testEngine(h.root)}}
	cfg.OnDone = func(r Result) { h.col.add(r) }
	h2 := &harness{t: t, root: h.root, inbox: h.inbox, outbox: h.outbox, store: h.store, col: h.col}
	h2.run(cfg)
	n := 300
	if raceEnabled {
		n = 60
	}
	for i := range n {
		h.moveIn(fmt.Sprintf("f%03d.txt", i), fmt.Appendf(nil, "内容 %d\n", i))
	}
	waitFor(t, "all results", 30*time.Second, func() bool { return h.col.n() >= n })
	time.Sleep(300 * time.Millisecond)
	seen := map[string]int{}
	nodes := map[string]int{}
	h.col.mu.Lock()
	for _, r := range h.col.res {
		seen[r.Input]++
		nodes[r.Node]++
	}
	h.col.mu.Unlock()
	if len(seen) != n || h.col.n() != n {
		t.Fatalf("%d distinct inputs, %d results; want %d each", len(seen), h.col.n(), n)
	}
	outs := outboxFiles(t, h.outbox)
	if len(outs) != 2*n {
		t.Errorf("%d files in the outbox, want %d", len(outs), 2*n)
	}
	for _, o := range outs {
		if strings.Contains(o, "_2") {
			t.Errorf("duplicate output %s", o)
		}
	}
	kept := 0
	h.store.List(t.Context(), quarantine.Filter{}, func(m quarantine.Meta) error {
		kept++
		return nil
	})
	if kept != n {
		t.Errorf("%d kept originals, want %d", kept, n)
	}
	t.Logf("node-a processed %d, node-b %d", nodes["node-a"], nodes["node-b"])
	if nodes["node-a"] == 0 || nodes["node-b"] == 0 {
		t.Errorf("one node did nothing: %v", nodes)
	}
}
