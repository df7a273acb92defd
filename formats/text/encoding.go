package text

import (
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// Encoding returns c as a golang.org/x/text encoding, for code built on that
// interface (golang.org/x/net/html/charset, MIME word decoders). Its decoder
// is this package's (CP932 and CP5022x extensions, invalid bytes to U+FFFD,
// a leading BOM dropped), without the counting that Decoder offers; its
// encoder is golang.org/x/text's (ISO-2022-JP output for mail, for example).
// The returned value is safe for concurrent use.
func (c Charset) Encoding() encoding.Encoding { return xEncoding{c} }

type xEncoding struct{ cs Charset }

func (e xEncoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: newDecoder(e.cs)}
}

func (e xEncoding) NewEncoder() *encoding.Encoder {
	var base encoding.Encoding
	switch e.cs {
	case UTF16LE:
		base = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case UTF16BE:
		base = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case ShiftJIS:
		base = japanese.ShiftJIS
	case EUCJP:
		base = japanese.EUCJP
	case ISO2022JP:
		base = japanese.ISO2022JP
	case Windows1252:
		base = charmap.Windows1252
	default:
		base = unicode.UTF8
	}
	return base.NewEncoder()
}

func (e xEncoding) String() string { return e.cs.String() }
