package uue

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

// want describes one expected block.
type want struct {
	mode, name string
	base64     bool
	data       []byte
	line       int
	broken     bool
}

func TestSplit(t *testing.T) {
	exe := append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0, 1, 2, 0xFF, 'x'}, 40)...)
	doc := []byte("第二の添付ファイル\n")
	exeUU := uuencode("644", "evil.exe", exe, "\n")
	exeLines := strings.Count(exeUU, "\n")

	for _, tc := range []struct {
		name   string
		in     string
		text   string
		blocks []want
	}{
		{
			name:   "text block text",
			in:     "こんにちは\n添付します。\n\n" + exeUU + "\nよろしく\n",
			text:   "こんにちは\n添付します。\n\n\nよろしく\n",
			blocks: []want{{mode: "644", name: "evil.exe", data: exe, line: 4}},
		},
		{
			name: "two blocks",
			in:   "a\n" + exeUU + "b\n" + uuencode("0600", "文書.txt", doc, "\n") + "c",
			text: "a\nb\nc",
			blocks: []want{
				{mode: "644", name: "evil.exe", data: exe, line: 2},
				{mode: "0600", name: "文書.txt", data: doc, line: 3 + exeLines},
			},
		},
		{
			name:   "begin-base64",
			in:     "x\n" + b64encode("755", "run.sh", exe, "\n") + "y\n",
			text:   "x\ny\n",
			blocks: []want{{mode: "755", name: "run.sh", base64: true, data: exe, line: 2}},
		},
		{
			name: "begin-base64 sizes",
			in:   b64encode("644", "a", []byte("a"), "\n") + b64encode("644", "ab", []byte("ab"), "\n") + b64encode("644", "abc", []byte("abc"), "\n"),
			text: "",
			blocks: []want{
				{mode: "644", name: "a", base64: true, data: []byte("a"), line: 1},
				{mode: "644", name: "ab", base64: true, data: []byte("ab"), line: 4},
				{mode: "644", name: "abc", base64: true, data: []byte("abc"), line: 7},
			},
		},
		{
			name: "prose begin",
			in:   "begin 3 times\nand then stop.\nbegin 12 more\n\nend\nbegin 77777 a\n \nend\n",
			text: "begin 3 times\nand then stop.\nbegin 12 more\n\nend\nbegin 77777 a\n \nend\n",
		},
		{
			name: "prose begin at EOF",
			in:   "we begin\nbegin 1 now",
			text: "we begin\nbegin 1 now",
		},
		{
			// Mail readers take a 3- or 4-digit mode as a block whatever
			// follows: so do we, as a broken block.
			name:   "strict begin before prose",
			in:     "begin 2024 plans\nand then stop.\n",
			text:   "and then stop.\n",
			blocks: []want{{mode: "2024", name: "plans", data: []byte{}, line: 1, broken: true}},
		},
		{
			name:   "strict begin at EOF",
			in:     "text\nbegin 644 now",
			text:   "text\n",
			blocks: []want{{mode: "644", name: "now", data: []byte{}, line: 2, broken: true}},
		},
		{
			// Readers skip or mask bad lines up to "end"; without the
			// begin line they decode nothing, so the rest is text.
			name:   "strict begin then junk then encoded lines",
			in:     "begin 644 evil.exe\njunk line\n" + strings.SplitAfterN(exeUU, "\n", 2)[1],
			text:   "junk line\n" + strings.SplitAfterN(exeUU, "\n", 2)[1],
			blocks: []want{{mode: "644", name: "evil.exe", data: []byte{}, line: 1, broken: true}},
		},
		{
			name: "not begin lines",
			in:   "> " + exeUU + " begin 644 x\nbegin 64444 x\nbegin 644\nbegin 644 \nbegins 644 x\nbegin 8 x\nbeginx 644 x\n",
			text: "> " + exeUU + " begin 644 x\nbegin 64444 x\nbegin 644\nbegin 644 \nbegins 644 x\nbegin 8 x\nbeginx 644 x\n",
		},
		{
			name:   "truncated",
			in:     "before\n" + strings.Join(strings.SplitAfter(exeUU, "\n")[:4], ""),
			text:   "before\n",
			blocks: []want{{mode: "644", name: "evil.exe", data: exe[:3*45], line: 2, broken: true}},
		},
		{
			// The cut line is not a valid line: it breaks the block and
			// stays in the text, where nothing can decode it without its
			// begin line.
			name:   "truncated mid-line",
			in:     strings.Join(strings.SplitAfter(exeUU, "\n")[:3], "") + "M`0+_",
			text:   "M`0+_",
			blocks: []want{{mode: "644", name: "evil.exe", data: exe[:2*45], line: 1, broken: true}},
		},
		{
			name:   "invalid line inside",
			in:     "begin 644 evil.exe\n" + strings.SplitAfter(exeUU, "\n")[1] + "this is not uuencode\n" + strings.Join(strings.SplitAfter(exeUU, "\n")[2:], ""),
			text:   "this is not uuencode\n" + strings.Join(strings.SplitAfter(exeUU, "\n")[2:], ""),
			blocks: []want{{mode: "644", name: "evil.exe", data: exe[:45], line: 1, broken: true}},
		},
		{
			name:   "missing end after zero line",
			in:     uuencode("644", "a.bin", []byte("abc"), "\n")[:len("begin 644 a.bin\n#86)C\n`\n")] + "the end\n",
			text:   "the end\n",
			blocks: []want{{mode: "644", name: "a.bin", data: []byte("abc"), line: 1, broken: true}},
		},
		{
			name:   "CRLF",
			in:     "テキスト\r\n" + uuencode("644", "crlf.bin", exe, "\r\n") + "続き\r\n",
			text:   "テキスト\r\n続き\r\n",
			blocks: []want{{mode: "644", name: "crlf.bin", data: exe, line: 2}},
		},
		{
			name:   "block at EOF without newline",
			in:     "t\n" + strings.TrimSuffix(uuencode("644", "eof.bin", doc, "\n"), "\n"),
			text:   "t\n",
			blocks: []want{{mode: "644", name: "eof.bin", data: doc, line: 2}},
		},
		{
			name:   "no zero-length line",
			in:     strings.Replace(uuencode("644", "a", doc, "\n"), "`\nend", "end", 1),
			blocks: []want{{mode: "644", name: "a", data: doc, line: 1}},
		},
		{
			name:   "empty file",
			in:     "begin 644 empty\n`\nend\nbegin 644 empty2\nend\n",
			blocks: []want{{mode: "644", name: "empty", data: []byte{}, line: 1}, {mode: "644", name: "empty2", data: []byte{}, line: 4}},
		},
		{
			name:   "space for zero and a checksum character",
			in:     "begin 644 sp\n#    X\n \nend  \n",
			blocks: []want{{mode: "644", name: "sp", data: []byte{0, 0, 0}, line: 1}},
		},
		{
			name:   "tabs, trailing blanks in the name",
			in:     "begin\t644\tname with spaces.txt \t\n" + strings.SplitAfterN(uuencode("644", "x", doc, "\n"), "\n", 2)[1],
			blocks: []want{{mode: "644", name: "name with spaces.txt", data: doc, line: 1}},
		},
		{
			name:   "prose begin before a block",
			in:     "begin 3 times\n" + exeUU + "after\n",
			text:   "begin 3 times\nafter\n",
			blocks: []want{{mode: "644", name: "evil.exe", data: exe, line: 2}},
		},
		{
			// Removing b would leave "begin 644 a" right before a's
			// encoded lines: they are removed too.
			name: "encoded lines joined to an earlier begin",
			in:   "begin 3 a\n" + uuencode("644", "b", doc, "\n") + strings.SplitAfterN(uuencode("644", "a", exe, "\n"), "\n", 2)[1] + "tail\n",
			text: "begin 3 a\ntail\n",
			blocks: []want{
				{mode: "644", name: "b", data: doc, line: 2},
				{mode: "3", name: "a", data: exe, line: 2 + strings.Count(uuencode("644", "b", doc, "\n"), "\n"), broken: true},
			},
		},
		{
			name: "encoded lines joined to an earlier begin across a long begin line",
			in:   "begin 3 a\nbegin 644 " + strings.Repeat("n", MaxLine) + "\n#86)C\n`\nend\n",
			text: "begin 3 a\n",
			blocks: []want{
				{mode: "644", name: strings.Repeat("n", MaxLine-len("begin 644 ")), data: []byte("abc"), line: 2, broken: true},
			},
		},
		{
			name: "loose begin confirmed",
			in:   "begin 7 a\n#86)C\n`\nend\n",
			blocks: []want{
				{mode: "7", name: "a", data: []byte("abc"), line: 1},
			},
		},
		{
			name:   "padding then data in base64",
			in:     "begin-base64 644 p\nYQ==\nYWJj\n====\n",
			text:   "YWJj\n====\n",
			blocks: []want{{mode: "644", name: "p", base64: true, data: []byte("a"), line: 1, broken: true}},
		},
		{
			name:   "long line inside a block",
			in:     "begin 644 l\n#86)C\n" + strings.Repeat("M", MaxLine+10) + "\nend\n",
			text:   strings.Repeat("M", MaxLine+10) + "\nend\n",
			blocks: []want{{mode: "644", name: "l", data: []byte("abc"), line: 1, broken: true}},
		},
		{
			name: "long lines pass through",
			in:   strings.Repeat("あ", MaxLine) + "\n" + "begin\n" + strings.Repeat("x", 3*MaxLine),
			text: strings.Repeat("あ", MaxLine) + "\n" + "begin\n" + strings.Repeat("x", 3*MaxLine),
		},
		{
			name:   "long begin line",
			in:     "begin 644 " + strings.Repeat("n", MaxLine) + "\n#86)C\n`\nend\nbegin 1 " + strings.Repeat("n", MaxLine) + "\n",
			blocks: []want{{mode: "644", name: strings.Repeat("n", MaxLine-len("begin 644 ")), data: []byte("abc"), line: 1, broken: true}, {mode: "1", name: strings.Repeat("n", MaxLine-len("begin 1 ")), data: []byte{}, line: 5, broken: true}},
		},
		{
			name: "empty input",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := split(t, tc.in, Limits{})
			if r.err != nil {
				t.Fatalf("Split: %v", r.err)
			}
			if r.text != tc.text {
				t.Errorf("text = %.200q\nwant   %.200q", r.text, tc.text)
			}
			if len(r.blocks) != len(tc.blocks) {
				for _, b := range r.blocks {
					t.Logf("got block %.40q line %d err %.80v", b.Name, b.Line, b.Err)
				}
				t.Fatalf("%d blocks, want %d", len(r.blocks), len(tc.blocks))
			}
			for i, w := range tc.blocks {
				g := r.blocks[i]
				if g.Mode != w.mode || g.Name != w.name || g.Base64 != w.base64 || g.Line != w.line || (g.Err != nil) != w.broken || !bytes.Equal(g.Data, w.data) {
					t.Errorf("block %d = {%q %.40q b64 %v line %d err %.80v %d bytes}, want {%q %.40q b64 %v line %d broken %v %d bytes}",
						i, g.Mode, g.Name, g.Base64, g.Line, g.Err, len(g.Data), w.mode, w.name, w.base64, w.line, w.broken, len(w.data))
				}
				if g.Err != nil && (!errors.Is(g.Err, sanitize.ErrMalformed) || !strings.HasPrefix(g.Err.Error(), "uue: ")) {
					t.Errorf("block %d: Err %v", i, g.Err)
				}
			}
			checkIdempotent(t, r.text)
			checkLinesKept(t, tc.in, r.text)
		})
	}
}

// TestSplitTextBeforeBlock: text before a block has reached the writer when
// fn runs, so a caller can write a placeholder in its place.
func TestSplitTextBeforeBlock(t *testing.T) {
	in := "one\n" + uuencode("644", "a", []byte("x"), "\n") + "two\n" + uuencode("644", "b", []byte("y"), "\n") + "three\n"
	var out bytes.Buffer
	err := Split(strings.NewReader(in), &out, Limits{}, func(b Block) error {
		fmt.Fprintf(&out, "[%s removed]\n", b.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "one\n[a removed]\ntwo\n[b removed]\nthree\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestSplitLimits(t *testing.T) {
	blocks := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "text %d\n", i)
			b.WriteString(uuencode("644", fmt.Sprintf("f%d", i), []byte("data"), "\n"))
		}
		return b.String()
	}
	uuSize := func(n int) string { return uuencode("644", "big", bytes.Repeat([]byte{7}, n), "\n") }
	b64Size := func(n int) string { return b64encode("644", "big", bytes.Repeat([]byte{7}, n), "\n") }
	// Broken blocks count too.
	broken := func(n int) string { return strings.Repeat("begin 644 x\n#86)C\n", n) }
	for _, tc := range []struct {
		name string
		lim  Limits
		n    int
		gen  func(int) string
		why  string // in the error
	}{
		{"MaxBlocks", Limits{MaxBlocks: 3}, 3, blocks, "blocks"},
		{"MaxBlocks default", Limits{}, DefaultMaxBlocks, blocks, "blocks"},
		{"MaxBlocks broken", Limits{MaxBlocks: 5}, 5, broken, "blocks"},
		{"MaxBlockSize uu", Limits{MaxBlockSize: 1000}, 1000, uuSize, "bytes"},
		{"MaxBlockSize uu small", Limits{MaxBlockSize: 1}, 1, uuSize, "bytes"},
		{"MaxBlockSize base64", Limits{MaxBlockSize: 1000}, 1000, b64Size, "bytes"},
		{"MaxBlockSize base64 odd", Limits{MaxBlockSize: 1001}, 1001, b64Size, "bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := split(t, tc.gen(tc.n), tc.lim); r.err != nil {
				t.Fatalf("at the limit: %v", r.err)
			}
			r := split(t, tc.gen(tc.n+1), tc.lim)
			if !errors.Is(r.err, sanitize.ErrTooLarge) || !strings.HasPrefix(r.err.Error(), "uue: ") || !strings.Contains(r.err.Error(), tc.why) {
				t.Fatalf("past the limit: %v", r.err)
			}
		})
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestSplitErrors(t *testing.T) {
	in := "text\n" + uuencode("644", "a", []byte("x"), "\n") + "more text\n"
	stop := errors.New("stop")
	if err := Split(strings.NewReader(in), &bytes.Buffer{}, Limits{}, func(Block) error { return stop }); err != stop {
		t.Errorf("fn error: got %v", err)
	}
	if err := Split(strings.NewReader(in), failWriter{stop}, Limits{}, func(Block) error { return nil }); err != stop {
		t.Errorf("writer error: got %v", err)
	}
	big := strings.Repeat("x", 100<<10)
	if err := Split(strings.NewReader(big), failWriter{stop}, Limits{}, func(Block) error { return nil }); err != stop {
		t.Errorf("writer error on a long line: got %v", err)
	}
	if err := Split(iotestErr{stop}, &bytes.Buffer{}, Limits{}, func(Block) error { return nil }); err != stop {
		t.Errorf("reader error: got %v", err)
	}
}

type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }
