package html

import (
	"bytes"
	"net/url"
	"strings"
	"unicode/utf8"
)

// targetKind classifies a link target.
type targetKind uint8

const (
	targetNone   targetKind = iota // empty or a fragment of the same page: nothing to show
	targetWeb                      // http, https, ftp, mailto, or a relative reference
	targetPhone                    // tel, sms, fax, callto: turned into text, target not shown
	targetActive                   // any other scheme (javascript, vbscript, data, file, …): dropped
)

const maxURLDisplay = 2048 // runes of a target shown; longer ones end in "…"

// classifyTarget cleans an href the way a browser's URL parser does (leading
// and trailing C0 controls and spaces stripped, tabs and newlines removed
// anywhere) and classifies it. For targetWeb it returns the text to show,
// resolved against base when relative and base is set.
func classifyTarget(href []byte, base *url.URL) (string, targetKind) {
	href = bytes.TrimFunc(href, func(r rune) bool { return r <= ' ' })
	if bytes.ContainsAny(href, "\t\n\r") {
		href = bytes.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, href)
	}
	if len(href) == 0 || href[0] == '#' {
		return "", targetNone
	}
	if scheme, ok := urlScheme(href); ok {
		switch {
		case schemeIs(scheme, "http", "https", "ftp", "mailto"):
			return displayURL(href), targetWeb
		case schemeIs(scheme, "tel", "sms", "fax", "callto"):
			return "", targetPhone
		}
		return "", targetActive
	}
	if base != nil {
		if ref, err := url.Parse(string(href)); err == nil {
			abs := base.ResolveReference(ref)
			switch abs.Scheme {
			case "http", "https":
				return displayURL([]byte(abs.String())), targetWeb
			}
		}
	}
	return displayURL(href), targetWeb
}

// urlScheme returns the scheme of an absolute URL: ALPHA *( ALPHA / DIGIT /
// "+" / "-" / "." ) followed by ':' (RFC 3986 section 3.1).
func urlScheme(b []byte) ([]byte, bool) {
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return b[:i], true
		default:
			return nil, false
		}
	}
	return nil, false
}

// schemeIs reports whether scheme, which is ASCII, is one of names (lower
// case), ignoring case.
func schemeIs(scheme []byte, names ...string) bool {
	for _, n := range names {
		if len(scheme) == len(n) && bytes.EqualFold(scheme, []byte(n)) {
			return true
		}
	}
	return false
}

// baseURL parses a <base href>; only an absolute http(s) URL is used.
func baseURL(href []byte) *url.URL {
	u, err := url.Parse(string(bytes.TrimSpace(href)))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	return u
}

// displayURL makes a target safe to show as text: characters that could end
// the surrounding brackets or fool a reader (space, quotes, angle brackets,
// controls, bidi and other invisible format characters, invalid UTF-8) are
// percent-encoded, and so is the colon of any "…script:" inside, so that no
// "javascript:" or "<script" appears in the text because of an attribute.
// Very long targets are cut and end in "…".
func displayURL(b []byte) string {
	var sb strings.Builder
	sb.Grow(min(len(b), maxURLDisplay+8))
	runes := 0
	for i := 0; i < len(b); {
		if runes == maxURLDisplay {
			sb.WriteString("…")
			break
		}
		runes++
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '\\':
				pctByte(&sb, c)
			case c == ':' && endsWithScript(b[:i-1]):
				sb.WriteString("%3A")
			default:
				sb.WriteByte(c)
			}
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || invisibleRune(r) {
			for _, c := range b[i : i+n] {
				pctByte(&sb, c)
			}
		} else {
			sb.Write(b[i : i+n])
		}
		i += n
	}
	return sb.String()
}

func endsWithScript(b []byte) bool {
	const s = "script"
	return len(b) >= len(s) && bytes.EqualFold(b[len(b)-len(s):], []byte(s))
}

func pctByte(sb *strings.Builder, c byte) {
	const hex = "0123456789ABCDEF"
	sb.WriteByte('%')
	sb.WriteByte(hex[c>>4])
	sb.WriteByte(hex[c&15])
}

// invisibleRune reports runes that must not appear in a shown URL: C1
// controls, bidi controls, zero-width and other format characters, line and
// paragraph separators, non-breaking and other unusual spaces.
func invisibleRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0xa0, r == 0xad, r == 0x34f, r == 0x61c, r == 0x115f, r == 0x1160,
		r == 0x1680, r == 0x180e, r >= 0x2000 && r <= 0x200f, r >= 0x2028 && r <= 0x202f,
		r >= 0x205f && r <= 0x206f, r == 0x3000, r == 0x3164, r >= 0xfe00 && r <= 0xfe0f,
		r == 0xfeff, r == 0xffa0, r >= 0xfff0 && r <= 0xfffb, r >= 0xe0000 && r <= 0xe0fff:
		return true
	}
	return false
}

// sameTarget reports whether the anchor text already shows the target, so
// that repeating it would add nothing: "https://example.jp/" shown as
// "https://example.jp", "example.jp" or "www.example.jp/"; "mailto:a@b.jp"
// shown as "a@b.jp".
func sameTarget(text, target string) bool {
	n := func(s string) string {
		s = strings.TrimSpace(s)
		for _, p := range []string{"https://", "http://", "mailto:"} {
			if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
				s = s[len(p):]
				break
			}
		}
		return strings.TrimSuffix(s, "/")
	}
	a, b := n(text), n(target)
	return a != "" && strings.EqualFold(a, b)
}

// defang rewrites web addresses in text so that no mail client or viewer
// turns them into links: "https://www.example.jp/a" becomes
// "hxxps://www[.]example[.]jp/a", and "mailto:a@example.jp" becomes
// "mailto:a@example[.]jp". It appends the result to dst.
func defang(dst, s []byte) []byte {
	for {
		i, n, scheme := nextScheme(s)
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i+n:]
		dst = append(dst, scheme...)
		// Host part: up to the first '/', '?', '#', space or bracket.
		j := 0
		for j < len(s) {
			c := s[j]
			if c == '/' || c == '?' || c == '#' || c <= ' ' || c == ']' || c == '[' || c == '>' || c == '<' {
				break
			}
			j++
		}
		host := s[:j]
		if scheme == "mailto:" {
			if at := bytes.LastIndexByte(host, '@'); at >= 0 {
				dst = append(dst, host[:at+1]...)
				host = host[at+1:]
			}
		}
		dst = appendDefangedHost(dst, host)
		s = s[j:]
	}
}

func appendDefangedHost(dst, host []byte) []byte {
	for _, c := range host {
		if c == '.' {
			dst = append(dst, "[.]"...)
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// nextScheme finds the next "http://", "https://", "ftp://" or "mailto:"
// (any case) in s and returns its index, its length and its defanged form.
func nextScheme(s []byte) (int, int, string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'h', 'H':
			if hasPrefixFold(s[i:], "https://") {
				return i, 8, "hxxps://"
			}
			if hasPrefixFold(s[i:], "http://") {
				return i, 7, "hxxp://"
			}
		case 'f', 'F':
			if hasPrefixFold(s[i:], "ftp://") {
				return i, 6, "fxp://"
			}
		case 'm', 'M':
			if hasPrefixFold(s[i:], "mailto:") {
				return i, 7, "mailto:"
			}
		}
	}
	return -1, 0, ""
}

func hasPrefixFold(s []byte, p string) bool {
	return len(s) >= len(p) && bytes.EqualFold(s[:len(p)], []byte(p))
}
