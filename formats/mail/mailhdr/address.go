package mailhdr

import (
	"strings"
	"unicode/utf8"
)

// Address is one mailbox of an address list.
//
// Name is the decoded display name (clean, see Clean), or "" when there is
// none. Addr is an RFC 5322 addr-spec ready to be written between angle
// brackets: its local part is a dot-atom or a quoted-string (quoted only
// when it must be, e.g. for the "a..b."@docomo.ne.jp addresses Japanese
// carriers once handed out), in ASCII or UTF-8 (RFC 6532), and its domain
// is kept as given (ASCII, A-labels or UTF-8). Addr is "" for an entry that
// names no mailbox: an empty group such as "undisclosed-recipients:;"
// (Name is the group's name) or text in which no address could be found
// (Name is that text).
type Address struct {
	Name, Addr string
}

// MaxAddrLen bounds Addr: a longer addr-spec is not accepted as one.
// RFC 5321 allows paths of 256 octets.
const MaxAddrLen = 320

// DecodeAddressList parses an address list (From, To, Cc, Reply-To,
// Sender, …) leniently and never fails; garbage yields what could be made
// of it, possibly nothing.
//
//   - Display names may be atoms, quoted-strings or encoded-words, also
//     encoded-words inside quoted-strings ("=?ISO-2022-JP?B?…?=" <a@b>)
//     and raw 8-bit text (see DecodeText for how text is decoded).
//   - "a@b (Taro)": a comment stands in for a missing display name.
//   - Groups ("team: a@b, c@d;") are flattened into their members; the
//     group's name is dropped. An empty group yields one entry with the
//     group's name and Addr "".
//   - Missing angle brackets ("Taro Yamada taro@example.jp"), a missing
//     ">", obsolete routes ("<@relay:a@b>"), spaces around "@" and
//     trailing garbage are tolerated; an unterminated quote or comment is
//     ignored rather than swallowing the rest of the list.
//   - An entry whose address is invalid or longer than MaxAddrLen keeps
//     its name with Addr ""; an entry with neither is dropped.
//
// The work is linear in the input, which is cut to MaxInput bytes.
func DecodeAddressList(raw string) []Address {
	toks := tokenize(prepare(raw))
	return parseList(toks)
}

type tokKind uint8

const (
	tkAtom      tokKind = iota // run of atom characters (dots and UTF-8 included)
	tkQuoted                   // quoted-string; text is its content, unescaped
	tkComment                  // comment; text is its content
	tkDomainLit                // "[...]", brackets included
	tkSpecial                  // one of < > @ , : ;
)

type token struct {
	kind  tokKind
	text  string
	space bool // blank space or a comment came before
}

func (t token) is(c byte) bool { return t.kind == tkSpecial && t.text[0] == c }

// maxEncodedWordInAtom bounds how far, from "=?", the tokenizer looks for
// the "?=" that makes an encoded-word one atom (RFC 2047 words are at most
// 75 characters).
const maxEncodedWordInAtom = 256

// tokenize splits an address list into tokens. An encoded-word is kept in
// one atom even when its Q text holds specials. An unterminated quote or
// comment opener is dropped, and so is every later one of its kind (which
// keeps the work linear).
func tokenize(s string) []token {
	toks := make([]token, 0, 16) // one mailbox's worth; lists grow as usual
	space := false
	noQuote, noComment := false, false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			space = true
			i++
		case c == '"':
			if noQuote {
				i++
				continue
			}
			text, n, ok := quoted(s[i:], '"', '"')
			if !ok {
				noQuote = true
				i++
				continue
			}
			toks = append(toks, token{kind: tkQuoted, text: text, space: space})
			space = false
			i += n
		case c == '(':
			if noComment {
				i++
				continue
			}
			text, n, ok := quoted(s[i:], '(', ')')
			if !ok {
				noComment = true
				i++
				continue
			}
			toks = append(toks, token{kind: tkComment, text: text, space: space})
			space = true
			i += n
		case c == ')':
			i++ // stray
		case c == '[':
			// A domain literal runs to "]" over dtext; the scan stops at
			// the first other byte, so no byte is scanned twice.
			j := i + 1
			for j < len(s) && s[j] > ' ' && s[j] < 0x7F && strings.IndexByte("[]<>@,;\\\"", s[j]) < 0 {
				j++
			}
			if j == len(s) || s[j] != ']' {
				toks = append(toks, token{kind: tkAtom, text: "[", space: space})
				space = false
				i++
				continue
			}
			toks = append(toks, token{kind: tkDomainLit, text: s[i : j+1], space: space})
			space = false
			i = j + 1
		case strings.IndexByte("<>@,:;", c) >= 0:
			toks = append(toks, token{kind: tkSpecial, text: s[i : i+1], space: space})
			space = false
			i++
		default:
			j := i
			for j < len(s) {
				if s[j] == '=' && j+1 < len(s) && s[j+1] == '?' {
					if end := atomWordEnd(s, j); end > 0 {
						j = end
						continue
					}
				}
				if isAtomEnd(s[j]) {
					break
				}
				j++
			}
			if j == i { // cannot happen: c is no atom end
				j++
			}
			toks = append(toks, token{kind: tkAtom, text: s[i:j], space: space})
			space = false
			i = j
		}
	}
	return toks
}

func isAtomEnd(c byte) bool {
	return strings.IndexByte(" \t\"()[]<>@,:;", c) >= 0
}

// atomWordEnd returns the end of an encoded-word starting at s[p:] that
// has no blank in it and ends within maxEncodedWordInAtom bytes, or -1.
func atomWordEnd(s string, p int) int {
	ps, _, _, ok := wordHead(s, p)
	if !ok {
		return -1
	}
	lim := min(len(s), p+maxEncodedWordInAtom)
	for j := ps; j+1 < lim; j++ {
		switch s[j] {
		case ' ', '\t':
			return -1
		case '?':
			if s[j+1] == '=' {
				return j + 2
			}
		}
	}
	return -1
}

// quoted reads a quoted-string (open '"') or a comment (open '(') at the
// start of s. It returns the content with quoted-pairs resolved (a
// comment's nested comments are kept with their parentheses), the bytes
// consumed, and ok false when it is not terminated.
func quoted(s string, open, close byte) (string, int, bool) {
	var b strings.Builder
	depth := 0
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == close && depth == 0:
			return b.String(), i + 1, true
		case c == close:
			depth--
			b.WriteByte(c)
		case c == open && open != close:
			depth++
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// parseList groups tokens into mailboxes.
func parseList(toks []token) []Address {
	var out []Address
	cur := make([]token, 0, len(toks))
	inAngle, inGroup := false, false
	var groupName []token
	groupStart := 0
	flush := func() {
		if a, ok := mailbox(cur); ok {
			out = append(out, a)
		}
		cur = cur[:0]
		inAngle = false
	}
	endGroup := func() {
		if len(out) == groupStart {
			if name := phrase(groupName); name != "" {
				out = append(out, Address{Name: name})
			}
		}
		inGroup, groupName = false, nil
	}
	for _, t := range toks {
		switch {
		case t.is('<'):
			inAngle = true
			cur = append(cur, t)
		case t.is('>'):
			inAngle = false
			cur = append(cur, t)
		case t.is(',') && !inAngle:
			flush()
		case t.is(':') && !inAngle && !inGroup && !hasAddrToken(cur):
			inGroup = true
			groupName = append([]token(nil), cur...)
			cur = cur[:0]
			groupStart = len(out)
		case t.is(';') && !inAngle:
			flush()
			if inGroup {
				endGroup()
			}
		default:
			cur = append(cur, t)
		}
	}
	flush()
	if inGroup {
		endGroup()
	}
	return out
}

func hasAddrToken(toks []token) bool {
	for _, t := range toks {
		if t.is('@') || t.is('<') {
			return true
		}
	}
	return false
}

// mailbox makes one Address of the tokens between two commas.
func mailbox(toks []token) (Address, bool) {
	if len(toks) == 0 {
		return Address{}, false
	}
	var nameToks []token
	addr := ""
	found := false
	if lt := indexSpecial(toks, '<', 0); lt >= 0 {
		nameToks = toks[:lt]
		// The first angle-addr that holds a valid address wins. An
		// angle-addr ends at '>', at the next '<' or at the end.
		for i := lt; i < len(toks) && !found; {
			end := i + 1
			for end < len(toks) && !toks[end].is('>') && !toks[end].is('<') {
				end++
			}
			spec := toks[i+1 : end]
			if c := lastSpecial(spec, ':'); c >= 0 {
				spec = spec[c+1:] // obsolete route
			}
			addr, found = addrSpec(spec)
			i = end
			for i < len(toks) && !toks[i].is('<') {
				i++
			}
		}
	} else if at := indexSpecial(toks, '@', 0); at >= 0 {
		lo, hi := at, at+1
		// The local part: the atoms and quoted-strings right before "@",
		// back to the first blank; the domain: what follows up to a blank.
		for lo > 0 && (toks[lo-1].kind == tkAtom || toks[lo-1].kind == tkQuoted) {
			lo--
			if toks[lo].space {
				break
			}
		}
		for hi < len(toks) && (toks[hi].kind == tkAtom || toks[hi].kind == tkDomainLit) {
			hi++
			if hi < len(toks) && toks[hi].space {
				break
			}
		}
		addr, found = addrSpec(toks[lo:hi])
		if found {
			nameToks = toks[:lo]
		} else {
			nameToks = toks
		}
	} else {
		nameToks = toks
	}
	name := phrase(nameToks)
	if name == "" && found {
		name = commentText(toks)
	}
	if !found {
		addr = ""
		if name == "" {
			return Address{}, false
		}
	}
	return Address{Name: name, Addr: addr}, true
}

func indexSpecial(toks []token, c byte, from int) int {
	for i := from; i < len(toks); i++ {
		if toks[i].is(c) {
			return i
		}
	}
	return -1
}

func lastSpecial(toks []token, c byte) int {
	for i := len(toks) - 1; i >= 0; i-- {
		if toks[i].is(c) {
			return i
		}
	}
	return -1
}

// phrase decodes a display name from its tokens: atoms and quoted-strings
// (and stray specials) in order, one space where there was blank space,
// comments left out; then encoded-words are decoded and the result
// cleaned. A name made only of comments is that comment text.
func phrase(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		if t.kind == tkComment {
			continue
		}
		if t.space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	if b.Len() == 0 {
		return commentText(toks)
	}
	return Clean(decodeWords(b.String()))
}

// commentText returns the first non-empty comment, decoded and cleaned.
func commentText(toks []token) string {
	for _, t := range toks {
		if t.kind == tkComment {
			if s := Clean(decodeWords(t.text)); s != "" {
				return s
			}
		}
	}
	return ""
}

// addrSpec builds an addr-spec from the tokens of "local@domain", ignoring
// blank space and comments between them, and reports whether it is valid.
func addrSpec(toks []token) (string, bool) {
	var local, domain strings.Builder
	at := false
	localQuoted := false
	for _, t := range toks {
		switch {
		case t.kind == tkComment:
		case t.is('@'):
			if at {
				return "", false
			}
			at = true
		case t.kind == tkSpecial:
			return "", false
		case !at:
			if t.kind == tkDomainLit || !glues(&local, t) {
				return "", false
			}
			if t.kind == tkQuoted {
				localQuoted = true
			}
			local.WriteString(t.text)
		default:
			if t.kind == tkQuoted || !glues(&domain, t) {
				return "", false
			}
			domain.WriteString(t.text)
		}
	}
	if !at {
		return "", false
	}
	l, ok := canonicalLocal(local.String(), localQuoted)
	if !ok || !validDomain(domain.String()) {
		return "", false
	}
	a := l + "@" + domain.String()
	if len(a) > MaxAddrLen {
		return "", false
	}
	return a, true
}

// glues reports whether t may follow what part holds: blank space between
// two pieces of a local part or domain is allowed only around a dot (the
// obsolete "a . b @ c" syntax), so "<a@b c>" is no address.
func glues(part *strings.Builder, t token) bool {
	if !t.space || part.Len() == 0 {
		return true
	}
	p := part.String()
	return p[len(p)-1] == '.' || (t.text != "" && t.text[0] == '.' && t.kind == tkAtom)
}

// isAtext reports the ASCII atext characters of RFC 5322 §3.2.3.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isDotAtom reports whether s is an RFC 5322 dot-atom, with UTF-8 allowed
// as atext (RFC 6532).
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && c < utf8.RuneSelf && !isAtext(c) {
			return false
		}
	}
	return true
}

// canonicalLocal returns the local part in the form to write: a dot-atom
// when it is one, else a quoted-string. It is invalid when empty or when it
// holds characters Clean would change.
func canonicalLocal(l string, wasQuoted bool) (string, bool) {
	if l == "" || Clean(l) != l || !utf8.ValidString(l) {
		return "", false
	}
	if isDotAtom(l) {
		return l, true
	}
	if !wasQuoted {
		// Unquoted, only atext and dots are acceptable ("a..b." is).
		for i := 0; i < len(l); i++ {
			if c := l[i]; c != '.' && c < utf8.RuneSelf && !isAtext(c) {
				return "", false
			}
		}
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(l); i++ {
		if l[i] == '"' || l[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(l[i])
	}
	b.WriteByte('"')
	return b.String(), true
}

// validDomain accepts a domain literal of printable ASCII, or a dot-atom
// (ASCII atext or UTF-8 labels); a final dot is tolerated.
func validDomain(d string) bool {
	if d == "" {
		return false
	}
	if d[0] == '[' {
		if len(d) < 3 || d[len(d)-1] != ']' {
			return false
		}
		for i := 1; i < len(d)-1; i++ {
			if c := d[i]; c <= ' ' || c >= 0x7F || c == '[' || c == ']' || c == '\\' {
				return false
			}
		}
		return true
	}
	if Clean(d) != d || !utf8.ValidString(d) {
		return false
	}
	return isDotAtom(strings.TrimSuffix(d, "."))
}
