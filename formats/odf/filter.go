package odf

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/sanitize"
)

// Namespaces of ODF 1.3 part 3 §1.5 and of XLink.
const (
	nsOffice       = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
	nsScript       = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
	nsDraw         = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
	nsText         = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
	nsTable        = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
	nsForm         = "urn:oasis:names:tc:opendocument:xmlns:form:1.0"
	nsPresentation = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
	nsMeta         = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
	nsAnim         = "urn:oasis:names:tc:opendocument:xmlns:animation:1.0"
	nsManifest     = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
	nsXLink        = "http://www.w3.org/1999/xlink"
)

// verdict is what happens to one element.
type verdict uint8

const (
	vKeep   verdict = iota // written, attributes filtered
	vSkip                  // dropped with everything inside
	vLazy                  // dropped with everything inside; a finding only if it has child elements
	vUnwrap                // its tags dropped, its content kept
)

type elemRule struct {
	v    verdict
	rule string
}

// elements maps namespace and local name to what happens to the element.
// Elements not listed are kept; their xlink:href and attributes are checked
// in filter.start.
var elements = map[[2]string]elemRule{
	{nsOffice, "scripts"}:               {vLazy, RuleMacro}, // LibreOffice writes an empty one everywhere
	{nsOffice, "event-listeners"}:       {vLazy, RuleEvent},
	{nsOffice, "forms"}:                 {vLazy, RuleForm},
	{nsOffice, "dde-source"}:            {vSkip, RuleDDE},
	{nsScript, "event-listener"}:        {vSkip, RuleEvent},
	{nsPresentation, "event-listener"}:  {vSkip, RuleEvent},
	{nsText, "script"}:                  {vSkip, RuleMacro},
	{nsText, "execute-macro"}:           {vUnwrap, RuleMacro},
	{nsText, "section-source"}:          {vSkip, RuleExternal},
	{nsText, "dde-connection-decls"}:    {vSkip, RuleDDE},
	{nsText, "dde-connection-decl"}:     {vSkip, RuleDDE},
	{nsText, "dde-connection"}:          {vUnwrap, RuleDDE},
	{nsTable, "table-source"}:           {vSkip, RuleExternal},
	{nsTable, "cell-range-source"}:      {vSkip, RuleExternal},
	{nsTable, "dde-links"}:              {vSkip, RuleDDE},
	{nsTable, "dde-link"}:               {vSkip, RuleDDE},
	{nsTable, "dde-source"}:             {vSkip, RuleDDE},
	{nsTable, "error-macro"}:            {vSkip, RuleMacro},
	{nsDraw, "object"}:                  {vSkip, RuleObject},
	{nsDraw, "object-ole"}:              {vSkip, RuleObject},
	{nsDraw, "plugin"}:                  {vSkip, RuleObject},
	{nsDraw, "applet"}:                  {vSkip, RuleObject},
	{nsDraw, "floating-frame"}:          {vSkip, RuleObject},
	{nsDraw, "control"}:                 {vSkip, RuleForm},
	{nsAnim, "command"}:                 {vSkip, RuleObject},
	{nsMeta, "template"}:                {vSkip, RuleExternal},
	{nsMeta, "auto-reload"}:             {vSkip, RuleExternal},
	{nsTable, "database-source-query"}:  {vSkip, RuleExternal},
	{nsTable, "database-source-sql"}:    {vSkip, RuleExternal},
	{nsTable, "database-source-table"}:  {vSkip, RuleExternal},
	{nsTable, "source-service"}:         {vSkip, RuleExternal},
	{nsForm, "form"}:                    {vSkip, RuleForm},
	{nsPresentation, "event-listeners"}: {vLazy, RuleEvent},
}

// filter rewrites one XML stream.
type filter struct {
	j     *job
	part  string
	x     *ooxml.XMLReader
	w     *ooxml.XMLWriter
	stack []frame // one per open element of the input
	skip  int     // > 0: inside a dropped element opened at this stack depth
	lazy  string  // rule of a vLazy element being dropped; "" once reported
	lazyN xml.Name
}

type frame struct {
	name    xml.Name
	written bool
}

func (j *job) filterPart(w io.Writer, f *zip.File) error {
	rc, err := j.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	ft := &filter{j: j, part: f.Name, x: ooxml.NewXMLReader(rc, f.Name, j.opt.XML), w: ooxml.NewXMLWriter(w)}
	ft.w.Decl()
	if err := ft.run(); err != nil {
		return err
	}
	return ft.w.Flush()
}

func (ft *filter) run() error {
	for n := 0; ; n++ {
		if n&0xfff == 0 {
			if err := ft.j.ctx.Err(); err != nil {
				return err
			}
		}
		tok, err := ft.x.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			ft.stack = append(ft.stack, frame{name: t.Name})
			if ft.skip > 0 {
				if ft.lazy != "" {
					rule := ft.lazy
					if ft.lazyN.Local == "scripts" && t.Name.Local == "event-listeners" {
						rule = RuleEvent
					}
					ft.j.find(rule, ft.part, sanitize.Removed, ft.lazyN.Space+":"+ft.lazyN.Local+" with content")
					ft.lazy = ""
				}
				continue
			}
			ft.start(t)
		case xml.EndElement:
			top := ft.stack[len(ft.stack)-1]
			ft.stack = ft.stack[:len(ft.stack)-1]
			if ft.skip > 0 {
				if len(ft.stack)+1 == ft.skip {
					ft.skip, ft.lazy = 0, ""
				}
				continue
			}
			if top.written {
				ft.w.End(t.Name)
			}
		case xml.CharData:
			if ft.skip == 0 {
				ft.w.Text(t)
			}
		}
	}
}

// start decides about one element outside any dropped element.
func (ft *filter) start(se xml.StartElement) {
	uri := ft.x.URI(se.Name.Space)
	name := se.Name.Space + ":" + se.Name.Local
	r := elements[[2]string{uri, se.Name.Local}]
	if uri == nsForm && r.v == vKeep {
		r = elemRule{vSkip, RuleForm}
	}
	if uri == nsScript && r.v == vKeep {
		r = elemRule{vSkip, RuleMacro}
	}
	href, hasHref := ft.href(se)
	if r.v == vKeep && hasHref {
		if (uri == nsText || uri == nsDraw) && se.Name.Local == "a" {
			if rule, detail := ft.j.hyperlink(href); rule != "" {
				r = elemRule{vUnwrap, rule}
				ft.j.find(rule, ft.part, sanitize.Removed, detail)
			}
		} else if rule, detail := ft.j.embedded(href); rule != "" {
			r = elemRule{vSkip, rule}
			a := sanitize.Removed
			if rule == RulePart {
				a = sanitize.Recorded
			}
			ft.j.find(rule, ft.part, a, name+": "+detail)
		}
	} else if r.v == vSkip || r.v == vUnwrap {
		ft.j.find(r.rule, ft.part, sanitize.Removed, name)
	}
	switch r.v {
	case vSkip:
		ft.skip = len(ft.stack)
		return
	case vLazy:
		ft.skip, ft.lazy, ft.lazyN = len(ft.stack), r.rule, se.Name
		return
	case vUnwrap:
		return
	}
	attrs := se.Attr[:0:0]
	for _, a := range se.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			attrs = append(attrs, a)
			continue
		}
		auri := ""
		if a.Name.Space != "" {
			auri = ft.x.URI(a.Name.Space)
		}
		if auri == nsScript || scriptURL(a.Value) {
			ft.j.find(RuleMacro, ft.part, sanitize.Removed, name+" attribute "+a.Name.Local)
			continue
		}
		if (a.Name.Local == "url" || a.Name.Local == "href") && auri != nsXLink {
			// A URL outside XLink (text:url of a bibliography entry, …):
			// the hyperlink rules apply.
			if rule, detail := ft.j.hyperlink(a.Value); rule != "" && strings.TrimSpace(a.Value) != "" {
				ft.j.find(rule, ft.part, sanitize.Removed, name+" attribute "+a.Name.Local+": "+detail)
				continue
			}
		}
		if formulaAttr(a) {
			if rule := badFormula(a.Value); rule != "" {
				ft.j.find(rule, ft.part, sanitize.Removed, name+" attribute "+a.Name.Local)
				continue
			}
		}
		attrs = append(attrs, a)
	}
	se.Attr = attrs
	ft.stack[len(ft.stack)-1].written = true
	ft.w.Start(se)
}

// href returns the element's xlink:href.
func (ft *filter) href(se xml.StartElement) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == "href" && a.Name.Space != "" && ft.x.URI(a.Name.Space) == nsXLink {
			return a.Value, true
		}
	}
	return "", false
}

// scriptURL reports whether v is a macro or script URL.
func scriptURL(v string) bool {
	l := strings.ToLower(strings.TrimSpace(v))
	for _, p := range []string{"vnd.sun.star.script:", "macro:", "javascript:", "vbscript:", "service:", "vnd.sun.star.basic:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// formulaAttr reports whether an attribute holds a formula or an address
// that can carry one: by its name, or by a formula namespace prefix
// (of:, oooc:, msoxl:, ooow:) or a leading = in its value, whatever the
// attribute is called.
func formulaAttr(a xml.Attr) bool {
	switch a.Name.Local {
	case "formula", "expression", "condition", "base-cell-address", "cell-range-address", "target-range-address":
		return true
	}
	v := strings.ToLower(strings.TrimSpace(a.Value))
	for _, p := range []string{"of:", "oooc:", "msoxl:", "ooow:", "="} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// badFormula returns the rule under which a formula (or a range address
// that can carry one) is removed: DDE calls, web functions and references
// to other files. "" keeps it.
func badFormula(v string) string {
	u := strings.ToUpper(strings.Join(strings.Fields(v), ""))
	switch {
	case strings.Contains(u, "DDE("):
		return RuleDDE
	case strings.Contains(u, "WEBSERVICE("), strings.Contains(u, "FILTERXML("), strings.Contains(u, "ENCODEURL("),
		strings.Contains(u, "'#$"), strings.Contains(u, "'FILE:"), strings.Contains(u, "'HTTP"), strings.Contains(u, "'FTP:"),
		strings.Contains(u, "'SMB:"), strings.Contains(u, "'\\\\"), strings.Contains(u, "CALL("), strings.Contains(u, "REGISTER("):
		return RuleExternal
	}
	return ""
}

// hyperlink returns the rule under which a hyperlink is unwrapped, or "" to
// keep it: links inside the document and, unless StripHyperlinks, http,
// https and mailto links survive.
func (j *job) hyperlink(href string) (string, string) {
	h := strings.TrimSpace(href)
	if strings.HasPrefix(h, "#") {
		return "", ""
	}
	if scriptURL(h) {
		return RuleMacro, "hyperlink runs a macro or script"
	}
	if j.opt.StripHyperlinks {
		return RuleHyperlink, "hyperlink"
	}
	u, err := url.Parse(h)
	if err == nil {
		switch strings.ToLower(u.Scheme) {
		case "http", "https":
			if u.Host != "" {
				return "", ""
			}
		case "mailto":
			return "", ""
		}
	}
	return RuleHyperlink, "hyperlink that is not http, https or mailto"
}

// embedded returns the rule under which an element that shows href (an
// image, a fill, a font) is dropped, or "" to keep it: it must name a kept
// entry of the package, which is then referenced.
func (j *job) embedded(href string) (string, string) {
	h := strings.TrimSpace(href)
	if h == "" || strings.HasPrefix(h, "#") {
		return "", ""
	}
	if scriptURL(h) {
		return RuleMacro, "script URL"
	}
	u, err := url.Parse(h)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/") {
		return RuleExternal, "reference outside the package"
	}
	p := strings.TrimPrefix(path.Clean(u.Path), "./")
	if p == ".." || strings.HasPrefix(p, "../") || p == "." {
		return RuleExternal, "reference outside the package"
	}
	key := strings.ToLower(p)
	if j.keep[key] != nil {
		j.refs[key] = true
		return "", ""
	}
	if rule := j.removed[key]; rule != "" {
		return rule, "reference to a removed entry"
	}
	for k, rule := range j.removed {
		if strings.HasPrefix(k, key+"/") {
			return rule, "reference to a removed entry"
		}
	}
	return RulePart, "reference to a missing entry"
}

func isSentinel(err error) bool {
	for _, e := range []error{sanitize.ErrTooLarge, sanitize.ErrMalformed, sanitize.ErrEncrypted, sanitize.ErrTimeout, sanitize.ErrUnsupported, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
