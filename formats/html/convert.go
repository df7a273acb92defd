package html

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Convert reads HTML from src, which must be UTF-8 (the caller decodes; see
// Sanitizer for files in other charsets), and writes plain text to dst. It
// streams: memory depends on the bounds in opts, not on the size of src.
//
// The text is valid UTF-8 with LF line ends, has no control characters but
// LF and TAB, no bidi controls, no trailing spaces, no more than one blank
// line in a row, and ends in exactly one LF unless it is empty. See the
// package documentation for what each element becomes.
//
// Convert checks ctx between tokens. It returns an error only when reading
// src or writing dst fails, ctx ends, or the output goes over
// opts.MaxOutput (an error wrapping sanitize.ErrTooLarge); malformed HTML is
// never an error. On error, what was written to dst is incomplete. Stats
// says what was removed or converted either way.
func Convert(ctx context.Context, dst io.Writer, src io.Reader, opts Options) (Stats, error) {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(dst)
	defer func() {
		bw.Reset(nil) // what an error left unflushed is dropped
		writers.Put(bw)
	}()
	c := newConverter(ctx, bw, src, opts)
	err := c.run()
	if err == nil {
		err = c.o.finish()
	}
	if err == nil {
		err = bw.Flush()
	}
	return c.stats, err
}

// The output writers are pooled: a short HTML body should not cost a fresh
// 16 KiB buffer. Each is Reset before reuse.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 16<<10) }}

// Element flags. The first group is inherited from the parent at push.
type elemFlag uint32

const (
	fDropped     elemFlag = 1 << iota // content not shown (this element or an ancestor)
	fPre                              // white space preserved
	fForeign                          // inside <svg> or <math>
	fFontHidden                       // text hidden by font-size
	fVisHidden                        // hidden by visibility (images too)
	fColorHidden                      // text hidden by color: transparent

	fCounted  // the hidden content this element owns was counted
	fAnchor   // an open link with an entry in converter.anchors
	fPrefix   // added to the line prefix at prefixAt
	fMarker   // registered a list marker at prefixAt
	fList     // ul, ol, menu, dir
	fOrdered  // ol
	fItem     // li
	fBlockEnd // line break at the end
	fParaEnd  // blank line at the end
	fParen    // <rt> that opened a "(" to close
)

const (
	fInherited  = fDropped | fPre | fForeign | fFontHidden | fVisHidden | fColorHidden
	fTextHidden = fDropped | fFontHidden | fVisHidden | fColorHidden
)

// elem is one open element.
type elem struct {
	a        atom.Atom
	hash     uint32 // name hash when a == 0
	cls      class
	flags    elemFlag
	owner    int32 // index of the hidden element responsible for hiding here; -1 when none
	prefixAt int32 // prefix length before this element's contribution
	next     int32 // ol: the next item number
}

// anchor is a shown link whose target may follow its text.
type anchor struct {
	idx    int
	target string
	text   []byte
}

// tagAttrs holds the attributes the converter looks at, for one tag. The
// slices are valid until the tokenizer moves on.
type tagAttrs struct {
	hidden, open                                                  bool
	style, href, src, alt, width, height, start, value, httpEquiv []byte
	events                                                        int
}

func (t *tagAttrs) reset() { *t = tagAttrs{} }

func (t *tagAttrs) add(key, val []byte) {
	switch string(key) {
	case "hidden":
		t.hidden = true
	case "open":
		t.open = true
	case "style":
		t.style = val
	case "href":
		t.href = val
	case "src":
		t.src = val
	case "alt":
		t.alt = val
	case "width":
		t.width = val
	case "height":
		t.height = val
	case "start":
		t.start = val
	case "value":
		t.value = val
	case "http-equiv":
		t.httpEquiv = val
	}
	if len(key) > 2 && key[0] == 'o' && key[1] == 'n' {
		t.events++
	}
}

type converter struct {
	ctx      context.Context
	opts     Options
	src      pushback
	z        *html.Tokenizer
	maxTok   int
	maxDepth int
	o        out
	stats    Stats
	label    string

	stack   []elem
	anchors []anchor
	lists   []int // stack indexes of open lists
	items   []int // stack indexes of open list items
	headIdx int   // stack index of an open <head>, or -1
	openP   int   // open <p> elements
	// untracked counts elements opened past MaxDepth and not closed yet:
	// end tags close them first, and no end tag is implied meanwhile.
	untracked int
	sawBody   bool
	base      *url.URL

	haveTitle  bool // a <title> was seen
	titleOK    bool // the title being read is the page's title
	titleSpace bool // a space is pending in the title

	raw        atom.Atom // the raw-text element whose content the tokenizer returns next
	rawVisible bool      // that content is shown
	rawBlock   atom.Atom // a shown textarea or xmp waiting for its end tag
	skipStart  bool      // the next start tag is the synthetic one of a resumed tokenizer
	preFirst   bool      // a newline right after <pre> start is dropped
	afterRp    bool      // the last thing was an </rp>

	line    int // input line after the current token
	tokLine int // input line where the current token starts

	at   tagAttrs
	name []byte
	open [openBuckets]int32 // counting filter of open element names
}

func newConverter(ctx context.Context, w io.Writer, src io.Reader, opts Options) *converter {
	c := &converter{
		ctx:      ctx,
		opts:     opts,
		maxTok:   opts.maxToken(),
		maxDepth: opts.maxDepth(),
		headIdx:  -1,
		line:     1,
	}
	c.src.r = src
	c.o = out{w: w, max: opts.MaxOutput, defang: opts.Links == LinkDefang, stats: &c.stats, inLine: &c.tokLine}
	c.label = string(cleanInline(nil, []byte(opts.imageLabel()), 256, &Stats{}, 0, true))
	c.newTokenizer("")
	return c
}

// newTokenizer starts a tokenizer on what is left of the input. With a raw
// element name, it starts inside that element's raw text: the synthetic
// start tag it returns first is skipped.
func (c *converter) newTokenizer(rawName string) {
	r := io.Reader(&c.src)
	if rawName != "" {
		c.src.unread([]byte("<" + rawName + ">"))
		c.skipStart = true
	}
	c.z = html.NewTokenizer(r)
	c.z.SetMaxBuf(c.maxTok)
}

func (c *converter) run() error {
	for n := 0; ; n++ {
		if n&255 == 0 {
			if err := c.ctx.Err(); err != nil {
				return fmt.Errorf("html: %w", err)
			}
		}
		if c.o.err != nil {
			return c.o.err
		}
		tt := c.z.Next()
		raw := c.z.Raw()
		c.tokLine = c.line
		c.line += bytes.Count(raw, []byte{'\n'})
		if tt == html.ErrorToken {
			err := c.z.Err()
			switch {
			case err == io.EOF:
				c.popTo(0)
				return nil
			case errors.Is(err, html.ErrBufferExceeded):
				c.overflowTag(raw)
				continue
			}
			return fmt.Errorf("html: %w", err)
		}
		if len(raw) >= c.maxTok {
			c.overflow(tt, raw)
			continue
		}
		if c.skipStart {
			c.skipStart = false
			if tt == html.StartTagToken {
				c.line = c.tokLine
				continue
			}
		}
		rawEl := c.raw
		c.raw = 0
		preFirst := c.preFirst
		c.preFirst = false

		switch tt {
		case html.TextToken:
			if rawEl != 0 {
				c.rawText(rawEl, c.z.Text(), preFirst)
			} else {
				c.text(c.z.Text(), preFirst)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name := c.tagName(raw[1:])
			a := atom.Lookup(name)
			c.at.reset()
			for more := true; more; {
				var k, v []byte
				k, v, more = c.z.TagAttr()
				if k != nil {
					c.at.add(k, v)
				}
			}
			c.startTag(a, name, tt == html.SelfClosingTagToken, &c.at)
		case html.EndTagToken:
			name := c.tagName(raw[2:])
			c.endTag(atom.Lookup(name), name)
		case html.CommentToken:
			if !bytes.Equal(raw, []byte("</>")) {
				c.stats.add(rComment, c.tokLine)
			}
		}
	}
}

// tagName reads a tag's name from its raw bytes after "<" or "</", in lower
// case, as the tokenizer's TagName does but without allocating.
func (c *converter) tagName(b []byte) []byte {
	c.name = c.name[:0]
	for _, ch := range b {
		if isWS(ch) || ch == '/' || ch == '>' {
			break
		}
		if ch == 0 {
			c.name = append(c.name, "\uFFFD"...)
			continue
		}
		c.name = append(c.name, lower(ch))
	}
	return c.name
}

func (c *converter) top() *elem {
	if len(c.stack) == 0 {
		return nil
	}
	return &c.stack[len(c.stack)-1]
}

func (c *converter) flags() elemFlag {
	if t := c.top(); t != nil {
		return t.flags
	}
	return 0
}

// textShown reports whether text at the current position would show.
func (c *converter) textShown() bool { return c.flags()&fTextHidden == 0 }

// boxShown reports whether an element box at the current position would
// show (breaks, images).
func (c *converter) boxShown() bool { return c.flags()&(fDropped|fVisHidden) == 0 }

// suppressed notes that content was not shown because it is hidden; the
// element responsible is counted once.
func (c *converter) suppressed() {
	t := c.top()
	if t == nil || t.owner < 0 {
		return
	}
	o := &c.stack[t.owner]
	if o.flags&fCounted == 0 {
		o.flags |= fCounted
		c.stats.add(rHidden, c.tokLine)
	}
}

func (c *converter) text(s []byte, preFirst bool) {
	if c.headIdx >= 0 {
		if isSpace(s) {
			return
		}
		if t := c.top(); t.a == atom.Head || t.a == atom.Noscript {
			c.popTo(c.headIdx)
		}
	}
	if !isSpace(s) {
		c.sawBody = true
		c.afterRp = false
	}
	if !c.textShown() {
		if !isSpace(s) {
			c.suppressed()
		}
		return
	}
	pre := c.flags()&fPre != 0
	if pre && preFirst && len(s) > 0 && s[0] == '\n' {
		s = s[1:]
	}
	c.o.text(s, pre)
}

func (c *converter) rawText(a atom.Atom, s []byte, preFirst bool) {
	switch a {
	case atom.Title:
		if c.titleOK {
			c.o.title = cleanInlineSpace(c.o.title, s, 1024, &c.stats, c.tokLine, false, &c.titleSpace)
			c.o.titlePending = len(c.o.title) > 0
		}
	case atom.Textarea, atom.Xmp, atom.Plaintext:
		if !c.rawVisible {
			if !isSpace(s) {
				c.suppressed()
			}
			return
		}
		if preFirst && len(s) > 0 && s[0] == '\n' {
			s = s[1:]
		}
		c.o.text(s, true)
	}
	// script, style, iframe, noembed, noframes: dropped.
}

func isSpace(s []byte) bool {
	for _, c := range s {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			return false
		}
	}
	return true
}

func (c *converter) startTag(a atom.Atom, name []byte, self bool, at *tagAttrs) {
	line := c.tokLine
	c.stats.n[rEvent] += at.events
	if at.events > 0 && c.stats.line[rEvent] == 0 {
		c.stats.line[rEvent] = line
	}
	cls := classOf(a)
	if c.headIdx >= 0 && cls&cHeadContent == 0 {
		if t := c.top(); t.a == atom.Head || t.a == atom.Noscript {
			c.popTo(c.headIdx)
		}
	}
	if a != atom.Rt {
		c.afterRp = false
	}
	c.titleOK = false
	var css cssInfo
	if len(at.style) > 0 {
		css = parseStyle(at.style)
	}
	hidden := at.hidden || css.hidesSubtree()
	foreign := c.flags()&fForeign != 0
	if foreign {
		// Inside svg or math everything is dropped; only nesting matters.
		if a == atom.Script {
			c.stats.add(rScript, line)
			c.raw = a
		} else if rawAtom(a) {
			c.raw = a
		}
		if !self && cls&cVoid == 0 && !rawAtom(a) {
			c.push(a, name, 0, at, &css)
		}
		return
	}
	if cls&cClosesP != 0 {
		c.closeP()
	}
	box := c.boxShown() && !hidden

	switch a {
	case atom.Html, atom.Body:
		c.sawBody = c.sawBody || a == atom.Body
		return
	case atom.Head:
		if c.headIdx < 0 && !c.sawBody && len(c.stack) == 0 {
			if i, ok := c.push(a, name, fDropped, at, &css); ok {
				c.headIdx = i
			}
		}
		return
	}
	if a != atom.Title && a != atom.Meta && a != atom.Link && a != atom.Base && a != atom.Style && a != atom.Script {
		c.sawBody = true
	}

	switch a {
	// Void elements.
	case atom.Br:
		if !box {
			c.hiddenLeaf(hidden)
			return
		}
		c.o.br()
	case atom.Wbr, atom.Link, atom.Param, atom.Source, atom.Track, atom.Col, atom.Basefont, atom.Bgsound:
	case atom.Hr:
		if !box {
			c.hiddenLeaf(hidden)
			return
		}
		c.o.lineBreak()
		c.o.word("----")
		c.o.lineBreak()
	case atom.Img, atom.Image:
		c.image(at, &css, hidden)
	case atom.Input, atom.Keygen:
		c.stats.add(rForm, line)
	case atom.Embed, atom.Frame:
		c.stats.add(rEmbed, line)
	case atom.Area:
		if _, k := classifyTarget(at.href, c.base); k == targetActive {
			c.stats.add(rJavaScriptURL, line)
		}
	case atom.Meta:
		if bytes.EqualFold(bytes.TrimSpace(at.httpEquiv), []byte("refresh")) {
			c.stats.add(rMetaRefresh, line)
		}
	case atom.Base:
		if c.base == nil && len(at.href) > 0 && len(at.href) <= 512 {
			c.base = baseURL(at.href)
		}

	// Raw text elements.
	case atom.Script:
		c.stats.add(rScript, line)
		c.raw = a
	case atom.Style:
		c.stats.add(rStyle, line)
		c.raw = a
	case atom.Iframe:
		c.stats.add(rEmbed, line)
		c.raw = a
	case atom.Noembed, atom.Noframes:
		c.raw = a
	case atom.Title:
		c.raw = a
		c.titleOK = !c.haveTitle && !c.opts.OmitTitle && !c.o.wrote && !c.o.open
		c.haveTitle = true
	case atom.Textarea, atom.Xmp, atom.Plaintext:
		if a == atom.Textarea {
			c.stats.add(rForm, line)
		}
		c.raw = a
		c.rawVisible = box && c.textShown()
		c.rawBlock = 0
		if box {
			c.rawBlock = a
			if a == atom.Textarea {
				c.o.lineBreak()
			} else {
				c.o.paraBreak()
			}
		}
		c.preFirst = a == atom.Textarea
	case atom.Noscript:
		// We show what a reader without scripts sees.
		c.z.NextIsNotRawText()
		c.push(a, name, 0, at, &css)

	// Dropped with their content.
	case atom.Object, atom.Applet:
		c.stats.add(rEmbed, line)
		c.push(a, name, fDropped, at, &css)
	case atom.Select, atom.Button:
		c.stats.add(rForm, line)
		c.push(a, name, fDropped, at, &css)
	case atom.Template, atom.Canvas, atom.Audio, atom.Video, atom.Datalist:
		c.push(a, name, fDropped, at, &css)
	case atom.Svg, atom.Math:
		if !self {
			c.push(a, name, fDropped|fForeign, at, &css)
		}
	case atom.Dialog:
		if !at.open {
			at.hidden, hidden = true, true
		}
		c.block(a, name, box && !hidden, fBlockEnd, at, &css)

	// Blocks.
	case atom.P:
		c.block(a, name, box, fParaEnd, at, &css)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		if t := c.top(); t != nil && isHeading(t.a) && c.untracked == 0 {
			c.popTo(len(c.stack) - 1)
		}
		c.block(a, name, box, fParaEnd, at, &css)
	case atom.Form:
		c.stats.add(rForm, line)
		c.block(a, name, box, fBlockEnd, at, &css)
	case atom.Div, atom.Center, atom.Section, atom.Article, atom.Aside, atom.Header, atom.Footer,
		atom.Nav, atom.Main, atom.Hgroup, atom.Address, atom.Figure, atom.Figcaption, atom.Details,
		atom.Summary, atom.Fieldset, atom.Legend, atom.Search, atom.Caption, atom.Frameset, atom.Dt,
		atom.Marquee:
		if a == atom.Dt {
			c.closeDefinition()
		}
		c.block(a, name, box, fBlockEnd, at, &css)
	case atom.Dl:
		c.block(a, name, box, fParaEnd, at, &css)
	case atom.Dd:
		c.closeDefinition()
		if i, ok := c.block(a, name, box, fBlockEnd, at, &css); ok {
			c.addPrefix(i, "  ")
		}
	case atom.Blockquote:
		if i, ok := c.block(a, name, box, fParaEnd, at, &css); ok {
			c.addPrefix(i, "> ")
		}
	case atom.Pre, atom.Listing:
		c.block(a, name, box, fParaEnd|fPre, at, &css)
		c.preFirst = true
	case atom.Ul, atom.Ol, atom.Menu, atom.Dir:
		c.list(a, name, box, at, &css)
	case atom.Li:
		c.item(a, name, box, at, &css)

	// Tables.
	case atom.Table:
		c.block(a, name, box, fBlockEnd, at, &css)
	case atom.Tbody, atom.Thead, atom.Tfoot:
		c.closeIn(tableScope, atom.Tbody, atom.Thead, atom.Tfoot)
		c.push(a, name, 0, at, &css)
	case atom.Tr:
		c.closeIn(tableScope, atom.Tr)
		c.block(a, name, box, fBlockEnd, at, &css)
	case atom.Td, atom.Th:
		c.closeIn(tableScope, atom.Td, atom.Th)
		if box {
			c.o.cellSep()
		}
		c.push(a, name, 0, at, &css)

	case atom.A:
		c.link(a, name, at, &css)
	case atom.Rt:
		i, ok := c.push(a, name, 0, at, &css)
		if ok && !c.afterRp && c.textShown() {
			c.o.word("(")
			c.stack[i].flags |= fParen
		}
		c.afterRp = false
	default:
		if cls&cVoid != 0 {
			return
		}
		c.push(a, name, 0, at, &css)
	}
}

// hiddenLeaf counts a hidden void element that would have shown.
func (c *converter) hiddenLeaf(hidden bool) {
	if hidden && c.boxShown() {
		c.stats.add(rHidden, c.tokLine)
	}
}

// block pushes a block element, with a break before it when it shows.
func (c *converter) block(a atom.Atom, name []byte, box bool, end elemFlag, at *tagAttrs, css *cssInfo) (int, bool) {
	if box {
		if end&fParaEnd != 0 {
			c.o.paraBreak()
		} else {
			c.o.lineBreak()
		}
	}
	return c.push(a, name, end, at, css)
}

func (c *converter) list(a atom.Atom, name []byte, box bool, at *tagAttrs, css *cssInfo) {
	nested := len(c.lists) > 0
	end := fParaEnd
	if nested {
		end = fBlockEnd
	}
	flags := end | fList
	if a == atom.Ol {
		flags |= fOrdered
	}
	i, ok := c.block(a, name, box, flags, at, css)
	if !ok {
		return
	}
	c.stack[i].next = 1
	if n, ok := parseInt32(at.start); ok && a == atom.Ol {
		c.stack[i].next = n
	}
	// A list right inside a list (not inside an item) is indented.
	if nested && len(c.lists) >= 2 {
		outer := c.lists[len(c.lists)-2]
		lastItem := -1
		if len(c.items) > 0 {
			lastItem = c.items[len(c.items)-1]
		}
		if outer > lastItem {
			c.addPrefix(i, "  ")
		}
	}
}

func (c *converter) item(a atom.Atom, name []byte, box bool, at *tagAttrs, css *cssInfo) {
	// Close an open item of the same list.
	for i := len(c.stack) - 1; i >= 0 && c.untracked == 0; i-- {
		e := &c.stack[i]
		if e.a == atom.Li {
			c.popTo(i)
			break
		}
		if e.cls&cSpecial != 0 && e.a != atom.Address && e.a != atom.Div && e.a != atom.P || e.cls&cScope != 0 {
			break
		}
	}
	c.closeP()
	mark := "・"
	pad := 2
	if len(c.lists) > 0 {
		l := &c.stack[c.lists[len(c.lists)-1]]
		if l.flags&fOrdered != 0 {
			n := l.next
			if v, ok := parseInt32(at.value); ok {
				n = v
			}
			l.next = n + 1
			mark = strconv.Itoa(int(n)) + ". "
			pad = len(mark)
		}
	}
	i, ok := c.block(a, name, box, fBlockEnd|fItem, at, css)
	if !ok {
		return
	}
	if len(c.o.prefix)+pad > maxPrefix {
		return // deep enough: no more indentation and no more markers
	}
	e := &c.stack[i]
	e.flags |= fPrefix | fMarker
	e.prefixAt = int32(len(c.o.prefix))
	for range pad {
		c.o.prefix = append(c.o.prefix, ' ')
	}
	c.o.markers = append(c.o.markers, marker{at: len(c.o.prefix) - pad, pad: pad, text: mark})
}

// maxPrefix bounds the bytes of quote marks and indentation before a line,
// so deep nesting cannot multiply the size of the text.
const maxPrefix = 64

// parseInt32 parses an integer attribute such as start or value.
func parseInt32(b []byte) (int32, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 32)
	return int32(n), err == nil
}

func (c *converter) addPrefix(i int, s string) {
	if len(c.o.prefix)+len(s) > maxPrefix {
		return
	}
	e := &c.stack[i]
	e.flags |= fPrefix
	e.prefixAt = int32(len(c.o.prefix))
	c.o.prefix = append(c.o.prefix, s...)
}

func (c *converter) link(a atom.Atom, name []byte, at *tagAttrs, css *cssInfo) {
	// A new link ends an open one (unless a table cell lies between).
	if n := len(c.anchors); n > 0 && c.untracked == 0 {
		idx := c.anchors[n-1].idx
		crosses := false
		for j := idx + 1; j < len(c.stack); j++ {
			if c.stack[j].cls&cScope != 0 {
				crosses = true
				break
			}
		}
		if !crosses {
			c.popTo(idx)
		}
	}
	i, ok := c.push(a, name, 0, at, css)
	if at.href == nil {
		return
	}
	target, kind := classifyTarget(at.href, c.base)
	switch kind {
	case targetActive:
		c.stats.add(rJavaScriptURL, c.tokLine)
		return
	case targetNone:
		return
	}
	if !ok || !c.textShown() {
		return
	}
	c.stats.add(rLink, c.tokLine)
	if kind != targetWeb || c.opts.Links == LinkRemove {
		return
	}
	c.stack[i].flags |= fAnchor
	// The text buffer of an anchor finished earlier is reused: finishAnchor
	// is done with it, and it is truncated here.
	var text []byte
	if n := len(c.anchors); n < cap(c.anchors) {
		text = c.anchors[:n+1][n].text[:0]
	}
	c.anchors = append(c.anchors, anchor{idx: i, target: target, text: text})
	c.o.capture = &c.anchors[len(c.anchors)-1].text
}

func (c *converter) image(at *tagAttrs, css *cssInfo, hidden bool) {
	if !c.boxShown() {
		c.suppressed()
		return
	}
	hidden = hidden || css.visSet && css.visHidden
	w, wok := parseDim(at.width)
	if css.widthOK {
		w, wok = css.width, true
	}
	h, hok := parseDim(at.height)
	if css.heightOK {
		h, hok = css.height, true
	}
	tiny := (wok || hok) && (!wok || w <= 1) && (!hok || h <= 1) || wok && w <= 0 || hok && h <= 0
	if remoteSrc(at.src) && (tiny || hidden) {
		c.stats.add(rTracking, c.tokLine)
		return
	}
	if hidden {
		c.stats.add(rHidden, c.tokLine)
		return
	}
	if tiny || c.opts.Images == ImageRemove {
		return
	}
	alt := cleanInline(nil, at.alt, 1024, &c.stats, c.tokLine, true)
	if len(alt) == 0 {
		return
	}
	c.o.word("[" + c.label + ": " + string(alt) + "]")
}

func remoteSrc(src []byte) bool {
	src = bytes.TrimLeft(src, " \t\n\r\f")
	return hasPrefixFold(src, "http:") || hasPrefixFold(src, "https:") || bytes.HasPrefix(src, []byte("//"))
}

// push opens an element. extra may carry fDropped (dropped by design),
// fPre, fForeign and end-of-element flags; the hiding the element's own
// attributes ask for is worked out here. It returns false when the depth
// bound keeps the element from being tracked: then, if the element would
// hide its content, the deepest tracked element hides the rest of its own.
func (c *converter) push(a atom.Atom, name []byte, extra elemFlag, at *tagAttrs, css *cssInfo) (int, bool) {
	parent := elem{owner: -1}
	if t := c.top(); t != nil {
		parent = *t
	}
	e := elem{a: a, cls: classOf(a), flags: parent.flags&fInherited | extra, owner: parent.owner, prefixAt: -1}
	if a == 0 {
		e.hash = nameHash(name)
	}
	idx := int32(len(c.stack))
	hides := false
	if at.hidden || css.hidesSubtree() {
		e.flags |= fDropped
		hides = true
	}
	setBit := func(set, on bool, bit elemFlag) {
		if !set {
			return
		}
		if on {
			if e.flags&bit == 0 {
				hides = true
			}
			e.flags |= bit
		} else {
			e.flags &^= bit
		}
	}
	setBit(css.fontSet, css.fontTiny, fFontHidden)
	setBit(css.visSet, css.visHidden, fVisHidden)
	setBit(css.colorSet, css.colorTra, fColorHidden)
	if hides && parent.flags&fTextHidden == 0 {
		e.owner = idx
	} else if e.flags&fTextHidden == 0 {
		e.owner = -1
	}
	if len(c.stack) >= c.maxDepth {
		c.untracked++
		if e.flags&fTextHidden != 0 && parent.flags&fTextHidden == 0 {
			t := c.top()
			t.flags |= fDropped
			if hides {
				t.owner = int32(len(c.stack) - 1)
			}
		}
		return -1, false
	}
	c.stack = append(c.stack, e)
	c.open[e.key()]++
	i := int(idx)
	switch {
	case e.flags&fList != 0:
		c.lists = append(c.lists, i)
	case a == atom.Li:
		c.items = append(c.items, i)
	case a == atom.P:
		c.openP++
	}
	return i, true
}

// popTo closes the elements from the top down to index i.
func (c *converter) popTo(i int) {
	for len(c.stack) > i {
		c.closeTop()
	}
}

func (c *converter) closeTop() {
	i := len(c.stack) - 1
	e := c.stack[i]
	c.stack = c.stack[:i]
	c.open[e.key()]--
	if e.flags&fAnchor != 0 {
		c.finishAnchor()
	}
	if e.flags&fPrefix != 0 {
		at := int(e.prefixAt)
		if e.flags&fMarker != 0 {
			if n := len(c.o.markers); n > 0 && c.o.markers[n-1].at >= at {
				c.o.markers = c.o.markers[:n-1]
			}
		}
		c.o.prefix = c.o.prefix[:at]
	}
	switch {
	case e.flags&fList != 0:
		c.lists = c.lists[:len(c.lists)-1]
	case e.a == atom.Li:
		c.items = c.items[:len(c.items)-1]
	case e.a == atom.P:
		c.openP--
	case e.a == atom.Head:
		c.headIdx = -1
	case e.a == atom.Rp:
		c.afterRp = true
	}
	if e.flags&fParen != 0 {
		c.o.word(")")
	}
	if e.flags&(fDropped|fVisHidden) == 0 {
		switch {
		case e.flags&fParaEnd != 0:
			c.o.paraBreak()
		case e.flags&fBlockEnd != 0:
			c.o.lineBreak()
		}
	}
}

func (c *converter) finishAnchor() {
	n := len(c.anchors) - 1
	a := c.anchors[n]
	c.anchors = c.anchors[:n]
	c.o.capture = nil
	if n > 0 {
		c.o.capture = &c.anchors[n-1].text
	}
	if isSpace(a.text) || sameTarget(string(a.text), a.target) {
		return
	}
	c.o.softSpace()
	c.o.word("[")
	c.o.word(a.target)
	c.o.word("]")
}

type scope uint8

const (
	defaultScope scope = iota
	buttonScope
	listScope
	tableScope
)

func (s scope) stops(e *elem) bool {
	cl, a := e.cls, e.a
	switch s {
	case tableScope:
		return cl&cTableScope != 0
	case buttonScope:
		return cl&cScope != 0 || a == atom.Button
	case listScope:
		return cl&cScope != 0 || a == atom.Ol || a == atom.Ul
	}
	return cl&cScope != 0
}

// find returns the index of the innermost open element matching one of as
// within scope s, or -1.
func (c *converter) find(s scope, as ...atom.Atom) int {
	if !c.mayBeOpen(as...) {
		return -1
	}
	for i := len(c.stack) - 1; i >= 0; i-- {
		e := &c.stack[i]
		for _, want := range as {
			if e.a == want {
				return i
			}
		}
		if s.stops(e) {
			return -1
		}
	}
	return -1
}

// openBuckets sizes a counting filter of the names of open elements: a name
// whose bucket is empty is not open, so an end tag or implied end for it
// costs nothing, however deep the stack.
const openBuckets = 256

func (e *elem) key() uint32 {
	if e.a == 0 {
		return bucket(e.hash)
	}
	return bucket(uint32(e.a))
}

// bucket mixes a name key (an atom keeps the name's length in its low
// byte) into a filter bucket: the top 8 bits of a Fibonacci hash, so
// openBuckets must stay 256.
func bucket(k uint32) uint32 { return (k * 2654435769) >> 24 }

func (c *converter) mayBeOpen(as ...atom.Atom) bool {
	for _, a := range as {
		if c.open[bucket(uint32(a))] > 0 {
			return true
		}
	}
	return false
}

// closeIn closes the innermost element matching one of as within scope s,
// as an implied end tag.
func (c *converter) closeIn(s scope, as ...atom.Atom) {
	if c.untracked > 0 {
		return
	}
	if i := c.find(s, as...); i >= 0 {
		c.popTo(i)
	}
}

func (c *converter) closeP() {
	if c.openP > 0 {
		c.closeIn(buttonScope, atom.P)
	}
}

func (c *converter) closeDefinition() {
	if c.untracked > 0 {
		return
	}
	for i := len(c.stack) - 1; i >= 0; i-- {
		e := &c.stack[i]
		if e.a == atom.Dd || e.a == atom.Dt {
			c.popTo(i)
			return
		}
		if e.cls&cSpecial != 0 && e.a != atom.Address && e.a != atom.Div && e.a != atom.P || e.cls&cScope != 0 {
			return
		}
	}
}

func (c *converter) endTag(a atom.Atom, name []byte) {
	c.afterRp = false
	c.titleOK = false
	switch a {
	case atom.Html, atom.Body:
		return
	case atom.Br:
		c.at.reset()
		c.startTag(a, name, false, &c.at)
		return
	case atom.Script, atom.Style, atom.Title, atom.Iframe, atom.Noembed, atom.Noframes, atom.Plaintext:
		return
	case atom.Textarea, atom.Xmp:
		if c.rawBlock == a {
			c.rawBlock = 0
			if a == atom.Textarea {
				c.o.lineBreak()
			} else {
				c.o.paraBreak()
			}
		}
		return
	}
	if c.untracked > 0 {
		c.untracked--
		return
	}
	if c.flags()&fForeign != 0 {
		c.closeMatching(a, name, defaultScope)
		return
	}
	switch a {
	case atom.P:
		if c.find(buttonScope, atom.P) < 0 {
			if c.boxShown() {
				c.o.paraBreak()
			}
			return
		}
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		if i := c.find(defaultScope, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6); i >= 0 {
			c.popTo(i)
		}
		return
	case atom.Li:
		c.closeIn(listScope, atom.Li)
		return
	case atom.Table, atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr, atom.Td, atom.Th, atom.Caption:
		c.closeIn(tableScope, a)
		return
	}
	c.closeMatching(a, name, defaultScope)
}

// closeMatching closes the innermost open element named like the end tag.
// Formatting and special elements are looked for within scope s; other
// elements only up to the nearest special element (HTML's "any other end
// tag" rule).
func (c *converter) closeMatching(a atom.Atom, name []byte, s scope) {
	var h uint32
	key := uint32(a)
	if a == 0 {
		h = nameHash(name)
		key = h
	}
	if c.open[bucket(key)] == 0 {
		return
	}
	inline := classOf(a)&(cSpecial|cFormatting) == 0 && c.flags()&fForeign == 0
	for i := len(c.stack) - 1; i >= 0; i-- {
		e := &c.stack[i]
		if e.a == a && (a != 0 || e.hash == h) {
			c.popTo(i)
			return
		}
		if s.stops(e) || inline && e.cls&cSpecial != 0 {
			return
		}
	}
}
