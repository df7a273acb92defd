// Package xlsx implements the "rebuild" action for Excel workbooks
// ([office] xlsx = "rebuild"): instead of filtering the package (package
// ooxml), it writes a fresh workbook with excelize that holds only what a
// reader of the data needs: the cell values of each worksheet, number
// formats, basic styles (font, fill, border, alignment), merged cells,
// column widths, row heights and sheet names. Formulas are written as their
// cached values, or kept with Options.KeepFormulas; DDE, command,
// web and external-workbook formulas are removed either way (xlsx.dde).
// Everything else is left behind: macros, macro and dialog sheets, external
// links, embedded objects, ActiveX, connections and customUI are reported
// as xlsx.part (removed); charts and chart sheets, pictures, comments,
// hyperlinks, defined names, data validation and conditional formats are
// simply not carried. Hidden sheets come out visible.
//
// # Reading and limits
//
// The package is first opened with ooxml.OpenZip (entry count, sizes,
// ratio, names, header consistency: the OOXML rules block), and the
// declared expanded size of every entry is charged to the item's
// MaxExpanded budget, since excelize expands them itself; archive/zip
// refuses an entry that expands past its declaration. excelize is opened
// with UnzipSizeLimit = the item's MaxExpanded and UnzipXMLSizeLimit =
// Options.XMLMemory (default 4 MiB): sheets and shared-string tables larger
// than that are read from temp files (Options.TmpDir). Each worksheet is
// read as a stream twice in step: our bounded XML reader (ooxml's, DTDs
// refused) gives each cell's type, style and formula, the column widths
// and merges; excelize's Rows iterator gives the values with shared strings
// resolved. The new sheet is written with excelize's StreamWriter. Memory:
// excelize holds the input file and the output zip in memory (both bounded
// by the item's MaxInput and MaxOutput), plus a small index per shared
// string; TestSharedStringsMemory measures it.
//
// The output's entries are written sorted by name (excelize writes its map
// in random order), so the output is deterministic, and rebuilding it again
// finds nothing.
//
// todo: shared formulas are kept only in their master cell with
// KeepFormulas; the other cells of the range get their cached values.
package xlsx
