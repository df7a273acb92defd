package rtf

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// benchInput is about 1 MiB of Word-like RTF: Japanese text as \'xx and
// \u, formatting, fields and an embedded object every 50 paragraphs.
func benchInput() []byte {
	var b strings.Builder
	b.WriteString(`{\rtf1\ansi\ansicpg932\deff0{\fonttbl{\f0\fcharset128 MS Mincho;}}{\*\generator bench;}` + "\n")
	for i := 0; b.Len() < 1<<20; i++ {
		b.WriteString(`{\pard\plain\f0\fs21 \'93\'fa\'96\'7b\'8c\'ea BENIGN-TEXT \uc1\u26085\'93\'fa {\b bold} `)
		b.WriteString(`{\field{\*\fldinst PAGE}{\fldrslt 1}}\par}` + "\n")
		if i%50 == 0 {
			b.WriteString(`{\object\objemb{\*\objclass Package}{\*\objdata ` + strings.Repeat("0123456789abcdef", 64) + `}}` + "\n")
		}
	}
	b.WriteString("}")
	return []byte(b.String())
}

func BenchmarkSanitize(b *testing.B) { benchMode(b, ModeSanitize) }
func BenchmarkText(b *testing.B)     { benchMode(b, ModeText) }

func benchMode(b *testing.B, m Mode) {
	in := benchInput()
	s := New(Options{Mode: m})
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.filter(b.Context(), io.Discard, bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
