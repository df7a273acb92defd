package text

import (
	"bytes"
	"context"
	"io"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/mugai-project/mugai/sanitize"
)

// enc encodes s with e, failing the test if it cannot.
func enc(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return b
}

func sjis(t testing.TB, s string) []byte  { return enc(t, japanese.ShiftJIS, s) }
func eucjp(t testing.TB, s string) []byte { return enc(t, japanese.EUCJP, s) }
func jis(t testing.TB, s string) []byte   { return enc(t, japanese.ISO2022JP, s) }
func utf16le(t testing.TB, s string, bom bool) []byte {
	b := unicode.IgnoreBOM
	if bom {
		b = unicode.UseBOM
	}
	return enc(t, unicode.UTF16(unicode.LittleEndian, b), s)
}
func utf16be(t testing.TB, s string, bom bool) []byte {
	b := unicode.IgnoreBOM
	if bom {
		b = unicode.UseBOM
	}
	return enc(t, unicode.UTF16(unicode.BigEndian, b), s)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func item(b []byte, name, mime string) *sanitize.Item {
	return &sanitize.Item{Src: io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b))), Name: name, MIME: mime}
}

// run sanitizes b with s and returns the output and findings.
func run(t testing.TB, s sanitize.Sanitizer, b []byte, name, mime string) ([]byte, []sanitize.Finding) {
	t.Helper()
	var out bytes.Buffer
	res, err := s.Sanitize(context.Background(), &out, item(b, name, mime))
	if err != nil {
		t.Fatalf("Sanitize: %v", err)
	}
	return out.Bytes(), res.Findings
}

func rules(fs []sanitize.Finding) []string {
	var r []string
	for _, f := range fs {
		r = append(r, f.Rule+"/"+f.Action.String())
	}
	return r
}
