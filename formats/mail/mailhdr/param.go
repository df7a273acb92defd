package mailhdr

import (
	"slices"
	"strings"
)

// ParseMediaType parses a Content-Type or Content-Disposition value
// leniently and never fails.
//
// mediatype is the lowercased "type/subtype", or a single lowercased token
// for a disposition ("attachment"); it is "" when the value is empty or
// its type is not made of RFC 2045 token characters. The caller decides
// what "" means: for a Content-Type, RFC 2045 §5.2 says text/plain, and a
// sanitizer may prefer application/octet-stream. The parameters are
// returned even then.
//
// params maps lowercased parameter names to clean decoded values (see
// Clean); it is never nil. The rules:
//
//   - RFC 2231: "name*=charset'lang'%XX…" is percent-decoded and decoded
//     from its charset; continuations "name*0*=…; name*1=…" are joined in
//     index order, whether or not *0 is there; extended and plain sections
//     may be mixed. A missing or unknown charset is guessed.
//   - An RFC 2231 form of a parameter beats the plain form, when it decodes
//     to something non-empty. Otherwise the first occurrence of a name wins:
//     the output message carries only the names chosen here, so no client
//     sees another.
//   - RFC 2047 encoded-words inside plain values (name="=?ISO-2022-JP?B?…?="),
//     not standard but common, are decoded, also across continuations.
//   - Raw 8-bit values are decoded with the charset guessed for the whole
//     field (see DecodeText); quoted-strings may be unterminated; in them a
//     backslash escapes only '"' and '\' (so "C:\dir\a.pdf" keeps its
//     backslashes); unquoted values may contain spaces; a trailing comment
//     after an unquoted value is dropped except for name and filename.
//
// The work is linear in the input, which is cut to MaxInput bytes.
func ParseMediaType(raw string) (mediatype string, params map[string]string) {
	s := prepare(raw)
	head, rest := s, ""
	if i := strings.IndexByte(s, ';'); i >= 0 {
		head, rest = s[:i], s[i+1:]
	}
	mediatype, extra := parseType(head)
	if extra != "" {
		rest = extra + ";" + rest
	}
	return mediatype, parseParams(rest)
}

// FileName returns the file name a part declares, decoded and clean, from
// its Content-Disposition and Content-Type values (raw): the disposition's
// filename (its RFC 2231 form first), else the type's name (likewise), else
// the misplaced disposition "name" or type "filename" that some mailers
// write. It returns "" when there is none. It only decodes: the caller
// still makes the name safe to use (sanitize.CleanName).
func FileName(contentDisposition, contentType string) string {
	var dp, tp map[string]string
	if contentDisposition != "" {
		_, dp = ParseMediaType(contentDisposition)
	}
	if contentType != "" {
		_, tp = ParseMediaType(contentType)
	}
	return FileNameFrom(dp, tp)
}

// FileNameFrom is FileName for a caller that has already parsed the two
// values: disposition and typ are the parameters ParseMediaType returned for
// them (nil for a value that is absent).
func FileNameFrom(disposition, typ map[string]string) string {
	if n := disposition["filename"]; n != "" {
		return n
	}
	if n := typ["name"]; n != "" {
		return n
	}
	if n := disposition["name"]; n != "" {
		return n
	}
	return typ["filename"]
}

// parseType returns the lowercased media type at the start of head and
// what follows it when a ';' is missing ("text/plain charset=x").
func parseType(head string) (mt, extra string) {
	head = stripComments(head)
	head = strings.TrimSpace(head)
	// "text / plain" → "text/plain"
	if i := strings.IndexByte(head, '/'); i >= 0 {
		head = strings.TrimRight(head[:i], " \t") + "/" + strings.TrimLeft(head[i+1:], " \t")
	}
	if i := strings.IndexAny(head, " \t"); i >= 0 {
		head, extra = head[:i], strings.TrimSpace(head[i+1:])
	}
	head = strings.Trim(head, `"`)
	typ, sub, slash := strings.Cut(head, "/")
	if !isToken(typ) || (slash && !isToken(sub)) {
		return "", extra
	}
	return strings.ToLower(head), extra
}

// stripComments removes RFC 822 comments (nested, escapes honoured) from
// s; an unterminated one runs to the end.
func stripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return s
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case depth > 0 && c == '\\':
			i++
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// isToken reports whether s is a non-empty RFC 2045 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7F || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// maxSection bounds the index of an RFC 2231 continuation; sections with a
// larger index are ignored.
const maxSection = 999

type section struct {
	idx int
	ext bool // "name*N*=": percent-encoded
	val string
}

type paramSet struct {
	plain    map[string]string    // name=value, first wins
	ext      map[string]string    // name*=value, first wins
	sections map[string][]section // name*N[*]=value
}

// parseParams parses "; a=b; c="d"…" (the leading ';' already gone).
func parseParams(s string) map[string]string {
	ps := paramSet{plain: map[string]string{}}
	for i := 0; i < len(s); {
		// Skip separators.
		for i < len(s) && (s[i] == ';' || s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			break
		}
		// The name runs to '='; a segment without one is skipped.
		j := i
		for j < len(s) && s[j] != '=' && s[j] != ';' && s[j] != '"' {
			j++
		}
		if j == len(s) || s[j] != '=' {
			i = skipSegment(s, j)
			continue
		}
		key := strings.ToLower(strings.TrimSpace(stripComments(s[i:j])))
		i = j + 1
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var val string
		if i < len(s) && s[i] == '"' {
			v, n := paramQuoted(s[i:])
			i += n
			// Text glued after the closing quote belongs to the value
			// (name=""=?UTF-8?B?…?=", filename="a" .pdf).
			j := i
			for j < len(s) && s[j] != ';' {
				j++
			}
			if tail := strings.Trim(s[i:j], "\" \t"); tail != "" {
				v += tail
				i = j
			} else {
				i = skipSegment(s, i)
			}
			val = v
		} else {
			j := i
			for j < len(s) && s[j] != ';' {
				j++
			}
			// A stray quote at either end is dropped (name==?…?=").
			val = strings.Trim(strings.TrimSpace(s[i:j]), `"`)
			base, _, _ := strings.Cut(key, "*")
			if base != "name" && base != "filename" {
				val = strings.TrimSpace(stripTrailingComment(val))
			}
			i = j
		}
		if !isToken(key) {
			continue
		}
		ps.add(key, val)
	}
	return ps.resolve()
}

// skipSegment returns the index of the next ';' outside a quoted-string at
// or after i, or len(s).
func skipSegment(s string, i int) int {
	for i < len(s) && s[i] != ';' {
		if s[i] == '"' {
			_, n := paramQuoted(s[i:])
			i += n
			continue
		}
		i++
	}
	return i
}

// paramQuoted reads the quoted-string at the start of s and returns its
// content and its length. A backslash escapes only '"' and '\'. An
// unterminated string runs to the end.
func paramQuoted(s string) (string, int) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			b.WriteByte(s[i])
		case c == '"':
			return b.String(), i + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), len(s)
}

// stripTrailingComment drops a "(comment)" at the end of an unquoted value
// ("us-ascii (Plain text)").
func stripTrailingComment(v string) string {
	if !strings.HasSuffix(v, ")") {
		return v
	}
	if i := strings.IndexByte(v, '('); i > 0 {
		return v[:i]
	}
	return v
}

func (ps *paramSet) add(key, val string) {
	name, rest, star := strings.Cut(key, "*")
	switch {
	case name == "":
		return
	case !star:
		if _, dup := ps.plain[name]; !dup {
			ps.plain[name] = val
		}
	case rest == "":
		if ps.ext == nil {
			ps.ext = map[string]string{}
		}
		if _, dup := ps.ext[name]; !dup {
			ps.ext[name] = val
		}
	default:
		ext := strings.HasSuffix(rest, "*")
		num := strings.TrimSuffix(rest, "*")
		idx, ok := atoiSmall(num)
		if !ok || idx > maxSection {
			return
		}
		if ps.sections == nil {
			ps.sections = map[string][]section{}
		}
		ps.sections[name] = append(ps.sections[name], section{idx: idx, ext: ext, val: val})
	}
}

func atoiSmall(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func (ps *paramSet) resolve() map[string]string {
	out := make(map[string]string, len(ps.plain)+len(ps.ext)+len(ps.sections))
	for name, secs := range ps.sections {
		if v := joinSections(secs); v != "" {
			out[name] = v
		}
	}
	for name, v := range ps.ext {
		if _, done := out[name]; done {
			continue
		}
		cs, data := splitExtended(v)
		if s := Clean(decodeExtended(decodeLabelled(percentDecode(data), cs), v)); s != "" {
			out[name] = s
		}
	}
	for name, v := range ps.plain {
		if _, done := out[name]; !done {
			out[name] = Clean(decodeWords(v))
		}
	}
	return out
}

// joinSections assembles RFC 2231 continuations (§3, §4.1) in index order;
// the first extended section may carry "charset'lang'". Runs of extended
// sections are decoded from that charset; plain sections are text. When no
// section is extended, encoded-words in the joined text are decoded.
func joinSections(secs []section) string {
	slices.SortStableFunc(secs, func(a, b section) int { return a.idx - b.idx })
	secs = slices.CompactFunc(secs, func(a, b section) bool { return a.idx == b.idx })
	var b strings.Builder
	var pending []byte
	label := ""
	first, anyExt := true, false
	for _, s := range secs {
		if !s.ext {
			if len(pending) > 0 {
				b.WriteString(decodeLabelled(pending, label))
				pending = pending[:0]
			}
			b.WriteString(s.val)
			continue
		}
		v := s.val
		if first {
			label, v = splitExtended(v)
		}
		first, anyExt = false, true
		pending = append(pending, percentDecode(v)...)
	}
	if len(pending) > 0 {
		b.WriteString(decodeLabelled(pending, label))
	}
	if !anyExt {
		return Clean(decodeWords(b.String()))
	}
	literal := false // an extended section holds "=?" as it is
	for _, s := range secs {
		if s.ext && strings.Contains(s.val, "=?") {
			literal = true
		}
	}
	if literal {
		return Clean(decodeWords(b.String()))
	}
	return Clean(b.String())
}

// decodeExtended decodes the encoded-words some mailers put in RFC 2231
// values (filename*0*="=?UTF-8?B?…?="). It does so only when raw, the
// value before percent-decoding, holds "=?" literally: in a proper
// extended value '=' and '?' are percent-encoded, and a "%3D%3F" that
// decodes to "=?" stays as it is.
func decodeExtended(s, raw string) string {
	if strings.Contains(raw, "=?") {
		return decodeWords(s)
	}
	return s
}

// splitExtended splits "charset'lang'data" into the charset and the data.
// Without the two quotes the whole is data and the charset is unknown.
func splitExtended(v string) (charset, data string) {
	i := strings.IndexByte(v, '\'')
	if i < 0 {
		return "", v
	}
	j := strings.IndexByte(v[i+1:], '\'')
	if j < 0 {
		return "", v
	}
	cs := v[:i]
	for k := 0; k < len(cs); k++ {
		if !isLabelChar(cs[k]) {
			return "", v
		}
	}
	return cs, v[i+1+j+1:]
}

// percentDecode decodes %XX escapes; a '%' not followed by two hex digits
// stands for itself.
func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}
