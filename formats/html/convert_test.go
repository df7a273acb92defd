package html

import (
	"bytes"
	"strings"
	"testing"
)

func convert(t testing.TB, in string, opts Options) (string, Stats) {
	t.Helper()
	var b bytes.Buffer
	st, err := Convert(t.Context(), &b, strings.NewReader(in), opts)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	return b.String(), st
}

// counts is rule ID → expected count; rules not listed must not fire.
type counts map[string]int

func checkCounts(t *testing.T, st Stats, want counts) {
	t.Helper()
	for _, ri := range ruleInfo {
		if got := st.Count(ri.id); got != want[ri.id] {
			t.Errorf("%s: got %d, want %d", ri.id, got, want[ri.id])
		}
	}
}

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		opts Options
		want string
		n    counts
	}{
		{name: "empty", in: "", want: ""},
		{name: "only markup", in: "<html><head></head><body><div> </div></body></html>", want: ""},
		{name: "paragraphs", in: "<p>一つ目</p><p>二つ目</p>", want: "一つ目\n\n二つ目\n"},
		{name: "whitespace collapses", in: "<p>  a \n\t b  </p>", want: "a b\n"},
		{name: "japanese source line break", in: "<p>これは\n  テストです。\nGo と\nRust</p>", want: "これはテストです。 Go と Rust\n"},
		{name: "fullwidth space kept", in: "<p>\u3000字下げした段落。</p>", want: "\u3000字下げした段落。\n"},
		{name: "entities", in: "<p>A&amp;B&nbsp;&nbsp;C &#x2460;&#9312; &copy; &lt;script&gt;alert(1)&lt;/script&gt;</p>",
			want: "A&B  C ①① © ＜script>alert(1)＜/script>\n"},
		{name: "script removed", in: "<p>前</p><script>document.write('x')</script><p>後</p>", want: "前\n\n後\n",
			n: counts{RuleScript: 1}},
		{name: "script with markup inside", in: "<script>var s = '<p>not text</p>';</script>本文", want: "本文\n",
			n: counts{RuleScript: 1}},
		{name: "style removed", in: "<style>p { color: red }</style><p>本文</p>", want: "本文\n", n: counts{RuleStyle: 1}},
		{name: "javascript link", in: `<a href="javascript:alert(1)">クリック</a>`, want: "クリック\n",
			n: counts{RuleJavaScriptURL: 1}},
		{name: "obfuscated javascript link", in: "<a href=\" JaVa\tScRiPt&#58;alert(1)\">x</a> <a href=\"vbscript:msgbox\">y</a> <a href=\"data:text/html,<script>\">z</a> <a href=\"file:///C:/a.exe\">w</a>",
			want: "x y z w\n", n: counts{RuleJavaScriptURL: 4}},
		{name: "link text", in: `<p><a href="https://example.jp/a.pdf">会議資料</a>をご覧ください。</p>`,
			want: "会議資料 [https://example.jp/a.pdf]をご覧ください。\n", n: counts{RuleLink: 1}},
		{name: "link text equal to target", in: `<a href="https://example.jp/">https://example.jp</a> <a href="mailto:info@example.jp">info@example.jp</a> <a href="https://www.example.jp/">www.example.jp</a>`,
			want: "https://example.jp info@example.jp www.example.jp\n", n: counts{RuleLink: 3}},
		{name: "link remove", in: `<a href="https://example.jp/a.pdf">会議資料</a>`, opts: Options{Links: LinkRemove},
			want: "会議資料\n", n: counts{RuleLink: 1}},
		{name: "link defang", in: `<p><a href="https://www.example.jp/a.pdf">資料</a> 本文の https://evil.example.com/x と <a href="mailto:a@example.jp">連絡</a></p>`,
			opts: Options{Links: LinkDefang},
			want: "資料 [hxxps://www[.]example[.]jp/a.pdf] 本文の hxxps://evil[.]example[.]com/x と 連絡 [mailto:a@example[.]jp]\n",
			n:    counts{RuleLink: 2}},
		{name: "link without text", in: `<a href="https://example.jp/"><img src="x.png"></a>本文`, want: "本文\n", n: counts{RuleLink: 1}},
		{name: "image link", in: `<a href="https://example.jp/login"><img src="b.png" alt="ログイン"></a>`,
			want: "[画像: ログイン] [https://example.jp/login]\n", n: counts{RuleLink: 1}},
		{name: "fragment and relative links", in: `<a href="#top">上へ</a> <a href="../a.pdf">資料</a>`, want: "上へ 資料 [../a.pdf]\n", n: counts{RuleLink: 1}},
		{name: "base href", in: `<head><base href="https://www.city.example.lg.jp/kurashi/"></head><a href="gomi.html">ごみ</a>`,
			want: "ごみ [https://www.city.example.lg.jp/kurashi/gomi.html]\n", n: counts{RuleLink: 1}},
		{name: "tel link", in: `<a href="tel:03-1234-5678">03-1234-5678</a>`, want: "03-1234-5678\n", n: counts{RuleLink: 1}},
		{name: "nested anchors", in: `<a href="https://a.example/">A<a href="https://b.example/">B</a>`,
			want: "A [https://a.example/]B [https://b.example/]\n", n: counts{RuleLink: 2}},
		{name: "target with markup", in: `<a href="https://example.jp/?q=%3Cx%3E&amp;u=javascript:alert(1)&r=<script>">検索</a>`,
			want: "検索 [https://example.jp/?q=%3Cx%3E&u=javascript%3Aalert(1)&r=%3Cscript%3E]\n", n: counts{RuleLink: 1}},
		{name: "hidden preheader", in: `<div style="display:none;font-size:1px;max-height:0;overflow:hidden;mso-hide:all">今だけ50%オフ</div><p>山田様</p>`,
			want: "山田様\n", n: counts{RuleHidden: 1}},
		{name: "hidden variants",
			in: `<p>見える</p>
<span hidden>1</span><span style="DISPLAY : None !important">2</span><span style="/*x*/display:/*y*/none">3</span>
<span style="opacity:0">4</span><span style="visibility:hidden">5</span><span style="font-size:0">6</span>
<span style="max-height:0px;overflow:hidden">7</span><span style="width:0;height:0">8</span><span style="mso-hide:all">9</span>
<span style="color:transparent">10</span><dialog>11</dialog><span aria-hidden="true">見える2</span>`,
			want: "見える\n\n見える2\n", n: counts{RuleHidden: 11}},
		{name: "hidden is not counted when empty", in: `<div style="display:none"> </div><div style="font-size:0"> </div>本文`, want: "本文\n"},
		{name: "font-size zero reset by child", in: `<div style="font-size:0px"> <div style="display:inline-block;font-size:14px">左の列</div> <div style="font-size:14px">右の列</div> </div>`,
			want: "左の列\n右の列\n"},
		{name: "visibility reset by child", in: `<div style="visibility:hidden">隠れる<span style="visibility:visible">見える</span></div>`,
			want: "見える\n", n: counts{RuleHidden: 1}},
		{name: "hidden ends where a browser ends it", in: `<p style="display:none">隠れる<div>見える</div>`, want: "見える\n", n: counts{RuleHidden: 1}},
		{name: "hidden span closed by its cell", in: `<table><tr><td><span style="display:none">隠れる</td><td>見える</td></tr></table>`,
			want: "見える\n", n: counts{RuleHidden: 1}},
		{name: "tracking pixel", in: `<p>本文</p><img src="https://t.example/open.gif?id=1" width="1" height="1" alt=""><img src="http://t.example/p" style="width:0;height:0"><img src="//t.example/p" style="display:none">`,
			want: "本文\n", n: counts{RuleTracking: 3}},
		{name: "spacer is not tracking", in: `<img src="spacer.gif" width="1" height="1" alt="スペーサー">本文`, want: "本文\n"},
		{name: "images", in: `<p><img src="logo.png" alt="市のロゴ">ようこそ<img src="a.png"><img src="b.png" alt="  "></p>`,
			want: "[画像: 市のロゴ]ようこそ\n"},
		{name: "image remove", in: `<img src="logo.png" alt="ロゴ">本文`, opts: Options{Images: ImageRemove}, want: "本文\n"},
		{name: "image label", in: `<img src="logo.png" alt="logo">`, opts: Options{ImageLabel: "image"}, want: "[image: logo]\n"},
		{name: "alt with markup", in: `<img src="x.png" alt="<script>javascript:alert(1)</script>">`, want: "[画像: ＜script＞javascript：alert(1)＜/script＞]\n"},
		{name: "hidden image", in: `<img src="a.png" alt="隠れる" hidden>本文`, want: "本文\n", n: counts{RuleHidden: 1}},
		{name: "lists", in: `<ul><li>一<li>二<ul><li>二の一<li>二の二</ul><li>三</ul><ol start="3"><li>c<li value="10">j<li>k</ol>`,
			want: "・一\n・二\n  ・二の一\n  ・二の二\n・三\n\n3. c\n10. j\n11. k\n"},
		{name: "list item continuation", in: `<ol><li>一行目<br>二行目<ul><li>子</ul></ol>`, want: "1. 一行目\n   二行目\n   ・子\n"},
		{name: "list directly in list", in: `<ul><li>a</li><ul><li>b</li></ul></ul>`, want: "・a\n  ・b\n"},
		{name: "empty list item", in: `<ul><li></li><li>a</li></ul>`, want: "・a\n"},
		{name: "list around text", in: `<p>前</p><ul><li>項目</li></ul><p>後</p>`, want: "前\n\n・項目\n\n後\n"},
		{name: "table", in: `<table><thead><tr><th>項目</th><th>内容</th></tr></thead><tbody><tr><td>日時</td><td>4月1日<br>午後2時</td></tr><tr><td>場所</td><td></td><td>市役所</td></tr></tbody></table>`,
			want: "項目 | 内容\n日時 | 4月1日\n午後2時\n場所 | 市役所\n"},
		{name: "table without end tags", in: `<table><tr><td>a<td>b<tr><td>c<td>d</table>後`, want: "a | b\nc | d\n後\n"},
		{name: "layout table", in: `<table width="600"><tr><td><table><tr><td><img src="logo.png" alt="ロゴ"></td></tr></table></td></tr><tr><td><p>本文</p></td><td>&nbsp;</td></tr></table>`,
			want: "[画像: ロゴ]\n\n本文\n"},
		{name: "pre", in: "<p>前</p><pre>\n  func main() {\n\treturn\n  }\n\n\n\nend</pre><p>後</p>",
			want: "前\n\n  func main() {\n\treturn\n  }\n\nend\n\n後\n"},
		{name: "textarea", in: "<form><p>ご意見</p><textarea name=t>\n一行目\n  二行目</textarea><input type=submit></form>",
			want: "ご意見\n\n一行目\n  二行目\n", n: counts{RuleForm: 3}},
		{name: "blockquote", in: `<p>返信です。</p><blockquote><p>元の文1</p><p>元の文2</p><blockquote>さらに前</blockquote></blockquote><p>以上</p>`,
			want: "返信です。\n\n> 元の文1\n>\n> 元の文2\n>\n> > さらに前\n\n以上\n"},
		{name: "headings", in: `<h1>見出し</h1>本文<h2>小見出し<h3>入れ子</h3>`, want: "見出し\n\n本文\n\n小見出し\n\n入れ子\n"},
		{name: "hr", in: `上<hr>下`, want: "上\n----\n下\n"},
		{name: "br", in: `a<br>b<br><br>c<br><br><br><br>d<br>`, want: "a\nb\n\nc\n\nd\n"},
		{name: "br at start", in: `<br><br>a`, want: "a\n"},
		{name: "dl", in: `<dl><dt>用語</dt><dd>説明</dd><dt>次</dt><dd>説明2</dd></dl>`, want: "用語\n  説明\n次\n  説明2\n"},
		{name: "title", in: `<html><head><title>お知らせ | 例市</title></head><body><p>本文</p></body></html>`, want: "お知らせ | 例市\n\n本文\n"},
		{name: "title repeated by body", in: `<title>お知らせ</title><h1>お知らせ</h1><p>本文</p>`, want: "お知らせ\n\n本文\n"},
		{name: "title only", in: `<title> 題名 </title>`, want: "題名\n"},
		{name: "omit title", in: `<title>題名</title><p>本文</p>`, opts: Options{OmitTitle: true}, want: "本文\n"},
		{name: "svg title is not the title", in: `<svg><title>icon</title><circle/></svg>本文`, want: "本文\n"},
		{name: "bidi and controls", in: "<p>abc\u202Egnp.exe\u202C \u2066x\u2069 a\x01b&#x7f;c&#x85;d</p>", want: "abcgnp.exe x abc…d\n", // &#x85; is U+2026 by the HTML standard's table
			n: counts{RuleBidi: 4, RuleControl: 2}},
		{name: "invalid utf-8", in: "<p>a\xffb</p>", want: "a\uFFFDb\n", n: counts{RuleInvalid: 1}},
		{name: "comments", in: `<!-- コメント --><p>本文<!--[if mso]>Outlook<![endif]--></p><?xml version="1.0"?>`, want: "本文\n", n: counts{RuleComment: 3}},
		{name: "conditional comment revealed", in: `<!--[if !mso]><!--><p>見える</p><!--<![endif]-->`, want: "見える\n", n: counts{RuleComment: 2}},
		{name: "meta refresh", in: `<head><meta http-equiv="Refresh" content="0; url=https://evil.example/"></head><p>本文</p>`, want: "本文\n",
			n: counts{RuleMetaRefresh: 1}},
		{name: "events", in: `<body onload="x()"><p onclick="y()" onmouseover="z()">本文</p><img src=a onerror="w()"></body>`, want: "本文\n",
			n: counts{RuleEvent: 4}},
		{name: "forms", in: `<form action="https://evil.example/"><p>氏名 <input name=n></p><select><option>一</option></select><button>送信</button></form>`,
			want: "氏名\n", n: counts{RuleForm: 4}},
		{name: "embeds", in: `<p>前</p><iframe src="https://x.example/">fallback</iframe><object data="a.swf"><p>代替</p></object><embed src="a.swf"><applet code="A">代替</applet><frameset><frame src="a.html"></frameset><p>後</p>`,
			want: "前\n\n後\n", n: counts{RuleEmbed: 5}},
		{name: "noscript kept", in: `<noscript><p>JavaScriptを有効にしてください</p><iframe src="https://gtm.example/"></iframe></noscript>本文`,
			want: "JavaScriptを有効にしてください\n\n本文\n", n: counts{RuleEmbed: 1}},
		{name: "noscript pixel in head", in: `<head><noscript><img height="1" width="1" src="https://px.example/tr?id=1"></noscript></head><body>本文</body>`,
			want: "本文\n", n: counts{RuleTracking: 1}},
		{name: "dropped silently", in: `<template><p>t</p></template><svg><text>s</text></svg><math><mi>x</mi></math><canvas>c</canvas><video>v</video><audio>a</audio>本文`,
			want: "本文\n"},
		{name: "self-closing svg", in: `<svg/><p>本文</p><math/>後`, want: "本文\n\n後\n"},
		{name: "ruby", in: `<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>と<ruby>仮名<rt>かな</rt></ruby>`, want: "漢字(かんじ)と仮名(かな)\n"},
		{name: "text in head ends it", in: `<head><title>t</title>本文</head>`, want: "t\n\n本文\n"},
		{name: "unknown and word elements", in: `<p class=MsoNormal>本文<o:p></o:p></p><p><x-foo>カスタム</x-foo></p>`, want: "本文\n\nカスタム\n"},
		{name: "xmp and plaintext", in: `<xmp><b>そのまま</b></xmp><plaintext><p>最後まで`, want: "＜b>そのまま＜/b>\n\n＜p>最後まで\n"},
		{name: "no tag-like text", in: `&lt;!DOCTYPE html&gt; &lt;?xml?&gt; a &lt; b &lt;<b>i</b> &lt;&lt;x &lt;1 <pre>&lt;div&gt;</pre><title>&lt;meta&gt;</title>`,
			want: "＜!DOCTYPE html> ＜?xml?> a < b ＜i <＜x <1\n\n＜div>\n"},
		{name: "no tag-like title", in: `<title>&lt;script&gt;x&lt;/script&gt;</title><p>本文</p>`, want: "＜script>x＜/script>\n\n本文\n"},
		{name: "end p without start", in: `a</p>b`, want: "a\n\nb\n"},
		{name: "unclosed everything", in: `<div><p><b><i><ul><li>a<table><tr><td>b`, want: "・a\n  b\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, st := convert(t, tc.in, tc.opts)
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s\n(got %q)", got, tc.want, got)
			}
			checkCounts(t, st, tc.n)
			checkText(t, got)
		})
	}
}

// checkText asserts the output contract: valid UTF-8, LF only, no control
// or bidi characters, no trailing spaces, at most one blank line in a row,
// no leading blank line, exactly one final LF unless empty.
func checkText(t testing.TB, s string) {
	t.Helper()
	if err := textContract(s); err != "" {
		t.Errorf("output contract: %s\n%q", err, s)
	}
}
