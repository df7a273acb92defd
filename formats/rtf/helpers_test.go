package rtf

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// newEngine is a real engine with this sanitizer, configured by opt, for
// RTF, and the text sanitizer for what detects as plain text.
func newEngine(t testing.TB, opt Options, lim sanitize.Limits) *sanitize.Engine {
	eng := sanitizetest.Engine(t, lim, New(opt), detect.RTF)
	eng.Sanitizers[detect.Text] = text.New(text.Options{})
	return eng
}

// sanitizeBytes runs the sanitizer alone.
func sanitizeBytes(t testing.TB, opt Options, in []byte) ([]byte, sanitize.Result, error) {
	t.Helper()
	var b bytes.Buffer
	res, err := New(opt).filter(t.Context(), &b, bytes.NewReader(in))
	return b.Bytes(), res, err
}

// residue is the independent re-scan: a plain regular-expression search of
// the output for the constructs the sanitizer removes, with no tokenizer.
// It can over-match (a \\object in text), which tests avoid.
var residue = regexp.MustCompile(`(?i)(?:^|[^\\])(?:\\\\)*\\(object|objdata|objclass|objemb|objlink|objautlink|objupdate|objocx|result\b|template|datastore|themedata|nextfile)|\\\*\\(?:fldinst)?\s*\{?\s*(DDE|DDEAUTO|INCLUDETEXT|INCLUDEPICTURE|IMPORT)\b|fldinst[^}]{0,40}\b(DDE|DDEAUTO|INCLUDETEXT|INCLUDEPICTURE|IMPORT|LINK)\b`)

// balanced checks the braces of an RTF output outside \bin data and
// escapes, with a second, simpler scan.
func balanced(b []byte) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}
