package mail

import (
	"io"
	"unicode/utf8"

	gmcharset "github.com/emersion/go-message/charset"

	"github.com/mugai-project/mugai/formats/text"
)

// decodeText returns a reader of clean UTF-8 for a text body whose first
// bytes are prefix (peeked from br) and whose declared charset is label.
// Japanese labels, and the bytes themselves, are judged by formats/text,
// which trusts a label only as far as the bytes agree with it. Labels it does
// not know (GB2312, Big5, EUC-KR, ISO-8859-x, KOI8-R, …) are decoded with
// go-message's charset tables, unless the bytes are plainly UTF-8.
func decodeText(br io.Reader, prefix []byte, label string) *text.Reader {
	if _, ok := text.LookupLabel(label); ok || label == "" {
		return text.NewReader(br, text.DetectWithLabel(prefix, label))
	}
	if utf8.Valid(prefix) || isASCII(prefix) {
		return text.NewReader(br, text.UTF8)
	}
	if r, err := gmcharset.Reader(label, br); err == nil {
		return text.NewReader(r, text.UTF8)
	}
	return text.NewReader(br, text.DetectCharset(prefix))
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
