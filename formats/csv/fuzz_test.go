package csv

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitize"
)

// FuzzCSV: no panic; the only error is an unclosed quote; the output is
// UTF-8 with no formula cell under any separator, sanitizes to itself with no
// finding, and equals the input when nothing was found.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"", "a,b\n", "id,name\r\n1,\"x,y\"\r\n", calc, "\"" + calc + "\"", "-12,+3.5,-1e3", "＝SUM(A1)",
		"\"a\nb\",c\n", "\"a\"\"b\",=1", "ab\"c,=d", " \"=1\"", "a\t=b;=c", "-1,=cmd\n", "\uFEFF=1",
		"\x01=1\u202E", "-,--,＝＝", "\"\r\n=1\"", "-1" + string(make([]byte, 300)),
	} {
		for sel := range byte(8) {
			f.Add([]byte(s), sel)
		}
	}
	f.Add(sjis(f, "氏名,金額\r\n山田,=1+1\r\n"), byte(0))
	f.Fuzz(func(t *testing.T, in []byte, sel byte) {
		var opt Options
		name := "f.csv"
		switch sel % 4 {
		case 1:
			name = "f.tsv"
		case 2:
			opt.Delimiter = ';'
		case 3:
			name = "f"
		}
		opt.StrictFormulas = sel&4 != 0
		s := New(opt)
		out, fs, err := run(t, s, in, name)
		if err != nil {
			if !errors.Is(err, sanitize.ErrMalformed) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if !utf8.Valid(out) {
			t.Fatalf("output not UTF-8: %q", out)
		}
		if len(fs) == 0 && !bytes.Equal(out, in) {
			t.Fatalf("no finding, but %q → %q", in, out)
		}
		again, fs2, err := run(t, s, out, name)
		if err != nil || !bytes.Equal(again, out) || len(fs2) != 0 {
			t.Fatalf("second pass: %q → %q → %q, %+v, %v", in, out, again, fs2, err)
		}
		delim := rune(s.delimiter(name, bytes.TrimPrefix(out, []byte("\uFEFF"))))
		checkNoFormula(t, out, delim)
	})
}
