// Package mailhdr decodes the header fields of Internet mail into clean
// UTF-8 and encodes the fields mugai keeps into a safe output header. It
// is the header layer of formats/mail (メールテキスト化): that package walks
// the MIME structure and writes the output message; this one turns each
// field value into text and back.
//
// # Decoding
//
// DecodeText (unstructured fields: RFC 5322 §3.2.5, RFC 2047),
// DecodeAddressList (RFC 5322 §3.4), ParseMediaType and FileName
// (RFC 2045 §5.1, RFC 2183, RFC 2231), MessageIDs (RFC 5322 §3.6.4) and
// Date (RFC 5322 §3.3 and §4.3) are lenient and never fail: mail from the
// Internet is often malformed, and what can be read is worth more than an
// error. Every string they return satisfies Clean: valid UTF-8 without CR,
// LF, NUL or any other C0 or C1 control (a TAB becomes a space), without the
// bidirectional controls U+202A–U+202E and U+2066–U+2069, unfolded. A
// decoded value therefore can never start a new header line or a MIME
// boundary wherever it is written.
//
// Each decoder works in three steps:
//
//  1. The raw value is cut to MaxInput bytes, which bounds all later work
//     (every decoder is linear in its input).
//  2. Raw 8-bit bytes that are not UTF-8 (Shift_JIS as CP932, EUC-JP,
//     windows-1252) or raw ISO-2022-JP escape sequences, which old mailers
//     put in headers, are decoded with the charset text.DetectCharset
//     guesses for the whole value (UTF-8 wins when it reads with no more
//     invalid sequences). This happens before parsing, because the second
//     byte of a Shift_JIS character can be '\' or '"' and every byte of a
//     kanji in ISO-2022-JP is printable ASCII. Then the value is unfolded.
//  3. The structure is parsed and RFC 2047 encoded-words (also inside
//     quoted-strings and parameter values, where they are not standard but
//     common) and RFC 2231 parameter values are decoded from their
//     charsets. Adjacent encoded-words in one charset are joined at the
//     byte level first, so a character split between words survives.
//
// Charset labels are checked against the bytes: labels formats/text knows
// (UTF-8, ISO-2022-JP and its CP5022x variants, Shift_JIS/CP932, EUC-JP,
// ISO-8859-1, US-ASCII, UTF-16) go through text.DetectWithLabel, so a word
// labelled ISO-2022-JP whose bytes are Shift_JIS or UTF-8 is read as what it
// is. Other labels (GB2312, GBK, GB18030, Big5, EUC-KR, ks_c_5601-1987,
// ISO-8859-2…16, KOI8-R, windows-125x, …) are decoded with
// golang.org/x/text's IANA and WHATWG indexes, unless the bytes are valid
// UTF-8 or guessing finds fewer invalid sequences. UTF-7 (RFC 2152) is
// decoded here, as golang.org/x/text lacks it. Unknown labels are guessed.
// Bytes invalid in the charset chosen become U+FFFD.
//
// This package does not import github.com/emersion/go-message/charset, so
// it does not set message.CharsetReader: go-message's entity layer decodes
// no charset on our behalf. Its tests use go-message's textproto package to
// read the shared mail corpus.
//
// # Encoding
//
// EncodeText, EncodeAddressList, EncodeMessageIDs, FormatParam and
// FormatParamWords write header fields and parameters for the output
// message: RFC 5322 syntax, RFC 2047 "B" encoded-words in UTF-8 (or
// ISO-2022-JP for legacy clients, see OutCharset) of at most 75
// characters that never split a character, folded so that no line exceeds
// 78 characters where the content allows and none 998, and RFC 2231
// parameters. What they are given is cut to MaxInput bytes and cleaned
// first, and every folded line starts with a space, so no input can inject
// a header field or a boundary. Decoding what they write gives back the
// cleaned input; the tests check this against our decoders, Go's
// mime.WordDecoder and net/mail, and Python's email package.
//
// # Concurrency
//
// Every function is safe for concurrent use.
//
// todo: an address group's name is dropped when the group has members.
// todo: ISO-2022-JP-2's single-shift designations (ESC . A, ESC N) and its
// Chinese and Korean sets are not decoded (formats/text reads ISO-2022-JP
// only); such bytes become U+FFFD.
// todo: a quoted RFC 2231 section left unterminated swallows the next
// section's name (filename*0*="…; filename*1*="…"); nothing tells the two
// apart, and the result stays visible text.
// todo: half-width katakana are written in UTF-8 encoded-words even in
// ISO2022JP output (RFC 1468 has no place for them); a legacy client that
// cannot read UTF-8 shows those words undecoded.
package mailhdr
