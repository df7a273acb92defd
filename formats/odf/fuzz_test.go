package odf

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// panicLog records whether the engine recovered a sanitizer panic, which
// it would otherwise turn into a quiet block.
type panicLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (p *panicLog) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.Write(b)
}

func (p *panicLog) check(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.Contains(p.buf.String(), "sanitizer panic") {
		t.Fatalf("panic: %s", p.buf.String())
	}
}

func fuzzEngine(f *testing.F) (*sanitize.Engine, *panicLog) {
	eng := newEngine(f, Options{}, sanitize.Limits{Timeout: 5 * time.Second, MaxExpanded: 16 << 20})
	pl := &panicLog{}
	eng.Log = slog.New(slog.NewTextHandler(pl, nil))
	return eng, pl
}

// fuzzCheck runs in as kind and checks the properties: no panic, no run
// past the deadline, and an output that crosses detects as kind, passes
// the independent oracle and sanitizes again with no finding that changes
// anything.
func fuzzCheck(t *testing.T, eng *sanitize.Engine, pl *panicLog, in []byte, kind sanitize.Kind) {
	start := time.Now()
	rep, out, err := eng.RunKind(t.Context(), sanitize.BlobBytes(in), "f.odt", "", kind)
	if err != nil {
		t.Fatal(err)
	}
	pl.check(t)
	if slices.ContainsFunc(rep.Findings, func(f sanitize.Finding) bool { return f.Rule == sanitize.RuleLimitTime }) {
		t.Fatalf("hit the deadline: %+v", rep.Findings)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
	if out == nil {
		return
	}
	defer out.Close()
	b := make([]byte, out.Size())
	if _, err := out.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, b, kind)
	rep2, _, err := eng.RunKind(t.Context(), sanitize.BlobBytes(b), "g.odt", "", kind)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Outcome == sanitize.OutcomeBlocked {
		t.Fatalf("output blocked on re-sanitize: %+v", rep2.Findings)
	}
	for _, f := range rep2.Findings {
		if f.Action > sanitize.Recorded {
			t.Fatalf("re-sanitize finding %+v", f)
		}
	}
}

// FuzzSanitize fuzzes whole packages (mostly the zip layer and the
// manifest), seeded with the fixtures.
func FuzzSanitize(f *testing.F) {
	for _, fx := range fixtures(f) {
		f.Add(fx.in)
	}
	eng, pl := fuzzEngine(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		k := detect.ODT
		if bytes.Contains(in, []byte(mtSheet)) {
			k = detect.ODS
		}
		fuzzCheck(t, eng, pl, in, k)
	})
}

// FuzzContent fuzzes content.xml inside a well-formed package, where the
// element and attribute filter lives.
func FuzzContent(f *testing.F) {
	for _, s := range []string{
		textBody(`<text:p><text:a xlink:href="vnd.sun.star.script:x">a</text:a><draw:frame><draw:image xlink:href="Pictures/p.png"/></draw:frame></text:p>`),
		`<office:scripts><office:event-listeners><script:event-listener xlink:href="macro:x"/></office:event-listeners></office:scripts>`,
		`<office:spreadsheet><table:table><table:table-row><table:table-cell table:formula="of:=DDE(&quot;a&quot;)"/></table:table-row></table:table></office:spreadsheet>`,
		`<office:forms><form:form><form:button/></form:form></office:forms><draw:object-ole xlink:href="./Object 1"/>`,
	} {
		f.Add(s)
	}
	eng, pl := fuzzEngine(f)
	f.Fuzz(func(t *testing.T, body string) {
		in := pack(t, mtText, content(body), entry{name: "Pictures/p.png", body: png, stored: true})
		fuzzCheck(t, eng, pl, in, detect.ODT)
	})
}
