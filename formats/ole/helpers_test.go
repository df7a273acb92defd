package ole

import (
	"testing"

	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// newEngine wires this sanitizer (and the OOXML one, for converted files)
// into a real engine with every kind in mode.
func newEngine(t testing.TB, opt Options, mode sanitize.Mode, lim sanitize.Limits) *sanitize.Engine {
	eng := sanitizetest.Engine(t, lim, ooxml.New(ooxml.Options{}), detect.DOCX, detect.DOCM, detect.XLSX, detect.XLSM, detect.PPTX, detect.PPTM)
	s := New(opt)
	for _, k := range []sanitize.Kind{detect.DOC, detect.XLS, detect.PPT} {
		eng.Sanitizers[k] = s
	}
	eng.Mode = func(sanitize.Kind) sanitize.Mode { return mode }
	return eng
}
