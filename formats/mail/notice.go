package mail

import (
	"fmt"
	"strings"

	"github.com/mugai-project/mugai/formats/html"
	"github.com/mugai-project/mugai/sanitize"
)

// The notice is the block of text a recipient reads at the end (or top) of a
// cleared message: what was done to the mail and to each attachment, in
// plain words, and the quarantine ID to quote when asking for the original.

type noticeText struct {
	title, converted, html, linksText, linksRemove, linksDefang string
	signature, encrypted, partial, cut                          string
	attHeader, attNone                                          string
	kept, keptPassed, keptTextized, notForwarded, removed       string
	realType, original, originalNoID, noName                    string
}

var notices = map[string]noticeText{
	"ja": {
		title:        "【無害化ゲートウェイ mugai からのお知らせ】",
		converted:    "このメールはインターネットから届いたため、本文をテキスト形式に変換しています。",
		html:         "HTML形式の本文は、文字だけのテキストに変換しました。",
		linksText:    "リンクはクリックできない文字として [ ] 内に表示しています。",
		linksRemove:  "リンク先のアドレスは表示していません。",
		linksDefang:  "リンク先は hxxps://example[.]jp のようにクリックできない形で表示しています。",
		signature:    "電子署名は無害化のため取り除きました（署名の検証はできません）。",
		encrypted:    "暗号化された部分は中身を検査できないため、取り除きました。",
		partial:      "分割・外部参照されたメッセージは検査できないため、取り除きました。",
		cut:          "メールの一部が壊れていたか上限を超えていたため、読み取れない部分を取り除きました。",
		attHeader:    "添付ファイル（%d件）:",
		attNone:      "添付ファイルはありません。",
		kept:         "無害化して添付しています",
		keptPassed:   "危険な要素が見つからなかったため、そのまま添付しています",
		keptTextized: "テキストに変換して添付しています",
		notForwarded: "テキスト化方式のため添付していません（原本を保管しています）",
		removed:      "削除しました",
		realType:     "実際の種類: %s",
		original:     "原本は保管しています。必要な場合は、この番号を添えて管理者にお問い合わせください: %s",
		originalNoID: "原本が必要な場合は、管理者にお問い合わせください。",
		noName:       "（名前なし）",
	},
	"en": {
		title:        "[Notice from the mugai sanitization gateway]",
		converted:    "This mail came from the Internet, so its body was converted to plain text.",
		html:         "The HTML body was converted to text.",
		linksText:    "Links are shown as text in [ ] and cannot be clicked.",
		linksRemove:  "Link targets are not shown.",
		linksDefang:  "Link targets are shown as hxxps://example[.]jp so that they cannot be clicked.",
		signature:    "The digital signature was removed (it cannot be verified).",
		encrypted:    "Encrypted parts cannot be inspected and were removed.",
		partial:      "Split or externally referenced messages cannot be inspected and were removed.",
		cut:          "Parts of the mail were damaged or over a limit; what could not be read was removed.",
		attHeader:    "Attachments (%d):",
		attNone:      "No attachments.",
		kept:         "sanitized and attached",
		keptPassed:   "no risk found; attached unchanged",
		keptTextized: "converted to text and attached",
		notForwarded: "not forwarded (text-only policy; the original is kept)",
		removed:      "removed",
		realType:     "real type: %s",
		original:     "The original is kept. To ask for it, contact your administrator with this number: %s",
		originalNoID: "To ask for the original, contact your administrator.",
		noName:       "(no name)",
	},
}

const noticeRule = "------------------------------------------------------------"

// notice renders the notice block, ending in a newline.
func (w *walker) notice() string {
	lang := w.opts.Lang
	if lang != "en" {
		lang = "ja"
	}
	n := notices[lang]
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	line(noticeRule)
	line(n.title)
	line(n.converted)
	if w.htmlBody {
		s := n.html
		switch w.opts.HTML.Links {
		case html.LinkRemove:
			s += n.linksRemove
		case html.LinkDefang:
			s += n.linksDefang
		default:
			s += n.linksText
		}
		if lang == "en" {
			s = n.html + " " + strings.TrimPrefix(s, n.html)
		}
		line(s)
	}
	if w.sigRemoved {
		line(n.signature)
	}
	if w.encRemoved {
		line(n.encrypted)
	}
	if w.partialFound {
		line(n.partial)
	}
	if w.cut {
		line(n.cut)
	}
	var listed []*attachment
	for _, a := range w.atts {
		if !a.dropped {
			listed = append(listed, a)
		}
	}
	b.WriteByte('\n')
	if len(listed) == 0 {
		line(n.attNone)
	} else {
		line(fmt.Sprintf(n.attHeader, len(listed)))
		for i, a := range listed {
			name := a.name
			if name == "" {
				name = n.noName
			}
			fmt.Fprintf(&b, " %d. %s (%s)", i+1, name, humanSize(a.rep.Size, lang))
			if a.rep.Declared != "" && a.rep.Detected != "" && a.rep.Declared != a.rep.Detected {
				fmt.Fprintf(&b, " [%s]", fmt.Sprintf(n.realType, a.rep.Detected))
			}
			b.WriteString(" — ")
			switch {
			case a.out != nil && a.rep.Outcome == sanitize.OutcomePassed:
				b.WriteString(n.keptPassed)
			case a.out != nil && a.rep.Outcome == sanitize.OutcomeTextized:
				b.WriteString(n.keptTextized)
			case a.out != nil:
				b.WriteString(n.kept)
				if r := reasons(a.rep, lang); r != "" {
					b.WriteString(" (" + r + ")")
				}
			case a.rep.Outcome != sanitize.OutcomeBlocked:
				b.WriteString(n.notForwarded)
			default:
				b.WriteString(n.removed)
				if r := reasons(a.rep, lang); r != "" {
					b.WriteString(": " + r)
				}
			}
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	if id := oneLine(w.trace.QuarantineID); id != "" {
		line(fmt.Sprintf(n.original, id))
	} else {
		line(n.originalNoID)
	}
	line(noticeRule)
	return b.String()
}

// reasons explains, in plain words, the findings that mattered for one
// attachment: blocking ones for a removed file, cleaning ones for a
// sanitized one.
func reasons(r *sanitize.Report, lang string) string {
	var out []string
	seen := map[string]bool{}
	want := sanitize.Cleaned
	if r.Outcome == sanitize.OutcomeBlocked {
		want = sanitize.Blocked
	}
	r.Walk(func(_ int, c *sanitize.Report) {
		for _, f := range c.Findings {
			if f.Action < want || seen[f.Rule] {
				continue
			}
			seen[f.Rule] = true
			out = append(out, sanitize.DescribeRule(f.Rule, lang))
		}
	})
	sep := "、"
	if lang == "en" {
		sep = "; "
	}
	if len(out) > 3 {
		out = out[:3]
	}
	return strings.Join(out, sep)
}

// humanSize writes a size the way people read it: "512 B", "12 KB", "3.4 MB".
func humanSize(n int64, lang string) string {
	switch {
	case n < 1024:
		if lang == "ja" {
			return fmt.Sprintf("%d バイト", n)
		}
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.0f KB", float64(n)/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1024*1024*1024))
}
