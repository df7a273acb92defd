package ole

import (
	"bytes"
	"io"
	"testing"

	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// newEngine wires this sanitizer (and the OOXML one, for converted files)
// into a real engine with every kind in mode.
func newEngine(t testing.TB, opt Options, mode sanitize.Mode, lim sanitize.Limits) *sanitize.Engine {
	s := New(opt)
	x := ooxml.New(ooxml.Options{})
	m := map[sanitize.Kind]sanitize.Sanitizer{detect.DOC: s, detect.XLS: s, detect.PPT: s}
	for _, k := range []sanitize.Kind{detect.DOCX, detect.DOCM, detect.XLSX, detect.XLSM, detect.PPTX, detect.PPTM} {
		m[k] = x
	}
	return &sanitize.Engine{
		Sanitizers: m,
		Mode:       func(sanitize.Kind) sanitize.Mode { return mode },
		Limits:     lim,
		TempDir:    t.TempDir(),
	}
}

// runEngine runs in through the engine; the output is nil when blocked.
func runEngine(t testing.TB, eng *sanitize.Engine, in []byte, name string) (*sanitize.Report, []byte) {
	t.Helper()
	rep, blob, err := eng.Run(t.Context(), sanitize.Input{R: bytes.NewReader(in), Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if blob == nil {
		return rep, nil
	}
	defer blob.Close()
	out, err := io.ReadAll(blob.Reader())
	if err != nil {
		t.Fatal(err)
	}
	return rep, out
}

func ruleSet(fs []sanitize.Finding) map[string]bool {
	m := map[string]bool{}
	for _, f := range fs {
		m[f.Rule] = true
	}
	return m
}
