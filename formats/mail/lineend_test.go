package mail

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// lineEndCases mix every line ending, at the edges of reads too.
var lineEndCases = []string{
	"", "a", "\r", "\n", "\r\n", "\n\r", "\r\r\n", "\r\n\r\n", "a\rb\r\r\nc\n\rd\r",
	"日本語\r\nテキスト\rです\n", "=_mugai_0\r\n", "\xff\xfe\r",
}

// randomLineEnds returns text of n bytes made of a few letters, multi-byte
// characters and line ends.
func randomLineEnds(rng *rand.Rand, n int) []byte {
	parts := []string{"a", "b", " ", "\r", "\n", "\r\n", "語", "=_mugai_0"}
	var b []byte
	for len(b) < n {
		b = append(b, parts[rng.IntN(len(parts))]...)
	}
	return b
}

// toLF is the line-end rule said plainly: CRLF, then any CR left, become LF.
func toLF(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

// TestEOLReader checks the in-place line-end conversion against toLF with
// reads of every size.
func TestEOLReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := lineEndCases
	for range 200 {
		cases = append(cases, string(randomLineEnds(rng, rng.IntN(300))))
	}
	for _, in := range cases {
		want := toLF([]byte(in))
		for _, size := range []int{1, 2, 3, 7, 64, 4096} {
			e := &eolReader{r: iotest.HalfReader(bytes.NewReader([]byte(in)))}
			var got []byte
			buf := make([]byte, size)
			for {
				n, err := e.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%q in reads of %d: got %q, want %q", in, size, got, want)
			}
		}
	}
}

// TestCRLFBody checks crlfBody, written in pieces of every size, against
// the plain rule: line ends to LF, then LF to CRLF, and the ASCII and line
// length verdict encodeBody takes from it.
func TestCRLFBody(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := lineEndCases
	for range 200 {
		cases = append(cases, string(randomLineEnds(rng, rng.IntN(400))))
	}
	for _, in := range cases {
		lf := toLF([]byte(in))
		want := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
		wantShort := isASCII(lf) && linesWithin(lf, 76)
		for _, size := range []int{1, 2, 5, 1000} {
			c := getBodyBuf()
			for p := []byte(in); len(p) > 0; {
				k := min(size, len(p))
				c.Write(p[:k])
				p = p[k:]
			}
			if !bytes.Equal(c.b, want) {
				t.Fatalf("%q in writes of %d: got %q, want %q", in, size, c.b, want)
			}
			if gotShort := !c.nonASCII && max(c.longest, c.line) <= 76; gotShort != wantShort {
				t.Fatalf("%q in writes of %d: short ASCII lines %v, want %v", in, size, gotShort, wantShort)
			}
			if c.n != int64(len(in)) || (len(in) > 0 && c.last != in[len(in)-1]) {
				t.Fatalf("%q: n %d last %q", in, c.n, c.last)
			}
			putBodyBuf(c)
		}
	}
	// Line lengths at the 7-bit limit.
	for _, n := range []int{75, 76, 77} {
		for _, tail := range []string{"", "\n", "\r\n", "\r", "\nshort", "\r\nshort\n"} {
			in := bytes.Repeat([]byte("x"), n)
			in = append(in, tail...)
			c := getBodyBuf()
			c.Write(in)
			got := !c.nonASCII && max(c.longest, c.line) <= 76
			if want := n <= 76; got != want {
				t.Errorf("line of %d + %q: short %v, want %v", n, tail, got, want)
			}
			putBodyBuf(c)
		}
	}
}
