package archive

import (
	"bytes"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/unicode/norm"

	"github.com/mugai-project/mugai/sanitize"
)

// Charset is how an archive's entry names are encoded.
type Charset uint8

// Charsets of entry names. Archives made on Japanese Windows write CP932
// (Shift_JIS with Microsoft's extensions) without saying so; older Unix
// archivers wrote EUC-JP.
const (
	CharsetUTF8 Charset = iota // flagged or valid UTF-8 (ASCII included)
	CharsetCP932
	CharsetEUCJP
	CharsetUnknown // no candidate decodes every name
)

var charsetNames = [...]string{"UTF-8", "CP932", "EUC-JP", "unknown"}

func (c Charset) String() string { return charsetNames[c] }

// guessCharset picks one charset for all the raw (unflagged) names of an
// archive: UTF-8 when every name is valid UTF-8, else CP932 or EUC-JP when
// every name decodes without error in it. When both decode, the one whose
// text looks more like Japanese wins (EUC-JP read as CP932 yields runs of
// half-width katakana; CP932 read as EUC-JP mostly fails outright).
func guessCharset(names [][]byte) Charset {
	allUTF8 := true
	for _, n := range names {
		if !utf8.Valid(n) {
			allUTF8 = false
			break
		}
	}
	if allUTF8 {
		return CharsetUTF8
	}
	// A candidate must decode every name, and every name with non-ASCII
	// bytes must read as Japanese (score > 0): Cyrillic in CP866 decodes
	// as EUC-JP too, into box-drawing characters and stray kana.
	sjisOK, eucOK := true, true
	sjisScore, eucScore := 0, 0
	for _, n := range names {
		if sjisOK {
			s, ok := decodeStrict(japanese.ShiftJIS, n)
			sc := japaneseScore(s)
			sjisOK = ok && (sc > 0 || isASCII(n))
			sjisScore += sc
		}
		if eucOK {
			s, ok := decodeStrict(japanese.EUCJP, n)
			sc := japaneseScore(s)
			eucOK = ok && (sc > 0 || isASCII(n))
			eucScore += sc
		}
	}
	switch {
	case sjisOK && eucOK:
		if eucScore > sjisScore {
			return CharsetEUCJP
		}
		return CharsetCP932
	case sjisOK:
		return CharsetCP932
	case eucOK:
		return CharsetEUCJP
	}
	return CharsetUnknown
}

// decodeName decodes a raw name in cs.
func decodeName(cs Charset, raw []byte) (string, bool) {
	switch cs {
	case CharsetUTF8:
		return string(raw), utf8.Valid(raw)
	case CharsetCP932:
		return decodeStrict(japanese.ShiftJIS, raw)
	case CharsetEUCJP:
		return decodeStrict(japanese.EUCJP, raw)
	}
	return "", false
}

// decodeStrict decodes b with enc and reports false when any byte sequence
// was invalid (x/text substitutes U+FFFD for those).
func decodeStrict(enc encoding.Encoding, b []byte) (string, bool) {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", false
	}
	// U+FFFD in the output is a substitution unless the input held that
	// character itself (its UTF-8 bytes; ContainsRune would also match
	// any invalid byte).
	if bytes.Contains(out, []byte("\uFFFD")) && !bytes.Contains(b, []byte("\uFFFD")) {
		return "", false
	}
	return string(out), true
}

// japaneseScore rates how much s looks like Japanese file names: hiragana,
// full-width katakana and CJK ideographs count for, half-width katakana and
// rare symbols against.
func japaneseScore(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x3040 && r <= 0x30FF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xF900 && r <= 0xFAFF:
			n += 2 // kana, ideographs, compatibility ideographs (髙﨑)
		case r >= 0x2460 && r <= 0x24FF, r >= 0x2160 && r <= 0x217F, r >= 0x3000 && r <= 0x303F,
			r >= 0xFF01 && r <= 0xFF5E, r >= 0x25A0 && r <= 0x25FF, r == 0x203B:
			n++ // ①, Ⅳ, 「」, full-width forms, ■, ※: common in Japanese names
		case r >= 0xFF61 && r <= 0xFF9F:
			n -= 2
		case r >= 0x0370 && r <= 0x04FF, r >= 0x2500 && r <= 0x257F:
			n -= 3 // Greek, Cyrillic, box drawing: in JIS X 0208, rare in names
		case r >= 0x80 && r < 0x3000:
			n--
		}
	}
	return n
}

// cleanPath turns a decoded entry name into a safe relative path with '/'
// separators, or explains why it is not one. Backslashes are separators
// (old Windows archivers); they are only looked at after decoding, since
// 0x5C is a CP932 trail byte ("表" is 0x95 0x5C).
func cleanPath(name string) (string, string) {
	name = strings.ReplaceAll(name, `\`, "/")
	switch {
	case name == "":
		return "", "empty name"
	case strings.HasPrefix(name, "/"):
		return "", "absolute path"
	case len(name) >= 2 && name[1] == ':':
		return "", "drive letter in name"
	}
	dir := strings.HasSuffix(name, "/")
	segs := strings.Split(strings.TrimSuffix(name, "/"), "/")
	out := make([]string, 0, len(segs))
	for _, s := range segs {
		switch s {
		case "..":
			return "", "path traversal (..)"
		case "", ".":
			continue
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				return "", "control character in name"
			}
		}
		c := sanitize.CleanName(s)
		out = append(out, c)
	}
	if len(out) == 0 {
		return "", "empty name"
	}
	p := norm.NFC.String(strings.Join(out, "/"))
	if dir {
		p += "/"
	}
	return p, ""
}

// dupKey is the key under which two paths collide when extracted on
// Windows or macOS: case-folded, NFC.
func dupKey(p string) string {
	return strings.ToLower(strings.TrimSuffix(p, "/"))
}

// duplicate records entry path p in keys, an archive's entries so far by
// dupKey, and reports whether an earlier entry had the same name; it then
// adds the RuleDuplicate finding that blocks the archive.
func (w *walker) duplicate(keys map[string]bool, p string) bool {
	k := dupKey(p)
	if keys[k] {
		w.find(block(RuleDuplicate, p, "two entries with the same name (ignoring case)"))
		return true
	}
	keys[k] = true
	return false
}

// splitName returns the directory part (with its trailing slash, or "") and
// the base name of a cleaned path.
func splitName(p string) (string, string) {
	d, b := path.Split(strings.TrimSuffix(p, "/"))
	return d, b
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
