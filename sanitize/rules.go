package sanitize

import (
	"slices"
	"strings"
)

// Rule IDs the engine itself emits. Format packages define their own
// ("html.script", "csv.formula"); every rule any package emits is listed in
// RuleTable so that reports, notices and docs can explain it.
const (
	RuleMismatch     = "detect.mismatch"    // the content is not what the name or MIME type says
	RuleDenied       = "policy.denied"      // the detected type is not allowed
	RuleUnsupported  = "policy.unsupported" // allowed, but no sanitizer handles it (yet)
	RuleLimitSize    = "limit.size"         // input, output or expanded size over the limit
	RuleLimitDepth   = "limit.depth"        // nested too deeply
	RuleLimitParts   = "limit.parts"        // too many parts or entries
	RuleLimitTime    = "limit.time"         // the item's deadline passed
	RuleMalformed    = "sanitize.malformed" // the file could not be parsed (or the parser panicked)
	RuleEncrypted    = "sanitize.encrypted" // encrypted content that cannot be inspected
	RuleVerifyFailed = "verify.failed"      // the re-scan of the output found something
	RuleVerifyRisk   = "verify.risk"        // verify mode: the original has risk factors
)

// RuleInfo explains a rule to people, in Japanese and English.
type RuleInfo struct {
	ID string
	JA string
	EN string
}

// RuleTable lists every stable rule ID mugai emits, sorted by ID. Rules with a
// dynamic suffix (for example "av.<signature>") are listed by prefix with a
// trailing dot.
var RuleTable = []RuleInfo{
	{"csv.formula", "数式として実行されうるセルの先頭に ' を付けて無害化しました", "cells that a spreadsheet would run as formulas were prefixed with '"},
	{"detect.mismatch", "ファイル名や宣言された種類と実際の中身が一致しません", "the content does not match its name or declared type"},
	{"html.comment", "HTMLのコメントを削除しました", "HTML comments were removed"},
	{"html.embed", "埋め込みオブジェクト(iframe/object/embed等)を削除しました", "embedded objects (iframe, object, embed, …) were removed"},
	{"html.event", "イベントハンドラ属性(onclick等)を削除しました", "event handler attributes (onclick, …) were removed"},
	{"html.form", "入力フォームを削除しました", "forms were removed"},
	{"html.hidden", "非表示の要素を削除しました", "hidden elements were removed"},
	{"html.javascript_url", "javascript: などの危険なリンクを削除しました", "javascript: and other active links were removed"},
	{"html.link", "リンクを文字列に変換しました(クリックできません)", "links were turned into plain text"},
	{"html.meta_refresh", "自動転送(meta refresh)を削除しました", "automatic redirects (meta refresh) were removed"},
	{"html.script", "スクリプトを削除しました", "scripts were removed"},
	{"html.style", "スタイル指定を削除しました", "style sheets were removed"},
	{"html.text", "HTMLをテキストに変換しました", "HTML was converted to plain text"},
	{"html.tracking", "追跡用の画像を削除しました", "tracking images were removed"},
	{"limit.depth", "入れ子が深すぎるため処理できません", "nested too deeply to inspect"},
	{"limit.parts", "含まれる部品やファイルの数が上限を超えています", "too many parts or entries"},
	{"limit.size", "サイズが上限を超えています", "the size limit was exceeded"},
	{"limit.time", "処理時間の上限を超えました", "the time limit was exceeded"},
	{"mail.alternative", "複数の形式で書かれた本文のうち一つを残しました", "one of the alternative versions of the body was kept"},
	{"mail.attachment", "添付ファイルを取り除きました", "an attachment was removed"},
	{"mail.encoding", "転送エンコードの誤りを読み飛ばしました", "invalid transfer encoding was skipped"},
	{"mail.encrypted", "暗号化された部分は検査できないため取り除きました", "encrypted content was removed because it cannot be inspected"},
	{"mail.header", "上限を超えたヘッダを切り詰めました", "a header over the limit was cut"},
	{"mail.partial", "分割・外部参照メッセージは検査できないため取り除きました", "split or external-body messages were removed"},
	{"mail.signature", "電子署名を取り除きました", "the digital signature was removed"},
	{"mail.structure", "メールの構造の誤りを補って読みました", "the mail's broken structure was read leniently"},
	{"mail.tnef", "Outlook の winmail.dat を展開しました(展開できない場合は取り除きました)", "Outlook winmail.dat was unpacked (or removed when it could not be)"},
	{"mail.uuencode", "本文中の uuencode されたファイルを添付ファイルとして扱いました", "uuencoded files in the body were handled as attachments"},
	{"policy.denied", "この種類のファイルは受け付けない設定です", "this type of file is not allowed by policy"},
	{"policy.unsupported", "この種類のファイルはまだ無害化できません", "this type of file cannot be sanitized yet"},
	{"sanitize.encrypted", "暗号化されているため中身を検査できません", "encrypted content cannot be inspected"},
	{"sanitize.malformed", "ファイルが壊れているか、解析できない形式です", "the file is damaged or could not be parsed"},
	{"text.bidi", "文字の向きを変える制御文字を削除しました", "bidirectional control characters were removed"},
	{"text.charset", "文字コードをUTF-8に変換しました", "the text was converted to UTF-8"},
	{"text.control", "制御文字を削除しました", "control characters were removed"},
	{"text.invalid", "どの文字コードでも読めないバイトを置き換えました", "bytes invalid in every plausible charset were replaced"},
	{"verify.failed", "無害化後の再検査で問題が見つかったため通過させません", "the re-scan of the sanitized output failed"},
	{"verify.risk", "検査モード: 危険な要素が含まれているため通過させません", "verify mode: risk factors were found"},
}

// DescribeRule returns the explanation of a rule in lang ("ja" or "en"); an
// unknown rule is returned as is.
func DescribeRule(id, lang string) string {
	i, ok := slices.BinarySearchFunc(RuleTable, id, func(r RuleInfo, id string) int { return strings.Compare(r.ID, id) })
	if !ok {
		// Dynamic rules: "av.Eicar-Test-Signature" matches "av.".
		for _, r := range RuleTable {
			if strings.HasSuffix(r.ID, ".") && strings.HasPrefix(id, r.ID) {
				return describe(r, lang)
			}
		}
		return id
	}
	return describe(RuleTable[i], lang)
}

func describe(r RuleInfo, lang string) string {
	if lang == "en" {
		return r.EN
	}
	return r.JA
}
