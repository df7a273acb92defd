package pdf

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/mugai-project/mugai/sanitize"
)

// cleaner walks every object of one parsed document and removes what the
// package documentation lists. It is used once, by one goroutine.
type cleaner struct {
	ctx      context.Context
	it       *sanitize.Item
	pc       *model.Context
	opt      Options
	nums     []int          // object numbers in use, ascending
	labels   map[int]string // object number → where it is ("page 2 annot 1")
	dead     map[int]bool   // removed indirect objects
	findings []sanitize.Finding
	pages    int
	pageRefs []types.IndirectRef // the pages, in order
	num      map[int]int         // old object number → number in the output
	want     func(int) bool
	keep     map[int]bool       // embedded file streams written by sanitizeAttachments
	children []*sanitize.Report // the engine's reports on embedded files
}

func newCleaner(ctx context.Context, it *sanitize.Item, pc *model.Context, opt Options) *cleaner {
	return &cleaner{ctx: ctx, it: it, pc: pc, opt: opt, labels: map[int]string{}, dead: map[int]bool{}, keep: map[int]bool{}}
}

func (c *cleaner) add(rule, where string, a sanitize.Action, detail string) {
	c.findings = append(c.findings, sanitize.Finding{Rule: rule, Where: where, Action: a, Detail: detail})
}

// tick checks the context every so many steps.
func (c *cleaner) tick(i int) error {
	if i%256 == 0 {
		if err := c.ctx.Err(); err != nil {
			return fmt.Errorf("pdf: %w", err)
		}
	}
	return nil
}

// run resolves, labels, cleans and prunes every object.
func (c *cleaner) run() error {
	for n, e := range c.pc.Table {
		if e != nil && !e.Free && n > 0 {
			c.nums = append(c.nums, n)
		}
	}
	slices.Sort(c.nums)
	for i, n := range c.nums {
		if err := c.tick(i); err != nil {
			return err
		}
		e := c.pc.Table[n]
		if lz, ok := e.Object.(types.LazyObjectStreamObject); ok {
			o, err := lz.DecodedObject(c.ctx)
			if err != nil {
				o = nil // unreadable: null, as a reader would see it
			}
			e.Object = o
		}
		switch e.Object.(type) {
		case types.ObjectStreamDict, types.XRefStreamDict, types.LazyObjectStreamObject:
			// Structure, not content: their objects are in the table.
			e.Object = nil
		}
		o, err := normalize(e.Object, 0)
		if err != nil {
			return fmt.Errorf("pdf: obj %d: %w", n, err)
		}
		if sd, ok := o.(types.StreamDict); ok {
			// The writer gives every stream a direct /Length; an indirect
			// one must not pull its object into the output (a second pass
			// would not have it: the output would not be byte-stable).
			delete(sd.Dict, "Length")
		}
		e.Object = o
	}
	root, ok := c.object(*c.pc.Root).(types.Dict)
	if !ok {
		return fmt.Errorf("pdf: %w: the catalog is not a dictionary", sanitize.ErrMalformed)
	}
	if _, ok := c.object(root["Pages"]).(types.Dict); !ok {
		return fmt.Errorf("pdf: %w: no page tree", sanitize.ErrMalformed)
	}
	// Only XFA forms need rendering by the reader; XFA is removed.
	delete(root, "NeedsRendering")
	if err := c.label(); err != nil {
		return err
	}
	if c.opt.Attachments == AttachmentsSanitize {
		if err := c.sanitizeAttachments(); err != nil {
			return err
		}
	}
	for i, n := range c.nums {
		if err := c.tick(i); err != nil {
			return err
		}
		c.cleanTop(n)
	}
	for i, n := range c.nums {
		if err := c.tick(i); err != nil {
			return err
		}
		e := c.pc.Table[n]
		e.Object = c.prune(e.Object)
	}
	return c.rebuildPages()
}

// normalize decodes #xx escapes in dictionary keys (values are decoded by
// the parser) and bounds the nesting of direct objects.
func normalize(o types.Object, depth int) (types.Object, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: objects nested deeper than %d", sanitize.ErrTooLarge, maxDepth)
	}
	switch v := o.(type) {
	case types.Dict:
		return normalizeDict(v, depth)
	case types.StreamDict:
		d, err := normalizeDict(v.Dict, depth)
		if err != nil {
			return nil, err
		}
		v.Dict = d
		return v, nil
	case types.Array:
		for i, e := range v {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			v[i] = n
		}
		return v, nil
	case types.Name:
		return types.Name(decodeName(string(v))), nil
	}
	return o, nil
}

func normalizeDict(d types.Dict, depth int) (types.Dict, error) {
	out := make(types.Dict, len(d))
	for k, v := range d {
		n, err := normalize(v, depth+1)
		if err != nil {
			return nil, err
		}
		out[decodeName(k)] = n
	}
	return out, nil
}

// decodeName decodes #xx escapes; it leaves a malformed name as it is.
func decodeName(s string) string {
	if !strings.Contains(s, "#") {
		return s
	}
	if d, err := types.DecodeName(s); err == nil {
		return d
	}
	return s
}

// object resolves o when it is a reference to a live object.
func (c *cleaner) object(o types.Object) types.Object {
	r, ok := o.(types.IndirectRef)
	if !ok {
		return o
	}
	n := r.ObjectNumber.Value()
	if c.dead[n] {
		return nil
	}
	e, ok := c.pc.Table[n]
	if !ok || e == nil || e.Free {
		return nil
	}
	return e.Object
}

func refNum(o types.Object) (int, bool) {
	r, ok := o.(types.IndirectRef)
	if !ok {
		return 0, false
	}
	return r.ObjectNumber.Value(), true
}

// label names the objects reachable from the catalog: pages and their
// annotations by number, everything else by its shortest path from /Root.
// It also counts pages against Options.MaxPages.
func (c *cleaner) label() error {
	root, ok := c.object(*c.pc.Root).(types.Dict)
	if !ok {
		return fmt.Errorf("pdf: %w: the catalog is not a dictionary", sanitize.ErrMalformed)
	}
	if n, ok := refNum(*c.pc.Root); ok {
		c.labels[n] = "/Root"
	}
	if err := c.labelPages(root["Pages"], map[int]bool{}, 0, types.Dict{}); err != nil {
		return err
	}
	queue := []int{}
	if n, ok := refNum(*c.pc.Root); ok {
		queue = append(queue, n)
	}
	if c.pc.Info != nil {
		if n, ok := refNum(*c.pc.Info); ok {
			if _, done := c.labels[n]; !done {
				c.labels[n] = "/Info"
				queue = append(queue, n)
			}
		}
	}
	seen := map[int]bool{}
	for i := 0; i < len(queue); i++ {
		if err := c.tick(i); err != nil {
			return err
		}
		n := queue[i]
		if seen[n] {
			continue
		}
		seen[n] = true
		e := c.pc.Table[n]
		if e == nil {
			continue
		}
		walkRefs(e.Object, c.labels[n], func(r int, where string) {
			if _, ok := c.labels[r]; !ok {
				c.labels[r] = where
			}
			if !seen[r] {
				queue = append(queue, r)
			}
		})
	}
	return nil
}

// inheritable are the page attributes a page may take from its ancestors
// (ISO 32000-1 7.7.3.4).
var inheritable = []string{"Resources", "MediaBox", "CropBox", "Rotate"}

// labelPages walks the page tree from o, numbering the pages, collecting
// them for rebuildPages and copying inherited attributes into each page.
// Loops and repeated pages are visited once; direct page dictionaries and
// junk in /Kids are left out.
func (c *cleaner) labelPages(o types.Object, seen map[int]bool, depth int, inh types.Dict) error {
	r, isRef := o.(types.IndirectRef)
	if !isRef {
		return nil
	}
	n := r.ObjectNumber.Value()
	if seen[n] {
		return nil // a loop in the page tree, or a page listed twice
	}
	seen[n] = true
	d, ok := c.object(o).(types.Dict)
	if !ok || depth > maxDepth {
		return nil
	}
	if kids, ok := c.object(d["Kids"]).(types.Array); ok && name(d["Type"]) != "Page" {
		sub := types.Dict{}
		for k, v := range inh {
			sub[k] = v
		}
		for _, k := range inheritable {
			if v, ok := d[k]; ok {
				sub[k] = v
			}
		}
		for _, k := range kids {
			if err := c.labelPages(k, seen, depth+1, sub); err != nil {
				return err
			}
		}
		return nil
	}
	c.pages++
	if c.pages > c.opt.maxPages() {
		return fmt.Errorf("pdf: %w: more than %d pages", sanitize.ErrTooLarge, c.opt.maxPages())
	}
	for _, k := range inheritable {
		if _, ok := d[k]; !ok && inh[k] != nil {
			d[k] = inh[k]
		}
	}
	d["Type"] = types.Name("Page")
	c.pageRefs = append(c.pageRefs, r)
	page := "page " + strconv.Itoa(c.pages)
	c.labels[n] = page
	if annots, ok := c.object(d["Annots"]).(types.Array); ok {
		for i, a := range annots {
			if an, ok := refNum(a); ok {
				if _, done := c.labels[an]; !done {
					c.labels[an] = page + " annot " + strconv.Itoa(i+1)
				}
			}
		}
	}
	return nil
}

// rebuildPages replaces the page tree with one /Pages node listing the
// pages found, with a correct /Count: readers disagree on broken trees
// (wrong counts, loops, missing kids), so the output has none.
func (c *cleaner) rebuildPages() error {
	root, ok := c.object(*c.pc.Root).(types.Dict)
	if !ok {
		return fmt.Errorf("pdf: %w: the catalog was removed", sanitize.ErrMalformed)
	}
	ref, ok := root["Pages"].(types.IndirectRef)
	if !ok || len(c.pageRefs) == 0 {
		return fmt.Errorf("pdf: %w: no pages", sanitize.ErrMalformed)
	}
	kids := make(types.Array, 0, len(c.pageRefs))
	for _, p := range c.pageRefs {
		d, ok := c.object(p).(types.Dict)
		if !ok || p.ObjectNumber == ref.ObjectNumber {
			continue
		}
		d["Parent"] = ref
		kids = append(kids, p)
	}
	if len(kids) == 0 {
		return fmt.Errorf("pdf: %w: no pages", sanitize.ErrMalformed)
	}
	c.pc.Table[ref.ObjectNumber.Value()].Object = types.Dict{
		"Type":  types.Name("Pages"),
		"Kids":  kids,
		"Count": types.Integer(len(kids)),
	}
	return nil
}

// walkRefs calls fn for every reference inside o, in a deterministic order,
// with the path to it.
func walkRefs(o types.Object, where string, fn func(n int, where string)) {
	switch v := o.(type) {
	case types.IndirectRef:
		fn(v.ObjectNumber.Value(), where)
	case types.Dict:
		for _, k := range sortedKeys(v) {
			walkRefs(v[k], where+"/"+k, fn)
		}
	case types.StreamDict:
		walkRefs(v.Dict, where, fn)
	case types.Array:
		for i, e := range v {
			walkRefs(e, where+"["+strconv.Itoa(i)+"]", fn)
		}
	}
}

func sortedKeys(d types.Dict) []string {
	ks := make([]string, 0, len(d))
	for k := range d {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (c *cleaner) where(n int) string {
	if l, ok := c.labels[n]; ok {
		return l
	}
	return "obj " + strconv.Itoa(n)
}

// kill removes indirect object n: it becomes null and references to it are
// pruned.
func (c *cleaner) kill(n int) {
	c.dead[n] = true
	if e := c.pc.Table[n]; e != nil {
		e.Object = nil
	}
}

// cleanTop cleans indirect object n.
func (c *cleaner) cleanTop(n int) {
	if c.dead[n] {
		return
	}
	e := c.pc.Table[n]
	where := c.where(n)
	switch v := e.Object.(type) {
	case types.Dict:
		if rule, detail, bad := c.judge(v); bad {
			c.add(rule, where, sanitize.Removed, detail)
			c.kill(n)
			return
		}
		c.cleanDict(v, where)
	case types.StreamDict:
		if c.keep[n] {
			return // an embedded file the engine sanitized
		}
		if rule, detail, bad := c.judge(v.Dict); bad {
			c.add(rule, where, sanitize.Removed, detail)
			c.kill(n)
			return
		}
		if _, ok := v.Dict["F"]; ok {
			// Stream data in an external file (ISO 32000-1 7.3.8.2).
			delete(v.Dict, "F")
			delete(v.Dict, "FFilter")
			delete(v.Dict, "FDecodeParms")
			c.add(RuleAction, where+"/F", sanitize.Removed, "stream data in an external file")
		}
		c.cleanDict(v.Dict, where)
	case types.Array:
		e.Object = c.cleanArray(v, where)
	}
}

// Keys removed wherever they appear, with their rule.
var removeKeys = map[string]string{
	"JS":                RuleJavaScript,
	"JavaScript":        RuleJavaScript,
	"EmbeddedFiles":     RuleEmbedded,
	"EF":                RuleEmbedded,
	"RF":                RuleEmbedded,
	"Collection":        RuleEmbedded,
	"XFA":               RuleXFA,
	"RichMediaContent":  RuleMultimedia,
	"RichMediaSettings": RuleMultimedia,
	"3DD":               RuleMultimedia,
}

// cleanDict removes risky entries of d in place and cleans direct values.
func (c *cleaner) cleanDict(d types.Dict, where string) {
	for _, k := range sortedKeys(d) {
		at := where + "/" + k
		if rule, ok := removeKeys[k]; ok && !(c.opt.Attachments == AttachmentsSanitize && (k == "EmbeddedFiles" || k == "EF")) {
			delete(d, k)
			c.add(rule, at, sanitize.Removed, "")
			continue
		}
		switch k {
		case "AA":
			c.cleanAA(d, at)
			continue
		case "OpenAction":
			c.cleanOpenAction(d, at)
			continue
		}
		switch v := d[k].(type) {
		case types.Dict:
			if rule, detail, bad := c.judge(v); bad {
				delete(d, k)
				c.add(rule, at, sanitize.Removed, detail)
				continue
			}
			c.cleanDict(v, at)
		case types.Array:
			d[k] = c.cleanArray(v, at)
		}
	}
}

// cleanArray returns a with risky direct dictionaries dropped and the rest
// cleaned.
func (c *cleaner) cleanArray(a types.Array, where string) types.Array {
	out := a[:0]
	for i, e := range a {
		at := where + "[" + strconv.Itoa(i) + "]"
		switch v := e.(type) {
		case types.Dict:
			if rule, detail, bad := c.judge(v); bad {
				c.add(rule, at, sanitize.Removed, detail)
				continue
			}
			c.cleanDict(v, at)
		case types.Array:
			e = c.cleanArray(v, at)
		}
		out = append(out, e)
	}
	return out
}

// cleanAA keeps only plain GoTo actions of an additional-actions
// dictionary (ISO 32000-1 12.6.3); d["AA"] is deleted when nothing is left.
func (c *cleaner) cleanAA(d types.Dict, where string) {
	aa, ok := c.object(d["AA"]).(types.Dict)
	if !ok {
		delete(d, "AA")
		return
	}
	for _, ev := range sortedKeys(aa) {
		c.autoAction(aa, ev, where+"/"+ev, RuleAA)
	}
	if len(aa) == 0 {
		delete(d, "AA")
	}
}

// cleanOpenAction keeps a destination or a plain GoTo (ISO 32000-1 12.3.2).
func (c *cleaner) cleanOpenAction(d types.Dict, where string) {
	if a, ok := d["OpenAction"].(types.Array); ok {
		// A destination; whatever else hides in it is cleaned.
		d["OpenAction"] = c.cleanArray(a, where)
		return
	}
	if _, ok := c.object(d["OpenAction"]).(types.Array); ok {
		return // an indirect destination, cleaned as its own object
	}
	c.autoAction(d, "OpenAction", where, RuleOpenAction)
}

// autoAction removes d[key], an action run without a click, unless it is
// a plain GoTo. A risky action is reported by its own rule, any other by
// rule.
func (c *cleaner) autoAction(d types.Dict, key, where, rule string) {
	v := d[key]
	act, ok := c.object(v).(types.Dict)
	if !ok {
		// Null, a removed action or junk: nothing a reader would run.
		delete(d, key)
		return
	}
	if name(act["S"]) == "GoTo" && act["Next"] == nil {
		if _, direct := v.(types.Dict); direct {
			c.cleanDict(act, where) // an indirect one is cleaned as its own object
		}
		return
	}
	delete(d, key)
	detail := "action " + name(act["S"])
	if r, det, bad := c.judge(act); bad {
		rule, detail = r, det
		if n, ok := refNum(v); ok {
			c.kill(n)
		}
	}
	c.add(rule, where, sanitize.Removed, detail)
}

func isDeadRef(c *cleaner, o types.Object) bool {
	n, ok := refNum(o)
	return ok && c.dead[n]
}

// Action types (ISO 32000-1 12.6.4, ISO 32000-2 12.6.4) and the rule that
// removes each; "" means the action is kept.
var actionRules = map[string]string{
	"GoTo":             "",
	"GoToDp":           "",
	"Hide":             "",
	"SetOCGState":      "",
	"ResetForm":        "",
	"Trans":            "",
	"Named":            "", // checked by name
	"URI":              "", // checked by scheme and policy
	"GoToR":            RuleGoToR,
	"GoToE":            RuleGoToE,
	"Launch":           RuleLaunch,
	"Thread":           RuleAction,
	"Sound":            RuleMultimedia,
	"Movie":            RuleMultimedia,
	"Rendition":        RuleMultimedia,
	"RichMediaExecute": RuleMultimedia,
	"GoTo3DView":       RuleMultimedia,
	"SubmitForm":       RuleSubmitForm,
	"ImportData":       RuleImportData,
	"JavaScript":       RuleJavaScript,
	"ECMAScript":       RuleJavaScript,
}

// Annotation subtypes removed with their rule.
var annotRules = map[string]string{
	"FileAttachment": RuleEmbedded,
	"Sound":          RuleMultimedia,
	"Movie":          RuleMultimedia,
	"Screen":         RuleMultimedia,
	"RichMedia":      RuleMultimedia,
	"3D":             RuleMultimedia,
}

// judge says whether dictionary d as a whole must go: a risky action, a
// risky annotation or an embedded file stream. Readers do not require /Type
// on actions or annotations and ignore a wrong one, so /S and /Subtype
// decide, whatever /Type says.
func (c *cleaner) judge(d types.Dict) (rule, detail string, bad bool) {
	typ, s := name(d["Type"]), name(d["S"])
	if s != "" {
		r, known := actionRules[s]
		switch {
		case !known && typ == "Action":
			return RuleAction, "action " + s, true
		case !known:
			// Not an action: /S also names border styles, transitions,
			// structure types.
		case r != "":
			return r, "action " + s, true
		case s == "Named":
			switch name(d["N"]) {
			case "NextPage", "PrevPage", "FirstPage", "LastPage":
			default:
				return RuleAction, "named action " + name(d["N"]), true
			}
		case s == "URI":
			if !c.uriAllowed(c.object(d["URI"])) {
				return RuleURI, "link scheme or policy", true
			}
		}
	}
	if r, ok := annotRules[name(d["Subtype"])]; ok && typ != "XObject" && typ != "Font" {
		if !(r == RuleEmbedded && c.hasKeptFile(d)) {
			return r, "annotation " + name(d["Subtype"]), true
		}
	}
	if typ == "EmbeddedFile" {
		return RuleEmbedded, "embedded file", true
	}
	return "", "", false
}

// hasKeptFile reports whether a file attachment annotation's file
// specification points at an embedded file the engine sanitized.
func (c *cleaner) hasKeptFile(annot types.Dict) bool { return c.liveSpec(annot["FS"]) }

// uriAllowed reports whether a URI action's target may stay.
func (c *cleaner) uriAllowed(o types.Object) bool {
	if c.opt.Links == LinkRemove {
		return false
	}
	b, ok := stringBytes(o)
	if !ok {
		return false
	}
	u := strings.ToLower(strings.TrimLeft(string(b), " \t\r\n\f\v\x00"))
	for _, p := range []string{"http://", "https://", "mailto:"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// stringBytes returns the bytes of a string object.
func stringBytes(o types.Object) ([]byte, bool) {
	switch v := o.(type) {
	case types.StringLiteral:
		b, err := types.Unescape(string(v))
		return b, err == nil
	case types.HexLiteral:
		b, err := hexBytes(string(v))
		return b, err == nil
	}
	return nil, false
}

// name returns the value of a name object, or "".
func name(o types.Object) string {
	if n, ok := o.(types.Name); ok {
		return string(n)
	}
	return ""
}

// prune drops references to removed objects from o.
func (c *cleaner) prune(o types.Object) types.Object {
	switch v := o.(type) {
	case types.Dict:
		for k, e := range v {
			if isDeadRef(c, e) {
				delete(v, k)
				continue
			}
			v[k] = c.prune(e)
		}
	case types.StreamDict:
		c.prune(v.Dict)
	case types.Array:
		out := v[:0]
		for _, e := range v {
			if isDeadRef(c, e) {
				continue
			}
			out = append(out, c.prune(e))
		}
		return out
	}
	return o
}
