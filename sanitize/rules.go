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
	{"archive.bomb", "展開すると異常に大きくなる(圧縮爆弾)ため通過させません", "the archive expands abnormally (a decompression bomb)"},
	{"archive.charset", "ファイル名をShift_JIS(CP932)またはEUC-JPからUTF-8に変換しました", "entry names were converted from Shift_JIS (CP932) or EUC-JP to UTF-8"},
	{"archive.duplicate", "同じ名前のファイルが重複しているため通過させません", "two entries have the same name"},
	{"archive.encrypted", "暗号化(パスワード付き)の圧縮ファイルは中身を検査できないため通過させません。原本は隔離保管されています。必要な場合は、送信者にパスワードなしで送り直してもらうか、システム管理者に原本の確認と取り出しを依頼してください", "encrypted (password-protected) archives cannot be inspected and do not cross. The original is kept in quarantine: ask the sender to send it again without a password, or ask your system administrator to review and release the original"},
	{"archive.entry", "通常のファイルでもフォルダでもない項目(スパースファイル等)を含むため通過させません", "an entry is neither a regular file nor a folder (sparse file, label, …)"},
	{"archive.kind", "圧縮ファイルをZIP形式(またはgzip形式)で作り直しました", "the archive was rewritten as zip (or gzip)"},
	{"archive.link", "シンボリックリンク・ハードリンク・デバイス等の特殊なファイルを含むため通過させません", "the archive holds links, devices or other special files"},
	{"archive.member", "圧縮ファイル内のファイルを取り除き、理由を書いた .removed.txt に置き換えました", "a member was removed and replaced by a .removed.txt notice"},
	{"archive.method", "対応していない圧縮方式のファイルを取り除きました", "a member compressed with an unsupported method was removed"},
	{"archive.name", "ファイル名を正しく読めないか、ファイル名の記録が食い違っています", "an entry name cannot be decoded, or its recorded names disagree"},
	{"archive.overlap", "ファイル同士が同じデータを共有する圧縮爆弾の構造のため通過させません", "entries share their data (the overlapping-entry zip bomb)"},
	{"archive.path", "危険なファイル名(絶対パスや .. を含むパス)を含むため通過させません", "an entry has an unsafe path (absolute, drive letter or ..)"},
	{"archive.quine", "圧縮ファイルが自分自身を含んでいるため通過させません", "the archive contains itself (a quine)"},
	{"archive.structure", "圧縮ファイルの構造に矛盾があるため通過させません", "the archive's structure is inconsistent"},
	{"av.", "マルウェア(ウイルス)を検出したため通過させません", "malware was detected; the item does not cross"},
	{"av.incomplete", "ウイルス検査が上限(サイズ・入れ子・時間)のため最後までできなかったため通過させません", "the malware scan could not inspect everything (size, nesting or time limits); the item does not cross"},
	{"av.unavailable", "ウイルス検査ができないまま処理しました(検査は必須でない設定です)", "the malware scanner could not be reached; the item went on unscanned (scanning is not required)"},
	{"csv.formula", "数式として実行されうるセルの先頭に ' を付けて無害化しました", "cells that a spreadsheet would run as formulas were prefixed with '"},
	{"detect.mismatch", "ファイル名や宣言された種類と実際の中身が一致しません", "the content does not match its name or declared type"},
	{"filedrop.hardlink", "他の名前（ハードリンク）を持つファイルは読み込まずに拒否しました", "a file with other names (hard links) was refused without being read"},
	{"filedrop.special", "通常のファイルではない（FIFO・デバイス等）ため読み込まずに拒否しました", "not a regular file (FIFO, device, socket); refused without being read"},
	{"filedrop.symlink", "シンボリックリンクは辿らずに拒否しました", "a symbolic link was refused and never followed"},
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
	{"image.converted", "画像を別の形式で保存し直しました(WebP は PNG になります)", "the image was re-encoded in another format (WebP becomes PNG)"},
	{"image.frames", "保存し直せないコマ・ページを取り除きました(APNG のアニメーション、読めない TIFF のページ)", "frames or pages the re-encoder cannot keep were removed (APNG animation, TIFF pages that do not decode)"},
	{"image.limit", "画像の縦横・画素数・コマ数が上限を超えているため通過させません(展開爆弾の疑い)", "the image's dimensions, pixel count or frame count exceed the limit (decompression bomb)"},
	{"image.metadata", "画像のメタデータ(EXIF・位置情報・XMP・コメント・テキスト等)を削除しました", "image metadata (EXIF, location, XMP, comments, text chunks, …) was removed"},
	{"image.orientation", "画像の向きの指定を画素に反映しました", "the image's orientation tag was applied to the pixels"},
	{"image.payload", "作り直した画像の画素データにスクリプト等の文字列が残るため通過させません(画素を細工した攻撃)", "the re-encoded image still contains script-like byte sequences (pixels crafted to survive re-encoding)"},
	{"image.svg", "SVG 画像はスクリプトや外部参照を含みうるため通過させません", "SVG images can carry script and external references and are blocked"},
	{"image.trailing", "画像の終端より後ろに付け足されたデータを削除しました", "data appended after the end of the image was removed"},
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
	{"odf.bomb", "展開すると異常に大きくなる部分があるため通過させません", "an entry expands abnormally (zip bomb)"},
	{"odf.dde", "DDE(外部プログラムとのデータ連携)を削除しました", "DDE links and DDE formulas were removed"},
	{"odf.dtd", "XMLに文書型宣言・実体宣言が含まれるため通過させません", "an XML part declares a DTD or entities"},
	{"odf.duplicate", "同じ名前の部品が重複しているため通過させません", "two entries have the same name"},
	{"odf.event", "イベントに結び付けられたマクロ・スクリプトを削除しました", "event listeners (macros and scripts bound to events) were removed"},
	{"odf.external", "外部への参照・外部データ接続を削除しました", "references to content outside the document were removed"},
	{"odf.form", "フォームのコントロールとその設定を削除しました", "form controls and their bindings were removed"},
	{"odf.hyperlink", "許可されていないハイパーリンクを削除しました(文字は残っています)", "hyperlinks that are not allowed were removed (the text stays)"},
	{"odf.macro", "マクロ(Basic・スクリプト)とその呼び出しを削除しました", "macros (Basic, scripts) and the references that run them were removed"},
	{"odf.object", "埋め込みオブジェクト(OLE・プラグイン等)を削除しました", "embedded objects (OLE, plugins, applets, …) were removed"},
	{"odf.part", "許可されていない部品・参照されていない部品を削除しました", "entries that are not allowed or not referenced were removed"},
	{"odf.path", "危険なファイル名(パス)を含むため通過させません", "an entry has an unsafe name (path traversal)"},
	{"odf.signature", "電子署名を削除しました(無害化すると署名は無効になります)", "digital signatures were removed (they cannot survive sanitizing)"},
	{"odf.zip", "ZIPの構造に矛盾があるため通過させません", "the zip structure is inconsistent"},
	{"ole.action", "PowerPointのマクロ・プログラムを実行する動作設定があるため通過させません", "PowerPoint actions that run a macro or a program were found"},
	{"ole.activex", "ActiveXコントロールが含まれているため通過させません", "ActiveX controls were found"},
	{"ole.converted", "旧形式のOffice文書をOOXML形式に変換して無害化しました", "the legacy Office file was converted to OOXML and sanitized"},
	{"ole.dde", "DDE(外部プログラムの実行)が含まれているため通過させません", "DDE fields or links were found"},
	{"ole.defaultpassword", "Excelの既定のパスワードで暗号化されたブックを復号して検査しました", "the workbook was encrypted with Excel's default password; it was decrypted and inspected"},
	{"ole.encrypted", "暗号化・難読化された旧形式のOffice文書は検査できないため通過させません", "the legacy Office file is encrypted or obfuscated and cannot be inspected"},
	{"ole.external", "外部の内容を取り込むフィールド・リンクが含まれているため通過させません", "fields or links that fetch outside content were found"},
	{"ole.legacy", "Word 6/95・Excel 2-4 など古い形式はマクロを検査できないため通過させません", "pre-97 formats whose macros cannot be inspected"},
	{"ole.object", "埋め込みオブジェクト(OLE・パッケージ)が含まれているため通過させません", "embedded objects (OLE, packages) were found"},
	{"ole.vba", "マクロ(VBA)が含まれているため通過させません", "macros (VBA) were found"},
	{"ole.xlm", "Excel 4.0 マクロシートまたは自動実行の名前が含まれているため通過させません", "Excel 4.0 macro sheets or auto-run names were found"},
	{"ooxml.activex", "ActiveXコントロールを削除しました", "ActiveX controls were removed"},
	{"ooxml.altchunk", "外部形式の取り込み部分(altChunk)を削除しました", "imported foreign content (altChunk) was removed"},
	{"ooxml.bomb", "展開すると異常に大きくなる部分があるため通過させません", "a part expands abnormally (zip bomb)"},
	{"ooxml.customui", "リボン等のユーザーインターフェース拡張を削除しました", "ribbon and toolbar customisations were removed"},
	{"ooxml.dde", "DDE(外部プログラムの実行)を削除しました", "DDE fields and formulas were removed"},
	{"ooxml.dtd", "XMLに文書型宣言・実体宣言が含まれるため通過させません", "an XML part declares a DTD or entities"},
	{"ooxml.duplicate", "同じ名前の部品が重複しているため通過させません", "two parts have the same name"},
	{"ooxml.external", "外部への参照・外部データ接続を削除しました", "external references and data connections were removed"},
	{"ooxml.hyperlink", "許可されていないハイパーリンクを削除しました", "hyperlinks that are not allowed were removed"},
	{"ooxml.macrosheet", "Excel 4.0 マクロシートと自動実行の名前を削除しました", "Excel 4.0 macro sheets and auto-run names were removed"},
	{"ooxml.macrotype", "マクロ有効形式を通常の形式に変換しました", "the macro-enabled type was changed to the regular one"},
	{"ooxml.ole", "埋め込みオブジェクトを削除しました", "embedded objects were removed"},
	{"ooxml.part", "許可されていない部品・参照されていない部品を削除しました", "parts that are not allowed or not referenced were removed"},
	{"ooxml.path", "危険なファイル名(パス)を含むため通過させません", "an entry has an unsafe name (path traversal)"},
	{"ooxml.signature", "電子署名を削除しました(無害化すると署名は無効になります)", "digital signatures were removed (they cannot survive sanitizing)"},
	{"ooxml.template", "外部テンプレートの参照を削除しました", "references to attached (remote) templates were removed"},
	{"ooxml.vba", "マクロ(VBA)を削除しました", "macros (VBA) were removed"},
	{"ooxml.zip", "ZIPの構造に矛盾があるため通過させません", "the zip structure is inconsistent"},
	{"pdf.aa", "PDFの自動実行アクション(/AA)を削除しました", "automatic PDF actions (/AA) were removed"},
	{"pdf.action", "PDFの文書外に働くアクション(スレッド、外部ストリーム、未知の種類)を削除しました", "PDF actions that reach outside the document (threads, external streams, unknown types) were removed"},
	{"pdf.embedded", "PDFに埋め込まれたファイル(添付ファイル)を削除しました(設定により、無害化して埋め込み直したものを含みます)", "files embedded in the PDF (attachments) were removed (or, by policy, sanitized and embedded again)"},
	{"pdf.encryption", "PDFの暗号化(所有者パスワードのみ、または渡されたパスワードで開けるもの)を解除して保存し直しました", "the PDF's encryption (owner password only, or opened with a supplied password) was removed"},
	{"pdf.gotoe", "埋め込み文書へ移動するアクションを削除しました", "actions that open an embedded document were removed"},
	{"pdf.gotor", "別のファイルを開くアクションを削除しました", "actions that open another file were removed"},
	{"pdf.importdata", "外部ファイルからフォームデータを読み込むアクションを削除しました", "actions that import form data from a file were removed"},
	{"pdf.javascript", "PDFのJavaScriptを削除しました", "JavaScript in the PDF was removed"},
	{"pdf.launch", "アプリケーションやファイルを起動するアクションを削除しました", "actions that launch an application or file were removed"},
	{"pdf.multimedia", "音声・動画・リッチメディア・3Dの要素を削除しました", "sound, movie, rich media and 3D content was removed"},
	{"pdf.openaction", "文書を開いたときに実行されるアクションを削除しました", "the action run when the document opens was removed"},
	{"pdf.rasterized", "PDFの各ページを画像に変換して作り直しました(文字やリンクは残りません)", "each page of the PDF was rendered to an image and the PDF rebuilt (text and links do not survive)"},
	{"pdf.submitform", "フォームの内容を外部へ送信するアクションを削除しました", "actions that send form data elsewhere were removed"},
	{"pdf.uri", "許可されていない種類のリンク(javascript:、file: 等)を削除しました", "links with a scheme that is not allowed (javascript:, file:, …) were removed"},
	{"pdf.xfa", "XFAフォームを削除しました(AcroFormの項目と値は残しています)", "the XFA form was removed (the AcroForm fields and values were kept)"},
	{"policy.denied", "この種類のファイルは受け付けない設定です", "this type of file is not allowed by policy"},
	{"policy.unsupported", "この種類のファイルはまだ無害化できません", "this type of file cannot be sanitized yet"},
	{"rtf.dde", "RTFのDDEフィールドを削除しました(表示結果の文字は残しています)", "DDE fields were removed from the RTF (their displayed result was kept)"},
	{"rtf.destination", "RTFの許可されていない部分(データストア、テーマ、未知の拡張など)を削除しました", "RTF destinations that are not allowed (data stores, themes, unknown extensions, …) were removed"},
	{"rtf.external", "RTFの外部の内容を取り込むフィールド・参照を削除しました", "RTF fields and references that fetch outside content were removed"},
	{"rtf.field", "RTFのコマンドを実行するフィールド(MACROBUTTON)を削除しました", "RTF fields that run commands (MACROBUTTON) were removed"},
	{"rtf.object", "RTFの埋め込みオブジェクトを削除しました", "embedded objects were removed from the RTF"},
	{"rtf.structure", "RTFの閉じていない括弧を補い、文書の後ろのデータを捨てました", "unclosed RTF groups were closed and data after the document dropped"},
	{"rtf.template", "RTFのテンプレート参照を削除しました", "the RTF's template reference was removed"},
	{"rtf.text", "RTFをテキストに変換しました", "the RTF was converted to plain text"},
	{"sanitize.encrypted", "暗号化されているため中身を検査できません", "encrypted content cannot be inspected"},
	{"sanitize.malformed", "ファイルが壊れているか、解析できない形式です", "the file is damaged or could not be parsed"},
	{"text.bidi", "文字の向きを変える制御文字を削除しました", "bidirectional control characters were removed"},
	{"text.charset", "文字コードをUTF-8に変換しました", "the text was converted to UTF-8"},
	{"text.control", "制御文字を削除しました", "control characters were removed"},
	{"text.invalid", "どの文字コードでも読めないバイトを置き換えました", "bytes invalid in every plausible charset were replaced"},
	{"verify.failed", "無害化後の再検査で問題が見つかったため通過させません", "the re-scan of the sanitized output failed"},
	{"verify.risk", "検査モード: 危険な要素が含まれているため通過させません", "verify mode: risk factors were found"},
	{"xlsx.dde", "DDE・コマンド実行・外部参照の数式を削除しました(値は残しています)", "DDE, command and external-reference formulas were removed (their values stay)"},
	{"xlsx.formula", "数式を計算結果の値に置き換えました", "formulas were replaced by their calculated values"},
	{"xlsx.part", "新しいブックに引き継がない部品(マクロ、外部リンク、埋め込みオブジェクト等)を削除しました", "parts not carried into the new workbook (macros, external links, embedded objects, …) were removed"},
	{"xlsx.rebuild", "セルの値と基本的な書式だけで新しいブックを作り直しました", "the workbook was rebuilt from cell values and basic formatting"},
}

// DescribeRule returns the explanation of a rule in lang ("ja" or "en"); an
// unknown rule is returned as is. For a rule with a dynamic suffix the suffix
// follows in parentheses: "av.Eicar-Test-Signature" names the signature.
func DescribeRule(id, lang string) string {
	i, ok := slices.BinarySearchFunc(RuleTable, id, func(r RuleInfo, id string) int { return strings.Compare(r.ID, id) })
	if !ok {
		// Dynamic rules: "av.Eicar-Test-Signature" matches "av.".
		for _, r := range RuleTable {
			if strings.HasSuffix(r.ID, ".") && strings.HasPrefix(id, r.ID) && len(id) > len(r.ID) {
				if lang == "en" {
					return describe(r, lang) + " (" + id[len(r.ID):] + ")"
				}
				return describe(r, lang) + "（" + id[len(r.ID):] + "）"
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
