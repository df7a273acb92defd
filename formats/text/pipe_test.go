package text

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"golang.org/x/text/transform"
)

// TestPipe checks a Reader, whose stages run on pipes, against the same two
// transformers run by transform.Reader: the same text, the same counts, and
// the same error, whatever the sizes of the reads below and above it.
func TestPipe(t *testing.T) {
	const s = "日本語 ｶﾀｶﾅ ①㈱ \r\n\x01\x7f\u202e\ufeff\r改行\n"
	inputs := [][]byte{nil, []byte("\xEF\xBB\xBFa"), sjis(t, "日本語 ｶﾀｶﾅ ①㈱ \r\n改行\r"), utf16le(t, s, true), []byte(s),
		bytes.Repeat([]byte(s), 600), bytes.Repeat(sjis(t, "日本語 ｶﾀｶﾅ①\r\n"), 500)}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 100 {
		b := make([]byte, rng.IntN(9000))
		for i := range b {
			const special = "\r\n\x01\xe2\x80\xae\xef\xbb\xbf\xc2\x85\x1b$B(J\x82\xa0"
			if rng.IntN(4) == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = special[rng.IntN(len(special))]
			}
		}
		inputs = append(inputs, b)
	}
	wraps := []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r },
		iotest.OneByteReader,
		iotest.HalfReader,
		iotest.DataErrReader,
	}
	for cs := UTF8; cs <= Windows1252; cs++ {
		for i, in := range inputs {
			w := wraps[i%len(wraps)]
			d := newDecoder(cs)
			c := new(cleaner)
			want, wantErr := io.ReadAll(transform.NewReader(transform.NewReader(w(bytes.NewReader(in)), d), c))
			r := NewReader(w(bytes.NewReader(in)), cs)
			got, err := readAllIn(r, 1+i%5000)
			if !bytes.Equal(got, want) || err != wantErr {
				t.Fatalf("%s input %d: got %q, %v; want %q, %v", cs, i, got, err, want, wantErr)
			}
			if r.Invalid() != d.invalid || r.dec.FirstInvalidLine() != d.firstInvalid || r.Stats() != c.stats || r.BOM() != (d.bom || c.stats.BOM) {
				t.Fatalf("%s input %d: counts differ", cs, i)
			}
			r.Release()
			if _, err := r.Read(make([]byte, 10)); err == nil {
				t.Fatal("Read after Release did not fail")
			}
			r.Release()
		}
	}
	// An error from below comes through after the text before it.
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(bytes.NewReader([]byte("abc")), iotest.ErrReader(boom)), UTF8)
	got, err := io.ReadAll(r)
	if string(got) != "abc" || err != boom {
		t.Fatalf("got %q, %v", got, err)
	}
}

// readAllIn reads r to the end in reads of n bytes.
func readAllIn(r io.Reader, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
