// Package odf disarms OpenDocument text documents, spreadsheets and
// presentations (ODF 1.2/1.3: odt, ods, odp and their templates). Like
// package ooxml it never edits the input: it reads the package with limits
// and writes a new one from an allow-list. The output keeps the input's
// kind.
//
// # Reading
//
// The zip is opened with ooxml.OpenZip, so the same checks and limits
// apply: the item's MaxParts entries, Options.MaxPartSize (default 64 MiB)
// expanded bytes per entry by declaration and as read, the item's
// MaxExpanded budget for the whole package, MaxRatio for entries over 1
// MiB, safe and unique names, local headers agreeing with the central
// directory. Problems block with odf.zip, odf.path, odf.duplicate or
// odf.bomb. The mimetype entry must name an ODF type of the detected kind;
// a manifest with encryption data makes the file sanitize.ErrEncrypted.
// XML is read with ooxml's bounded tokenizer: a DOCTYPE or ENTITY
// declaration blocks with odf.dtd before any expansion.
//
// # Writing
//
// The new package holds, in this order: mimetype (stored, first, no extra
// field), content.xml, styles.xml, meta.xml and settings.xml rewritten,
// the pictures under Pictures/ that kept XML references and whose bytes
// are PNG, JPEG, GIF, BMP, TIFF, WebP, WMF, EMF or SVM, the PNG thumbnail,
// and a new META-INF/manifest.xml listing exactly these entries. Left
// behind, each with a finding:
//
//   - Basic/ and Scripts/ (macro libraries), user interface configuration
//     that calls macros, elements office:scripts, text:script,
//     table:error-macro, text:execute-macro (its text stays), any
//     attribute in the script namespace or whose value is a
//     vnd.sun.star.script:, macro:, javascript: or similar URL: odf.macro
//   - office:event-listeners, script:event-listener and
//     presentation:event-listener: odf.event
//   - draw:object, draw:object-ole, draw:plugin, draw:applet,
//     draw:floating-frame, anim:command, Object N/ subdocuments and
//     ObjectReplacements/ with the images that show them: odf.object
//   - office:forms, form:* elements and draw:control: odf.form
//   - DDE connections, DDE links and DDE() formulas: odf.dde
//   - linked sections and tables, database sources, template and
//     auto-reload links, formulas with WEBSERVICE or references to other
//     files, and every element that shows something outside the package:
//     odf.external
//   - hyperlinks (text:a, draw:a) that are not http, https, mailto or
//     inside the document, or all of them with StripHyperlinks; the link
//     text stays: odf.hyperlink
//   - digital signatures: odf.signature
//   - any other entry, SVG or PDF pictures, unreferenced pictures:
//     odf.part (recorded only for manifest.rdf, layout-cache and
//     Configurations2 without macros, which LibreOffice writes in every
//     file)
//
// LibreOffice writes an empty office:scripts and office:forms in every
// document; they are dropped without a finding. Comments and processing
// instructions are dropped. The output is deterministic and sanitizing it
// again finds nothing.
//
// todo: embedded Object N/ subdocuments (charts, formulas) are removed,
// not sanitized recursively; a chart is lost.
// todo: flat XML ODF (fodt, fods, fodp) is not handled.
package odf
