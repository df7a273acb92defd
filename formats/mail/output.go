package mail

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/formats/mail/mailhdr"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// boundaryFor returns the boundary separating the parts of an output made at
// nesting depth d. Every part is base64, a message we wrote at a deeper
// depth, or checked 7-bit text without the string, and "=_" cannot occur in
// base64, so the boundary is safe and keeps the output deterministic. The
// depth keeps it distinct from the boundaries of re-attached messages.
func boundaryFor(d int) string { return fmt.Sprintf("=_mugai_%d", d) }

// maxBodyLine is the longest line written in a 7-bit body (RFC 5322 2.1.1
// allows 998).
const maxBodyLine = 998

// write produces the cleared message: kept headers, the text body with the
// notice, and the re-attached attachments.
func (w *walker) write(dst io.Writer, top *header, text *sanitize.Blob) error {
	bw := bufio.NewWriterSize(dst, 8<<10)
	boundary := boundaryFor(w.it.Depth)
	var atts []*attachment
	for _, a := range w.atts {
		if a.out != nil && !a.dropped {
			atts = append(atts, a)
		}
	}
	cs := mailhdr.UTF8
	body, err := w.composeBody(text)
	if err != nil {
		return err
	}
	bodyBytes, bodyCTE, bodyCharset := encodeBody(body, w.opts.ISO2022JP, boundary)
	if bodyCharset == "ISO-2022-JP" {
		cs = mailhdr.ISO2022JP
	}

	w.writeHeaders(bw, top, cs)
	fmt.Fprintf(bw, "MIME-Version: 1.0\r\n")
	if len(atts) > 0 {
		fmt.Fprintf(bw, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary)
		fmt.Fprintf(bw, "This is a MIME message sanitized by mugai.\r\n\r\n--%s\r\n", boundary)
	}
	fmt.Fprintf(bw, "Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: %s\r\n\r\n", bodyCharset, bodyCTE)
	bw.Write(bodyBytes)
	for _, a := range atts {
		fmt.Fprintf(bw, "\r\n--%s\r\n", boundary)
		outName := sanitize.OutputName(orDefault(a.name, "attachment"), a.rep.OutputType)
		ctype := detect.MIMEType(a.rep.OutputType)
		if strings.HasPrefix(ctype, "text/") {
			ctype += "; charset=UTF-8" // text outputs are always UTF-8
		}
		fmt.Fprintf(bw, "Content-Type: %s\r\n", ctype)
		fmt.Fprintf(bw, "Content-Disposition: attachment;\r\n %s\r\n", mailhdr.FormatParam("filename", outName))
		if a.rep.OutputType == detect.EML {
			// A message we wrote ourselves: 7-bit, CRLF, short lines, and
			// RFC 2046 5.2.1 allows no base64 for message/rfc822.
			fmt.Fprintf(bw, "Content-Transfer-Encoding: 7bit\r\n\r\n")
			if _, err := io.Copy(bw, a.out.Stream()); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(bw, "Content-Transfer-Encoding: base64\r\n\r\n")
		if err := writeBase64(bw, a.out.Reader()); err != nil {
			return err
		}
	}
	if len(atts) > 0 {
		fmt.Fprintf(bw, "\r\n--%s--\r\n", boundary)
	}
	return bw.Flush()
}

// keptHeaders are the fields that cross, in output order (DESIGN.md, "Mail
// output"; issue: Reply-To too). Each is decoded and re-encoded; nothing of
// the original bytes is copied.
var keptHeaders = []string{"Date", "From", "Reply-To", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References"}

func (w *walker) writeHeaders(bw *bufio.Writer, top *header, cs mailhdr.OutCharset) {
	if t := w.trace.Received; !t.IsZero() {
		host := orDefault(w.trace.Host, "mugai")
		via := ""
		if w.trace.Via != "" {
			via = " (" + oneLine(w.trace.Via) + ")"
		}
		fmt.Fprintf(bw, "Received: by %s with mugai%s;\r\n\t%s\r\n", oneLine(host), via, t.Format(time.RFC1123Z))
	}
	for _, name := range keptHeaders {
		raw := top.get(name)
		if raw == "" {
			continue
		}
		switch name {
		case "Date":
			if t, ok := mailhdr.Date(raw); ok {
				fmt.Fprintf(bw, "Date: %s\r\n", t.Format(time.RFC1123Z))
			}
		case "From", "Reply-To", "To", "Cc":
			var addrs []mailhdr.Address
			for _, v := range top.values(name) {
				addrs = append(addrs, mailhdr.DecodeAddressList(v)...)
			}
			if len(addrs) > 0 {
				bw.WriteString(mailhdr.EncodeAddressList(name, addrs, cs))
			}
		case "Subject":
			bw.WriteString(mailhdr.EncodeText(name, mailhdr.DecodeText(raw), cs))
		case "Message-ID", "In-Reply-To", "References":
			if ids := mailhdr.MessageIDs(raw); len(ids) > 0 {
				if name == "Message-ID" {
					ids = ids[:1]
				}
				bw.WriteString(mailhdr.EncodeMessageIDs(name, ids))
			}
		}
	}
	fmt.Fprintf(bw, "X-Mugai-Outcome: %s\r\n", sanitize.OutcomeTextized)
	if rules := w.rules(); len(rules) > 0 {
		bw.WriteString(mailhdr.EncodeText("X-Mugai-Findings", strings.Join(rules, ", "), mailhdr.UTF8))
	} else {
		bw.WriteString("X-Mugai-Findings: none\r\n")
	}
	fmt.Fprintf(bw, "X-Mugai-Quarantine-ID: %s\r\n", oneLine(w.trace.QuarantineID))
}

// oneLine keeps a value we write ourselves on one printable ASCII line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return -1
		}
		return r
	}, s)
}

// composeBody joins the text and the notice.
func (w *walker) composeBody(text *sanitize.Blob) ([]byte, error) {
	var b bytes.Buffer
	notice := w.notice()
	b.Grow(int(min(text.Size(), 1<<30)) + len(notice) + 2)
	if w.opts.NoticeTop {
		b.WriteString(notice)
		b.WriteString("\n")
	}
	if _, err := io.Copy(&b, text.Stream()); err != nil {
		return nil, err
	}
	if !w.opts.NoticeTop {
		if b.Len() > 0 && b.Bytes()[b.Len()-1] != '\n' {
			b.WriteByte('\n')
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(notice)
	}
	return b.Bytes(), nil
}

// encodeBody picks the body's charset and transfer encoding: 7-bit ASCII as
// is when every line is short, ISO-2022-JP on request when every character
// can be written in it, else UTF-8 in base64. Lines end in CRLF.
func encodeBody(body []byte, iso2022jp bool, boundary string) (out []byte, cte, charset string) {
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	body = bytes.ReplaceAll(body, []byte("\r"), []byte("\n"))
	crlf := bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n"))
	if isASCII(body) && linesWithin(body, 76) && !bytes.Contains(body, []byte(boundary)) {
		return crlf, "7bit", "UTF-8"
	}
	if iso2022jp {
		if enc, err := japanese.ISO2022JP.NewEncoder().Bytes(body); err == nil && linesWithin(enc, maxBodyLine) && !bytes.Contains(enc, []byte(boundary)) {
			return bytes.ReplaceAll(enc, []byte("\n"), []byte("\r\n")), "7bit", "ISO-2022-JP"
		}
	}
	var b bytes.Buffer
	writeBase64(&b, bytes.NewReader(crlf))
	return b.Bytes(), "base64", "UTF-8"
}

func linesWithin(b []byte, n int) bool {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		if utf8.RuneCount(b[:i]) > n || i > maxBodyLine {
			return false
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return true
}

// writeBase64 writes r in base64, 76 characters a line, CRLF line ends.
func writeBase64(w io.Writer, r io.Reader) error {
	in := make([]byte, 57*64)
	out := make([]byte, 0, 80*64)
	for {
		n, err := io.ReadFull(r, in)
		for i := 0; i < n; i += 57 {
			j := min(i+57, n)
			out = base64.StdEncoding.AppendEncode(out, in[i:j])
			out = append(out, '\r', '\n')
		}
		if _, werr := w.Write(out); werr != nil {
			return werr
		}
		out = out[:0]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
