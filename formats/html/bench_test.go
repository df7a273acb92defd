package html

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readGolden(b *testing.B, name string) []byte {
	src, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		b.Fatal(err)
	}
	return src
}

func benchConvert(b *testing.B, src []byte, opts Options) {
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Convert(b.Context(), io.Discard, bytes.NewReader(src), opts); err != nil {
			b.Fatal(err)
		}
	}
}

// mailBody is a Japanese HTML mail of about 5 KB: the newsletter golden
// input with a longer message.
func mailBody(b *testing.B) []byte {
	src := string(readGolden(b, "newsletter.html"))
	extra := strings.Repeat("<p>今年の夏は、暑さ対策グッズを多数ご用意しました。ぜひこの機会にお買い求めください。</p>\n", 4)
	src = strings.Replace(src, "</body>", extra+"</body>", 1)
	if len(src) < 4<<10 || len(src) > 6<<10 {
		b.Fatalf("mail body is %d bytes", len(src))
	}
	return []byte(src)
}

// bigPage is a 1 MB page: the municipal notice's main part repeated.
func bigPage(b *testing.B) []byte {
	src := string(readGolden(b, "municipal_notice.html"))
	start, end := strings.Index(src, `<div id="main">`), strings.Index(src, `<div id="footer">`)
	main := src[start:end]
	var sb strings.Builder
	sb.WriteString(src[:start])
	for sb.Len() < 1<<20 {
		sb.WriteString(main)
	}
	sb.WriteString(src[end:])
	return []byte(sb.String())
}

func BenchmarkConvertMail5KB(b *testing.B) { benchConvert(b, mailBody(b), Options{OmitTitle: true}) }

func BenchmarkConvertPage1MB(b *testing.B) { benchConvert(b, bigPage(b), Options{}) }

func BenchmarkConvertPage1MBDefang(b *testing.B) {
	benchConvert(b, bigPage(b), Options{Links: LinkDefang})
}

func BenchmarkSanitizeShiftJIS(b *testing.B) {
	src := readGolden(b, "sjis_school.html")
	s := New(Options{})
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sanitize(b.Context(), io.Discard, item(src)); err != nil {
			b.Fatal(err)
		}
	}
}
