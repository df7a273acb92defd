// Package pdf disarms PDF files (ISO 32000-1/-2): a Sanitizer for
// detect.PDF that parses the file with github.com/pdfcpu/pdfcpu, removes
// every active or external element from every object of the effective
// cross-reference table, and writes a fresh PDF of its own.
//
// # What is removed
//
// Every object the cross-reference table names is visited (objects from
// compressed object streams included; names are compared after #xx decoding),
// not only the places the specification lists:
//
//   - JavaScript: /JS entries, the /JavaScript name tree, JavaScript actions
//     (pdf.javascript);
//   - actions other than in-document ones: Launch (pdf.launch), SubmitForm
//     (pdf.submitform), ImportData (pdf.importdata), GoToR (pdf.gotor),
//     GoToE (pdf.gotoe), Sound, Movie, Rendition, RichMediaExecute,
//     GoTo3DView (pdf.multimedia), Thread and unknown action types or named
//     actions (pdf.action);
//   - /OpenAction and /AA entries other than plain GoTo navigation
//     (pdf.openaction, pdf.aa; a dangerous action there is reported by its
//     own rule);
//   - URI actions whose scheme is not http, https or mailto, or every URI
//     action with Options.Links = LinkRemove (pdf.uri);
//   - embedded files: /EmbeddedFiles, file specifications' /EF and /RF,
//     EmbeddedFile streams, FileAttachment annotations, /Collection
//     (pdf.embedded); with Options.Attachments = AttachmentsSanitize each
//     embedded file is run through the engine (sanitize.Item.Child) and its
//     result embedded again, a blocked one removed;
//   - Sound, Movie, Screen, RichMedia and 3D annotations, /RichMediaContent,
//     /3DD (pdf.multimedia);
//   - /XFA in the AcroForm (pdf.xfa); the AcroForm fields and their values stay.
//
// A removed indirect object becomes null and every reference to it is
// dropped from its dictionary or array. Each removal is a Finding with Action
// Removed and Where naming the place ("/Root/OpenAction", "page 3 annot 2",
// "obj 12").
//
// # The output
//
// The writer is ours, not pdfcpu's: only objects reachable from the
// trailer's /Root and /Info are written, renumbered in order of discovery,
// as a PDF 1.7 file with one classic cross-reference table, no object
// streams, no encryption and no /ID. Older revisions of an incrementally
// updated file, unreferenced objects and the encryption dictionary do not
// survive. The page tree is rebuilt as one /Pages node listing the pages
// found (loops, repeated and missing kids dropped, inherited attributes
// copied into each page, /Count correct), so that no reader sees other
// pages than the ones checked. Stream data is copied as it was encoded
// (after decryption). Keywords inside names and strings are escaped.
//
// A header after junk (within the first 1024 bytes) starts the file; a
// header version pdfcpu does not know (%PDF-1.8) is read as 1.7; a file
// without a usable header is read behind a header of our own, its
// cross-reference table rebuilt from the objects.
// Dictionary keys are written sorted, so the output is deterministic and
// sanitizing an output again gives the same bytes and no findings.
//
// # Encryption
//
// A file whose user password is empty (owner-password protection only) is
// decrypted, inspected and written unencrypted, with a pdf.encryption
// finding (Action Converted: verify mode may pass such a file). A file
// that needs a user password is opened with the first password that works
// among those WithPasswords put in the context and Options.Passwords, and
// handled the same way; without one, or with an unsupported security
// handler, it fails with an error wrapping sanitize.ErrEncrypted (the
// engine blocks it and the original stays in quarantine).
//
// # Limits and failures
//
// pdfcpu runs under the Sanitizer's own recover: a panic becomes an error
// wrapping sanitize.ErrMalformed, as does any parse error. Its resource
// limits are set from the item's limits (decoded bytes from
// Limits.MaxExpanded, objects from Options.MaxObjects); pages
// (Options.MaxPages), nesting (maxDepth) and objects are checked again by
// the walk, which also checks ctx between objects. Exceeding a limit is an
// error wrapping sanitize.ErrTooLarge.
//
// # Rasterizing
//
// With Options.Rasterize, or when Options.RasterizeFor says so for an item
// (the policy picks senders), the disarmed document is rendered page by
// page by poppler's pdftoppm (a missing tool is an Options.Validate
// error), under a timeout, a page limit, a fixed long side in pixels and
// an address-space limit, inside bubblewrap unless RasterOptions.Sandbox
// says otherwise, and the output is a new PDF of JPEG page images only:
// text, links and forms are lost by design. The pdf.rasterized finding is
// Recorded, so that the engine's re-scan, which rasterizes the output
// again, passes.
package pdf
