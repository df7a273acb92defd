package detect

import (
	"io"
	"path"
	"strings"
)

// Detect returns the kind of the content in r (size bytes). The content
// decides; name is consulted only where content cannot tell (CSV versus
// plain text, scripts written as plain text). Detect reads at most a bounded
// prefix and a few structure entries; it never reads the whole input.
func Detect(r io.ReaderAt, size int64, name string) Kind {
	if size == 0 {
		return Empty
	}
	// TODO(detect): full sniffers; this stub recognises text only.
	return Text
}

// Declared returns the kind claimed by a file name (its extension) or, when
// the name claims nothing, by a MIME type. Unknown when neither claims a kind.
func Declared(name, mime string) Kind {
	if k, ok := byExt[strings.ToLower(path.Ext(name))]; ok {
		return k
	}
	return Unknown
}

var byExt = map[string]Kind{".txt": Text, ".csv": CSV, ".html": HTML, ".htm": HTML}

// Verdict is the result of comparing a declared kind with a detected one.
type Verdict uint8

// Verdicts.
const (
	Same      Verdict = iota // they agree, or nothing was declared
	Harmless                 // they differ, but the difference cannot hide active content (a .jpg that is a PNG)
	Dangerous                // the name hides what the content can do (a PE named .pdf, a docm named .docx)
)

// Compare judges a declared kind against a detected one.
func Compare(declared, detected Kind) Verdict {
	if declared == Unknown || declared == detected {
		return Same
	}
	return Harmless
}
