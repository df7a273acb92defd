package text_test

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/formats/text"
)

// A mail part labelled ISO-2022-JP whose bytes are UTF-8: the label is
// overruled by the bytes.
func ExampleDetectWithLabel() {
	body := []byte("お知らせ: 明日は休館日です。")
	fmt.Println(text.DetectWithLabel(body, "ISO-2022-JP"))
	fmt.Println(text.DetectWithLabel(body, "utf-8"))
	// Output:
	// UTF-8
	// UTF-8
}

func ExampleDetectCharset() {
	b, _ := japanese.ShiftJIS.NewEncoder().Bytes([]byte("①㈱Ⅲ 髙橋商店"))
	fmt.Println(text.DetectCharset(b))
	// Output: Shift_JIS
}

// Decode and clean a stream, then report what was done.
func ExampleNewReader() {
	src := strings.NewReader("請求書\u202Efdp.exe\r\nbell\x07\n")
	r := text.NewReader(src, text.UTF8)
	out, _ := io.ReadAll(r)
	fmt.Printf("%q\n", out)
	for _, f := range r.Findings() {
		fmt.Println(f.Rule, f.Where, f.Action, f.Detail)
	}
	// Output:
	// "請求書fdp.exe\r\nbell\n"
	// text.control line 2 removed 1 control character(s) removed
	// text.bidi line 1 removed 1 bidirectional control character(s) removed
}

func ExampleLookupLabel() {
	for _, l := range []string{"x-sjis", "windows-31j", "CP50221", "latin1", "koi8-r"} {
		cs, ok := text.LookupLabel(l)
		fmt.Println(l, cs, ok)
	}
	// Output:
	// x-sjis Shift_JIS true
	// windows-31j Shift_JIS true
	// CP50221 ISO-2022-JP true
	// latin1 windows-1252 true
	// koi8-r UTF-8 false
}
