package odf

import (
	"bytes"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

func fuzzEngine(f *testing.F) (*sanitize.Engine, *sanitizetest.PanicLog) {
	eng := newEngine(f, Options{}, sanitize.Limits{Timeout: 5 * time.Second, MaxExpanded: 16 << 20})
	return eng, sanitizetest.WatchPanics(eng)
}

// fuzzCheck runs in as kind and checks the properties: no panic, no run
// past the deadline, and an output that crosses detects as kind, passes
// the independent oracle and sanitizes again with no finding that changes
// anything.
func fuzzCheck(t *testing.T, eng *sanitize.Engine, pl *sanitizetest.PanicLog, in []byte, kind sanitize.Kind) {
	_, b := sanitizetest.FuzzRun(t, eng, in, "f.odt", kind)
	pl.Check(t)
	if b == nil {
		return
	}
	checkOutput(t, b, kind)
	sanitizetest.Resanitize(t, eng, b, "g.odt", kind)
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
