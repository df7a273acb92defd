package text

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func clean(t testing.TB, s string, oneByte bool) (string, CleanStats) {
	t.Helper()
	var r io.Reader = strings.NewReader(s)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	c := NewCleaner(r)
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), c.Stats()
}

func TestCleaner(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		st   CleanStats
	}{
		{"plain", "a\tb\nc\r\nd", "a\tb\nc\r\nd", CleanStats{}},
		{"japanese", jaSentence, jaSentence, CleanStats{}},
		{"c0 controls", "a\x00b\x07c\x1bd\x0c\n\x7fe", "abcd\ne", CleanStats{Controls: 5, FirstControlLine: 1}},
		{"c1 controls", "a\u0085b\n\u009bc", "ab\nc", CleanStats{Controls: 2, FirstControlLine: 1}},
		{"latin-1 letters kept", "\u00a0é\u00c2", "\u00a0é\u00c2", CleanStats{}},
		{"bidi override", "請求書\u202Efdp.exe", "請求書fdp.exe", CleanStats{Bidi: 1, FirstBidiLine: 1}},
		{"all bidi controls", "x\n\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069y", "x\ny", CleanStats{Bidi: 9, FirstBidiLine: 2}},
		{"marks kept", "a\u200Eb\u200Fc\u2028d\u2060e\u2065", "a\u200Eb\u200Fc\u2028d\u2060e\u2065", CleanStats{}},
		{"neighbours of bidi kept", "\u2029\u202F\u2065\u206A", "\u2029\u202F\u2065\u206A", CleanStats{}},
		{"lone cr", "a\rb\r\nc\r", "a\nb\r\nc\n", CleanStats{LoneCR: 2, FirstLoneCRLine: 1}},
		{"cr cr lf", "a\r\r\nb", "a\n\r\nb", CleanStats{LoneCR: 1, FirstLoneCRLine: 1}},
		{"leading bom", "\uFEFFabc", "abc", CleanStats{BOM: true}},
		{"bom after control", "\x01\uFEFF\uFEFFabc", "abc", CleanStats{Controls: 1, FirstControlLine: 1, BOM: true}},
		{"inner bom kept", "a\uFEFFb", "a\uFEFFb", CleanStats{}},
		{"fullwidth kept", "ＡＢＣ１２３", "ＡＢＣ１２３", CleanStats{}},
		{"line numbers", "a\nb\nc\x01\n\u202E", "a\nb\nc\n", CleanStats{Controls: 1, FirstControlLine: 3, Bidi: 1, FirstBidiLine: 4}},
		{"empty", "", "", CleanStats{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, one := range []bool{false, true} {
				got, st := clean(t, tc.in, one)
				if got != tc.want {
					t.Errorf("oneByte=%v: clean(%q) = %q, want %q", one, tc.in, got, tc.want)
				}
				if st != tc.st {
					t.Errorf("oneByte=%v: stats %+v, want %+v", one, st, tc.st)
				}
				again, st2 := clean(t, got, one)
				if again != got || st2 != (CleanStats{}) {
					t.Errorf("not idempotent: %q → %q, %+v", got, again, st2)
				}
			}
		})
	}
}

func TestIsHelpers(t *testing.T) {
	for r := rune(0); r < 0x3000; r++ {
		s := string(r)
		got, _ := clean(t, "x"+s, false)
		removed := got == "x"
		if r == '\r' {
			continue
		}
		if want := IsBidiControl(r) || IsRemovedControl(r); removed != want {
			t.Errorf("U+%04X: removed %v, helpers say %v", r, removed, want)
		}
	}
}

func TestCleanerLongInput(t *testing.T) {
	// Many chunks, with specials across every chunk boundary.
	unit := "ab\u202Ecd\x01\r\n\rあ"
	in := strings.Repeat(unit, 5000)
	got, st := clean(t, in, false)
	want := strings.Repeat("abcd\r\n\nあ", 5000)
	if got != want {
		t.Fatalf("long input differs")
	}
	if st.Bidi != 5000 || st.Controls != 5000 || st.LoneCR != 5000 {
		t.Errorf("stats %+v", st)
	}
	if !bytes.Equal([]byte(got), []byte(want)) {
		t.Error("mismatch")
	}
}
