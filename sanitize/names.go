package sanitize

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/mugai-project/mugai/sanitize/detect"
)

// CleanName makes a declared file name safe to show and to write: it keeps
// the base name only, decodes nothing (the caller decodes RFC 2047 or CP932
// first), normalises to NFC, removes control characters, bidirectional
// controls (the "請求書\u202Efdp.exe" trick) and invalid UTF-8, neutralises
// path separators, trims the spaces and dots Windows would drop, and prefixes
// the device names Windows reserves ("CON", "nul.txt", "COM1.pdf") with "_".
// It never returns "", ".", "..", a name starting with a dot or longer than
// 200 bytes.
func CleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	// Base name under both separators.
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = norm.NFC.String(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case isBidiControl(r), unicode.IsControl(r), r == utf8.RuneError:
			continue
		case r == ':' || r == '*' || r == '?' || r == '"' || r == '<' || r == '>' || r == '|':
			b.WriteRune('_') // reserved on Windows shares
		case unicode.Is(unicode.Zs, r) && r != ' ' && r != '\u3000':
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(b.String(), " .\u3000")
	if reservedName(name) {
		name = "_" + name
	}
	if len(name) > 200 {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		base := name[:200-len(ext)]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
		name = strings.TrimRight(base, " .\u3000") + ext
	}
	if name == "" {
		name = "file"
	}
	return name
}

// reservedName reports whether Windows treats name as a device: CON, PRN,
// AUX, NUL, COM0–COM9 and LPT0–LPT9 (with superscript digits too), in any
// case, alone or followed by an extension.
func reservedName(name string) bool {
	stem := name
	if i := strings.IndexByte(stem, '.'); i >= 0 {
		stem = stem[:i]
	}
	stem = strings.TrimRight(strings.ToUpper(stem), " ")
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(stem) >= 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) {
		switch d := stem[3:]; d {
		case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
			return true
		}
	}
	return false
}

// isBidiControl reports the characters that reorder text on screen: the
// embeddings and overrides (U+202A–U+202E), the isolates (U+2066–U+2069) and
// the marks (U+200E, U+200F, U+061C).
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// OutputName returns the name under which a cleared output of kind out is
// written, given the input's declared name: the cleaned name, with its
// extension changed when the output's kind differs from what the name says
// ("page.html" → "page.txt", "a.docm" → "a.docx", "photo.jpg" holding a PNG →
// "photo.png"). A name whose extension claims nothing keeps it and gains the
// output's ("notes" → "notes.txt").
func OutputName(name string, out Kind) string {
	name = CleanName(name)
	ext := detect.Ext(out)
	declared := detect.Declared(name, "")
	if declared == out || ext == "" || (out == detect.CSV && declared == detect.Text) {
		return name
	}
	if declared != detect.Unknown {
		name = strings.TrimSuffix(name, path.Ext(name))
		if name == "" {
			name = "file"
		}
	}
	return name + ext
}
