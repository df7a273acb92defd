package pdf

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/mugai-project/mugai/sanitize"
)

// countWriter counts the bytes written, for the cross-reference offsets.
type countWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (cw *countWriter) str(s string) {
	if cw.err != nil {
		return
	}
	m, err := cw.w.WriteString(s)
	cw.n += int64(m)
	cw.err = err
}

func (cw *countWriter) bytes(b []byte) {
	if cw.err != nil {
		return
	}
	m, err := cw.w.Write(b)
	cw.n += int64(m)
	cw.err = err
}

// write writes the objects reachable from the trailer's /Root and /Info as
// a new PDF: renumbered in order of discovery, one classic cross-reference
// table (ISO 32000-1 7.5.4), no object streams, no encryption.
func (c *cleaner) write(w *bufio.Writer) error {
	num := map[int]int{}
	var order []int
	c.want = func(n int) bool {
		e, ok := c.pc.Table[n]
		return ok && e != nil && !e.Free && e.Object != nil && !c.dead[n]
	}
	visit := func(n int) {
		if _, done := num[n]; !done && c.want(n) {
			order = append(order, n)
			num[n] = len(order)
		}
	}
	rootNr, _ := refNum(*c.pc.Root)
	visit(rootNr)
	infoNr := 0
	if c.pc.Info != nil {
		if n, ok := refNum(*c.pc.Info); ok {
			if _, isDict := c.object(*c.pc.Info).(types.Dict); isDict {
				infoNr = n
				visit(n)
			}
		}
	}
	for i := 0; i < len(order); i++ {
		if err := c.tick(i); err != nil {
			return err
		}
		walkRefs(c.pc.Table[order[i]].Object, "", func(r int, _ string) { visit(r) })
	}
	if len(order) > c.opt.maxObjects() {
		return fmt.Errorf("pdf: %w: more than %d objects", sanitize.ErrTooLarge, c.opt.maxObjects())
	}
	c.num = num

	cw := &countWriter{w: w}
	cw.str("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int64, len(order))
	for i, n := range order {
		if err := c.tick(i); err != nil {
			return err
		}
		offsets[i] = cw.n
		cw.str(strconv.Itoa(i+1) + " 0 obj\n")
		o := c.pc.Table[n].Object
		if sd, ok := o.(types.StreamDict); ok {
			c.writeStream(cw, sd)
		} else {
			c.writeObj(cw, o)
		}
		cw.str("\nendobj\n")
		if cw.err != nil {
			return cw.err
		}
	}
	xref := cw.n
	cw.str("xref\n0 " + strconv.Itoa(len(order)+1) + "\n0000000000 65535 f \n")
	for _, off := range offsets {
		cw.str(fmt.Sprintf("%010d 00000 n \n", off))
	}
	cw.str("trailer\n<</Root " + strconv.Itoa(num[rootNr]) + " 0 R /Size " + strconv.Itoa(len(order)+1))
	if infoNr != 0 {
		cw.str(" /Info " + strconv.Itoa(num[infoNr]) + " 0 R")
	}
	cw.str(">>\nstartxref\n" + strconv.FormatInt(xref, 10) + "\n%%EOF\n")
	return cw.err
}

func (c *cleaner) writeStream(cw *countWriter, sd types.StreamDict) {
	d := make(types.Dict, len(sd.Dict))
	for k, v := range sd.Dict {
		d[k] = v
	}
	raw := sd.Raw
	if raw == nil {
		// Not loaded (damaged): an empty stream, without filters.
		delete(d, "Filter")
		delete(d, "DecodeParms")
	}
	delete(d, "DL")
	d["Length"] = types.Integer(len(raw))
	c.writeObj(cw, d)
	cw.str("\nstream\n")
	cw.bytes(raw)
	cw.str("\nendstream")
}

// writeObj writes a direct object. References to objects that are not
// written become null.
func (c *cleaner) writeObj(cw *countWriter, o types.Object) {
	switch v := o.(type) {
	case nil:
		cw.str("null")
	case types.Boolean:
		if v {
			cw.str("true")
		} else {
			cw.str("false")
		}
	case types.Integer:
		cw.str(strconv.Itoa(int(v)))
	case types.Float:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = 0
		}
		cw.str(strconv.FormatFloat(f, 'f', -1, 64))
	case types.Name:
		cw.str("/" + encodeName(string(v)))
	case types.StringLiteral:
		b, err := types.Unescape(string(v))
		if err != nil {
			b = nil
		}
		cw.str(literal(b))
	case types.HexLiteral:
		b, err := hexBytes(string(v))
		if err != nil {
			b = nil
		}
		cw.str("<" + hex.EncodeToString(b) + ">")
	case types.IndirectRef:
		n := v.ObjectNumber.Value()
		if m, ok := c.num[n]; ok {
			cw.str(strconv.Itoa(m) + " 0 R")
		} else {
			cw.str("null")
		}
	case types.Dict:
		cw.str("<<")
		for _, k := range sortedKeys(v) {
			if c.writesNull(v[k]) {
				continue // a null value is the same as no entry (ISO 32000-1 7.3.7)
			}
			cw.str("/" + encodeName(k) + " ")
			c.writeObj(cw, v[k])
		}
		cw.str(">>")
	case types.Array:
		cw.str("[")
		for i, e := range v {
			if i > 0 {
				cw.str(" ")
			}
			c.writeObj(cw, e)
		}
		cw.str("]")
	default:
		// A stream inside another object, or a type we do not write.
		cw.str("null")
	}
}

// encodeName escapes a name (ISO 32000-1 7.3.5): every byte outside
// the regular printable characters as #xx.
//
// The first letter of a keyword inside a name (obj, stream, xref,
// trailer) is escaped too: naive parsers that scan for keywords must not
// read our output differently from careful ones.
func encodeName(s string) string {
	const hexd = "0123456789ABCDEF"
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch < 0x21 || ch > 0x7e, ch == '#', keywordAt(s, i), ch == '%', ch == '(', ch == ')', ch == '<', ch == '>',
			ch == '[', ch == ']', ch == '{', ch == '}', ch == '/':
			b = append(b, '#', hexd[ch>>4], hexd[ch&15])
		default:
			b = append(b, ch)
		}
	}
	return string(b)
}

// literal writes b as a literal string with every special byte escaped.
func literal(b []byte) string {
	out := make([]byte, 0, len(b)+2)
	out = append(out, '(')
	str := string(b)
	for i, ch := range b {
		switch {
		case ch == '(' || ch == ')' || ch == '\\':
			out = append(out, '\\', ch)
		case ch == '\n':
			out = append(out, '\\', 'n')
		case ch == '\r':
			out = append(out, '\\', 'r')
		case ch < 0x20 || ch >= 0x7f || keywordAt(str, i):
			out = append(out, '\\', '0'+ch>>6, '0'+(ch>>3)&7, '0'+ch&7)
		default:
			out = append(out, ch)
		}
	}
	return string(append(out, ')'))
}

// hexBytes decodes a hex string, ignoring white space and padding an odd
// digit with 0 (ISO 32000-1 7.3.4.3).
func hexBytes(s string) ([]byte, error) {
	d := make([]byte, 0, len(s)+1)
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case ' ', '\t', '\r', '\n', '\f', 0:
		default:
			d = append(d, ch)
		}
	}
	if len(d)%2 == 1 {
		d = append(d, '0')
	}
	return hex.DecodeString(string(d))
}

// writesNull reports whether writeObj writes o as null.
func (c *cleaner) writesNull(o types.Object) bool {
	switch v := o.(type) {
	case nil:
		return true
	case types.IndirectRef:
		_, ok := c.num[v.ObjectNumber.Value()]
		return !ok
	case types.Boolean, types.Integer, types.Float, types.Name, types.StringLiteral, types.HexLiteral, types.Dict, types.Array:
		return false
	}
	return true
}

// keywords are the file-structure keywords escaped inside names and
// strings.
var keywords = []string{"obj", "stream", "xref", "trailer"}

// keywordAt reports whether a keyword starts at s[i:].
func keywordAt(s string, i int) bool {
	for _, k := range keywords {
		if len(s)-i >= len(k) && s[i:i+len(k)] == k {
			return true
		}
	}
	return false
}
