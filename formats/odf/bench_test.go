package odf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

// bigODT is a text document with about size bytes of content.xml:
// paragraphs of Japanese and ASCII text, a hyperlink now and then and an
// event listener to remove.
func bigODT(b testing.TB, size int) []byte {
	var body strings.Builder
	for i := 0; body.Len() < size; i++ {
		fmt.Fprintf(&body, `<text:p text:style-name="P1">第%d条 市民の皆様へのお知らせ。Paragraph %d of the benchmark document.`, i, i)
		if i%20 == 0 {
			body.WriteString(`<text:a xlink:href="https://www.example.lg.jp/"><office:event-listeners><script:event-listener script:event-name="dom:click" xlink:href="vnd.sun.star.script:a"/></office:event-listeners>リンク</text:a>`)
		}
		body.WriteString(`</text:p>`)
	}
	return pack(b, mtText, content(`<office:text>`+body.String()+`</office:text>`), entry{name: "styles.xml", body: stylesXML}, entry{name: "meta.xml", body: metaXML})
}

func BenchmarkSanitize(b *testing.B) {
	for _, size := range []int{1 << 20, 8 << 20} {
		in := bigODT(b, size)
		b.Run(fmt.Sprintf("odt-%dMB-xml", size>>20), func(b *testing.B) {
			eng := newEngine(b, Options{}, sanitize.Limits{})
			eng.SkipVerify = true
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				rep, blob, err := eng.Run(b.Context(), sanitize.Input{R: bytes.NewReader(in), Name: "a.odt"})
				if err != nil || blob == nil {
					b.Fatalf("%v %+v", err, rep)
				}
				blob.Close()
			}
		})
	}
}
