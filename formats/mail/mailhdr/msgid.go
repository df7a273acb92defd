package mailhdr

import (
	"strings"
)

// MaxMessageIDLen bounds one message identifier, angle brackets included,
// so that it fits on a folded line within RFC 5322's limit of 998.
const MaxMessageIDLen = 990

// MessageIDs returns the message identifiers (RFC 5322 §3.6.4) in a
// Message-ID, In-Reply-To or References value, in order, each as
// "<left@right>". Anything else (phrases, comments, bare words, malformed
// identifiers) is dropped. Blank space and folding inside the brackets are
// removed; what remains must have a non-empty left and right side around
// its last '@', consist of RFC 5322 atext, '.', '@', '[', ']' and ':' only
// (printable ASCII, no spaces, quotes, backslashes or further angle
// brackets), and be at most MaxMessageIDLen bytes. The input is cut to
// MaxInput bytes.
func MessageIDs(raw string) []string {
	s := truncate(raw)
	var ids []string
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			break
		}
		start := i + lt + 1
		gt := strings.IndexAny(s[start:], "<>")
		if gt < 0 {
			break
		}
		end := start + gt
		if s[end] == '<' {
			i = end // a new '<' before the '>': start again there
			continue
		}
		if id, ok := msgID(s[start:end]); ok {
			ids = append(ids, id)
		}
		i = end + 1
	}
	return ids
}

// msgID validates the inside of "<…>" and returns the identifier with its
// brackets.
func msgID(in string) (string, bool) {
	if strings.ContainsAny(in, " \t\r\n") {
		in = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\r', '\n':
				return -1
			}
			return r
		}, in)
	}
	if len(in)+2 > MaxMessageIDLen {
		return "", false
	}
	at := strings.LastIndexByte(in, '@')
	if at <= 0 || at == len(in)-1 {
		return "", false
	}
	for i := 0; i < len(in); i++ {
		c := in[i]
		if !isAtext(c) && c != '.' && c != '@' && c != '[' && c != ']' && c != ':' {
			return "", false
		}
	}
	return "<" + in + ">", true
}

// EncodeMessageIDs returns the header field name with the identifiers ids
// (each "<left@right>" or "left@right"; others, checked as MessageIDs
// does, are dropped), folded between identifiers so that lines stay within
// 78 characters where an identifier allows, and ending in CRLF. It returns
// "" when no identifier is left. The field name is used as given minus any
// byte not allowed in one (RFC 5322 ftext).
func EncodeMessageIDs(name string, ids []string) string {
	var valid []string
	for _, id := range ids {
		inner := strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
		if strings.ContainsAny(inner, "<>") {
			continue
		}
		if v, ok := msgID(inner); ok {
			valid = append(valid, v)
		}
	}
	if len(valid) == 0 {
		return ""
	}
	f := newFolder(name)
	for _, id := range valid {
		f.word(" ", id)
	}
	return f.done()
}
