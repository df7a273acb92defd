package rtf

import (
	"bytes"
	"io"
	"regexp"
	"testing"

	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

func newEngine(t testing.TB, opt Options, lim sanitize.Limits) *sanitize.Engine {
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.RTF: New(opt), detect.Text: text.New(text.Options{})},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		Limits:     lim,
		TempDir:    t.TempDir(),
	}
}

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
