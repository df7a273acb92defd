package html_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mugai-project/mugai/formats/html"
)

func ExampleConvert() {
	page := `<html><head><title>お知らせ</title><script>track()</script></head>
<body>
<div style="display:none">今だけ！</div>
<h1>お知らせ</h1>
<p>詳しくは<a href="https://www.city.example.lg.jp/a.pdf">こちらの資料</a>をご覧ください。
<a href="javascript:steal()">ログイン</a></p>
<ul><li>受付：平日<li>場所：本庁舎</ul>
<img src="https://t.example/o.gif" width="1" height="1">
</body></html>`
	st, err := html.Convert(context.Background(), os.Stdout, strings.NewReader(page), html.Options{})
	if err != nil {
		fmt.Println(err)
	}
	for _, f := range st.Findings() {
		fmt.Println(f.Rule, f.Action, f.Detail)
	}
	// Output:
	// お知らせ
	//
	// 詳しくはこちらの資料 [https://www.city.example.lg.jp/a.pdf]をご覧ください。ログイン
	//
	// ・受付：平日
	// ・場所：本庁舎
	// html.script removed 1 script element
	// html.link converted 1 link
	// html.javascript_url removed 1 active link target
	// html.hidden removed 1 hidden element
	// html.tracking removed 1 tracking image
}
