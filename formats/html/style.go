package html

import (
	"bytes"
	"strconv"
)

// cssInfo is what an inline style attribute says about visibility.
type cssInfo struct {
	displayNone    bool
	opacityZero    bool
	msoHide        bool // mso-hide:all, Outlook hides the subtree
	overflowHidden bool
	maxH0, h0      bool
	maxW0, w0      bool

	// Inherited properties: set says the declaration is present, the other
	// bool whether it hides text.
	fontSet, fontTiny  bool
	visSet, visHidden  bool
	colorSet, colorTra bool

	// width and height in CSS pixels when given in px (or unitless 0).
	width, height     float64
	widthOK, heightOK bool
}

// hidesSubtree reports whether the declarations hide the element and all its
// content, whatever the descendants say.
func (c *cssInfo) hidesSubtree() bool {
	if c.displayNone || c.opacityZero || c.msoHide {
		return true
	}
	if c.overflowHidden && (c.maxH0 || c.h0 || c.maxW0 || c.w0) {
		return true
	}
	return c.w0 && c.h0
}

// parseStyle reads a style attribute. It is linear in len(s), allocates
// nothing and never fails: what it does not understand it ignores.
// Comments are skipped, names and keywords compared without case, and a
// trailing !important ignored. CSS escapes are not decoded.
func parseStyle(s []byte) cssInfo {
	var c cssInfo
	for len(s) > 0 {
		var decl []byte
		decl, s = nextDecl(s)
		colon := bytes.IndexByte(decl, ':')
		if colon < 0 {
			continue
		}
		name := trimCSS(decl[:colon])
		val := trimCSS(decl[colon+1:])
		if i := bytes.LastIndexByte(val, '!'); i >= 0 && bytes.EqualFold(trimCSS(val[i+1:]), []byte("important")) {
			val = trimCSS(val[:i])
		}
		c.apply(name, val)
	}
	return c
}

// nextDecl splits off one declaration, ending at a ';' outside quotes,
// parentheses and comments. Comments stay in the declaration: trimCSS drops
// them at the edges of a name or value, and a comment in the middle of a
// keyword leaves that keyword unrecognised, which only means it is ignored.
func nextDecl(s []byte) (decl, rest []byte) {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := bytes.Index(s[i+2:], []byte("*/"))
			if end < 0 {
				return s[:i], nil
			}
			// Keep the comment inside decl; trimCSS removes comments at the edges.
			i += 2 + end + 1
		case c == '"' || c == '\'':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			if depth > 0 {
				depth--
			}
		case c == ';' && depth == 0:
			return s[:i], s[i+1:]
		}
	}
	return s, nil
}

// trimCSS trims white space and comments at both ends.
func trimCSS(s []byte) []byte {
	for {
		s = bytes.TrimSpace(s)
		switch {
		case bytes.HasPrefix(s, []byte("/*")):
			end := bytes.Index(s[2:], []byte("*/"))
			if end < 0 {
				return nil
			}
			s = s[2+end+2:]
		case bytes.HasSuffix(s, []byte("*/")):
			start := bytes.LastIndex(s[:len(s)-2], []byte("/*"))
			if start < 0 {
				return s
			}
			s = s[:start]
		default:
			return s
		}
	}
}

func is(b []byte, s string) bool { return bytes.EqualFold(b, []byte(s)) }

func (c *cssInfo) apply(name, val []byte) {
	switch {
	case is(name, "display"):
		c.displayNone = is(val, "none")
	case is(name, "visibility"):
		c.visSet = true
		c.visHidden = is(val, "hidden") || is(val, "collapse")
	case is(name, "opacity"):
		if n, unit, ok := parseLength(val); ok {
			if unit == "%" {
				n /= 100
			}
			c.opacityZero = (unit == "" || unit == "%") && n <= 0.01
		}
	case is(name, "mso-hide"):
		c.msoHide = is(val, "all")
	case is(name, "overflow"), is(name, "overflow-x"), is(name, "overflow-y"):
		if is(val, "hidden") || is(val, "clip") {
			c.overflowHidden = true
		}
	case is(name, "font-size"):
		c.fontSet = true
		c.fontTiny = false
		if n, unit, ok := parseLength(val); ok {
			c.fontTiny = n <= 0 || (unit == "px" || unit == "pt") && n <= 1
		}
	case is(name, "font"):
		// The shorthand starts with style/weight keywords; a leading zero size
		// ("0/0 a") is the only case worth noticing.
		if n, _, ok := parseLength(firstWord(val)); ok {
			c.fontSet = true
			c.fontTiny = n <= 0
		}
	case is(name, "color"):
		c.colorSet = true
		c.colorTra = is(val, "transparent")
	case is(name, "max-height"):
		c.maxH0 = isZero(val)
	case is(name, "height"):
		c.h0 = isZero(val)
		c.height, c.heightOK = pixels(val)
	case is(name, "max-width"):
		c.maxW0 = isZero(val)
	case is(name, "width"):
		c.w0 = isZero(val)
		c.width, c.widthOK = pixels(val)
	}
}

func firstWord(b []byte) []byte {
	for i, c := range b {
		if c == ' ' || c == '/' {
			return b[:i]
		}
	}
	return b
}

func isZero(val []byte) bool {
	n, _, ok := parseLength(val)
	return ok && n == 0
}

func pixels(val []byte) (float64, bool) {
	n, unit, ok := parseLength(val)
	if !ok || (unit != "px" && !(unit == "" && n == 0)) {
		return 0, false
	}
	return n, true
}

// parseLength parses "12", "0.5em", "-1px", "50%" into a number and a unit
// in lower case; the unit is "" for a bare number.
func parseLength(b []byte) (float64, string, bool) {
	b = bytes.TrimSpace(b)
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := 0
	for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == '.') {
		i++
		digits++
	}
	if digits == 0 || digits > 32 {
		return 0, "", false
	}
	n, err := strconv.ParseFloat(string(b[:i]), 64)
	if err != nil {
		return 0, "", false
	}
	unit := b[i:]
	if len(unit) > 4 {
		return 0, "", false
	}
	var u [4]byte
	for j, c := range unit {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !(c >= 'a' && c <= 'z' || c == '%') {
			return 0, "", false
		}
		u[j] = c
	}
	return n, string(u[:len(unit)]), true
}

// parseDim parses an HTML width or height attribute ("1", "1px", " 0 ");
// percentages do not count.
func parseDim(b []byte) (float64, bool) {
	n, unit, ok := parseLength(b)
	if !ok || (unit != "" && unit != "px") {
		return 0, false
	}
	return n, true
}
