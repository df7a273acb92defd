// Package uue finds uuencoded files inside text bodies, so that the mail
// sanitizer can treat each as an attachment and remove it from the text.
//
// Old mailers, and some attackers, put
//
//	begin 644 name.exe
//	M<encoded line>
//	`
//	end
//
// blocks in a text/plain body, and mail clients such as Thunderbird show them
// as attachments. Split copies a body to a writer with every such block
// removed and hands each decoded block to a callback.
//
// # Format
//
// uuencode is described by POSIX (XCU uuencode, "Description of Encoding"):
// a begin line "begin <mode> <name>", body lines whose first character
// encodes the number of data bytes (character − 0x20, masked to 6 bits; 'M'
// is 45) followed by that many bytes in groups of 3 as 4 characters from
// 0x20–0x5F, a zero-length line ("`", or a space), and the line "end". The
// base64 variant (uuencode -m) starts with "begin-base64 <mode> <name>",
// has RFC 4648 base64 lines and ends with "====".
//
// # Rules
//
// Lines end at LF; a CR before the LF belongs to the line ending.
//
//   - A begin line starts at the first column: "begin" or "begin-base64",
//     spaces or tabs, 1 to 8 octal digits, spaces or tabs, a non-empty name
//     (trailing spaces and tabs are dropped from Name). Its mode is strict
//     when it has 3 or 4 digits, as every encoder writes.
//   - A body line of a uuencode block has a length character from 0x20 to
//     0x60 ('`' is zero, like the space), and at least as many characters as
//     that length needs (ceil(4n/3)) and at most one more than the full
//     groups (room for the checksum character some encoders add), all from
//     0x20 to 0x60. A zero-length line is a space or '`' (more of them are
//     allowed). A base64 body line is base64 of a length that is a multiple
//     of 4, with padding only on the last line. The end lines are "end"
//     (after the zero-length line or, leniently, without it) and "====",
//     with trailing spaces and tabs allowed.
//
// Deciding between prose and a block (fail closed). Mail readers that
// decode uuencode in text (Thunderbird, Emacs Gnus, GNU uudecode, Perl's
// MIME-tools) take a begin line with a 3- or 4-digit mode and decode what
// follows up to "end", skipping or masking whatever does not look like
// uuencode. So whether prose follows does not decide what they do, and a
// strict begin line must never reach the text:
//
//   - A begin line with a strict mode always starts a block, whatever
//     follows it ("begin 2024 plans" included: readers take it as a block
//     too). The block takes the valid body lines after it; the first line
//     that is not one, or the end of the input before the end line, breaks
//     it: fn receives the Block with Err set (wrapping
//     sanitize.ErrMalformed) and the data decoded so far, and the caller
//     must block it. The breaking line and what follows are scanned as text
//     again; without their begin line no reader decodes them.
//   - A begin line with another mode ("begin 3 times") is a block only if
//     the line right after it is a body line (a data line, a "`"
//     zero-length line or the end line). Otherwise it is prose and stays in
//     the text. One line of evidence is enough: prose is very unlikely to
//     be a valid uuencode line (lower-case letters are outside the
//     alphabet).
//   - Removing a block joins the text before and after it. If that would put
//     such a prose begin line right before encoded lines (as in
//     "begin 3 a\nbegin 644 b\n…end\nM…\nend"), those lines are removed
//     too and reported as a broken Block under the prose line's name. So
//     the text output never contains a block: running Split on it again
//     finds nothing and changes nothing.
//   - Lines longer than MaxLine bytes pass through as text without being
//     buffered, and break a block in progress.
//
// Everything that is not part of a block reaches the text writer byte for
// byte; the lines of a block (begin line to end line, with their line
// endings) do not.
//
// # Limits
//
// Zero fields of Limits take these defaults; exceeding one makes Split
// return an error wrapping sanitize.ErrTooLarge:
//
//	MaxBlocks     100     blocks, broken ones included
//	MaxBlockSize  50 MiB  decoded bytes of one block
//
// Memory is bounded by MaxBlockSize plus a few lines of MaxLine bytes; time
// is linear in the input.
//
// todo: yEnc ("=ybegin") and BinHex 4.0 blocks, which some readers also
// decode from text, are not recognised; nor are CR-only line endings.
package uue
