package tnef

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
)

// codePageEncoding returns the decoder for a Windows code page used by 8-bit
// strings, and nil for UTF-8.
func codePageEncoding(cp int) encoding.Encoding {
	switch cp {
	case 932:
		return japanese.ShiftJIS // x/text's ShiftJIS decodes the CP932 extensions
	case 1252:
		return charmap.Windows1252
	case 65001:
		return nil
	}
	return charmap.ISO8859_1
}

// text decodes s to UTF-8 with the stream's code page.
func (d *decoder) text(s str) string {
	if s.decoded {
		return s.s
	}
	b := trimNUL8(s.b)
	if len(b) == 0 {
		return ""
	}
	enc := codePageEncoding(d.codePage)
	if enc == nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		// x/text decoders replace invalid bytes rather than fail; keep a
		// valid string whatever happens.
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// trimNUL8 drops the terminating NUL bytes of an 8-bit string.
func trimNUL8(b []byte) []byte {
	return bytes.TrimRight(b, "\x00")
}

// utf16String decodes UTF-16LE, dropping terminating NULs and an odd
// trailing byte; unpaired surrogates become U+FFFD.
func utf16String(b []byte) string {
	n := len(b) / 2
	for n > 0 && b[2*n-2] == 0 && b[2*n-1] == 0 {
		n--
	}
	out := make([]byte, 0, n*2)
	for i := 0; i < n; i++ {
		r := rune(binary.LittleEndian.Uint16(b[2*i:]))
		if utf16.IsSurrogate(r) && i+1 < n {
			r2 := rune(binary.LittleEndian.Uint16(b[2*i+2:]))
			if dr := utf16.DecodeRune(r, r2); dr != utf8.RuneError {
				out = utf8.AppendRune(out, dr)
				i++
				continue
			}
		}
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
		}
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}
