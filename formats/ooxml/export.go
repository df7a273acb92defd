package ooxml

import (
	"encoding/xml"
	"errors"
	"io"
)

// XMLReader is the bounded XML tokenizer this package reads parts with,
// exported for other zip-based formats (ODF): element depth, tokens and
// attributes are limited as Options says, end tags must match, comments are
// returned empty, and a DOCTYPE or ENTITY declaration is an error for which
// IsDTD reports true. Names keep the prefix they were written with; URI
// resolves it in the current scope. Not safe for concurrent use.
type XMLReader struct{ x *xmlReader }

// NewXMLReader returns a strict reader of part (named in errors) with the
// XML limits of opt; zero fields take the defaults.
func NewXMLReader(r io.Reader, part string, opt Options) *XMLReader {
	o := opt.withDefaults()
	return &XMLReader{x: newXMLReader(r, part, &o, false)}
}

// Next returns the next token, or io.EOF after a well-formed end. A
// CharData token is valid until the next call.
func (r *XMLReader) Next() (xml.Token, error) { return r.x.next() }

// Depth is the number of open elements.
func (r *XMLReader) Depth() int { return r.x.depth() }

// URI resolves a prefix in the current scope ("" when unbound).
func (r *XMLReader) URI(prefix string) string { return r.x.uri(prefix) }

// IsDTD reports whether err is an XMLReader's refusal of a DTD or entity
// declaration, and names the part.
func IsDTD(err error) (string, bool) {
	var de *dtdError
	if errors.As(err, &de) {
		return de.part, true
	}
	return "", false
}

// XMLWriter writes raw tokens the way this package writes parts: names
// keep their prefixes, text and attribute values are escaped, and an
// element with no content becomes an empty-element tag. Errors stick and
// are returned by Flush.
type XMLWriter struct{ x *xmlWriter }

// NewXMLWriter returns a buffered writer to w.
func NewXMLWriter(w io.Writer) *XMLWriter { return &XMLWriter{x: newXMLWriter(w)} }

// Decl writes the XML declaration.
func (w *XMLWriter) Decl() { w.x.decl() }

// Start writes a start tag.
func (w *XMLWriter) Start(se xml.StartElement) { w.x.start(se) }

// End writes an end tag (or closes the open start tag as empty).
func (w *XMLWriter) End(n xml.Name) { w.x.end(n) }

// Text writes escaped character data.
func (w *XMLWriter) Text(b []byte) { w.x.text(b) }

// Flush writes what is buffered and returns the first error.
func (w *XMLWriter) Flush() error { return w.x.flush() }
