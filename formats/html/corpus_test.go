package html

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDir holds third-party samples outside the repository; the test
// skips when it is absent.
const corpusDir = "../../../shared/corpus"

// TestCorpus converts every *.html and *.htm in the shared corpus: no panic,
// bounded time, output that meets the text contract and shows no "<script"
// that the input did not write as visible text.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("no shared corpus")
	}
	n := 0
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".html", ".htm":
		default:
			return nil
		}
		n++
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var b bytes.Buffer
			start := time.Now()
			res, err := New(Options{}).Sanitize(ctx, &b, item(src))
			if err != nil {
				t.Fatalf("Sanitize: %v", err)
			}
			t.Logf("%d bytes in %v → %d bytes, %d findings", len(src), time.Since(start), b.Len(), len(res.Findings))
			checkText(t, b.String())
			if strings.Contains(strings.ToLower(b.String()), "<script") && !visibleScript(src) {
				t.Errorf("output shows <script:\n%s", b.String())
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Skip("no HTML in the shared corpus")
	}
}

// visibleScript reports whether the input writes "<script" as text, with a
// character reference for the '<'.
func visibleScript(src []byte) bool {
	s := strings.ToLower(string(src))
	for _, lt := range []string{"&lt;script", "&#60;script", "&#x3c;script", "&lt;/script"} {
		if strings.Contains(s, lt) {
			return true
		}
	}
	return false
}
