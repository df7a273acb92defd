package csv

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

func benchCSV(b *testing.B, in []byte, name string) {
	s := New(Options{})
	it := &sanitize.Item{Src: io.NewSectionReader(bytes.NewReader(in), 0, int64(len(in))), Name: name}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sanitize(b.Context(), io.Discard, it); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSanitize(b *testing.B) {
	row := "1024,山田 太郎,\"東京都千代田区千代田1-1, 市役所別館\",-1250,2024-04-01,\"備考: 特になし\"\r\n"
	benign := strings.Repeat(row, (1<<20)/len(row))
	b.Run("utf8", func(b *testing.B) { benchCSV(b, []byte(benign), "a.csv") })
	b.Run("cp932", func(b *testing.B) { benchCSV(b, sjis(b, benign), "a.csv") })
	hostile := strings.Repeat("=cmd|' /C calc'!A0,+1+1,@SUM(A1),-2+3\r\n", (1<<20)/37)
	b.Run("formulas", func(b *testing.B) { benchCSV(b, []byte(hostile), "a.csv") })
}
