// Package ole checks legacy Office files: Word 97–2003 (.doc/.dot), Excel
// 97–2003 (.xls/.xlt/.xla) and PowerPoint 97–2003 (.ppt/.pps/.pot), which
// are Compound File Binary containers ([MS-CFB]). It does not rewrite them:
// a file without risk factors crosses unchanged (outcome passed, in both
// the sanitize and the verify action); a file with any is blocked with a
// specific rule, or, when a Converter is configured, converted to OOXML by
// LibreOffice and sanitized by the OOXML sanitizer through the engine
// (sanitize.Item.Child). Other compound files (Outlook .msg, Visio, Ichitaro
// .jtd, encrypted OOXML) are not handled here and stay blocked with
// policy.unsupported.
//
// # Reading
//
// The compound file is read by this package's own bounded reader, not a
// library: the header is checked (signature, byte order, sector shifts,
// mini stream cutoff), the FAT is collected from the header and the DIFAT
// chain, and every sector may belong to one chain only, so a chain that
// loops, runs into another chain (the FAT, the directory, another stream)
// or leaves the file is an error; the total work is bounded by the file
// size. Directory entries are bounded by Options.MaxEntries (default 32768
// slots) and refused with limit.parts past it; the red-black trees are
// walked with each entry visited once and storages nested at most 64 deep.
// Stream sizes are checked against the file; main streams over 256 MiB are
// refused. Every problem is sanitize.ErrMalformed or sanitize.ErrTooLarge.
//
// # What is looked for
//
//   - ole.vba: storages and streams named _VBA_PROJECT_CUR, _VBA_PROJECT,
//     VBA or Macros anywhere; Excel 5 VBA module sheets (BOUNDSHEET type
//     6); the PowerPoint VBAInfoAtom with fHasMacros set (the project is an
//     ExOleObjStg inside the PowerPoint Document stream).
//   - ole.xlm: BOUNDSHEET records of the macro-sheet type, and NAME records
//     that run by themselves (built-in Auto_Open/Auto_Close/Auto_Activate/
//     Auto_Deactivate, or names starting with auto_open etc.).
//   - ole.object: storages under ObjectPool (Word), MBD* storages (Excel),
//     any \x01Ole10Native stream, any sub-storage holding \x01CompObj,
//     \x01Ole or \x03ObjInfo; PowerPoint ExEmbed and ExOleObjStg records.
//   - ole.activex: Excel's Ctls stream; PowerPoint ExControl.
//   - ole.encrypted: Word FIB fEncrypted or fObfuscated; Excel FILEPASS;
//     PowerPoint CryptSession10Container; EncryptionInfo, EncryptedPackage,
//     \x06DataSpaces or EncryptedSummary streams.
//   - ole.dde: DDE and DDEAUTO fields in Word text, found by the field
//     begin mark twice: in the raw WordDocument stream (8-bit and UTF-16)
//     and in the text read in character order through the piece table
//     (which joins instructions split across pieces); a field whose
//     instruction starts with a nested field (its keyword is computed when
//     the document is read); Excel SUPBOOK records of DDE/OLE links.
//   - ole.external: INCLUDETEXT, INCLUDEPICTURE, INCLUDE, IMPORT and LINK
//     fields; PowerPoint ExOleLink.
//   - ole.action: PowerPoint actions that run a macro or a program.
//   - ole.legacy: Word 6/95 documents and Excel 2–4 workbooks, whose
//     macros this scanner cannot see.
//
// An Excel workbook encrypted with RC4 or CryptoAPI RC4 is tried with the
// default password (VelvetSweatshop, which Excel uses silently, e.g. for a
// protected workbook structure): when the verifier matches, the records the
// scanner reads (BOUNDSHEET, NAME, SUPBOOK) are decrypted by their stream
// offset and inspected, ole.defaultpassword is recorded, and a clean file
// passes unchanged. Other passwords and XOR obfuscation block with
// ole.encrypted.
//
// # Converter
//
// Converter runs `soffice --headless --convert-to docx|xlsx|pptx` in a new
// temporary directory with its own profile, a timeout (default 2 minutes,
// the process group is killed at the deadline) and, when bubblewrap is
// installed, inside bwrap with no network, /usr and /etc read-only and only
// the work directory writable. Encrypted, malformed and over-limit files
// are not converted. The result is declared as the macro-enabled
// twin (LibreOffice may keep a VBA project) and goes through the engine as a child item: the OOXML
// sanitizer removes what is left and the engine verifies the output. The
// original findings are then reported as removed, plus ole.converted. The
// verify action forwards originals only, so there a converted file is
// blocked (verify.risk).
//
// todo: encrypted Word and PowerPoint files are not tried with a default
// password (Word and PowerPoint have none that opens silently).
// todo: Excel DDE is recognised only by SUPBOOK records with no sheets;
// external workbook references are not reported.
package ole
