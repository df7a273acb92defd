package uue

import (
	"io"
	"strings"
	"testing"
)

func benchBody(withBlocks bool) string {
	var b strings.Builder
	line := "お世話になっております。添付の資料をご確認ください。Please find the file attached.\r\n"
	data := make([]byte, 150<<10)
	for i := range data {
		data[i] = byte(i * 31)
	}
	for b.Len() < 1<<20 {
		b.WriteString(line)
		if withBlocks && b.Len() > 100<<10 && strings.Count(b.String(), "begin ") < 3 {
			b.WriteString(uuencode("644", "file.bin", data, "\r\n"))
		}
	}
	return b.String()
}

func benchmarkSplit(b *testing.B, in string, want int) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := Split(strings.NewReader(in), io.Discard, Limits{}, func(Block) error { n++; return nil })
		if err != nil || n != want {
			b.Fatal(err, n)
		}
	}
}

// BenchmarkSplitText splits a 1 MB body without blocks.
func BenchmarkSplitText(b *testing.B) { benchmarkSplit(b, benchBody(false), 0) }

// BenchmarkSplitBlocks splits a 1 MB body with three 150 KiB blocks.
func BenchmarkSplitBlocks(b *testing.B) { benchmarkSplit(b, benchBody(true), 3) }
