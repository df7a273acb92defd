package detect

import (
	"bytes"
	"math/bits"
)

// Namespaces that make a browser render markup as active content.
const (
	nsXHTML = "http://www.w3.org/1999/xhtml"
	nsSVG   = "http://www.w3.org/2000/svg"
)

// htmlRootTags are the element names that make a document HTML when they
// come first: the WHATWG MIME Sniffing "HTML" patterns (§7.1) and other
// elements a browser would render.
var htmlRootTags = map[string]bool{
	"html": true, "head": true, "body": true, "script": true, "iframe": true,
	"h1": true, "div": true, "font": true, "table": true, "a": true, "style": true,
	"title": true, "b": true, "br": true, "p": true, "meta": true, "link": true,
	"frameset": true, "frame": true, "object": true, "embed": true, "applet": true,
	"img": true, "form": true, "input": true, "base": true, "noscript": true,
	"template": true, "span": true, "center": true, "marquee": true, "button": true,
	"textarea": true, "video": true, "audio": true, "canvas": true, "math": true,
}

// maxPrologItems bounds the declarations, processing instructions and
// comments skipped before the first element.
const maxPrologItems = 64

// sniffMarkup classifies text that starts (after white space) with markup,
// or returns "":
//
//   - a doctype naming html, or an HTML element first (htmlRootTags) → HTML;
//   - a first element whose local name is svg, or a doctype naming svg →
//     SVG;
//   - other XML (an XML declaration, or a first element that is closed or
//     self-closing within the prefix) → XML, except that XML mentioning the
//     XHTML namespace or an xml-stylesheet (which a browser turns into HTML)
//     is HTML and XML mentioning the SVG namespace is SVG, since a browser
//     runs script in either; and Office XML (Word 2003 XML, flat OPC)
//     carrying a VBA project is the macro-enabled Office kind;
//   - a prolog (declarations, comments, processing instructions) longer
//     than maxPrologItems items or running past the prefix → HTML: markup
//     we cannot resolve is treated as active, so that padding cannot push
//     an <svg> or <script> out of sight.
func sniffMarkup(v []byte, truncated bool) Kind {
	i := skipSpace(v, 0)
	xmlDecl, stylesheet := false, false
	asXML := func() Kind {
		if !xmlDecl {
			return ""
		}
		return xmlKind(v, stylesheet)
	}
	for range maxPrologItems {
		i = skipSpace(v, i)
		rest := v[i:]
		switch {
		case len(rest) == 0 || rest[0] != '<':
			return asXML()
		case hasPrefixFold(rest, "<?xml-stylesheet"):
			stylesheet = true
			i = skipPast(v, i, "?>")
		case hasPrefixFold(rest, "<?xml"):
			xmlDecl = true
			i = skipPast(v, i, "?>")
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(v, i, "?>")
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipPast(v, i, "-->")
		case hasPrefixFold(rest, "<!doctype"):
			end := doctypeEnd(v, i)
			dt := v[i:end]
			switch {
			case containsFold(dt, "svg"):
				return SVG
			case containsFold(dt, "html"):
				return HTML
			}
			i = end
		default:
			name, ok := elementName(rest[1:])
			if !ok {
				return asXML()
			}
			local := name
			if j := bytes.LastIndexByte(local, ':'); j >= 0 {
				local = local[j+1:]
			}
			var low [maxTagName]byte
			if string(lowerInto(low[:], local)) == "svg" {
				return SVG
			}
			if len(local) == len(name) && htmlRootTags[string(lowerInto(low[:], name))] {
				return HTML
			}
			tagEnd := bytes.IndexByte(rest, '>')
			switch {
			case tagEnd >= 0 && containsFold(rest[:tagEnd], nsXHTML):
				return HTML
			case tagEnd >= 0 && containsFold(rest[:tagEnd], nsSVG):
				return SVG
			}
			closed := tagEnd > 0 && rest[tagEnd-1] == '/' ||
				bytes.Contains(rest, append([]byte("</"), name...))
			if xmlDecl || closed || (truncated && tagEnd >= 0) {
				return xmlKind(v, stylesheet)
			}
			return ""
		}
		if i >= len(v) {
			if truncated {
				return HTML // the prolog runs past the prefix: unresolved, fail closed
			}
			return asXML()
		}
	}
	return HTML // a prolog too long to walk: fail closed
}

// xmlKind refines XML: the XHTML or SVG namespace anywhere in the prefix, or
// an xml-stylesheet, make it HTML or SVG; Office XML with a VBA project makes
// it DOCM/XLSM/PPTM.
func xmlKind(v []byte, stylesheet bool) Kind {
	switch {
	case stylesheet, containsFold(v, nsXHTML):
		return HTML
	case containsFold(v, nsSVG):
		return SVG
	}
	if containsFold(v, "<?mso-application") || containsFold(v, "<pkg:package") {
		if containsFold(v, "vbaproject") || containsFold(v, "editdata.mso") || containsFold(v, `macrospresent="yes"`) {
			switch {
			case containsFold(v, "excel.sheet"), containsFold(v, "/xl/"):
				return XLSM
			case containsFold(v, "powerpoint.show"), containsFold(v, "/ppt/"):
				return PPTM
			}
			return DOCM
		}
	}
	return XML
}

// elementName returns the element name at the start of b (just after '<'):
// an ASCII letter, '_' or ':' and then name characters, ending at white
// space, '>' or '/'. Non-ASCII names are not recognised (text such as "<重要>"
// stays text).
func elementName(b []byte) ([]byte, bool) {
	if len(b) == 0 || !(isASCIILetter(b[0]) || b[0] == '_' || b[0] == ':') {
		return nil, false
	}
	n := 1
	for n < len(b) {
		c := b[n]
		if isASCIILetter(c) || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '-' || c == '.' {
			n++
			continue
		}
		if isTagEnd(c) {
			return b[:n], true
		}
		return nil, false
	}
	return b[:n], true // name runs to the end of the prefix
}

// skipPast returns the index just after the first end at or after i, or
// len(v) when there is none.
func skipPast(v []byte, i int, end string) int {
	j := bytes.Index(v[i:], []byte(end))
	if j < 0 {
		return len(v)
	}
	return i + j + len(end)
}

// doctypeEnd returns the index just after the '>' that closes the doctype at
// i, skipping an internal subset in brackets.
func doctypeEnd(v []byte, i int) int {
	depth := 0
	for j := i; j < len(v); j++ {
		switch v[j] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case '>':
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(v)
}

// maxTagName is longer than every name in htmlRootTags and mailHeaders,
// so that a name that does not fit cannot be one of them.
const maxTagName = 32

// lowerInto returns b with ASCII letters lowered, written into dst, or nil
// when b does not fit in dst (it is then longer than any name looked up
// with it). It allocates nothing: lookups such as m[string(lowerInto(…))]
// do not copy the key.
func lowerInto(dst, b []byte) []byte {
	if len(b) > len(dst) {
		return nil
	}
	for i, c := range b {
		dst[i] = lower(c)
	}
	return dst[:len(b)]
}

// mailHeaders are the RFC 5322 and RFC 2045 header fields that identify a
// message or a MIME entity; isEML wants two different ones.
// Each maps to its own bit, so that isEML can count the different ones it
// saw without allocating.
var mailHeaders = map[string]uint32{
	"from": 1 << 0, "to": 1 << 1, "cc": 1 << 2, "subject": 1 << 3, "date": 1 << 4,
	"message-id": 1 << 5, "received": 1 << 6, "mime-version": 1 << 7,
	"return-path": 1 << 8, "delivered-to": 1 << 9, "reply-to": 1 << 10, "sender": 1 << 11,
	"in-reply-to": 1 << 12, "references": 1 << 13, "content-type": 1 << 14,
	"content-transfer-encoding": 1 << 15, "content-disposition": 1 << 16,
}

// maxHeaderLines bounds the header lines isEML reads.
const maxHeaderLines = 500

// isEML reports whether v starts (after white space) with an RFC 5322
// header block (§2.2, with the obsolete white space before the colon of
// §4.5): consecutive "Name: value" lines and their folded continuations,
// with at least two different fields of mailHeaders among them, or a
// multipart or message Content-Type (a bare MIME entity). One leading mbox
// "From " line or Apple emlx byte count line is skipped. Lines end in CRLF,
// LF or a lone CR. The block ends at the first empty line, at the first line
// that is not a header, or at the end of the prefix.
func isEML(v []byte) bool {
	v = v[skipSpace(v, 0):]
	lines := 0
	var seen uint32 // mailHeaders bits
	multipart := false
	first := true
	for len(v) > 0 && lines < maxHeaderLines {
		var line []byte
		line, v = nextLine(v)
		if first {
			first = false
			if bytes.HasPrefix(line, []byte("From ")) || isDigits(line) {
				continue
			}
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if lines == 0 {
				return false
			}
			continue
		}
		name, value, ok := headerField(line)
		if !ok {
			break
		}
		lines++
		var low [maxTagName]byte
		lname := lowerInto(low[:], name)
		seen |= mailHeaders[string(lname)]
		if string(lname) == "content-type" {
			t := bytes.TrimSpace(value)
			if hasPrefixFold(t, "multipart/") || hasPrefixFold(t, "message/") {
				multipart = true
			}
		}
	}
	return bits.OnesCount32(seen) >= 2 || multipart
}

// nextLine splits v after its first line break (CRLF, LF or CR) and returns
// the line without it.
func nextLine(v []byte) (line, rest []byte) {
	i := bytes.IndexAny(v, "\r\n")
	if i < 0 {
		return v, nil
	}
	line, rest = v[:i], v[i+1:]
	if v[i] == '\r' && len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	return line, rest
}

// headerField splits "Name: value" (RFC 5322 §3.6.8 field names: printable
// ASCII except colon; obsolete WSP before the colon allowed).
func headerField(line []byte) (name, value []byte, ok bool) {
	c := bytes.IndexByte(line, ':')
	if c <= 0 {
		return nil, nil, false
	}
	name = bytes.TrimRight(line[:c], " \t")
	if len(name) == 0 {
		return nil, nil, false
	}
	for _, ch := range name {
		if ch <= ' ' || ch > '~' {
			return nil, nil, false
		}
	}
	return name, line[c+1:], true
}

func isDigits(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
