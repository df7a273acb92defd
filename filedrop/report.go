package filedrop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mugai-project/mugai/sanitize"
)

// jsonReport is the report file in the "json" format.
type jsonReport struct {
	Folder       string           `json:"folder"`
	Input        string           `json:"input"`
	Received     string           `json:"received"`
	Outcome      sanitize.Outcome `json:"outcome"`
	Output       string           `json:"output,omitempty"` // beside the report; empty when nothing crossed
	QuarantineID string           `json:"quarantine_id,omitempty"`
	Refused      string           `json:"refused,omitempty"` // rule ID when refused unread
	Report       *sanitize.Report `json:"report"`
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc
}

var texts = map[string][2]string{
	"title":     {"mugai 無害化レポート", "mugai sanitization report"},
	"file":      {"ファイル", "File"},
	"folder":    {"受付フォルダ", "Drop folder"},
	"received":  {"受付日時", "Received"},
	"outcome":   {"結果", "Outcome"},
	"output":    {"無害化後のファイル", "Sanitized file"},
	"none":      {"なし（このファイルは持ち込めません）", "none (this file does not cross)"},
	"qid":       {"原本の保管ID", "Quarantine ID of the original"},
	"notkept":   {"なし（読み込まずに拒否しました）", "none (refused without being read)"},
	"type":      {"種類", "Type"},
	"sha256":    {"SHA-256", "SHA-256"},
	"findings":  {"検出と処置", "Findings and actions"},
	"nofinding": {"危険な要素は見つかりませんでした", "no risk factors were found"},
	"ask": {"原本が必要な場合は、保管IDを添えてシステム管理者に依頼してください。",
		"If you need the original, ask the administrator, quoting the quarantine ID."},
	"sanitized": {"無害化済み（危険な要素を取り除いた新しいファイル）", "sanitized (a new file without risk factors)"},
	"textized":  {"テキスト化済み", "converted to text"},
	"passed":    {"通過（危険な要素がないことを確認した原本）", "passed (the original, proven free of risk factors)"},
	"blocked":   {"ブロック（持ち込みできません）", "blocked (nothing crosses)"},
	"recorded":  {"記録", "recorded"},
	"cleaned":   {"修正", "cleaned"},
	"converted": {"変換", "converted"},
	"removed":   {"削除", "removed"},
	"blocked_a": {"ブロック", "blocked"},
}

func tr(key, lang string) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return t[1]
	}
	return t[0]
}

// textReport writes the readable report (Japanese unless lang is "en").
// Lines end in CRLF so that Windows Notepad shows them on the LGWAN side.
func textReport(b *bytes.Buffer, j *job, rep *sanitize.Report, output, lang string, loc *time.Location) {
	line := func(format string, args ...any) {
		fmt.Fprintf(b, format, args...)
		b.WriteString("\r\n")
	}
	sep := "："
	if lang == "en" {
		sep = ": "
	}
	line("%s", tr("title", lang))
	line("")
	line("%s%s%s", tr("file", lang), sep, oneLine(j.st.Rel))
	line("%s%s%s", tr("folder", lang), sep, oneLine(j.f.Name))
	line("%s%s%s", tr("received", lang), sep, j.st.Claimed.In(loc).Format("2006-01-02 15:04:05 -07:00"))
	line("%s%s%s", tr("outcome", lang), sep, tr(string(rep.Outcome), lang))
	if output != "" {
		line("%s%s%s", tr("output", lang), sep, output)
	} else {
		line("%s%s%s", tr("output", lang), sep, tr("none", lang))
	}
	if j.st.QID != "" {
		line("%s%s%s", tr("qid", lang), sep, j.st.QID)
	} else {
		line("%s%s%s", tr("qid", lang), sep, tr("notkept", lang))
	}
	if rep.Detected != "" {
		line("%s%s%s", tr("type", lang), sep, rep.Detected)
	}
	if rep.SHA256 != (sanitize.Digest{}) {
		line("%s%s%s", tr("sha256", lang), sep, rep.SHA256)
	}
	line("")
	line("%s%s", tr("findings", lang), strings.TrimSpace(sep))
	n := 0
	rep.Walk(func(depth int, r *sanitize.Report) {
		ind := strings.Repeat("  ", depth+1)
		if depth > 0 {
			line("%s[%s] %s", ind, tr(string(r.Outcome), lang), oneLine(r.Input))
		}
		for _, f := range r.Findings {
			n++
			act := f.Action.String()
			if act == "blocked" {
				act = "blocked_a"
			}
			where := ""
			if f.Where != "" {
				where = " @ " + oneLine(f.Where)
			}
			line("%s- %s（%s）%s [%s]", ind, sanitize.DescribeRule(f.Rule, lang), f.Rule, where, tr(act, lang))
		}
	})
	if n == 0 {
		line("  %s", tr("nofinding", lang))
	}
	line("")
	if j.st.QID != "" {
		line("%s", tr("ask", lang))
	}
}

// oneLine removes line breaks and control characters from a name shown in
// a report.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}
