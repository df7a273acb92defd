package mailhdr

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// encode returns s in e; it fails the test when s cannot be.
func encode(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return b
}

func jis(t testing.TB, s string) []byte  { return encode(t, japanese.ISO2022JP, s) }
func sjis(t testing.TB, s string) []byte { return encode(t, japanese.ShiftJIS, s) }
func eucjp(t testing.TB, s string) []byte {
	return encode(t, japanese.EUCJP, s)
}

// bword makes a B encoded-word.
func bword(charset string, b []byte) string {
	return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

// qword makes a Q encoded-word, escaping everything but letters and digits.
func qword(charset string, b []byte) string {
	var sb strings.Builder
	sb.WriteString("=?" + charset + "?Q?")
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			sb.WriteByte(c)
		case c == ' ':
			sb.WriteByte('_')
		default:
			fmt.Fprintf(&sb, "=%02X", c)
		}
	}
	sb.WriteString("?=")
	return sb.String()
}

// checkClean fails when s is not what every decoder must return.
func checkClean(t testing.TB, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s: invalid UTF-8: %q", what, s)
	}
	for _, r := range s {
		if r < 0x20 || (0x7F <= r && r <= 0x9F) || (0x202A <= r && r <= 0x202E) || (0x2066 <= r && r <= 0x2069) ||
			r == '\u2028' || r == '\u2029' || r == '\uFEFF' {
			t.Fatalf("%s: control %U in %q", what, r, s)
		}
	}
	if Clean(s) != s {
		t.Fatalf("%s: not clean: %q", what, s)
	}
}

// checkField fails when f is not one well-formed header field: it ends in
// CRLF, every CRLF is followed by a blank, no line is longer than max (and
// none than 998), and there is no other CR, LF or NUL.
func checkField(t testing.TB, f string, max int) {
	t.Helper()
	if !strings.HasSuffix(f, "\r\n") {
		t.Fatalf("field does not end in CRLF: %q", f)
	}
	lines := strings.Split(strings.TrimSuffix(f, "\r\n"), "\r\n")
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n\x00") {
			t.Fatalf("line %d holds CR, LF or NUL: %q", i, l)
		}
		if i > 0 && (l == "" || (l[0] != ' ' && l[0] != '\t')) {
			t.Fatalf("continuation line %d does not start with a blank: %q", i, l)
		}
		if i > 0 && strings.Trim(l, " \t") == "" {
			t.Fatalf("continuation line %d is all blank: %q", i, f)
		}
		if len(l) > max || len(l) > 998 {
			t.Fatalf("line %d is %d long (max %d): %q", i, len(l), max, l)
		}
	}
}

// value returns the value part of a field written by an encoder.
func value(f string) string {
	_, v, _ := strings.Cut(f, ":")
	return v
}
