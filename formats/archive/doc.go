// Package archive sanitizes archives and compressed streams: zip, tar,
// gzip, bzip2, xz, 7z and LZH. It never edits an archive: every member goes
// through the engine (sanitize.Item.Child), and a new archive is written
// from what came back. A member that was blocked is replaced by
// "<name>.removed.txt", saying in Japanese and English why it was removed
// and that the original is kept in quarantine (archive.member); a member
// whose kind changed is renamed (a.docm → a.docx).
//
// # Output
//
// zip in → zip out; tar → tar (PAX); gzip → gzip. 7z and LZH become zip,
// bzip2 and xz become gzip (archive.kind; Result.Kind tells the engine, so
// the output name follows: a.lzh → a.zip). Zip output names are UTF-8 with
// the language encoding flag (APPNOTE §4.4.4 bit 11), members are
// deflated at level 1, times are the input's, and nothing else is carried
// over: no comments, no extra fields, permissions reset to 0644. The
// same input gives the same output bytes.
//
// # Reading zip
//
// The end records and the central directory are read by this package, not
// by archive/zip, before anything is expanded (APPNOTE.TXT 6.3.10):
//
//   - ZIP64 end records and extra fields (§4.3.14, §4.5.3); values in the
//     ZIP64 record must agree with the unsaturated 32-bit ones.
//   - More than one end record that reaches the end of the file (an
//     archive hidden in the comment), split archives, a central directory
//     that does not end at the end record, or whose record count differs
//     from the end record's: archive.structure. Data after the end record
//     is ignored (recorded).
//   - Each local header must agree with its central record (name bytes,
//     method, encryption flag, CRC and sizes unless a data descriptor
//     follows), and the data must lie before the central directory:
//     archive.structure. Entries whose header+data ranges overlap (the
//     overlapping-entry bomb): archive.overlap.
//   - Encryption (flag bit 0, strong encryption bit 6, central directory
//     encryption bit 13, method 99, the WinZip AES extra field 0x9901):
//     archive.encrypted and sanitize.ErrEncrypted, so the item also carries
//     sanitize.encrypted. The original stays in quarantine; the notice
//     tells the recipient to ask the sender for an unencrypted copy or the
//     administrator for the original.
//   - Names without the UTF-8 flag are decoded with one charset for the
//     whole archive: UTF-8 when every name is valid UTF-8, else CP932
//     (Shift_JIS with the NEC and IBM extensions, as Japanese Windows
//     writes) or EUC-JP when every name decodes strictly and reads as
//     Japanese; otherwise IBM CP437, the format's default (archive.name,
//     converted). CP932 and EUC-JP are reported as archive.charset.
//     Backslashes are separators, looked at only after decoding (0x5C is a
//     CP932 trail byte). An Info-ZIP Unicode Path field (0x7075) whose
//     name differs from the decoded one blocks with archive.name (two
//     readers would show two names); one whose CRC does not match the
//     stored name is stale and ignored, as Info-ZIP specifies (recorded).
//     When the stored name cannot be decoded, a matching field's name is
//     used.
//   - Absolute paths, drive letters, ".." segments and control characters:
//     archive.path. Two names equal ignoring case: archive.duplicate. Unix
//     symbolic links, devices and sockets, and Windows reparse points:
//     archive.link (a FIFO entry is data read from a pipe and is kept).
//   - Declared sizes: an entry over MaxRatio times its compressed size
//     (and over 1 MiB) is archive.bomb; the sum over MaxExpanded is
//     limit.size; an entry over the per-member limit is removed unread.
//     An entry whose declared size and CRC are those of the whole file is
//     the archive itself (a quine such as droste.zip): archive.quine.
//   - While streaming, each member must produce exactly its declared size
//     and CRC (archive.structure), and never more than MaxRatio times its
//     compressed size (archive.bomb). Methods stored, deflate and bzip2 are
//     read; others (deflate64, LZMA, xz, zstd, PPMd, implode) remove the
//     member with archive.method.
//
// # Other formats
//
// tar is read as a stream (archive/tar): links, devices and FIFOs are
// archive.link, other entry types (sparse files, volume labels) are
// archive.entry; names are decoded as in zip, one name at a time. gzip,
// bzip2 and xz hold one member: it is judged as a whole against MaxRatio
// times the file's size, and a blocked member blocks the stream.
//
// 7z is read with github.com/bodgit/sevenzip after a bounded pre-check of
// the header (the library allocates by the counts a header claims, up to
// 2^32 records): every count is bounded by MaxParts, an LZMA or LZMA2
// encoded header is decoded here up to 16 MiB, and an AES coder anywhere
// in the header is archive.encrypted. The library's panics are recovered.
// Symbolic links and reparse points are archive.link.
//
// LZH is read by this package: headers of level 0, 1 and 2 (checksums
// verified, 0xFF directory separators, Unix mode extended headers), and
// methods -lh0-, -lh5-, -lh6- and -lh7- decoded with the member's CRC-16
// checked; other methods are removed with archive.method, level 3 headers
// are malformed.
//
// # Limits
//
// From sanitize.Limits: MaxParts entries per archive (default 1000,
// counted from the directory before anything is read, or while streaming
// for tar), MaxExpanded bytes for the whole top-level item (default
// 200 MiB; declared sizes first, then every byte through the engine's
// budget), MaxRatio per stream (default 100, for streams over 1 MiB),
// MaxDepth nesting (default 3; the engine blocks deeper members), and
// Options.MaxMemberSize per member (default the item's MaxInput). Each is
// tested at N and N+1.
//
// The engine's re-scan of the output expands the members again under a
// budget of its own (sanitize.Engine.verify), so MaxExpanded is not halved.
//
// todo: password-protected archives are blocked; the password workflow
// (PPAP) is a later issue.
// todo: RAR, CAB, cpio and compress (.Z) have no reader: policy.unsupported.
package archive
