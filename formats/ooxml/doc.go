// Package ooxml disarms Office Open XML packages (ECMA-376): Word, Excel and
// PowerPoint documents, their templates and their macro-enabled twins
// (docm, xlsm, pptm). It never edits the input: it reads the package with
// limits and writes a new one from an allow-list, and the result is always
// the regular twin (a .docm comes out as a .docx).
//
// # Reading
//
// The central directory is read by this package first, with the item's
// MaxParts bound, before archive/zip sees it. Each entry's local header must
// agree with its central directory record (name, method, CRC, size), entries
// must not overlap, and names must be safe part names: no "..", no absolute
// paths, drive letters, backslashes, control characters or empty segments,
// and no two names equal ignoring case. Any of these blocks the file with
// ooxml.path, ooxml.duplicate or ooxml.zip. Entries that declare more than
// MaxRatio (the item's limit) times their compressed size and more than 1 MiB
// block with ooxml.bomb. Every expanded byte is charged to the item's budget
// (sanitize.Item.ExpandLimit) and to a per-part limit (Options.MaxPartSize);
// past either the item is blocked with limit.size. Encrypted entries are
// sanitize.ErrEncrypted.
//
// XML parts are read with a bounded tokenizer over encoding/xml: element
// depth (MaxXMLDepth), tokens per part (MaxXMLTokens) and attributes per
// element (MaxXMLAttrs) are limited, end tags must match, and a DOCTYPE or
// ENTITY declaration blocks the file (ooxml.dtd) at once, so entity
// expansion never starts. Parts must be UTF-8. VML drawings, which Office
// writes with unclosed elements, are read leniently.
//
// # Limits
//
// Entries: the item's MaxParts (default 1000), counted in the central
// directory before anything is allocated for them. Expanded bytes: the
// item's MaxExpanded budget (default 200 MiB) for the whole package, and
// Options.MaxPartSize (default 64 MiB) per part, checked against the
// declared size first and against the bytes actually read. Ratio: the
// item's MaxRatio (default 100) for parts over 1 MiB. XML: MaxXMLDepth
// (default 256), MaxXMLTokens (default 20 000 000 per part), MaxXMLAttrs
// (default 256 per element); a cell formula or defined name longer than
// 64 KiB. Each is tested at N (crosses) and N+1 (blocked). Word parts with
// complex fields are read twice, and a part named by an external link once
// more; only the first reading is charged to the budget.
//
// # Writing
//
// A part crosses only if its content type is on the allow-list (Office XML
// vocabularies, images, media, fonts, printer settings, custom XML), its name
// and type are not denied, and it is reachable from the package
// relationships through relationships that were kept. Removed, each with a
// finding whose Where is the part name:
//
//   - VBA projects, vbaData.xml, VBA signatures, and macro assignments in
//     VML (x:FmlaMacro): ooxml.vba
//   - ActiveX parts and controls, form-control properties: ooxml.activex
//   - embedded OLE objects and packages (oleObject*.bin, embeddings/) and
//     the elements that show them: ooxml.ole
//   - Excel 4.0 macro sheets, dialog sheets, the sheets and defined names
//     that refer to them, Auto_Open/Auto_Close/Auto_Activate/Auto_Deactivate
//     names and names flagged as macros: ooxml.macrosheet
//   - DDE and DDEAUTO fields (w:instrText, also split across runs or built
//     from nested fields; w:fldSimple) and DDE formulas in cells:
//     ooxml.dde. A field's code is blanked, its last result stays as text; a
//     formula is removed, its cached value stays.
//   - external link parts, connections, query tables, web extensions,
//     INCLUDETEXT/INCLUDEPICTURE/LINK/IMPORT fields, external workbook
//     references in formulas, and every relationship with
//     TargetMode="External" that is not a hyperlink: ooxml.external
//   - hyperlinks that are not http, https or mailto, or all of them with
//     HyperlinksStrip: ooxml.hyperlink
//   - attached templates: ooxml.template
//   - customUI and customUI14 (ribbon callbacks), toolbars, key maps:
//     ooxml.customui
//   - altChunk imports: ooxml.altchunk
//   - digital signatures: ooxml.signature
//   - any other part not allowed or not referenced: ooxml.part
//
// [Content_Types].xml and every .rels part are written anew: overrides and
// defaults of removed parts and relationships to them are gone, and a
// macro-enabled main content type becomes the regular one (ooxml.macrotype).
// Elements that point at a removed relationship are dropped (w:hyperlink is
// unwrapped: its text stays). Comments and processing instructions are
// dropped. The output is deterministic and sanitizing it again finds
// nothing.
//
// todo: embedded documents are removed; extracting them through
// sanitize.Item.Child and re-embedding the sanitized copy is not done yet.
// todo: pptx p:oleObj removal can leave an empty graphic frame that
// PowerPoint repairs on open.
// todo: HYPERLINK field codes are kept whatever their scheme.
package ooxml
