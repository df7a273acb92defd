package text

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// TestAppendDecode checks AppendDecode against a Decoder reading the same
// bytes, in every charset: the same text and the same count of invalid
// sequences, after whatever dst already held.
func TestAppendDecode(t *testing.T) {
	const s = "日本語のテキスト ｶﾀｶﾅ ①㈱Ⅲ 髙 ~\\ \r\n改行\rCR\n"
	inputs := [][]byte{
		nil, []byte("a"), []byte("\xEF\xBB"), []byte("\xEF\xBB\xBFbom"), []byte("\xFF\xFEa\x00"), []byte("\xFE\xFF\x00a"),
		[]byte("\x1b$B"), []byte("\x1b$B\x24\x22\x1b(B"), []byte("\x1b$"), []byte("\x0e\x31\x0f"), []byte("\x82"), []byte("\x8f\xa2"),
		sjis(t, s), eucjp(t, "①㈱Ⅲ 髙 ｶﾀｶﾅ"), jis(t, "日本語 ~\\"), utf16le(t, s, true), utf16be(t, s, false), []byte(s),
		bytes.Repeat([]byte("\xff"), 5000), bytes.Repeat(sjis(t, "あ"), 3000),
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		b := make([]byte, rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if rng.IntN(3) == 0 {
				const special = "\x1b$B(J\x0e\x0f\r\n\x82\xa0\x8e\x8f"
				b[i] = special[rng.IntN(len(special))]
			}
		}
		inputs = append(inputs, b)
	}
	for cs := UTF8; cs <= Windows1252; cs++ {
		for _, in := range inputs {
			d := NewDecoder(bytes.NewReader(in), cs)
			want, err := io.ReadAll(d)
			if err != nil {
				t.Fatal(err)
			}
			got, invalid := AppendDecode([]byte("x"), in, cs)
			if !bytes.Equal(got, append([]byte("x"), want...)) || invalid != d.Invalid() {
				t.Fatalf("%s %q: got %q (%d invalid), want %q (%d)", cs, in, got[1:], invalid, want, d.Invalid())
			}
		}
	}
}
