package ooxml

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mugai-project/mugai/sanitize"
)

// dtdError is returned by the XML reader for a document type declaration or an
// entity declaration: OOXML parts never carry one (ECMA-376-2 §8.1.4 forbids
// DTDs), and refusing them stops entity expansion attacks before they start.
type dtdError struct{ part string }

func (e *dtdError) Error() string { return "ooxml: " + e.part + ": DTD or entity declaration" }

// xmlReader is a bounded, namespace-aware XML tokenizer over encoding/xml's
// RawToken. It checks that end tags match (RawToken does not), bounds
// element depth, tokens and attributes per element, refuses directives and
// resolves namespace prefixes itself so that element names keep the prefix
// they were written with.
type xmlReader struct {
	dec     *xml.Decoder
	part    string
	opt     *Options
	lenient bool // VML: unclosed elements are closed by their parent's end tag
	tokens  int
	held    *xml.EndElement // lenient: an end tag seen again after closing an unclosed element
	stack   []openElem
	ns      []nsBinding
}

type openElem struct {
	name  xml.Name // as written: Space is the prefix
	nsLen int      // len(ns) before this element's declarations
}

type nsBinding struct{ prefix, uri string }

func newXMLReader(r io.Reader, part string, opt *Options, lenient bool) *xmlReader {
	d := xml.NewDecoder(r)
	d.Strict = !lenient
	// No CharsetReader: a part that is not UTF-8 is an error (fail closed).
	return &xmlReader{dec: d, part: part, opt: opt, lenient: lenient}
}

// next returns the next token, or io.EOF after a well-formed end. For a
// lenient reader an end tag may close several elements: the reader returns
// the implied end tags first; a stray end tag is skipped.
func (x *xmlReader) next() (xml.Token, error) {
	for {
		tok, err := x.next1()
		if tok == nil && err == nil {
			continue // stray end tag (lenient): no recursion, whatever their number
		}
		return tok, err
	}
}

func (x *xmlReader) next1() (xml.Token, error) {
	var tok xml.Token
	var err error
	if x.held != nil {
		tok, x.held = *x.held, nil
	} else {
		tok, err = x.dec.RawToken()
	}
	if err == io.EOF {
		if len(x.stack) > 0 {
			if x.lenient {
				return x.pop(), nil
			}
			return nil, fmt.Errorf("ooxml: unexpected end of XML: %w", sanitize.ErrMalformed)
		}
		return nil, io.EOF
	}
	if err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) || !isSentinel(err) {
			return nil, fmt.Errorf("ooxml: %v: %w", err, sanitize.ErrMalformed)
		}
		return nil, err
	}
	x.tokens++
	if x.tokens > x.opt.MaxXMLTokens {
		return nil, fmt.Errorf("ooxml: more than %d XML tokens in a part: %w", x.opt.MaxXMLTokens, sanitize.ErrTooLarge)
	}
	switch t := tok.(type) {
	case xml.Directive:
		return nil, &dtdError{x.part}
	case xml.StartElement:
		if len(x.stack) >= x.opt.MaxXMLDepth {
			return nil, fmt.Errorf("ooxml: XML nested deeper than %d: %w", x.opt.MaxXMLDepth, sanitize.ErrTooLarge)
		}
		if len(t.Attr) > x.opt.MaxXMLAttrs {
			return nil, fmt.Errorf("ooxml: more than %d attributes on an element: %w", x.opt.MaxXMLAttrs, sanitize.ErrTooLarge)
		}
		x.stack = append(x.stack, openElem{name: t.Name, nsLen: len(x.ns)})
		for _, a := range t.Attr {
			switch {
			case a.Name.Space == "" && a.Name.Local == "xmlns":
				x.ns = append(x.ns, nsBinding{"", a.Value})
			case a.Name.Space == "xmlns":
				x.ns = append(x.ns, nsBinding{a.Name.Local, a.Value})
			}
		}
		// Names and attribute values are strings; the token stays valid.
		return t, nil
	case xml.EndElement:
		if len(x.stack) == 0 {
			return nil, fmt.Errorf("ooxml: unexpected end tag: %w", sanitize.ErrMalformed)
		}
		top := x.stack[len(x.stack)-1].name
		if top != t.Name {
			if !x.lenient {
				return nil, fmt.Errorf("ooxml: mismatched end tag: %w", sanitize.ErrMalformed)
			}
			// Close the unclosed element; the end tag read is seen
			// again if an open element matches it.
			if x.isOpen(t.Name) {
				x.held = &t
				return x.pop(), nil
			}
			return nil, nil // stray end tag: ignored
		}
		return x.pop(), nil
	case xml.CharData:
		// Valid until the next call: callers write or copy it at once.
		return t, nil
	case xml.ProcInst:
		return t.Copy(), nil
	case xml.Comment:
		return xml.Comment(nil), nil
	}
	return tok, nil
}

func (x *xmlReader) isOpen(n xml.Name) bool {
	for i := len(x.stack) - 1; i >= 0; i-- {
		if x.stack[i].name == n {
			return true
		}
	}
	return false
}

func (x *xmlReader) pop() xml.EndElement {
	top := x.stack[len(x.stack)-1]
	x.stack = x.stack[:len(x.stack)-1]
	x.ns = x.ns[:top.nsLen]
	return xml.EndElement{Name: top.name}
}

// depth is the number of open elements.
func (x *xmlReader) depth() int { return len(x.stack) }

// uri resolves a prefix in the current scope ("" for an unbound prefix).
func (x *xmlReader) uri(prefix string) string {
	if prefix == "xml" {
		return "http://www.w3.org/XML/1998/namespace"
	}
	for i := len(x.ns) - 1; i >= 0; i-- {
		if x.ns[i].prefix == prefix {
			return x.ns[i].uri
		}
	}
	return ""
}

// xmlWriter serialises raw tokens: names keep their prefixes, attribute
// values and text are escaped, comments and processing instructions other
// than the XML declaration are dropped. An element with no content is
// written as an empty-element tag.
type xmlWriter struct {
	w       *bufio.Writer
	pending bool // a start tag is open: ">" or "/>" not yet written
	err     error
}

func newXMLWriter(w io.Writer) *xmlWriter { return &xmlWriter{w: bufio.NewWriterSize(w, 32<<10)} }

func (x *xmlWriter) str(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *xmlWriter) close() {
	if x.pending {
		x.str(">")
		x.pending = false
	}
}

func (x *xmlWriter) name(n xml.Name) {
	if n.Space != "" {
		x.str(n.Space)
		x.str(":")
	}
	x.str(n.Local)
}

func (x *xmlWriter) decl() {
	x.str(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`)
}

func (x *xmlWriter) start(se xml.StartElement) {
	x.close()
	x.str("<")
	x.name(se.Name)
	for _, a := range se.Attr {
		x.str(" ")
		x.name(a.Name)
		x.str(`="`)
		x.escape(a.Value, true)
		x.str(`"`)
	}
	x.pending = true
}

func (x *xmlWriter) end(n xml.Name) {
	if x.pending {
		x.str("/>")
		x.pending = false
		return
	}
	x.str("</")
	x.name(n)
	x.str(">")
}

func (x *xmlWriter) text(b []byte) {
	if len(b) == 0 {
		return
	}
	x.close()
	x.escape(string(b), false)
}

func (x *xmlWriter) escape(s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var e string
		switch s[i] {
		case '&':
			e = "&amp;"
		case '<':
			e = "&lt;"
		case '>':
			e = "&gt;"
		case '"':
			if attr {
				e = "&quot;"
			}
		case '\r':
			e = "&#xD;"
		case '\n':
			if attr {
				e = "&#xA;"
			}
		case '\t':
			if attr {
				e = "&#x9;"
			}
		}
		if e != "" {
			x.str(s[last:i])
			x.str(e)
			last = i + 1
		}
	}
	x.str(s[last:])
}

func (x *xmlWriter) flush() error {
	x.close()
	if x.err == nil {
		x.err = x.w.Flush()
	}
	return x.err
}

// attr returns the value of the attribute with the given local name in any
// namespace, and whether it is present.
func attr(se xml.StartElement, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == local && a.Name.Space != "xmlns" {
			return a.Value, true
		}
	}
	return "", false
}

// isRelNS reports whether uri is the namespace of relationship references
// (r:id, r:embed…) in transitional or strict OOXML.
func isRelNS(uri string) bool {
	return uri == "http://schemas.openxmlformats.org/officeDocument/2006/relationships" ||
		uri == "http://purl.oclc.org/ooxml/officeDocument/relationships"
}

func lowerASCII(s string) string { return strings.ToLower(s) }

// isSentinel reports whether err carries one of sanitize's errors or a
// context error, which must reach the engine unchanged.
func isSentinel(err error) bool {
	for _, e := range []error{sanitize.ErrTooLarge, sanitize.ErrMalformed, sanitize.ErrEncrypted, sanitize.ErrTimeout, sanitize.ErrUnsupported, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
