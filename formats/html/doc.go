// Package html turns HTML into safe plain text: for HTML files (a Sanitizer
// for detect.HTML whose output is detect.Text) and for HTML mail bodies
// (Convert, reused by the mail package for メールテキスト化).
//
// The conversion streams over golang.org/x/net/html's Tokenizer; it never
// builds a tree. A stack of open elements, bounded by Options.MaxDepth,
// follows the HTML standard's tree-construction rules as far as text needs
// them (implied end tags of p, li, dt/dd, tr, td/th, a and headings; end tags
// matched within the right scope; <head> ended by body content), so that
// hidden and dropped regions end where a browser ends them.
//
// # What becomes of what
//
// Dropped with their content, with a finding: script (html.script), style
// (html.style, recorded only), iframe, frame, object, embed, applet
// (html.embed), select and button (html.form). Dropped silently: template,
// svg, math, canvas, audio, video, datalist, noembed, noframes, comments
// (counted as html.comment, recorded), doctype, processing instructions,
// CDATA, and everything in <head> but the title. input and keygen are
// dropped with html.form; a form's own content is kept (whole pages are
// often wrapped in one), and so is a textarea's text, shown like <pre>.
// noscript content is kept: the text is what a reader without scripts sees.
// Any on* attribute counts as html.event; <meta http-equiv=refresh> as
// html.meta_refresh.
//
// Hidden content is dropped (html.hidden, counted once per hiding element
// whose content would have shown): the hidden attribute, a closed <dialog>,
// and inline styles with display:none, opacity 0, mso-hide:all, width and
// height 0, or a zero (max-)height or (max-)width with overflow hidden. The
// inherited properties font-size (0, or at most 1px/1pt), visibility
// (hidden, collapse) and color:transparent hide text until a descendant sets
// them back, as in CSS: responsive mail templates put font-size:0 on column
// wrappers and set it again inside. Style values are read without case, with
// comments and !important ignored. aria-hidden does not hide (it is for
// screen readers; the content is visible). Style sheets and classes are not
// evaluated. todo: <style> rules that hide preheaders by class.
//
// Images: a remote (http, https, //) image that is hidden or at most 1×1
// pixels (width/height attributes or style; a 0 on either side counts) is a
// tracking image, dropped with html.tracking. Other tiny images are dropped
// silently. Other images become "[画像: alt]" when they have alternative
// text, and nothing otherwise (Options.Images, Options.ImageLabel).
//
// Links (Options.Links): with LinkText the target follows the anchor text,
// "会議資料 [https://example.jp/a.pdf]", unless the text already shows it
// (compared without scheme, mailto: and trailing slash) or the anchor shows
// no text. Relative targets are resolved against <base href> when there is
// one and are shown as they are otherwise; fragment-only targets are not
// shown. http, https, ftp and mailto targets are shown; tel, sms, fax and
// callto links keep their text only (html.link); any other scheme
// (javascript, vbscript, data, file, …) never shows (html.javascript_url) and
// its anchor text stays. Targets are cleaned like a browser's URL parser
// (tabs and newlines removed) before the scheme is judged; shown targets
// have spaces, quotes, angle brackets, controls and invisible characters
// percent-encoded, the colon of "…script:" encoded too, and are cut at 2048
// characters. html.link counts the shown links turned into text,
// with or without their target. LinkDefang also rewrites
// every http(s)/ftp/mailto address in the text to "hxxps://example[.]jp".
//
// Layout: block elements break lines; p, headings, pre, blockquote, dl and
// top-level lists are set off by a blank line. White space collapses as in a
// browser, except in pre, listing, xmp, plaintext and textarea; a line
// break between two East Asian wide characters disappears rather than
// becoming a space (CSS Text 3), so Japanese wrapped in the source reads as
// one sentence. No more than one blank line in a row; trailing spaces are
// trimmed; U+3000 is kept, also at the start of a line; &nbsp; is a space
// that does not collapse. ul items start with "・", ol items with "1. "
// (honouring start and li value); nested lists and the continuation lines of
// an item are indented to the item's text (two spaces under "・"). dd is
// indented by two spaces. Table rows are lines and cells in a row are
// separated by " | " (header cells alike); a cell that shows nothing gets no
// separator, so layout tables of mail templates do not fill the text with
// bars, at the cost of column alignment for empty data cells. A <br> inside a
// cell breaks the line like anywhere else. hr is a line "----"; blockquote
// lines start with "> " (blank lines inside with ">"). Ruby annotations
// read "漢字(かんじ)", using rp when present. The title is the first line,
// followed by a blank line, unless the body's first line says the same
// (Options.OmitTitle). Character references are decoded, and text that
// literally says "<script>" (written &lt;script&gt;) is kept, but as
// "＜script>": a '<' directly followed by an ASCII letter, '/', '!' or '?'
// becomes the fullwidth '＜', so the text never holds anything tag-like.
// Otherwise a type sniffer (ours in verification, or a browser in IE mode
// opening a .txt) could take the text for HTML, and verification would
// block it.
//
// The text is valid UTF-8 (invalid bytes become U+FFFD, text.invalid), has
// LF line ends and no control characters but LF and TAB (text.control), no
// bidi controls U+202A–E, U+2066–9, U+200E/F, U+061C (text.bidi), and ends
// in exactly one LF unless it is empty. Text taken from attributes (alt)
// has '<' and '>' made fullwidth and the colon of "…script:" fullwidth, so no
// "<script" or "javascript:" reaches the text from an attribute.
//
// # Limits
//
//   - Options.MaxToken (default 1 MiB) bounds the tokenizer's buffer. Longer
//     tokens are not an error: see resume.go. A long tag keeps only the first
//     64 KiB of each attribute value it uses.
//   - Options.MaxDepth (default 512) bounds the stack of open elements;
//     deeper elements are not tracked (see Options.MaxDepth).
//   - An output line is buffered up to 64 KiB, then written in pieces.
//   - Per-token work is bounded by MaxDepth, so the total work is linear
//     in the input: 100,000 nested <div>, a 1 MB attribute or a document of
//     unclosed tags take time proportional to their size. A counting filter
//     of open element names makes end tags and implied ends of elements that
//     are not open cost nothing; the worst case left, an end tag whose
//     element is open but behind a table with hundreds of elements between,
//     walks the stack each time (about 6 MB/s against 70–80 MB/s for real
//     pages). todo: per-scope indexes if that ever matters.
//   - Options.MaxOutput bounds the output (sanitize.ErrTooLarge).
//   - ctx is checked every 256 tokens and while skipping long tokens.
//
// # Charsets
//
// The Sanitizer decodes files: byte order mark (UTF-8, UTF-16LE/BE), then
// Options.Charset, then <meta charset> or <meta http-equiv=Content-Type> in
// the first 8 KiB (a declared legacy charset yields to bytes that are valid
// non-ASCII UTF-8; a declared UTF-16 means UTF-8, as the standard says),
// then GuessCharset, then a built-in guess over the first 64 KiB: UTF-16 by
// its NUL bytes, ISO-2022-JP by its escapes, UTF-8 if valid, else whichever
// of Shift_JIS and EUC-JP fits the bytes best. Shift_JIS is decoded as CP932
// (Windows-31J), so NEC and IBM extensions such as ① and ㈱ come through.
// Convert itself takes UTF-8 only.
//
// todo: wrapping at a column width (left to the mail package); visible URLs
// without a scheme ("www.example.jp") are not defanged; list numbering
// styles (type="a", reversed) are not honoured.
package html
