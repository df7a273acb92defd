package html

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// textContract returns what is wrong with s as Convert output, or "": it
// must be valid UTF-8 with LF line ends, no control characters but LF and
// TAB, no bidi controls, nothing tag-like, no trailing spaces, no leading or
// double blank lines, and exactly one final LF unless empty.
func textContract(s string) string {
	if s == "" {
		return ""
	}
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	if !strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "\n\n") {
		return "does not end in exactly one LF"
	}
	if strings.HasPrefix(s, "\n") {
		return "starts with a blank line"
	}
	if strings.Contains(s, "\n\n\n") {
		return "two blank lines in a row"
	}
	for i, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			return fmt.Sprintf("control character %U at %d", r, i)
		case bidiControl(r):
			return fmt.Sprintf("bidi control %U at %d", r, i)
		}
	}
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '<' && tagStart(s[i+1]) {
			return fmt.Sprintf("tag-like %q at %d", s[i:i+2], i)
		}
	}
	for l := range strings.Lines(s) {
		l = strings.TrimSuffix(l, "\n")
		if strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t") {
			return fmt.Sprintf("trailing space in line %q", l)
		}
	}
	return ""
}
