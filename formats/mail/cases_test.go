package mail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/formats/html"
	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/sanitize"
)

const pe = "MZ\x90\x00\x03\x00\x00\x00 this stands for a Windows program"

// uuencode encodes data as a uuencoded block named name.
func uuencode(name string, data []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "begin 644 %s\n", name)
	enc := func(v byte) byte {
		if v == 0 {
			return '`'
		}
		return v + 32
	}
	for i := 0; i < len(data); i += 45 {
		chunk := data[i:min(i+45, len(data))]
		b.WriteByte(enc(byte(len(chunk))))
		for j := 0; j < len(chunk); j += 3 {
			var c [3]byte
			copy(c[:], chunk[j:])
			b.WriteByte(enc(c[0] >> 2))
			b.WriteByte(enc((c[0]<<4 | c[1]>>4) & 63))
			b.WriteByte(enc((c[1]<<2 | c[2]>>6) & 63))
			b.WriteByte(enc(c[2] & 63))
		}
		b.WriteByte('\n')
	}
	b.WriteString("`\nend\n")
	return b.String()
}

// NEC special characters in ISO-2022-JP (CP50220): ① is row 13 cell 1.
const jisMaru1 = "\x1b$B\x2d\x21\x1b(B"

// Half-width katakana ｶﾞ in ISO-2022-JP via ESC ( I (CP50221).
const jisHankaku = "\x1b(I\x36\x5e\x1b(B"

type mailCase struct {
	name    string
	opts    mail.Options
	msg     string
	want    []string // substrings the text must contain
	notWant []string // substrings it must not contain
	atts    []string // attachment names that must be present
	noAtts  bool     // no attachment may be present
	rules   []string // finding rules that must appear somewhere in the report
	outcome sanitize.Outcome
}

var mailCases = []mailCase{
	{
		name: "iso2022jp",
		msg: "From: " + bword("ISO-2022-JP", jis("山田 太郎")) + " <taro@example.jp>\n" +
			"To: soumu@example.lg.jp\nSubject: " + bword("ISO-2022-JP", jis("会議の件")+jisMaru1) + "\n" +
			"Date: Fri, 20 Nov 2026 10:00:00 +0900\nMessage-ID: <a1@example.jp>\nMIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n" +
			jis("お世話になっております。") + jisMaru1 + jis("の資料です。") + jisHankaku + "\n",
		want: []string{"お世話になっております。①の資料です。ｶﾞ", "添付ファイルはありません"},
	},
	{
		name: "shift_jis",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: test\nMIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=Shift_JIS\nContent-Transfer-Encoding: 8bit\n\n" +
			sjis("株式会社①㈱Ⅲ ") + "\xfb\xfc" + sjis("橋様") + "\n",
		want: []string{"株式会社①㈱Ⅲ 髙橋様"},
	},
	{
		name: "euc_jp_no_charset",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: test\n\n" +
			eucjp("ラベルのない EUC-JP の本文です。") + "\n",
		want: []string{"ラベルのない EUC-JP の本文です。"},
	},
	{
		name: "mislabelled_utf8",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: =?ISO-2022-JP?B?" + b64("件名はUTF-8") + "?=\nMIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: base64\n\n" +
			b64("宣言はISO-2022-JPだが中身はUTF-8です。") + "\n",
		want: []string{"宣言はISO-2022-JPだが中身はUTF-8です。"},
	},
	{
		name: "html_only",
		msg: "From: news@example.com\nTo: b@example.lg.jp\nSubject: news\nMIME-Version: 1.0\n" +
			"Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
			"<html><head><style>p{}</style><script>alert(1)</script></head><body>\n" +
			"<div style=3D\"display:none\">hidden preheader</div>\n" +
			"<p>=E3=81=8A=E7=9F=A5=E3=82=89=E3=81=9B</p>\n" +
			"<p><a href=3D\"https://example.com/x\">=E8=A9=B3=E7=B4=B0</a> <a href=3D\"javascript:evil()\">click</a></p>\n" +
			"<img src=3D\"https://t.example/p.gif\" width=3D\"1\" height=3D\"1\">\n</body></html>\n",
		want:    []string{"お知らせ", "詳細 [https://example.com/x]", "HTML形式の本文は"},
		notWant: []string{"alert", "javascript", "hidden preheader", "p.gif", "<p>"},
		rules:   []string{"html.script", "html.javascript_url", "html.hidden", "html.tracking"},
	},
	{
		name: "alternative_prefers_text",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: alt\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/alternative; boundary=\"ALT\"\n\n" +
			"--ALT\nContent-Type: text/plain; charset=UTF-8\n\nプレーンテキスト版\n" +
			"--ALT\nContent-Type: text/html; charset=UTF-8\n\n<p>HTML版</p><script>x()</script>\n--ALT--\n",
		want:    []string{"プレーンテキスト版"},
		notWant: []string{"HTML版"},
	},
	{
		name: "alternative_prefers_html",
		opts: mail.Options{PreferHTML: true, HTML: html.Options{Links: html.LinkDefang}},
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: alt\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/alternative; boundary=\"ALT\"\n\n" +
			"--ALT\nContent-Type: text/plain; charset=UTF-8\n\nプレーンテキスト版\n" +
			"--ALT\nContent-Type: multipart/related; boundary=\"REL\"\n\n" +
			"--REL\nContent-Type: text/html; charset=UTF-8\n\n<p>HTML版 <a href=\"https://www.example.jp/a\">リンク</a></p>\n" +
			"--REL\nContent-Type: text/plain; name=\"inline.txt\"\nContent-Disposition: inline; filename=\"inline.txt\"\n\ninline file\n--REL--\n--ALT--\n",
		want:    []string{"HTML版 リンク [hxxps://www[.]example[.]jp/a]", "inline.txt"},
		notWant: []string{"プレーンテキスト版"},
		atts:    []string{"inline.txt"},
	},
	{
		name: "attachments",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: " + bword("UTF-8", "請求書の送付") + "\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=\"MIX\"\n\n" +
			"--MIX\nContent-Type: text/plain; charset=UTF-8\n\n請求書を送ります。\n" +
			"--MIX\nContent-Type: text/csv; name=\"list.csv\"\nContent-Disposition: attachment; filename=\"list.csv\"\n\nid,v\n1,=cmd|' /C calc'!A0\n" +
			"--MIX\nContent-Type: application/pdf; name=\"invoice.pdf\"\nContent-Disposition: attachment; filename=\"invoice.pdf\"\nContent-Transfer-Encoding: base64\n\n" + b64(pe) + "\n" +
			"--MIX\nContent-Type: text/plain; name=\"memo.txt\"\nContent-Disposition: attachment; filename*=UTF-8''%E3%83%A1%E3%83%A2.txt\n\nメモです\n" +
			"--MIX\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"=?UTF-8?B?" + b64("請求書\u202Efdp.exe") + "?=\"\nContent-Transfer-Encoding: base64\n\n" + b64(pe) + "\n" +
			"--MIX--\n",
		want:    []string{"請求書を送ります。", "添付ファイル（4件）", "list.csv", "メモ.txt", "invoice.pdf", "実際の種類: pe", "請求書fdp.exe", "01JTEST0000000000000000000"},
		notWant: []string{"\u202E"},
		atts:    []string{"list.csv", "メモ.txt"},
		rules:   []string{"csv.formula", "detect.mismatch", "mail.attachment"},
	},
	{
		name: "text_mode",
		opts: mail.Options{Mode: mail.ModeText},
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: text mode\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=\"MIX\"\n\n" +
			"--MIX\nContent-Type: text/plain; charset=UTF-8\n\n本文です。\n" +
			"--MIX\nContent-Type: text/plain; name=\"memo.txt\"\nContent-Disposition: attachment; filename=\"memo.txt\"\n\nメモ\n--MIX--\n",
		want:   []string{"本文です。", "memo.txt", "テキスト化方式のため添付していません"},
		noAtts: true,
	},
	{
		name: "iso2022jp_output",
		opts: mail.Options{ISO2022JP: true},
		msg: "From: " + bword("UTF-8", "山田") + " <a@example.jp>\nTo: b@example.lg.jp\nSubject: " + bword("UTF-8", "旧式の端末向け①") + "\n" +
			"MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nISO-2022-JP で届けます。\n",
		want: []string{"ISO-2022-JP で届けます。"},
	},
	{
		name: "english_notice_top",
		opts: mail.Options{Lang: "en", NoticeTop: true},
		msg:  "From: a@example.com\nTo: b@example.lg.jp\nSubject: hello\n\nHello.\n",
		want: []string{"[Notice from the mugai sanitization gateway]", "No attachments."},
	},
	{
		name: "forwarded_message",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: Fwd\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=\"OUT\"\n\n" +
			"--OUT\nContent-Type: text/plain\n\nsee below\n" +
			"--OUT\nContent-Type: message/rfc822\n\n" +
			"From: c@example.com\nTo: a@example.jp\nSubject: inner\nMIME-Version: 1.0\nContent-Type: text/html\n\n<p>inner <script>x</script>text</p>\n" +
			"--OUT--\n",
		want:  []string{"see below", "message.eml"},
		atts:  []string{"message.eml"},
		rules: []string{"html.script"},
	},
	{
		name: "signed",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: signed\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"SIG\"\n\n" +
			"--SIG\nContent-Type: text/plain; charset=UTF-8\n\n署名付きの本文\n" +
			"--SIG\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAA==\n--SIG--\n",
		want:  []string{"署名付きの本文", "電子署名は無害化のため取り除きました"},
		rules: []string{"mail.signature"},
	},
	{
		name: "encrypted",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: secret\nMIME-Version: 1.0\n" +
			"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\n",
		want:  []string{"暗号化された部分は中身を検査できないため"},
		rules: []string{"mail.encrypted"},
	},
	{
		name: "partial",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: part 1\nMIME-Version: 1.0\n" +
			"Content-Type: message/partial; id=\"abc@example\"; number=1; total=2\n\nFrom: x\n\npartial body\n",
		want:    []string{"分割・外部参照されたメッセージ"},
		notWant: []string{"partial body"},
		rules:   []string{"mail.partial"},
	},
	{
		name: "missing_close_boundary_bare_lf",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: broken\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain; charset=UTF-8\n\n閉じ境界のない本文\n",
		want:  []string{"閉じ境界のない本文"},
		rules: []string{"mail.structure"},
	},
	{
		name: "bare_cr_and_bad_encodings",
		msg: strings.ReplaceAll("From: a@example.jp\nTo: b@example.lg.jp\nSubject: cr\nMIME-Version: 1.0\n"+
			"Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n"+
			b64("壊れたbase64の前半")+"!!**\n"+
			"--B\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n=E5=A3=8A=E3=82=8C=E3=81=9FQP =ZZ =\nend\n--B--\n", "\n", "\r"),
		want: []string{"壊れたbase64の前半", "壊れたQP =ZZ end"},
	},
	{
		name: "eight_bit_header",
		msg:  "From: " + sjis("山田") + " <a@example.jp>\nTo: b@example.lg.jp\nSubject: " + sjis("生の8ビット件名①") + "\n\nbody\n",
		want: []string{"body"},
	},
	{
		name: "uuencode_in_body",
		msg: "From: a@example.jp\nTo: b@example.lg.jp\nSubject: uu\n\nHere is the tool:\n\n" +
			uuencode("tool.exe", []byte(pe)) + "\nand a note:\n" + uuencode("note.txt", []byte("just a note\n")) + "bye\n",
		want:    []string{"Here is the tool:", "bye", "tool.exe", "note.txt"},
		notWant: []string{"begin 644"},
		atts:    []string{"note.txt"},
		rules:   []string{"mail.uuencode", "mail.attachment"},
	},
	{
		name: "deep_nesting",
		msg: func() string {
			var b strings.Builder
			b.WriteString("From: a@example.jp\nTo: b@example.lg.jp\nSubject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n")
			for i := range 60 {
				fmt.Fprintf(&b, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i+1)
			}
			b.WriteString("--b60\nContent-Type: text/plain\n\ndeepest\n")
			return b.String()
		}(),
		want:  []string{"一部が壊れていたか上限を超えていた"},
		rules: []string{"limit.depth"},
	},
}

func TestCases(t *testing.T) {
	for _, tc := range mailCases {
		t.Run(tc.name, func(t *testing.T) {
			rep, out := run(t, engine(tc.opts), lf2crlf(tc.msg))
			want := tc.outcome
			if want == "" {
				want = sanitize.OutcomeTextized
			}
			if rep.Outcome != want {
				b, _ := json.MarshalIndent(rep, "", "  ")
				t.Fatalf("outcome %s, want %s\n%s", rep.Outcome, want, b)
			}
			if out == nil {
				return
			}
			p := checkOutput(t, out)
			for _, w := range tc.want {
				if !strings.Contains(p.text, w) {
					t.Errorf("text lacks %q:\n%s", w, p.text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(p.text, w) {
					t.Errorf("output contains %q", w)
				}
			}
			if strings.Contains(string(out), "javascript:") {
				t.Errorf("output contains an active link")
			}
			for _, a := range tc.atts {
				if _, ok := p.attachments[a]; !ok {
					t.Errorf("attachment %q missing; have %v", a, keys(p.attachments))
				}
			}
			if tc.noAtts && len(p.attachments) > 0 {
				t.Errorf("attachments crossed in text mode: %v", keys(p.attachments))
			}
			seen := map[string]bool{}
			rep.Walk(func(_ int, r *sanitize.Report) {
				for _, f := range r.Findings {
					seen[f.Rule] = true
				}
			})
			for _, r := range tc.rules {
				if !seen[r] {
					t.Errorf("no %s finding; have %v", r, keys(seen))
				}
			}
			golden(t, tc.name, out)
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The mode can follow the envelope (policy rules per recipient domain):
// Choose sees the Trace the caller put in the context.
func TestChooseByEnvelope(t *testing.T) {
	s := mail.New(mail.Options{})
	s.Choose = func(ctx context.Context) mail.Options {
		for _, rcpt := range sanitize.TraceFrom(ctx).To {
			if strings.HasSuffix(rcpt, "@kikaku.example.lg.jp") {
				return mail.Options{Mode: mail.ModeText}
			}
		}
		return mail.Options{}
	}
	e := engine(mail.Options{})
	e.Sanitizers["eml"] = s
	msg := lf2crlf("From: a@example.jp\nTo: b@example.lg.jp\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n" +
		"--B\nContent-Type: text/plain\n\nbody\n--B\nContent-Type: text/plain; name=a.txt\nContent-Disposition: attachment; filename=a.txt\n\nfile\n--B--\n")
	for _, tc := range []struct {
		to   string
		atts int
	}{{"x@soumu.example.lg.jp", 1}, {"y@kikaku.example.lg.jp", 0}} {
		tr := testTrace
		tr.To = []string{tc.to}
		rep, out, err := e.Run(sanitize.WithTrace(context.Background(), tr), sanitize.Input{R: bytes.NewReader(msg), Name: "m.eml"})
		if err != nil || out == nil {
			t.Fatalf("%v %v", err, rep)
		}
		b, _ := io.ReadAll(out.Reader())
		out.Close()
		if got := len(parse(t, b).attachments); got != tc.atts {
			t.Errorf("to %s: %d attachments, want %d", tc.to, got, tc.atts)
		}
	}
}
