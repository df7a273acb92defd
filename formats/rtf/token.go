package rtf

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/mugai-project/mugai/sanitize"
)

// Limits of the tokenizer (RTF 1.9.1 says a control word has at most 32
// letters and its parameter is a signed 16-bit number; Word writes longer
// parameters for sizes and colours, so ten digits are allowed).
const (
	maxWordLen  = 32
	maxParamLen = 10
	maxTextRun  = 4096
)

type tokKind uint8

const (
	tokText   tokKind = iota // a run of plain bytes
	tokOpen                  // {
	tokClose                 // }
	tokWord                  // \word or \wordN, with its delimiting space
	tokSymbol                // \x for a non-letter x (\\ \{ \} \~ \* \- \_ …)
	tokHex                   // \'hh
	tokEOF
)

// token is one RTF token. raw holds its exact bytes and is valid until the
// next call to next.
type token struct {
	kind     tokKind
	raw      []byte
	word     string // control word name, or the symbol character
	param    int64
	hasParam bool
	hex      byte
}

// tokenizer splits an RTF stream into tokens, within the limits above.
type tokenizer struct {
	r     *bufio.Reader
	raw   []byte
	off   int64             // bytes consumed
	words map[string]string // interned control words, at most maxInterned
}

// maxInterned bounds the interned control words: a file of random words
// allocates past it, it does not grow the map.
const maxInterned = 4096

// intern returns b as a string, without allocating for words seen before.
func (t *tokenizer) intern(b []byte) string {
	if s, ok := t.words[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(t.words) < maxInterned {
		t.words[s] = s
	}
	return s
}

func newTokenizer(r io.Reader) *tokenizer {
	return &tokenizer{r: bufio.NewReaderSize(r, 32<<10), raw: make([]byte, 0, maxTextRun+64), words: map[string]string{}}
}

func errMalformed(format string, args ...any) error {
	return fmt.Errorf("rtf: "+format+": %w", append(args, sanitize.ErrMalformed)...)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (t *tokenizer) readByte() (byte, error) {
	c, err := t.r.ReadByte()
	if err == nil {
		t.off++
		t.raw = append(t.raw, c)
	}
	return c, err
}

func (t *tokenizer) unread() {
	t.r.UnreadByte()
	t.off--
	t.raw = t.raw[:len(t.raw)-1]
}

// next returns the next token; at the end of input, tokEOF.
func (t *tokenizer) next() (token, error) {
	t.raw = t.raw[:0]
	c, err := t.readByte()
	if errors.Is(err, io.EOF) {
		return token{kind: tokEOF}, nil
	}
	if err != nil {
		return token{}, err
	}
	switch c {
	case '{':
		return token{kind: tokOpen, raw: t.raw}, nil
	case '}':
		return token{kind: tokClose, raw: t.raw}, nil
	case '\\':
		return t.control()
	}
	for len(t.raw) < maxTextRun {
		c, err := t.readByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return token{}, err
		}
		if c == '{' || c == '}' || c == '\\' {
			t.unread()
			break
		}
	}
	return token{kind: tokText, raw: t.raw}, nil
}

// control reads what follows a backslash.
func (t *tokenizer) control() (token, error) {
	c, err := t.readByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return token{}, errMalformed("backslash at the end of the input")
		}
		return token{}, err
	}
	if c == '\'' {
		var v byte
		for range 2 {
			h, err := t.readByte()
			if err != nil {
				return token{}, errMalformed("truncated \\' escape")
			}
			d, ok := hexVal(h)
			if !ok {
				return token{}, errMalformed("bad \\' escape at %d", t.off)
			}
			v = v<<4 | d
		}
		return token{kind: tokHex, raw: t.raw, hex: v, word: "'"}, nil
	}
	if !isLetter(c) {
		return token{kind: tokSymbol, raw: t.raw, word: symbols[c]}, nil
	}
	start := len(t.raw) - 1
	for {
		c, err = t.readByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return token{kind: tokWord, raw: t.raw, word: t.intern(t.raw[start:])}, nil
			}
			return token{}, err
		}
		if !isLetter(c) {
			break
		}
		if len(t.raw)-start > maxWordLen {
			return token{}, errMalformed("control word longer than %d letters at %d", maxWordLen, t.off)
		}
	}
	tk := token{kind: tokWord, word: t.intern(t.raw[start : len(t.raw)-1])}
	if c == '-' || isDigit(c) {
		neg := c == '-'
		var v int64
		n := 0
		if !neg {
			v = int64(c - '0')
			n = 1
		}
		for {
			c, err = t.readByte()
			if err != nil {
				if errors.Is(err, io.EOF) {
					c = 0
					break
				}
				return token{}, err
			}
			if !isDigit(c) {
				break
			}
			n++
			if n > maxParamLen {
				return token{}, errMalformed("control word parameter longer than %d digits at %d", maxParamLen, t.off)
			}
			v = v*10 + int64(c-'0')
		}
		if n == 0 {
			return token{}, errMalformed("'-' without digits at %d", t.off)
		}
		if neg {
			v = -v
		}
		tk.param, tk.hasParam = v, true
		if c == 0 {
			tk.raw = t.raw
			return tk, nil
		}
	}
	if c != ' ' {
		t.unread() // the delimiter belongs to the next token
	}
	tk.raw = t.raw
	return tk, nil
}

// binary passes the n bytes of a \binN to w (nil: discard).
func (t *tokenizer) binary(n int64, w io.Writer) error {
	if w == nil {
		w = io.Discard
	}
	k, err := io.CopyN(w, t.r, n)
	t.off += k
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errMalformed("\\bin data runs past the end")
		}
		return err
	}
	return nil
}

// symbols holds the one-byte strings of control symbols.
var symbols = func() (s [256]string) {
	for i := range s {
		s[i] = string(rune(i))
	}
	return
}()
