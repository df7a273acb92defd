package text

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

// benchInput repeats mixed Japanese and ASCII lines to about 1 MB.
func benchInput(b *testing.B, encode func(testing.TB, string) []byte) []byte {
	line := "2024年4月1日 市役所からのお知らせ: 窓口の受付時間は午前8時30分から午後5時15分までです。(Office hours: 8:30-17:15)\r\n"
	s := strings.Repeat(line, (1<<20)/len(line))
	return encode(b, s)
}

func benchSanitize(b *testing.B, in []byte) {
	s := New(Options{})
	it := &sanitize.Item{Src: io.NewSectionReader(bytes.NewReader(in), 0, int64(len(in)))}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sanitize(b.Context(), io.Discard, it); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSanitize(b *testing.B) {
	b.Run("utf8", func(b *testing.B) {
		benchSanitize(b, benchInput(b, func(_ testing.TB, s string) []byte { return []byte(s) }))
	})
	b.Run("ascii", func(b *testing.B) {
		benchSanitize(b, []byte(strings.Repeat("The quick brown fox jumps over the lazy dog, 0123456789.\n", (1<<20)/57)))
	})
	b.Run("cp932", func(b *testing.B) { benchSanitize(b, benchInput(b, sjis)) })
	b.Run("eucjp", func(b *testing.B) { benchSanitize(b, benchInput(b, eucjp)) })
	b.Run("iso2022jp", func(b *testing.B) { benchSanitize(b, benchInput(b, jis)) })
	b.Run("utf16le", func(b *testing.B) {
		benchSanitize(b, benchInput(b, func(t testing.TB, s string) []byte { return utf16le(t, s, true) }))
	})
}

func BenchmarkDetectCharset(b *testing.B) {
	in := benchInput(b, sjis)[:SniffLen]
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if DetectCharset(in) != ShiftJIS {
			b.Fatal("wrong charset")
		}
	}
}
