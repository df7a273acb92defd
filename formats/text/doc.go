// Package text sanitizes plain text and provides the charset handling the
// other text-bearing formats (CSV, HTML, mail) share.
//
// # Charsets
//
// DetectCharset guesses a charset from the first SniffLen bytes by
// validation and scoring (never by the first byte alone): a byte order mark,
// UTF-16's NUL bytes, ISO-2022-JP's escape sequences and UTF-8's validity
// decide first; otherwise each candidate reading (UTF-8, Shift_JIS as CP932,
// EUC-JP, windows-1252) is decoded and scored for invalid sequences and
// implausible characters. DetectWithLabel does the same for content that
// came with a MIME charset label, trusting the label only as far as the bytes
// agree; LookupLabel maps labels (shift_jis, cp932, windows-31j, iso-2022-jp,
// cp50221, euc-jp, iso-8859-1, …) to a Charset.
//
// A Decoder streams any Charset to UTF-8. Shift_JIS is always CP932, with
// the NEC and IBM extensions and user-defined characters; ISO-2022-JP accepts
// the CP50220/CP50221/CP50222 extensions (NEC row 13 inside ESC $ B,
// half-width katakana by ESC ( I and by SO/SI). A guess made on a prefix may
// be wrong later in the file: bytes invalid in the chosen charset become
// U+FFFD and are counted, and U+FFFD appears nowhere else. Charset.Encoding
// offers the same decoders as a golang.org/x/text encoding.
//
// # Cleaning
//
// A Cleaner removes control characters other than TAB, LF and CR, the C1
// controls, the bidirectional embedding/override/isolate controls
// (U+202A–U+202E, U+2066–U+2069) and a leading byte order mark, and turns a
// lone CR into LF. LF and CRLF line endings are kept. The text is not
// normalised. Reader chains a Decoder and a Cleaner and reports findings.
//
// # The sanitizer
//
// Sanitizer (New) writes the decoded, cleaned text as UTF-8. A UTF-8 file
// with no control or bidirectional characters and no byte order mark passes
// byte for byte, so the engine reports it as passed. Sanitizing is
// idempotent: the output, sanitized again, is identical and has no findings.
//
// Rules: text.charset, text.invalid, text.control, text.bidi.
//
// # Limits
//
// Everything streams through fixed buffers (a few tens of KiB per item);
// memory does not grow with the input, and there is no limit on line length.
// Output size is bounded by the engine's spool (sanitize.Limits.MaxOutput);
// the output is at most three times as long as the input (a one-byte
// half-width katakana becomes three bytes of UTF-8).
//
// todo: other charsets (EUC-KR, GB18030, Big5, ISO-8859-x other than 1) are
// not decoded; their labels are reported unknown and detection falls back.
// todo: UTF-32 is not detected.
// todo: user-defined rows of EUC-JP and ISO-2022-JP (85–94) are invalid,
// whereas CP932's user-defined area maps to the private use area.
package text
