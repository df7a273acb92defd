package mailhdr

import (
	"strings"
	"testing"
)

// BenchmarkDecodeText decodes a typical Japanese subject: two ISO-2022-JP
// encoded-words after "Re: ", as Japanese mailers write them.
func BenchmarkDecodeText(b *testing.B) {
	j := jis(b, "【重要】令和六年度 予算執行状況のご報告について")
	raw := "Re: " + bword("ISO-2022-JP", j[:len(j)/2]) + "\r\n " + bword("ISO-2022-JP", j[len(j)/2:])
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		DecodeText(raw)
	}
}

// BenchmarkParseMediaType parses a Content-Disposition with an RFC 2231
// file name in continuations and a plain fallback.
func BenchmarkParseMediaType(b *testing.B) {
	raw := "attachment;\r\n filename*0*=UTF-8''%E4%BB%A4%E5%92%8C%E5%85%AD%E5%B9%B4%E5%BA%A6%E4%BA%88%E7%AE%97;\r\n" +
		" filename*1*=%E5%9F%B7%E8%A1%8C%E7%8A%B6%E6%B3%81.xlsx;\r\n filename=\"budget.xlsx\"; size=12345"
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		ParseMediaType(raw)
	}
}

// BenchmarkEncodeText writes a 100-character Japanese subject.
func BenchmarkEncodeText(b *testing.B) {
	s := string([]rune(strings.Repeat("令和六年度予算の執行状況について（ご報告）", 5))[:100])
	for _, tc := range []struct {
		name string
		cs   OutCharset
	}{{"UTF8", UTF8}, {"ISO2022JP", ISO2022JP}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				EncodeText("Subject", s, tc.cs)
			}
		})
	}
}

// BenchmarkDecodeAddressList parses a To of 100 mixed addresses.
func BenchmarkDecodeAddressList(b *testing.B) {
	var sb strings.Builder
	for i := range 100 {
		if i > 0 {
			sb.WriteString(",\r\n ")
		}
		if i%2 == 0 {
			sb.WriteString(`"Yamada, Taro" <taro.yamada@example.jp>`)
		} else {
			sb.WriteString(bword("ISO-2022-JP", jis(b, "山田太郎")) + " <taro@example.jp>")
		}
	}
	raw := sb.String()
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		DecodeAddressList(raw)
	}
}
