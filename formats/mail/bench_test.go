package mail_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/quotedprintable"
	"runtime"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/sanitize"
)

// japaneseHTMLMail is a typical 5 KB newsletter: ISO-2022-JP headers, an
// HTML body in UTF-8 with a table, links and a tracking pixel.
func japaneseHTMLMail() []byte {
	var body strings.Builder
	body.WriteString("<html><head><style>td{padding:4px}</style></head><body>\n<h1>市政だより 12月号</h1>\n")
	for i := 0; body.Len() < 5000; i++ {
		fmt.Fprintf(&body, "<p>第%d回 住民説明会のお知らせ。詳しくは<a href=\"https://www.example.lg.jp/news/%d\">こちら</a>をご覧ください。</p>\n", i, i)
	}
	body.WriteString("<img src=\"https://t.example/p.gif\" width=1 height=1></body></html>\n")
	return lf2crlf("From: " + bword("ISO-2022-JP", jis("広報課")) + " <koho@example.lg.jp>\nTo: a@example.lg.jp\n" +
		"Subject: " + bword("ISO-2022-JP", jis("市政だより 12月号")) + "\nMIME-Version: 1.0\n" +
		"Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n" + b64(body.String()) + "\n")
}

// japaneseAlternativeMail is the usual shape of a 5 KB mail in the relay:
// multipart/alternative with the text in base64 UTF-8 and the same text as
// HTML in quoted-printable.
func japaneseAlternativeMail() []byte {
	var plain, html strings.Builder
	html.WriteString("<html><body>\n")
	for i := 0; plain.Len() < 1000; i++ {
		fmt.Fprintf(&plain, "第%d回 住民説明会のお知らせ。詳しくは https://www.example.lg.jp/news/%d をご覧ください。\n", i, i)
		fmt.Fprintf(&html, "<p>第%d回 住民説明会のお知らせ。詳しくは<a href=\"https://www.example.lg.jp/news/%d\">こちら</a>をご覧ください。</p>\n", i, i)
	}
	html.WriteString("</body></html>\n")
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(html.String()))
	w.Close()
	return lf2crlf("From: " + bword("ISO-2022-JP", jis("広報課")) + " <koho@example.lg.jp>\nTo: a@example.lg.jp\n" +
		"Subject: " + bword("UTF-8", "市政だより 12月号") + "\nDate: Sat, 21 Nov 2026 10:00:00 +0900\nMessage-ID: <a1@example.lg.jp>\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/alternative; boundary=\"ALT\"\n\n--ALT\n" +
		"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n" + b64lines(plain.String()) +
		"--ALT\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
		strings.ReplaceAll(qp.String(), "\r\n", "\n") + "\n--ALT--\n")
}

// b64lines is base64 in lines of 76 characters.
func b64lines(s string) string {
	e := b64(s)
	var b strings.Builder
	for len(e) > 76 {
		b.WriteString(e[:76] + "\n")
		e = e[76:]
	}
	b.WriteString(e + "\n")
	return b.String()
}

// mailWithAttachment is a short text mail with one base64 text attachment
// of size bytes.
func mailWithAttachment(size int) []byte {
	line := "これは添付ファイルの本文です。0123456789\n"
	att := strings.Repeat(line, size/len(line)+1)[:size]
	return lf2crlf("From: a@example.jp\nTo: b@example.lg.jp\nSubject: big\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain; charset=UTF-8\n\n本文\n" +
		"--B\nContent-Type: text/plain; name=\"data.txt\"\nContent-Disposition: attachment; filename=\"data.txt\"\nContent-Transfer-Encoding: base64\n\n" +
		b64(att) + "\n--B--\n")
}

func benchMail(b *testing.B, opts mail.Options, msg []byte) {
	e := engine(opts)
	ctx := sanitize.WithTrace(context.Background(), testTrace)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	// Peak heap above the baseline (the fixture itself lives in the heap).
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	for b.Loop() {
		rep, out, err := e.Run(ctx, sanitize.Input{R: bytes.NewReader(msg), Name: "m.eml"})
		if err != nil || rep.Outcome != sanitize.OutcomeTextized {
			b.Fatalf("%v %s %v", err, rep.Outcome, rep.Findings)
		}
		io.Copy(io.Discard, out.Reader())
		out.Close()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse-min(ms.HeapInuse, base.HeapInuse))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

func BenchmarkJapaneseHTMLMail5KB(b *testing.B) { benchMail(b, mail.Options{}, japaneseHTMLMail()) }

func BenchmarkJapaneseAlternativeMail5KB(b *testing.B) {
	benchMail(b, mail.Options{}, japaneseAlternativeMail())
}

func BenchmarkAttachment1MB(b *testing.B) { benchMail(b, mail.Options{}, mailWithAttachment(1<<20)) }

func BenchmarkAttachment10MB(b *testing.B) { benchMail(b, mail.Options{}, mailWithAttachment(10<<20)) }

func BenchmarkAttachment1MBTextMode(b *testing.B) {
	benchMail(b, mail.Options{Mode: mail.ModeText}, mailWithAttachment(1<<20))
}

func BenchmarkAttachment10MBTextMode(b *testing.B) {
	benchMail(b, mail.Options{Mode: mail.ModeText}, mailWithAttachment(10<<20))
}
