package text

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

func TestSanitize(t *testing.T) {
	s := New(Options{})
	tests := []struct {
		name  string
		in    []byte
		mime  string
		want  string
		rules []string // rule/action of the findings, in order
		where string   // Where of the first finding, if set
	}{
		{"utf-8 passes", []byte(jaSentence + "\nline 2\n"), "", jaSentence + "\nline 2\n", nil, ""},
		{"utf-8 crlf passes", []byte("a\r\nb\r\n"), "", "a\r\nb\r\n", nil, ""},
		{"empty", nil, "", "", nil, ""},
		{"shift_jis nec ibm", cat(sjis(t, jaSpecial+"\r\n"), []byte{0xFB, 0xFC}), "", jaSpecial + "\r\n髙",
			[]string{"text.charset/converted"}, "Shift_JIS"},
		{"euc-jp", eucjp(t, jaSentence+"\n"+jaSpecial), "", jaSentence + "\n" + jaSpecial,
			[]string{"text.charset/converted"}, "EUC-JP"},
		{"iso-2022-jp ① and kana", cat(jis(t, "お知らせ "), []byte("\x1b$B-!\x1b(B \x1b(I123\x1b(B \x0e45\x0f\n")), "",
			"お知らせ ① ｱｲｳ ｴｵ\n", []string{"text.charset/converted"}, "ISO-2022-JP"},
		{"utf-16le bom", utf16le(t, jaSentence+"\r\n", true), "", jaSentence + "\r\n",
			[]string{"text.charset/converted"}, "UTF-16LE"},
		{"utf-8 bom", []byte("\uFEFF" + jaSentence), "", jaSentence,
			[]string{"text.charset/converted"}, "UTF-8"},
		{"controls", []byte("a\x00b\n\x1b[31mred\x07\n"), "", "ab\n[31mred\n",
			[]string{"text.control/removed"}, "line 1"},
		{"bidi", []byte("請求書\u202Efdp.exe\n"), "", "請求書fdp.exe\n",
			[]string{"text.bidi/removed"}, "line 1"},
		{"lone cr", []byte("a\rb\rc"), "", "a\nb\nc",
			[]string{"text.control/converted"}, "line 1"},
		// Past the sniffed prefix, a byte invalid in the charset chosen.
		{"invalid utf-8 later", cat([]byte(strings.Repeat("a\n", SniffLen/2)), []byte{0xFF, '\n'}), "",
			strings.Repeat("a\n", SniffLen/2) + "\uFFFD\n", []string{"text.invalid/converted"}, "line 32769"},
		{"short file with a high byte is latin-1", []byte("a\n\xFF\n"), "", "a\nÿ\n", []string{"text.charset/converted"}, "windows-1252"},
		{"label iso-2022-jp on utf-8", []byte(jaSentence), "text/plain; charset=iso-2022-jp", jaSentence, nil, ""},
		{"label shift_jis", sjis(t, "ﾃｽﾄ"), "text/plain; charset=Shift_JIS", "ﾃｽﾄ", []string{"text.charset/converted"}, "Shift_JIS"},
		{"everything", cat(sjis(t, "件名"), []byte{0x01, 0x82}), "", "件名\uFFFD",
			[]string{"text.charset/converted", "text.invalid/converted", "text.control/removed"}, "Shift_JIS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, fs := run(t, s, tc.in, "a.txt", tc.mime)
			if string(out) != tc.want {
				t.Errorf("output %q, want %q", out, tc.want)
			}
			if got := rules(fs); !slices.Equal(got, tc.rules) {
				t.Errorf("findings %v, want %v (%+v)", got, tc.rules, fs)
			}
			if tc.where != "" && (len(fs) == 0 || fs[0].Where != tc.where) {
				t.Errorf("where %+v, want %q", fs, tc.where)
			}
			if bytes.Contains(out, []byte("\uFFFD")) != bytes.Contains([]byte(tc.want), []byte("\uFFFD")) {
				t.Errorf("unexpected U+FFFD")
			}
			// Idempotent: the output sanitizes to itself, with no finding.
			again, fs2 := run(t, s, out, "a.txt", "")
			if !bytes.Equal(again, out) || len(fs2) != 0 {
				t.Errorf("second pass: %q, %+v", again, fs2)
			}
		})
	}
}

func TestSanitizeKind(t *testing.T) {
	var out bytes.Buffer
	res, err := New(Options{}).Sanitize(t.Context(), &out, item([]byte("x"), "", ""))
	if err != nil || res.Kind != detect.Text {
		t.Errorf("Kind %q, err %v", res.Kind, err)
	}
}

func TestSanitizeIgnoreLabel(t *testing.T) {
	// A windows-1252 label on bytes that are Shift_JIS: trusted by
	// default only as far as the bytes agree (they read better as
	// Shift_JIS); IgnoreLabel reaches the same without looking.
	in := sjis(t, jaSentence)
	for _, opt := range []Options{{}, {IgnoreLabel: true}} {
		out, _ := run(t, New(opt), in, "", "text/plain; charset=iso-8859-1")
		if string(out) != jaSentence {
			t.Errorf("%+v: %q", opt, out)
		}
	}
}

func TestSanitizeContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := New(Options{}).Sanitize(ctx, io.Discard, item([]byte("abc"), "", ""))
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "text: ") {
		t.Errorf("cancelled: err = %v", err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 0)
	defer cancel()
	<-ctx.Done()
	_, err = New(Options{}).Sanitize(ctx, io.Discard, item([]byte("abc"), "", ""))
	if !errors.Is(err, sanitize.ErrTimeout) {
		t.Errorf("deadline: err = %v, want ErrTimeout", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, sanitize.ErrTooLarge }

func TestSanitizeWriteError(t *testing.T) {
	_, err := New(Options{}).Sanitize(t.Context(), failWriter{}, item([]byte("abc"), "", ""))
	if !errors.Is(err, sanitize.ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
}

// genReaderAt serves size bytes of a repeated pattern without holding them.
type genReaderAt struct {
	pattern []byte
	size    int64
}

func (g genReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= g.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off+int64(n) < g.size {
		i := (off + int64(n)) % int64(len(g.pattern))
		n += copy(p[n:min(len(p), int(g.size-off))], g.pattern[i:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Memory stays flat however large the input: 100 MB in, a few buffers
// allocated.
func TestSanitizeStreams(t *testing.T) {
	size := int64(100 << 20)
	if testing.Short() {
		size = 8 << 20
	}
	pattern := sjis(t, jaSentence+"\r\n")
	src := genReaderAt{pattern: pattern, size: size}
	it := &sanitize.Item{Src: io.NewSectionReader(src, 0, size)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var n countWriter
	if _, err := New(Options{}).Sanitize(t.Context(), &n, it); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
		t.Errorf("allocated %d bytes for a %d-byte input", alloc, size)
	}
	if n.n < size {
		t.Errorf("wrote %d bytes", n.n)
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// Every output is valid UTF-8, whatever the input.
func TestSanitizeOutputValid(t *testing.T) {
	s := New(Options{})
	for _, in := range [][]byte{
		{0xFF, 0xFE, 0x00},
		{0x1B, '$', 'B', 0xFF},
		{0xE3, 0x81},
		[]byte("\x82\xa0\x82"),
	} {
		out, _ := run(t, s, in, "", "")
		if !utf8.Valid(out) {
			t.Errorf("%q → %q: not UTF-8", in, out)
		}
	}
}
