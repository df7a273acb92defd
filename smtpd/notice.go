package smtpd

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mugai-project/mugai/formats/mail/mailhdr"
	"github.com/mugai-project/mugai/sanitize"
)

// subjectOf returns the decoded Subject of a spooled message, for the
// quarantine index (operators search and read it).
func subjectOf(src *sanitize.Blob) string {
	br := headerReader(src, 256<<10)
	defer putHeaderReader(br)
	var subj []byte
	in := false
	for {
		line, err := br.ReadSlice('\n')
		t := bytes.TrimRight(line, "\r\n")
		if len(t) == 0 || err != nil && err != bufio.ErrBufferFull {
			break
		}
		switch {
		case in && (t[0] == ' ' || t[0] == '\t'):
			subj = append(subj, t...)
		case len(t) >= 8 && strings.EqualFold(string(t[:8]), "subject:"):
			in = true
			subj = append(subj[:0], t[8:]...)
		default:
			in = false
		}
		if len(subj) > 4096 {
			break
		}
	}
	return mailhdr.DecodeText(string(subj))
}

// blockedNotice builds the message delivered to the recipients in place of
// a message that was stopped as a whole: who sent it, why it was stopped in
// plain words, and the quarantine ID to quote. Japanese first, then English.
func (s *Server) blockedNotice(rep *sanitize.Report, src *sanitize.Blob, tr sanitize.Trace) []byte {
	var reasonsJA, reasonsEN []string
	seen := map[string]bool{}
	rep.Walk(func(_ int, r *sanitize.Report) {
		for _, f := range r.Findings {
			if f.Action == sanitize.Blocked && !seen[f.Rule] {
				seen[f.Rule] = true
				reasonsJA = append(reasonsJA, sanitize.DescribeRule(f.Rule, "ja"))
				reasonsEN = append(reasonsEN, sanitize.DescribeRule(f.Rule, "en"))
			}
		}
	})
	subject := subjectOf(src)
	var body strings.Builder
	fmt.Fprintf(&body, "インターネットから届いたメールを、無害化ゲートウェイ mugai が止めました。\n\n")
	fmt.Fprintf(&body, "差出人: %s\n件名: %s\n受信日時: %s\n", orNone(tr.From, "（なし）"), orNone(subject, "（なし）"), tr.Received.Format("2006-01-02 15:04:05 -0700"))
	fmt.Fprintf(&body, "理由: %s\n\n", strings.Join(reasonsJA, "、"))
	fmt.Fprintf(&body, "原本は保管しています。必要な場合は、この番号を添えて管理者にお問い合わせください: %s\n\n", tr.QuarantineID)
	fmt.Fprintf(&body, "----\nA mail from the Internet was stopped by the mugai sanitization gateway.\n")
	fmt.Fprintf(&body, "From: %s\nReason: %s\n", orNone(tr.From, "(none)"), strings.Join(reasonsEN, "; "))
	fmt.Fprintf(&body, "The original is kept. To ask for it, quote this number to your administrator: %s\n", tr.QuarantineID)

	var b bytes.Buffer
	b.WriteString(mailhdr.EncodeText("From", "mugai 無害化ゲートウェイ <postmaster@"+s.cfg.Hostname+">", mailhdr.UTF8))
	var to []mailhdr.Address
	for _, r := range tr.To {
		to = append(to, mailhdr.Address{Addr: r})
	}
	b.WriteString(mailhdr.EncodeAddressList("To", to, mailhdr.UTF8))
	b.WriteString(mailhdr.EncodeText("Subject", "【mugai】受信メールを止めました: "+subject, mailhdr.UTF8))
	fmt.Fprintf(&b, "Date: %s\r\n", tr.Received.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "X-Mugai-Outcome: blocked\r\nX-Mugai-Quarantine-ID: %s\r\n", oneLine(tr.QuarantineID))
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(body.String(), "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// headerPool holds the readers that scan the header of a spooled message
// (loop check, subject): two per message, pooled.
var headerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

// headerReader returns a pooled reader over the first max bytes of src.
func headerReader(src *sanitize.Blob, max int64) *bufio.Reader {
	br := headerPool.Get().(*bufio.Reader)
	br.Reset(io.NewSectionReader(src, 0, min(src.Size(), max)))
	return br
}

func putHeaderReader(br *bufio.Reader) {
	br.Reset(nil)
	headerPool.Put(br)
}
