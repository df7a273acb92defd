package mailhdr

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/mugai-project/mugai/formats/text"
)

// MaxInput is how many bytes of one header field value the decoders look
// at. A longer value is cut to its first MaxInput bytes before anything
// else is done (a character cut in two at the end becomes U+FFFD, or
// disappears), so every decoder does work linear in at most MaxInput
// bytes. Real header fields are far shorter; the mail reader limits the
// whole header anyway.
const MaxInput = 64 << 10

// Clean returns s as every decoder of this package returns text: valid
// UTF-8 (invalid bytes become U+FFFD), TAB, CR, LF, U+2028 and U+2029 turned
// into spaces, the other C0 controls, DEL and the C1 controls removed, the
// bidirectional controls U+202A–U+202E and U+2066–U+2069 removed, U+FEFF
// removed, and leading and trailing ASCII spaces trimmed. Nothing else
// changes: no normalisation, and inner runs of spaces are kept.
//
// Clean is idempotent, and the encoders of this package apply it to what
// they are given, so DecodeText(EncodeText(n, s, cs)) == Clean(s).
func Clean(s string) string {
	if cleanASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\t' || c == '\r' || c == '\n':
				b.WriteByte(' ')
			case c < 0x20 || c == 0x7F:
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString("\uFFFD")
		case r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case text.IsRemovedControl(r), text.IsBidiControl(r), r == '\uFEFF':
		default:
			b.WriteString(s[i-size : i])
		}
	}
	return strings.Trim(b.String(), " ")
}

// cleanASCII reports whether s is printable ASCII without leading or
// trailing space: Clean leaves such a string as it is.
func cleanASCII(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7F {
			return false
		}
	}
	return true
}

// truncate cuts s to MaxInput bytes, backing off to a character boundary
// when the cut would split a UTF-8 sequence.
func truncate(s string) string {
	if len(s) <= MaxInput {
		return s
	}
	s = s[:MaxInput]
	for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			if !utf8.FullRuneInString(s[i:]) {
				s = s[:i]
			}
			break
		}
	}
	return s
}

// prepare turns a raw header field value into UTF-8 text ready for parsing:
// it truncates it (MaxInput), decodes raw 8-bit bytes that are not UTF-8
// and raw ISO-2022-JP escape sequences with the charset guessed for the
// whole value (decodeGuess), and unfolds it (RFC 5322 §2.2.3: a line break followed by a space
// or tab is removed; any other CR or LF becomes a space).
//
// The charset is decoded before anything is parsed because in Shift_JIS the
// second byte of a character can be '\' or '"' or '(' (表 is 0x95 0x5C),
// and in ISO-2022-JP every byte of a kanji is printable ASCII: parsed raw,
// they would end quoted strings and comments in the middle of a character.
// Encoded-words are ASCII and come through any of these decodings as they
// were.
func prepare(raw string) string {
	raw = truncate(raw)
	if !utf8.ValidString(raw) || strings.IndexByte(raw, 0x1B) >= 0 {
		raw, _ = decodeGuess([]byte(raw))
	}
	return unfold(raw)
}

// unfold removes folding (CRLF, LF or CR before a space or tab) and turns
// any other CR or LF into a space.
func unfold(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\r' && c != '\n' {
			b = append(b, c)
			continue
		}
		j := i + 1
		if c == '\r' && j < len(s) && s[j] == '\n' {
			j++
		}
		if j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			i = j - 1 // the line break goes, the blank stays
			continue
		}
		b = append(b, ' ')
		i = j - 1
	}
	return string(b)
}

// decodeAs decodes b in cs into UTF-8 (invalid sequences become U+FFFD). It
// does not clean.
func decodeAs(b []byte, cs text.Charset) string {
	if cs == text.UTF8 && utf8.Valid(b) && !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		return string(b)
	}
	s, _ := decodeCount(b, cs)
	return s
}

// decodeCount decodes b in cs and reports how many invalid sequences became
// U+FFFD.
func decodeCount(b []byte, cs text.Charset) (string, int64) {
	out, invalid := text.AppendDecode(nil, b, cs)
	return string(out), invalid
}
