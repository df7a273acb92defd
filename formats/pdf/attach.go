package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/mugai-project/mugai/sanitize"
)

// AttachmentPolicy says what becomes of embedded files.
type AttachmentPolicy uint8

// Attachment policies.
const (
	// AttachmentsRemove removes embedded files, the /EmbeddedFiles name
	// tree and FileAttachment annotations (pdf.embedded).
	AttachmentsRemove AttachmentPolicy = iota
	// AttachmentsSanitize runs every embedded file through the engine
	// (sanitize.Item.Child) and embeds its result in place of the original;
	// a blocked one is removed with a pdf.embedded finding, a sanitized one
	// is reported as Cleaned. Related files (/RF) and portfolios
	// (/Collection) are removed either way.
	AttachmentsSanitize
)

// embeddedFile is one embedded file stream and the file specifications
// that name it.
type embeddedFile struct {
	name  string       // from the first file specification: /UF, else /F
	specs []types.Dict // file specifications whose /EF points at it
}

// findEmbedded returns the embedded file streams: every indirect object
// that a file specification's /EF dictionary points at, wherever the file
// specification sits (name tree, annotation, another object).
func (c *cleaner) findEmbedded() (map[int]*embeddedFile, []int) {
	files := map[int]*embeddedFile{}
	var order []int
	var visit func(o types.Object, depth int)
	visit = func(o types.Object, depth int) {
		if depth > maxDepth {
			return
		}
		switch v := o.(type) {
		case types.Dict:
			if ef, ok := c.object(v["EF"]).(types.Dict); ok {
				for _, k := range sortedKeys(ef) {
					n, ok := refNum(ef[k])
					if !ok {
						continue
					}
					f := files[n]
					if f == nil {
						f = &embeddedFile{name: specName(c, v)}
						files[n] = f
						order = append(order, n)
					}
					f.specs = append(f.specs, v)
				}
			}
			for _, k := range sortedKeys(v) {
				visit(v[k], depth+1)
			}
		case types.StreamDict:
			visit(v.Dict, depth+1)
		case types.Array:
			for _, e := range v {
				visit(e, depth+1)
			}
		}
	}
	for _, n := range c.nums {
		if e := c.pc.Table[n]; e != nil {
			visit(e.Object, 0)
		}
	}
	return files, order
}

// specName is the file name a file specification gives: /UF, /F, or
// "attachment".
func specName(c *cleaner, spec types.Dict) string {
	for _, k := range []string{"UF", "F", "Unix", "DOS", "Mac"} {
		b, ok := stringBytes(c.object(spec[k]))
		if !ok || len(b) == 0 {
			continue
		}
		s := string(b)
		if len(b) >= 2 && (b[0] == 0xfe && b[1] == 0xff || b[0] == 0xff && b[1] == 0xfe) {
			if d, err := types.DecodeUTF16String(s); err == nil {
				s = d
			}
		}
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "_")
		}
		// A path: the last element names the file.
		if i := strings.LastIndexAny(s, `/\:`); i >= 0 {
			s = s[i+1:]
		}
		if s != "" {
			return s
		}
	}
	return "attachment"
}

// sanitizeAttachments runs every embedded file through the engine and
// replaces its stream by the result, or removes it. It runs before the
// objects are cleaned; the streams it wrote are marked in c.keep.
func (c *cleaner) sanitizeAttachments() error {
	files, order := c.findEmbedded()
	if len(order) > c.it.Limits.MaxParts && c.it.Limits.MaxParts > 0 {
		return fmt.Errorf("pdf: %w: more than %d embedded files", sanitize.ErrTooLarge, c.it.Limits.MaxParts)
	}
	for _, n := range order {
		if err := c.ctx.Err(); err != nil {
			return fmt.Errorf("pdf: %w", err)
		}
		f := files[n]
		where := c.where(n)
		e := c.pc.Table[n]
		if c.dead[n] || e == nil {
			continue
		}
		sd, ok := e.Object.(types.StreamDict)
		if !ok {
			c.add(RuleEmbedded, where, sanitize.Removed, "embedded file is not a stream")
			c.kill(n)
			continue
		}
		// Decoded in memory (pdfcpu's stream model): no larger than a file
		// that arrives on its own may be.
		data, err := sd.DecodeLengthWithLimit(-1, min(c.it.Limits.MaxExpanded, c.it.Limits.MaxInput))
		if err != nil {
			c.add(RuleEmbedded, where, sanitize.Removed, "embedded file "+strconv.Quote(f.name)+" cannot be decoded")
			c.kill(n)
			continue
		}
		rep, blob, err := c.child(data, f.name)
		if err != nil {
			return err
		}
		c.children = append(c.children, rep)
		if rep.Outcome == sanitize.OutcomeBlocked || blob == nil {
			if blob != nil {
				blob.Close()
			}
			c.add(RuleEmbedded, where, sanitize.Removed, "embedded file "+strconv.Quote(f.name)+" blocked: "+rep.Error)
			c.kill(n)
			continue
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		_, err = io.Copy(zw, io.NewSectionReader(blob, 0, blob.Size()))
		size := blob.Size()
		blob.Close()
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			return fmt.Errorf("pdf: embedded file: %w", err)
		}
		e.Object = types.StreamDict{
			Dict: types.Dict{
				"Type":   types.Name("EmbeddedFile"),
				"Filter": types.Name("FlateDecode"),
				"Params": types.Dict{"Size": types.Integer(size)},
			},
			Raw: z.Bytes(),
		}
		c.keep[n] = true
		out := sanitize.OutputName(f.name, rep.OutputType)
		for _, spec := range f.specs {
			// The names must say what the file is now (an HTML file
			// turned into text is .txt); checksums and dates of the
			// original go.
			delete(spec, "RF")
			delete(spec, "Unix")
			delete(spec, "DOS")
			delete(spec, "Mac")
			spec["F"] = types.StringLiteral(escapeLiteral(asciiName(out)))
			spec["UF"] = types.HexLiteral(utf16Hex(out))
		}
		if rep.Outcome != sanitize.OutcomePassed {
			c.add(RuleEmbedded, where, sanitize.Cleaned, "embedded file "+strconv.Quote(f.name)+" "+string(rep.Outcome)+" and embedded again")
		}
	}
	c.pruneEmbeddedTree()
	return nil
}

// pruneEmbeddedTree drops from the /EmbeddedFiles name tree every entry
// whose file specification has no sanitized file left, so that no reader
// lists an attachment that is not there.
func (c *cleaner) pruneEmbeddedTree() {
	root, ok := c.object(*c.pc.Root).(types.Dict)
	if !ok {
		return
	}
	names, ok := c.object(root["Names"]).(types.Dict)
	if !ok {
		return
	}
	c.pruneTree(names["EmbeddedFiles"], 0, map[int]bool{})
	if t, ok := c.object(names["EmbeddedFiles"]).(types.Dict); ok {
		arr, _ := c.object(t["Names"]).(types.Array)
		if _, kids := t["Kids"]; len(arr) == 0 && !kids {
			delete(names, "EmbeddedFiles")
		}
	}
}

func (c *cleaner) pruneTree(o types.Object, depth int, seen map[int]bool) {
	if n, ok := refNum(o); ok {
		if seen[n] {
			return
		}
		seen[n] = true
	}
	d, ok := c.object(o).(types.Dict)
	if !ok || depth > maxDepth {
		return
	}
	if arr, ok := c.object(d["Names"]).(types.Array); ok {
		kept := types.Array{}
		for i := 0; i+1 < len(arr); i += 2 {
			if c.liveSpec(arr[i+1]) {
				kept = append(kept, arr[i], arr[i+1])
			}
		}
		d["Names"] = kept
		delete(d, "Limits") // advisory, and possibly wrong now
	}
	if kids, ok := c.object(d["Kids"]).(types.Array); ok {
		for _, k := range kids {
			c.pruneTree(k, depth+1, seen)
		}
	}
}

// liveSpec reports whether a file specification points at an embedded file
// the engine sanitized.
func (c *cleaner) liveSpec(o types.Object) bool {
	spec, ok := c.object(o).(types.Dict)
	if !ok {
		return false
	}
	ef, ok := c.object(spec["EF"]).(types.Dict)
	if !ok {
		return false
	}
	for _, v := range ef {
		if n, ok := refNum(v); ok && c.keep[n] && !c.dead[n] {
			return true
		}
	}
	return false
}

// child runs one embedded file through the engine. An item without an
// engine (a Sanitizer called directly) cannot: the file is blocked.
func (c *cleaner) child(data []byte, name string) (rep *sanitize.Report, blob *sanitize.Blob, err error) {
	defer func() {
		if p := recover(); p != nil {
			rep, blob, err = &sanitize.Report{Input: name, Outcome: sanitize.OutcomeBlocked, Error: "no engine to sanitize embedded files"}, nil, nil
		}
	}()
	return c.it.Child(c.ctx, bytes.NewReader(data), name, "")
}

// asciiName replaces what is not printable ASCII in a file name.
func asciiName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if ch < 0x20 || ch > 0x7e {
			b[i] = '_'
		}
	}
	return string(b)
}

// escapeLiteral escapes a string for a types.StringLiteral (which holds
// the escaped form).
func escapeLiteral(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(s)
}

// utf16Hex is s in UTF-16BE with a byte order mark, as hex (a text
// string, ISO 32000-1 7.9.2.2).
func utf16Hex(s string) string {
	var b strings.Builder
	b.WriteString("FEFF")
	for _, r := range s {
		if r > 0xffff {
			r -= 0x10000
			fmt.Fprintf(&b, "%04X%04X", 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			continue
		}
		fmt.Fprintf(&b, "%04X", r)
	}
	return b.String()
}
