package uue

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// uuencode encodes data as a uuencode block, written from POSIX's
// description: 45 bytes a line, '`' for zero, a "`" line and "end".
func uuencode(mode, name string, data []byte, eol string) string {
	var b strings.Builder
	b.WriteString("begin " + mode + " " + name + eol)
	enc := func(v byte) byte {
		if v&0x3F == 0 {
			return '`'
		}
		return v&0x3F + 0x20
	}
	for len(data) > 0 {
		n := min(45, len(data))
		line := data[:n]
		data = data[n:]
		b.WriteByte(enc(byte(n)))
		for i := 0; i < n; i += 3 {
			var g [3]byte
			copy(g[:], line[i:min(i+3, n)])
			b.WriteByte(enc(g[0] >> 2))
			b.WriteByte(enc(g[0]<<4 | g[1]>>4))
			b.WriteByte(enc(g[1]<<2 | g[2]>>6))
			b.WriteByte(enc(g[2]))
		}
		b.WriteString(eol)
	}
	b.WriteString("`" + eol + "end" + eol)
	return b.String()
}

// b64encode encodes data as a begin-base64 block (uuencode -m).
func b64encode(mode, name string, data []byte, eol string) string {
	var b strings.Builder
	b.WriteString("begin-base64 " + mode + " " + name + eol)
	s := base64.StdEncoding.EncodeToString(data)
	for len(s) > 0 {
		n := min(60, len(s))
		b.WriteString(s[:n] + eol)
		s = s[n:]
	}
	b.WriteString("====" + eol)
	return b.String()
}

// result is what one Split call produced.
type result struct {
	text   string
	blocks []Block
	err    error
}

func split(t testing.TB, in string, lim Limits) result {
	t.Helper()
	var out bytes.Buffer
	var r result
	r.err = Split(strings.NewReader(in), &out, lim, func(b Block) error {
		r.blocks = append(r.blocks, b)
		return nil
	})
	r.text = out.String()
	return r
}

// checkIdempotent checks that the text output holds no block: splitting it
// again finds nothing and changes nothing.
func checkIdempotent(t testing.TB, text string) {
	t.Helper()
	r := split(t, text, Limits{MaxBlocks: 1 << 20, MaxBlockSize: 1 << 40})
	if r.err != nil || len(r.blocks) != 0 || r.text != text {
		t.Fatalf("text output holds a block: err %v, %d blocks, text changed %v\n%q", r.err, len(r.blocks), r.text != text, text)
	}
}

// checkLinesKept checks that the text output is the input with whole lines
// removed: its lines are a subsequence of the input's lines.
func checkLinesKept(t testing.TB, in, text string) {
	t.Helper()
	inLines := strings.SplitAfter(in, "\n")
	i := 0
	for _, l := range strings.SplitAfter(text, "\n") {
		if l == "" {
			continue
		}
		for i < len(inLines) && inLines[i] != l {
			i++
		}
		if i == len(inLines) {
			t.Fatalf("text line %q is not an input line (in order)", l)
		}
		i++
	}
}
