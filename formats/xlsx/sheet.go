package xlsx

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/sanitize"
)

// MaxMerges bounds the merged ranges of one sheet.
const MaxMerges = 1 << 16

// cell is what our own reading of a sheet found about one cell.
type cell struct {
	col      int
	typ      string // the c/@t attribute
	style    int
	formula  string
	hasF     bool
	value    string // text of <v>
	hasValue bool
}

// copySheet streams one worksheet into the new workbook. The sheet is read
// twice in step: our bounded XML reader gives each cell's type, style and
// formula, and excelize's Rows iterator gives the values with shared
// strings resolved (from a temp file when the table is large).
func (j *job) copySheet(sh sheet) error {
	f := j.p.ByKey[strings.ToLower(sh.part)]
	if f == nil {
		j.find(RulePart, sh.part, sanitize.Recorded, "sheet part missing")
		return nil
	}
	sw, err := j.out.NewStreamWriter(sh.name)
	if err != nil {
		return fmt.Errorf("xlsx: %v: %w", err, sanitize.ErrMalformed)
	}
	rows, err := j.in.Rows(sh.name)
	if err != nil {
		return fmt.Errorf("xlsx: %s: %v: %w", sh.name, err, sanitize.ErrMalformed)
	}
	defer rows.Close()
	rc, err := j.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	x := ooxml.NewXMLReader(rc, f.Name, j.opt.XML)

	var (
		exRow     int      // rows excelize's iterator has been advanced to
		rowNum    int      // current row (1-based)
		rowHeight float64  // custom height of the current row, 0 if none
		cells     []cell   // cells of the current row
		cur       *cell    // cell being read
		text      []string // element names whose text we collect: "v", "f"
		merges    int
		inData    bool
		widths    []colWidth
	)
	var buf strings.Builder
	for n := 0; ; n++ {
		if n&0xfff == 0 {
			if err := j.ctx.Err(); err != nil {
				return err
			}
		}
		tok, err := x.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "sheetData":
				inData = true
				for _, c := range widths {
					_ = sw.SetColWidth(c.lo, c.hi, c.w) // a width excelize refuses is dropped
				}
				widths = nil
			case "col":
				if inData {
					continue
				}
				lo, hi := atoi(attrOf(t, "min")), atoi(attrOf(t, "max"))
				w, err := strconv.ParseFloat(attrOf(t, "width"), 64)
				if err == nil && lo >= 1 && hi >= lo && hi <= excelize.MaxColumns && w > 0 && w <= 255 {
					// Adjacent ranges of one width become one: excelize
					// writes a range column by column, and setting
					// thousands of single columns again is quadratic.
					if n := len(widths); n > 0 && widths[n-1].hi+1 == lo && widths[n-1].w == w {
						widths[n-1].hi = hi
					} else if n == 0 || lo > widths[n-1].hi {
						widths = append(widths, colWidth{lo, hi, w})
					}
				}
			case "row":
				if !inData {
					continue
				}
				r := rowNum + 1
				if v := attrOf(t, "r"); v != "" {
					r = atoi(v)
				}
				if r <= rowNum || r > excelize.TotalRows {
					return fmt.Errorf("xlsx: %s: row %d out of order: %w", sh.name, r, sanitize.ErrMalformed)
				}
				rowNum, cells, rowHeight = r, cells[:0], 0
				if attrOf(t, "customHeight") == "1" || attrOf(t, "customHeight") == "true" {
					if h, err := strconv.ParseFloat(attrOf(t, "ht"), 64); err == nil && h > 0 && h <= excelize.MaxRowHeight {
						rowHeight = h
					}
				}
			case "c":
				if rowNum == 0 {
					continue
				}
				col := 1
				if len(cells) > 0 {
					col = cells[len(cells)-1].col + 1
				}
				if ref := attrOf(t, "r"); ref != "" {
					c, r, err := excelize.CellNameToCoordinates(ref)
					if err != nil || r != rowNum {
						return fmt.Errorf("xlsx: %s: bad cell reference %q: %w", sh.name, ref, sanitize.ErrMalformed)
					}
					col = c
				}
				if col > excelize.MaxColumns || (len(cells) > 0 && col <= cells[len(cells)-1].col) {
					return fmt.Errorf("xlsx: %s: cells out of order in row %d: %w", sh.name, rowNum, sanitize.ErrMalformed)
				}
				cells = append(cells, cell{col: col, typ: attrOf(t, "t"), style: atoi(attrOf(t, "s"))})
				cur = &cells[len(cells)-1]
			case "v", "f":
				if cur != nil {
					text = append(text, t.Name.Local)
					buf.Reset()
					if t.Name.Local == "f" {
						cur.hasF = true
					}
				}
			case "mergeCell":
				a, b, ok := strings.Cut(attrOf(t, "ref"), ":")
				if !ok {
					continue
				}
				if merges++; merges > MaxMerges {
					return fmt.Errorf("xlsx: %s: more than %d merged ranges: %w", sh.name, MaxMerges, sanitize.ErrTooLarge)
				}
				if _, _, err := excelize.CellNameToCoordinates(a); err != nil {
					continue
				}
				if _, _, err := excelize.CellNameToCoordinates(b); err != nil {
					continue
				}
				_ = sw.MergeCell(a, b)
			}
		case xml.CharData:
			if len(text) > 0 {
				if buf.Len()+len(t) > ooxml.DefaultMaxPartSize {
					return fmt.Errorf("xlsx: cell text too long: %w", sanitize.ErrTooLarge)
				}
				buf.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "f":
				if cur != nil && len(text) > 0 {
					text = text[:len(text)-1]
					if t.Name.Local == "v" {
						cur.value, cur.hasValue = buf.String(), true
					} else {
						cur.formula = buf.String()
					}
				}
			case "c":
				cur = nil
			case "row":
				if rowNum == 0 || !inData {
					continue
				}
				var exCols []string
				if needsExcelize(cells) {
					for exRow < rowNum && rows.Next() {
						exRow++
					}
					if exRow == rowNum {
						if exCols, err = rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
							return fmt.Errorf("xlsx: %s: %v: %w", sh.name, err, sanitize.ErrMalformed)
						}
					}
				}
				if err := j.writeRow(sw, sh, rowNum, rowHeight, cells, exCols); err != nil {
					return err
				}
			case "sheetData":
				inData = false
			}
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %s: %v: %w", sh.name, err, sanitize.ErrMalformed)
	}
	return nil
}

type colWidth struct {
	lo, hi int
	w      float64
}

func needsExcelize(cells []cell) bool {
	for _, c := range cells {
		if c.typ == "s" || c.typ == "inlineStr" {
			return true
		}
	}
	return false
}

func (j *job) writeRow(sw *excelize.StreamWriter, sh sheet, rowNum int, height float64, cells []cell, exCols []string) error {
	if len(cells) == 0 && height == 0 {
		return nil
	}
	first := 1
	if len(cells) > 0 {
		first = cells[0].col
	}
	vals := make([]any, 0, len(cells))
	for _, c := range cells {
		for first+len(vals) < c.col {
			vals = append(vals, nil)
		}
		out := excelize.Cell{StyleID: j.style(c.style)}
		switch c.typ {
		case "s", "inlineStr":
			if c.col-1 < len(exCols) {
				out.Value = exCols[c.col-1]
			}
		case "b":
			if c.hasValue {
				out.Value = strings.TrimSpace(c.value) == "1" || strings.EqualFold(strings.TrimSpace(c.value), "true")
			}
		case "str", "e", "d":
			if c.hasValue {
				out.Value = c.value
			}
		default:
			if c.hasValue {
				if v, err := strconv.ParseFloat(strings.TrimSpace(c.value), 64); err == nil {
					out.Value = v
				} else {
					out.Value = c.value
				}
			}
		}
		if c.hasF {
			where := fmt.Sprintf("%s!%s", sh.name, cellName(c.col, rowNum))
			switch why := dangerous(c.formula); {
			case why != "":
				j.find(RuleDDE, where, sanitize.Removed, why)
			case j.opt.KeepFormulas && c.formula != "":
				out.Formula = c.formula
			default:
				j.formulas++
			}
		}
		vals = append(vals, out)
	}
	var opts []excelize.RowOpts
	if height > 0 {
		opts = append(opts, excelize.RowOpts{Height: height})
	}
	if err := sw.SetRow(cellName(first, rowNum), vals, opts...); err != nil {
		return fmt.Errorf("xlsx: %s row %d: %v: %w", sh.name, rowNum, err, sanitize.ErrMalformed)
	}
	return nil
}

func cellName(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col, row)
	return n
}

// style maps an input cell format index to a style of the new workbook
// holding only its number format, font, fill, border and alignment.
func (j *job) style(idx int) int {
	if idx <= 0 {
		return 0
	}
	if v, ok := j.styles[idx]; ok {
		return v
	}
	id := 0
	if st, err := j.in.GetStyle(idx); err == nil && st != nil {
		ns := &excelize.Style{Border: st.Border, Fill: st.Fill, Font: st.Font, Alignment: st.Alignment,
			NumFmt: st.NumFmt, DecimalPlaces: st.DecimalPlaces, NegRed: st.NegRed}
		// excelize reports a colour it cannot resolve (no theme part) as "",
		// which it would write back as the invalid ARGB "FF".
		var fc []string
		for _, c := range ns.Fill.Color {
			if c != "" {
				fc = append(fc, c)
			}
		}
		ns.Fill.Color = fc
		if ns.Fill.Type == "pattern" && len(fc) == 0 {
			ns.Fill = excelize.Fill{}
		}
		ns.Border = nil
		for _, b := range st.Border {
			if b.Color == "" {
				b.Color = "000000"
			}
			ns.Border = append(ns.Border, b)
		}
		if st.CustomNumFmt != nil && len(*st.CustomNumFmt) <= 255 {
			ns.CustomNumFmt = st.CustomNumFmt
		}
		if v, err := j.out.NewStyle(ns); err == nil {
			id = v
		}
	}
	j.styles[idx] = id
	return id
}

func attrOf(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}
