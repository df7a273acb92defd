package html

import (
	"golang.org/x/net/html/atom"
)

// class describes how the tree builder treats an element, after the HTML
// Living Standard's tree construction rules (section 13.2.6), reduced to
// what matters for text.
type class uint16

const (
	cSpecial     class = 1 << iota // the spec's "special" category: an unmatched inline end tag stops here
	cFormatting                    // a, b, font, …: an end tag closes it across blocks (adoption agency)
	cScope                         // boundary of the default scope
	cClosesP                       // a start tag closes an open <p>
	cHeadContent                   // may appear in <head> without ending it
	cVoid                          // has no end tag and no content
	cTableScope                    // boundary of table scope
)

var classes = map[atom.Atom]class{}

func init() {
	set := func(c class, as ...atom.Atom) {
		for _, a := range as {
			classes[a] |= c
		}
	}
	set(cSpecial, atom.Address, atom.Applet, atom.Area, atom.Article, atom.Aside, atom.Base,
		atom.Basefont, atom.Bgsound, atom.Blockquote, atom.Body, atom.Br, atom.Button, atom.Caption,
		atom.Center, atom.Col, atom.Colgroup, atom.Dd, atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl,
		atom.Dt, atom.Embed, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form,
		atom.Frame, atom.Frameset, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Head,
		atom.Header, atom.Hgroup, atom.Hr, atom.Html, atom.Iframe, atom.Img, atom.Input, atom.Keygen,
		atom.Li, atom.Link, atom.Listing, atom.Main, atom.Marquee, atom.Menu, atom.Meta, atom.Nav,
		atom.Noembed, atom.Noframes, atom.Noscript, atom.Object, atom.Ol, atom.P, atom.Param,
		atom.Plaintext, atom.Pre, atom.Script, atom.Search, atom.Section, atom.Select, atom.Source,
		atom.Style, atom.Summary, atom.Table, atom.Tbody, atom.Td, atom.Template, atom.Textarea,
		atom.Tfoot, atom.Th, atom.Thead, atom.Title, atom.Tr, atom.Track, atom.Ul, atom.Wbr, atom.Xmp,
		atom.Svg, atom.Math)
	set(cFormatting, atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.Nobr,
		atom.S, atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U)
	set(cScope, atom.Applet, atom.Caption, atom.Html, atom.Table, atom.Td, atom.Th, atom.Marquee,
		atom.Object, atom.Template, atom.Svg, atom.Math)
	set(cTableScope, atom.Html, atom.Table, atom.Template)
	set(cClosesP, atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center,
		atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption,
		atom.Figure, atom.Footer, atom.Header, atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol,
		atom.P, atom.Search, atom.Section, atom.Summary, atom.Ul, atom.H1, atom.H2, atom.H3, atom.H4,
		atom.H5, atom.H6, atom.Pre, atom.Listing, atom.Form, atom.Li, atom.Dd, atom.Dt,
		atom.Plaintext, atom.Table, atom.Hr, atom.Xmp)
	set(cHeadContent, atom.Title, atom.Meta, atom.Link, atom.Base, atom.Script, atom.Style,
		atom.Noscript, atom.Template, atom.Basefont, atom.Bgsound, atom.Noframes, atom.Head)
	set(cVoid, atom.Area, atom.Base, atom.Basefont, atom.Bgsound, atom.Br, atom.Col, atom.Embed,
		atom.Frame, atom.Hr, atom.Image, atom.Img, atom.Input, atom.Keygen, atom.Link, atom.Meta,
		atom.Param, atom.Source, atom.Track, atom.Wbr)
}

func classOf(a atom.Atom) class { return classes[a] }

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// rawAtom reports the elements after whose start tag x/net/html's tokenizer
// returns the content as one raw or RCDATA text token (it does not know
// whether scripting is on, so <noscript> is among them; we undo that with
// NextIsNotRawText).
func rawAtom(a atom.Atom) bool {
	switch a {
	case atom.Iframe, atom.Noembed, atom.Noframes, atom.Noscript, atom.Plaintext,
		atom.Script, atom.Style, atom.Textarea, atom.Title, atom.Xmp:
		return true
	}
	return false
}

// nameHash identifies an element x/net/html has no atom for, to match its
// end tag (FNV-1a; the name is lower case already).
func nameHash(name []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range name {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}
