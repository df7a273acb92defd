// Package rtf rewrites Rich Text Format files keeping text and formatting
// only, or converts them to plain text.
//
// # Reading
//
// A bounded tokenizer splits the input into groups, control words, control
// symbols, \'hh escapes, \binN data and text runs. A control word has at most
// 32 letters and its parameter at most 10 digits; groups nest at most
// Options.MaxDepth deep (default 512); the output held while a field's
// instruction is read is at most Options.MaxFieldBytes (default 8 MiB).
// Each limit is tested at N and N+1. The input must start with {\rtf;
// unclosed groups at the end are closed and data after the document is
// dropped (rtf.structure, recorded).
//
// # Rewriting
//
// Tokens that are kept are written byte for byte, so text in any code page,
// \uN characters and pictures survive exactly; groups that are removed leave
// an empty {} behind. Removed, each with a finding:
//
//   - \object groups with everything in them (\objdata, \objclass, the
//     \result rendering), and any group from a word starting with \obj:
//     rtf.object. The result is dropped rather than kept, so that no part of
//     an object crosses.
//   - fields whose instruction is DDE or DDEAUTO (rtf.dde), INCLUDETEXT,
//     INCLUDEPICTURE, INCLUDE, IMPORT or LINK (rtf.external) or MACROBUTTON
//     (rtf.field). The instruction is read as text across nested groups,
//     \'hh escapes and \u characters; when a field is nested inside an
//     instruction every word counts, not only the first. The field's
//     \fldinst goes, its \fldrslt stays as a plain group: the text the
//     reader saw stays.
//   - \*\template (rtf.template) and \nextfile (rtf.external).
//   - every ignorable destination (\*\word) not on the allow-list of text
//     and formatting destinations (font, colour, style and list tables,
//     bookmarks, annotations, shapes and pictures, form field names, Office
//     Math, …): rtf.destination. \*\datastore, \*\themedata,
//     \*\colorschememapping, embedded fonts, document variables, form field
//     entry/exit macros and HTML tags of Outlook's encapsulated HTML go this
//     way.
//
// The output is deterministic and a fixed point: sanitizing it again finds
// nothing and changes nothing.
//
// # Text
//
// With ModeText the text of the body is written as UTF-8: \par, \line,
// \row become line breaks, \tab and \cell tabs; font tables, pictures,
// field instructions, headers and footers, and removed destinations are
// skipped; field results are kept. \'hh bytes are decoded in the code page
// of the current font (\fcharset, \cpg) or of the document (\ansicpg):
// CP932 for Japanese (x/text's Shift_JIS, which is CP932 but for the
// user-defined area), GBK, Big5, EUC-KR and the Windows code pages. \uN
// characters (surrogate pairs joined) replace their \ucN fallback bytes.
//
// todo: text of \*\shptxt shapes is kept in RTF output but not in text.
package rtf
