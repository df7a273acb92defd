package mailhdr

import (
	"encoding/base64"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mugai-project/mugai/formats/text"
)

// OutCharset is the charset of the encoded-words the encoders write.
type OutCharset uint8

// Output charsets. The zero value is UTF8.
const (
	// UTF8 writes encoded-words in UTF-8 (RFC 2047 "B").
	UTF8 OutCharset = iota
	// ISO2022JP writes encoded-words in ISO-2022-JP for legacy clients:
	// ASCII and the JIS X 0208 characters, with the CP50221 extensions
	// (NEC row 13: ①, ㈱, Ⅲ; the IBM rows 89–92: 髙, 﨑), each word
	// starting and ending in ASCII mode. Characters that ISO-2022-JP
	// cannot carry (half-width katakana, emoji, most of Unicode) go into
	// UTF-8 encoded-words between them, so nothing is lost.
	ISO2022JP
)

// Line lengths (RFC 5322 §2.1.1) and encoded-word length (RFC 2047 §2).
const (
	maxLine      = 78
	hardLine     = 998
	maxWordLen   = 75
	maxNameLen   = 76  // field names are cut to this
	maxLiteral   = 900 // a longer ASCII word is encoded so that it can be split
	longSpaceRun = 16  // a longer run of spaces goes inside an encoded-word
)

// folder writes one header field, folding at the blank space callers
// offer so that lines stay within maxLine characters where possible.
type folder struct {
	b       strings.Builder
	line    int  // bytes on the current line
	content bool // the current line has something after the field name
}

// newFolder starts a field "Name:". Bytes not allowed in a field name
// (RFC 5322 ftext: printable ASCII except ':') are dropped.
func newFolder(name string) *folder {
	f := &folder{}
	n := 0
	for i := 0; i < len(name) && n < maxNameLen; i++ {
		if c := name[i]; c > ' ' && c < 0x7F && c != ':' {
			f.b.WriteByte(c)
			n++
		}
	}
	if n == 0 {
		f.b.WriteString("X-Invalid-Name")
		n = len("X-Invalid-Name")
	}
	f.b.WriteByte(':')
	f.line = n + 1
	return f
}

func (f *folder) put(sep, w string) {
	f.b.WriteString(sep)
	f.b.WriteString(w)
	f.line += len(sep) + len(w)
	f.content = true
}

func (f *folder) fold() {
	f.b.WriteString("\r\n")
	f.line, f.content = 0, false
}

// word writes sep (blank space, or "" when none may go there) and w,
// folding before sep first when the line would grow past maxLine (or,
// right after the field name, past hardLine).
func (f *folder) word(sep, w string) {
	n := f.line + len(sep) + len(w)
	if sep != "" && (f.content && n > maxLine || n > hardLine) {
		f.fold()
	}
	f.put(sep, w)
}

// encoded writes s as encoded-words in cs, the first preceded by sep (a
// blank), the rest by single spaces (which decoders drop), each word as
// long as fits the line and at most maxWordLen characters, and no
// character split across two words.
func (f *folder) encoded(sep, s string, cs OutCharset) {
	for s != "" {
		room := min(maxLine-f.line-len(sep), maxWordLen)
		w, rest := takeWord(s, room, cs)
		if w == "" {
			if f.content {
				f.fold()
				continue
			}
			w, rest = takeWord(s, maxWordLen, cs)
		}
		f.put(sep, w)
		sep, s = " ", rest
	}
}

func (f *folder) done() string {
	f.b.WriteString("\r\n")
	return f.b.String()
}

const (
	prefixUTF8 = "=?UTF-8?B?"
	prefixJIS  = "=?ISO-2022-JP?B?"
	wordSuffix = "?="
)

// takeWord encodes the longest prefix of s that fits in an encoded-word of
// at most room characters, and returns the word and the rest of s. The
// word is "" when not even one character fits.
func takeWord(s string, room int, cs OutCharset) (word, rest string) {
	if cs == ISO2022JP {
		if r, _ := utf8.DecodeRuneInString(s); jisEncodable(r) {
			return takeJIS(s, room)
		}
		return takeUTF8(s, room, true)
	}
	return takeUTF8(s, room, false)
}

func maxPayload(room int, prefix string) int {
	n := room - len(prefix) - len(wordSuffix)
	if n < 4 {
		return 0
	}
	return n / 4 * 3
}

// takeUTF8 takes runes while they fit; with stopAtJIS it also stops
// before a character ISO-2022-JP can carry.
func takeUTF8(s string, room int, stopAtJIS bool) (string, string) {
	limit := maxPayload(room, prefixUTF8)
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if n+size > limit || (stopAtJIS && n > 0 && jisEncodable(r)) {
			break
		}
		n += size
	}
	if n == 0 {
		return "", s
	}
	return prefixUTF8 + base64.StdEncoding.EncodeToString([]byte(s[:n])) + wordSuffix, s[n:]
}

var (
	escJIS   = []byte("\x1b$B")
	escASCII = []byte("\x1b(B")
)

// takeJIS takes characters ISO-2022-JP can carry while they fit, ending
// the word's bytes in ASCII mode.
func takeJIS(s string, room int) (string, string) {
	limit := maxPayload(room, prefixJIS)
	buf := make([]byte, 0, limit)
	jis := false
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !jisEncodable(r) {
			break
		}
		var tmp [8]byte
		add := tmp[:0]
		var nextJIS bool
		if r < utf8.RuneSelf {
			if jis {
				add = append(add, escASCII...)
			}
			add = append(add, byte(r))
		} else {
			if !jis {
				add = append(add, escJIS...)
			}
			c := jisTable()[r]
			add = append(add, byte(c>>8), byte(c))
			nextJIS = true
		}
		closing := 0
		if nextJIS {
			closing = len(escASCII)
		}
		if len(buf)+len(add)+closing > limit {
			break
		}
		buf = append(buf, add...)
		jis = nextJIS
		n += size
	}
	if n == 0 {
		return "", s
	}
	if jis {
		buf = append(buf, escASCII...)
	}
	return prefixJIS + base64.StdEncoding.EncodeToString(buf) + wordSuffix, s[n:]
}

// jisTable maps each character that formats/text decodes from a JIS X 0208
// code inside ESC $ B (JIS X 0208 with the NEC and IBM extensions) to that
// code; where two codes decode to one character, the lower code wins. It
// is built by decoding every code, so what we write decodes back exactly.
var jisTable = sync.OnceValue(func() map[rune]uint16 {
	var src []byte
	src = append(src, escJIS...)
	for hi := 0x21; hi <= 0x7E; hi++ {
		for lo := 0x21; lo <= 0x7E; lo++ {
			src = append(src, byte(hi), byte(lo))
		}
	}
	dec, _ := decodeCount(src, text.ISO2022JP)
	m := make(map[rune]uint16, 9000)
	code := 0
	for _, r := range dec {
		hi, lo := 0x21+code/94, 0x21+code%94
		code++
		if r == utf8.RuneError || r < utf8.RuneSelf {
			continue
		}
		if _, dup := m[r]; !dup {
			m[r] = uint16(hi)<<8 | uint16(lo)
		}
	}
	return m
})

// jisEncodable reports whether ISO2022JP output writes r in ISO-2022-JP:
// printable ASCII and the characters of jisTable.
func jisEncodable(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= ' ' && r < 0x7F
	}
	_, ok := jisTable()[r]
	return ok
}

// EncodeText returns a complete unstructured header field (Subject,
// Comments, …): name, ':', the value and CRLF, folded so that no line is
// longer than 78 characters where that is possible and none longer than
// 998. value is cut to MaxInput bytes and cleaned (Clean), so the result
// holds no CR, LF or other control from it, and every folded line starts
// with a space: the value can neither start a header field nor a MIME
// boundary line.
//
// Words of printable ASCII are written as they are; other words are
// RFC 2047 "B" encoded-words in UTF-8, or in ISO-2022-JP when cs is
// ISO2022JP (see OutCharset), each at most 75 characters, never splitting
// a character, with the spaces between encoded words inside them. An ASCII
// word is encoded too when it holds "=?" (so that no decoder takes it for
// an encoded-word), when it is longer than 900 bytes (so that it can be
// folded), or when more than 16 spaces come before it. For every string s
// of up to 32 KiB (so that the encoded field fits in MaxInput),
// DecodeText(value of EncodeText(name, s, cs)) == Clean(s).
func EncodeText(name, value string, cs OutCharset) string {
	f := newFolder(name)
	v := Clean(truncate(value))
	var enc strings.Builder // encoded-word text waiting to be written
	encSep := ""            // the blank before it
	flush := func() {
		if enc.Len() > 0 {
			f.encoded(encSep, enc.String(), cs)
			enc.Reset()
		}
	}
	first := true
	for v != "" {
		// v starts with a run of spaces (except at first) then a word.
		i := 0
		for i < len(v) && v[i] == ' ' {
			i++
		}
		spaces := v[:i]
		j := strings.IndexByte(v[i:], ' ')
		if j < 0 {
			j = len(v)
		} else {
			j += i
		}
		w := v[i:j]
		v = v[j:]
		if first {
			spaces, first = " ", false
		}
		if literalWord(w) && len(spaces) <= longSpaceRun {
			flush()
			f.word(spaces, w)
			continue
		}
		if enc.Len() > 0 {
			enc.WriteString(spaces)
			enc.WriteString(w)
			continue
		}
		encSep = spaces
		if len(spaces) > longSpaceRun {
			encSep = " "
			enc.WriteString(spaces[1:])
		}
		enc.WriteString(w)
	}
	flush()
	return f.done()
}

// literalWord reports whether w may be written as it is: printable ASCII,
// no "=?", at most maxLiteral bytes.
func literalWord(w string) bool {
	if len(w) > maxLiteral || strings.Contains(w, "=?") {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; c <= ' ' || c >= 0x7F {
			return false
		}
	}
	return true
}

// EncodeAddressList returns a complete address header field (From, To, Cc,
// Reply-To, …) with addrs, folded between addresses and words, or "" when
// no address is left.
//
// Display names are cut to MaxInput bytes, cleaned (Clean) and written as
// a phrase: atoms when they are ASCII atext words (of at most 76
// characters) separated by single spaces, a quoted-string (escaping '"'
// and '\') when they are other printable ASCII of at most 76 characters,
// else encoded-words in cs. Addr is checked as
// DecodeAddressList would read it and written unchanged (in its canonical
// form); an entry whose Addr is not a valid addr-spec is dropped, so a
// value can never smuggle a second address or a line break. An entry with
// Addr "" and a name is written as an empty group "name:;" (this is how
// "undisclosed-recipients:;" comes back out); one with neither is dropped.
func EncodeAddressList(name string, addrs []Address, cs OutCharset) string {
	f := newFolder(name)
	n := 0
	for _, a := range addrs {
		addr := ""
		if a.Addr != "" {
			var ok bool
			if addr, ok = checkAddr(a.Addr); !ok {
				continue
			}
		}
		dn := Clean(truncate(a.Name))
		if addr == "" && dn == "" {
			continue
		}
		if n > 0 {
			f.put("", ",")
		}
		n++
		switch {
		case addr == "":
			f.phrase(dn, cs)
			f.put("", ":;")
		case dn == "":
			f.word(" ", addr)
		default:
			f.phrase(dn, cs)
			f.word(" ", "<"+addr+">")
		}
	}
	if n == 0 {
		return ""
	}
	return f.done()
}

// checkAddr returns the canonical form of an addr-spec (see Address), or
// false when addr is not one: specials outside quotes and domain literals
// (angle brackets, commas, colons, semicolons), blanks between its parts,
// controls and anything Clean would change make it invalid.
func checkAddr(addr string) (string, bool) {
	if len(addr) > MaxAddrLen || Clean(addr) != addr {
		return "", false
	}
	toks := tokenize(addr)
	for _, t := range toks {
		if t.kind == tkComment {
			return "", false
		}
	}
	return addrSpec(toks)
}

// phrase writes a cleaned, non-empty display name after a blank.
func (f *folder) phrase(name string, cs OutCharset) {
	switch {
	case atomPhrase(name):
		for w := range strings.SplitSeq(name, " ") {
			f.word(" ", w)
		}
	case quotablePhrase(name):
		var b strings.Builder
		b.WriteByte('"')
		for i := 0; i < len(name); i++ {
			if name[i] == '"' || name[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(name[i])
		}
		b.WriteByte('"')
		f.word(" ", b.String())
	default:
		f.encoded(" ", name, cs)
	}
}

// atomPhrase reports a name of ASCII atext words of at most 76
// characters (so that each fits on a folded line) separated by single
// spaces, and no "=?".
func atomPhrase(s string) bool {
	if strings.Contains(s, "=?") || strings.Contains(s, "  ") {
		return false
	}
	word := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			word = 0
			continue
		}
		if word++; word > maxLine-2 || !isAtext(c) {
			return false
		}
	}
	return true
}

// quotablePhrase reports a name of printable ASCII, without "=?", short
// enough to stay on one line as a quoted-string.
func quotablePhrase(s string) bool {
	if len(s) > maxLine-2 || strings.Contains(s, "=?") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7F {
			return false
		}
	}
	return true
}

// FormatParam returns one MIME parameter (RFC 2045 §5.1, RFC 2231) for a
// Content-Type or Content-Disposition field, e.g. for a file name. value
// is cut to MaxInput bytes and cleaned (Clean) first. The forms, in order
// of preference:
//
//	key="value"                          printable ASCII without "=?", ≤ 76 characters ('"' and '\' escaped)
//	key*0="…";␤ key*1="…"               longer such ASCII (RFC 2231 continuations)
//	key*=UTF-8''%E8%AB%8B…               anything else, percent-encoded UTF-8
//	key*0*=UTF-8''…;␤ key*1*=…          the same when longer than 76 characters, never cut inside a character
//
// Sections are joined by ";\r\n " (␤ above: a folded line), and each is
// at most 76 characters, so the caller should start the result on a line
// of its own: "Content-Disposition: attachment;\r\n " + FormatParam(…).
// key is used as given minus any byte not allowed in an RFC 2045 token.
func FormatParam(key, value string) string {
	key = paramKey(key)
	v := Clean(truncate(value))
	const limit = maxLine - 2
	if literalParam(v) {
		q := quoteParam(v)
		if len(key)+1+len(q) <= limit {
			return key + "=" + q
		}
		// Continuations of quoted sections, cut between characters
		// (all ASCII here) but never after a lone backslash escape.
		var secs []string
		for idx := 0; v != ""; idx++ {
			head := key + "*" + itoa(idx) + "="
			room := limit - len(head) - 2
			n, size := 0, 0
			for n < len(v) {
				c := 1
				if v[n] == '"' || v[n] == '\\' {
					c = 2
				}
				if size+c > room {
					break
				}
				size += c
				n++
			}
			secs = append(secs, head+quoteParam(v[:n]))
			v = v[n:]
		}
		return strings.Join(secs, ";\r\n ")
	}
	pct := percentEncode(v)
	if one := key + "*=UTF-8''" + pct; len(one) <= limit {
		return one
	}
	var secs []string
	for idx := 0; v != ""; idx++ {
		head := key + "*" + itoa(idx) + "*="
		if idx == 0 {
			head += "UTF-8''"
		}
		room := limit - len(head)
		n, size := 0, 0
		for n < len(v) {
			_, rs := utf8.DecodeRuneInString(v[n:])
			c := len(percentEncode(v[n : n+rs]))
			if size+c > room && n > 0 {
				break
			}
			size += c
			n += rs
		}
		secs = append(secs, head+percentEncode(v[:n]))
		v = v[n:]
	}
	return strings.Join(secs, ";\r\n ")
}

// FormatParamWords returns key="…" with value, cut to MaxInput bytes and
// cleaned, written as RFC 2047 encoded-words in cs inside the quotes, folded
// between words. RFC 2047 §5 does not allow encoded-words in a quoted
// string, but mailers before RFC 2231 support (older Outlook and Japanese
// mobile mailers) read file names only that way, so a legacy-friendly part
// carries both: name= from this in its Content-Type and filename*= from
// FormatParam in its Content-Disposition. A value of printable ASCII
// without "=?" is simply quoted. As with FormatParam, the result should
// start a line of its own (";\r\n " before it); its lines then stay within
// 78 characters.
func FormatParamWords(key, value string, cs OutCharset) string {
	key = paramKey(key)
	v := Clean(truncate(value))
	if literalParam(v) && len(key)+3+len(v) <= maxLine-2 {
		return key + "=" + quoteParam(v)
	}
	var b strings.Builder
	b.WriteString(key + "=\"")
	room := max(maxLine-3-len(key), len(prefixJIS)+len(wordSuffix)+8)
	for first := true; v != ""; first = false {
		w, rest := takeWord(v, min(room, maxWordLen), cs)
		if w == "" {
			w, rest = takeWord(v, maxWordLen, cs)
		}
		if !first {
			b.WriteString("\r\n ")
		}
		b.WriteString(w)
		v, room = rest, maxLine-2
	}
	b.WriteByte('"')
	return b.String()
}

// paramKey drops from key any byte not allowed in an RFC 2045 token, and
// '*'; an empty key becomes "x".
func paramKey(key string) string {
	k := make([]byte, 0, len(key))
	for i := 0; i < len(key); i++ {
		if c := key[i]; c != '*' && isToken(string(c)) {
			k = append(k, c)
		}
	}
	if len(k) == 0 {
		return "x"
	}
	return string(k)
}

// literalParam reports printable ASCII without "=?".
func literalParam(v string) bool {
	if strings.Contains(v, "=?") {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c >= 0x7F {
			return false
		}
	}
	return true
}

func quoteParam(v string) string {
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}

// percentEncode writes every byte that is not an RFC 2231 attribute-char
// as %XX.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' && c < 0x7F && c != '*' && c != '\'' && c != '%' && isToken(s[i:i+1]) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
