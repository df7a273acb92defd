package html

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.txt and *.findings")

// TestGolden converts testdata/golden/*.html with the Sanitizer (so the
// charset is determined as for a file) and compares the text with *.txt and
// the findings with *.findings. Refresh with go test ./formats/html -update
// and review the diff.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".html")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, res := sanitizeBytes(t, New(Options{}), src)
			checkText(t, got)
			var fs strings.Builder
			for _, f := range res.Findings {
				fmt.Fprintf(&fs, "%s\t%s\t%s\t%s\n", f.Rule, f.Action, f.Where, f.Detail)
			}
			compareGolden(t, strings.TrimSuffix(in, ".html")+".txt", got)
			compareGolden(t, strings.TrimSuffix(in, ".html")+".findings", fs.String())

			// Converting the text again, as HTML, changes nothing but
			// entities and white space it could not contain: the output
			// is a fixed point when escaped.
			again, _ := convert(t, "<pre>"+escapeText(got)+"</pre>", Options{OmitTitle: true})
			if again != got {
				t.Errorf("text is not a fixed point:\n%s", again)
			}
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n%s", path, lineDiff(string(want), got))
	}
}

func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b bytes.Buffer
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %q\n+ %q\n", i+1, wl, gl)
			if b.Len() > 2000 {
				break
			}
		}
	}
	return b.String()
}
