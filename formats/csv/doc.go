// Package csv sanitizes CSV and TSV files against formula injection (CSV
// injection, "DDE" attacks): a cell that a spreadsheet would evaluate, such
// as =cmd|' /C calc'!A0 or =HYPERLINK(…), gets a leading apostrophe, which
// makes every spreadsheet read it as text.
//
// The bytes first go through package text: decoded to UTF-8 from whatever
// charset they are in, control and bidirectional characters removed. Then a
// small streaming tokenizer finds the start of every cell and copies every
// byte it does not change, so a benign UTF-8 CSV passes byte for byte
// (quotes, spacing and line endings included) and the engine reports it as
// passed. encoding/csv is not used: its writer re-quotes fields.
//
// # What is a formula cell
//
// A cell whose value starts (after spaces, and after the opening quote of a
// quoted field) with = + - @ TAB, CR inside quotes, or the full-width ＝ ＋
// － ＠ that Japanese input methods produce and Excel also evaluates. The
// apostrophe goes just before that character, inside the quotes of a quoted
// field: "=1+1" becomes "'=1+1". Not formulas, unless
// Options.StrictFormulas: cells that are plain signed numbers (-12, +3.5,
// -1,234, -1e3, -5%, also in full-width digits), and cells made of signs and
// spaces only (-, ＝＝＝), which spreadsheets cannot evaluate to anything.
// Phone numbers like +81-3-1234-5678 are not plain numbers and are
// neutralised: Excel would compute them.
//
// Because another program may split the file differently (Excel uses the
// locale's list separator; a renamed .tsv splits on tabs), a cell is also
// assumed to start after any comma, tab or semicolon outside quotes that is
// not the delimiter, and a number at the start of a row is exempt only if
// the rest of its line up to such a separator is numbers too: "-1,=cmd"
// starting a row is neutralised as a whole, "-12,3.5,-4" is left alone.
//
// Sanitizing is idempotent: a cell starting with an apostrophe is safe, so
// the output sanitized again is identical and has no findings.
//
// # Limits
//
// The tokenizer streams with a 64 KiB buffer; rows and cells of any length
// pass without being held. Only a bounded stretch after a trigger is looked
// at to decide whether a cell is exempt: 256 bytes for the cell (a longer
// cell is never exempt) and, at the start of a row, 4 KiB to judge the row
// as another separator would split it. A quoted field never closed before
// the end of the file is an error wrapping sanitize.ErrMalformed.
//
// Rules: csv.formula, and text's text.charset, text.invalid, text.control,
// text.bidi.
//
// todo: formula injection in plain .txt files that a user imports into a
// spreadsheet is not handled (package text does not tokenize).
package csv
