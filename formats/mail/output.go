package mail

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
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
func boundaryFor(d int) string { return "=_mugai_" + strconv.Itoa(d) }

// maxBodyLine is the longest line written in a 7-bit body (RFC 5322 2.1.1
// allows 998).
const maxBodyLine = 998

// outBuf is the size of the buffered writer in front of dst: a small message
// goes out in one write, a large one in few.
const outBuf = 64 << 10

// Buffered writers are pooled: the buffer is a fixed size, and Reset before
// reuse drops what the last message left in it.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, outBuf) }}

// write produces the cleared message: kept headers, the text body with the
// notice, and the re-attached attachments.
func (w *walker) write(dst io.Writer, top *header, text *sanitize.Blob) error {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(dst)
	defer func() {
		bw.Reset(nil)
		writers.Put(bw)
	}()
	boundary := boundaryFor(w.it.Depth)
	var atts []*attachment
	for _, a := range w.atts {
		if a.out != nil && !a.dropped {
			atts = append(atts, a)
		}
	}
	cs := mailhdr.UTF8
	body := getBodyBuf()
	defer putBodyBuf(body)
	if err := w.composeBody(body, text); err != nil {
		return err
	}
	bodyBytes, bodyCTE, bodyCharset := encodeBody(body, w.opts.ISO2022JP, boundary)
	if bodyCharset == "ISO-2022-JP" {
		cs = mailhdr.ISO2022JP
	}

	w.writeHeaders(bw, top, cs)
	bw.WriteString("MIME-Version: 1.0\r\n")
	if len(atts) > 0 {
		bw.WriteString("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n")
		bw.WriteString("This is a MIME message sanitized by mugai.\r\n\r\n--" + boundary + "\r\n")
	}
	bw.WriteString("Content-Type: text/plain; charset=" + bodyCharset + "\r\nContent-Transfer-Encoding: " + bodyCTE + "\r\n\r\n")
	if bodyCTE == "base64" {
		writeBase64Bytes(bw, bodyBytes)
	} else {
		bw.Write(bodyBytes)
	}
	for _, a := range atts {
		bw.WriteString("\r\n--" + boundary + "\r\n")
		outName := sanitize.OutputName(orDefault(a.name, "attachment"), a.rep.OutputType)
		ctype := detect.MIMEType(a.rep.OutputType)
		if strings.HasPrefix(ctype, "text/") {
			ctype += "; charset=UTF-8" // text outputs are always UTF-8
		}
		bw.WriteString("Content-Type: " + ctype + "\r\n")
		bw.WriteString("Content-Disposition: attachment;\r\n " + mailhdr.FormatParam("filename", outName) + "\r\n")
		if a.rep.OutputType == detect.EML {
			// A message we wrote ourselves: 7-bit, CRLF, short lines, and
			// RFC 2046 5.2.1 allows no base64 for message/rfc822.
			bw.WriteString("Content-Transfer-Encoding: 7bit\r\n\r\n")
			if _, err := io.Copy(bw, a.out.Stream()); err != nil {
				return err
			}
			continue
		}
		bw.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		if err := writeBase64(bw, a.out.Reader()); err != nil {
			return err
		}
	}
	if len(atts) > 0 {
		bw.WriteString("\r\n--" + boundary + "--\r\n")
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
		bw.WriteString("Received: by " + oneLine(host) + " with mugai" + via + ";\r\n\t")
		bw.Write(t.AppendFormat(bw.AvailableBuffer(), time.RFC1123Z))
		bw.WriteString("\r\n")
	}
	for _, name := range keptHeaders {
		raw := top.get(name)
		if raw == "" {
			continue
		}
		switch name {
		case "Date":
			if t, ok := mailhdr.Date(raw); ok {
				bw.WriteString("Date: ")
				bw.Write(t.AppendFormat(bw.AvailableBuffer(), time.RFC1123Z))
				bw.WriteString("\r\n")
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
	bw.WriteString("X-Mugai-Outcome: " + string(sanitize.OutcomeTextized) + "\r\n")
	if rules := w.rules(); len(rules) > 0 {
		bw.WriteString(mailhdr.EncodeText("X-Mugai-Findings", strings.Join(rules, ", "), mailhdr.UTF8))
	} else {
		bw.WriteString("X-Mugai-Findings: none\r\n")
	}
	bw.WriteString("X-Mugai-Quarantine-ID: " + oneLine(w.trace.QuarantineID) + "\r\n")
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

// composeBody joins the text and the notice into body.
func (w *walker) composeBody(body *crlfBody, text *sanitize.Blob) error {
	notice := w.notice()
	body.grow(int(min(text.Size(), 1<<30)) + len(notice) + 2)
	if w.opts.NoticeTop {
		body.WriteString(notice)
		body.WriteString("\n")
	}
	if _, err := io.Copy(body, text.Stream()); err != nil {
		return err
	}
	if !w.opts.NoticeTop {
		if body.n > 0 && body.last != '\n' {
			body.WriteString("\n")
		}
		if body.n > 0 {
			body.WriteString("\n")
		}
		body.WriteString(notice)
	}
	return nil
}

// crlfBody collects the body text with every line ending (LF, CRLF or a
// lone CR) written as CRLF, and notes on the way what encodeBody needs to
// know: whether the text is all ASCII and, while it is, its longest line.
type crlfBody struct {
	b      []byte
	n      int64 // bytes written, before the line ends were changed
	last   byte  // the last byte written, before the line ends were changed
	pendCR bool  // the last byte written was a CR: an LF right after it is dropped

	nonASCII bool
	line     int // bytes of the current line; counted while the text is ASCII
	longest  int // bytes of the longest finished line; likewise
}

// Body buffers are pooled. Each is emptied before reuse, and one that grew
// past maxPooledBody is left to the garbage collector.
const maxPooledBody = 256 << 10

var bodyBufs = sync.Pool{New: func() any { return new(crlfBody) }}

func getBodyBuf() *crlfBody {
	b := bodyBufs.Get().(*crlfBody)
	*b = crlfBody{b: b.b[:0]}
	return b
}

func putBodyBuf(b *crlfBody) {
	if cap(b.b) <= maxPooledBody {
		bodyBufs.Put(b)
	}
}

// grow makes room for about n more bytes of text.
func (c *crlfBody) grow(n int) {
	c.b = slices.Grow(c.b, n+n/32+16) // a few more for the CRs
}

func (c *crlfBody) WriteString(s string) (int, error) {
	n := len(s)
	for len(s) > 0 {
		// Chunks of a stack buffer keep the notice from being copied to the heap.
		var tmp [512]byte
		k := copy(tmp[:], s)
		c.Write(tmp[:k])
		s = s[k:]
	}
	return n, nil
}

// Write implements io.Writer; it never fails.
func (c *crlfBody) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.n += int64(len(p))
	c.last = p[len(p)-1]
	n := len(p)
	for len(p) > 0 {
		if c.pendCR {
			c.pendCR = false
			if p[0] == '\n' {
				p = p[1:]
				continue
			}
		}
		seg := p
		lf := bytes.IndexByte(p, '\n')
		if lf >= 0 {
			seg = p[:lf]
		}
		if cr := bytes.IndexByte(seg, '\r'); cr >= 0 {
			c.text(seg[:cr])
			c.endLine()
			c.pendCR = true
			p = p[cr+1:]
			continue
		}
		c.text(seg)
		if lf < 0 {
			break
		}
		c.endLine()
		p = p[lf+1:]
	}
	return n, nil
}

// text appends part of a line.
func (c *crlfBody) text(p []byte) {
	c.b = append(c.b, p...)
	if c.nonASCII {
		return
	}
	if !isASCII(p) {
		c.nonASCII = true
		return
	}
	c.line += len(p)
}

func (c *crlfBody) endLine() {
	c.b = append(c.b, '\r', '\n')
	c.longest = max(c.longest, c.line)
	c.line = 0
}

// encodeBody picks the body's charset and transfer encoding: 7-bit ASCII as
// is when every line is short, ISO-2022-JP on request when every character
// can be written in it, else UTF-8 in base64. It returns the body with CRLF
// line ends, in the charset but not yet in the transfer encoding: for
// "base64" the caller encodes it (writeBase64Bytes).
func encodeBody(body *crlfBody, iso2022jp bool, boundary string) (out []byte, cte, charset string) {
	// The boundary holds no line break, so looking for it in the CRLF text
	// finds what looking in the text would.
	if !body.nonASCII && max(body.longest, body.line) <= 76 && !bytes.Contains(body.b, []byte(boundary)) {
		return body.b, "7bit", "UTF-8"
	}
	if iso2022jp {
		lf := bytes.ReplaceAll(body.b, []byte("\r\n"), []byte("\n"))
		if enc, err := japanese.ISO2022JP.NewEncoder().Bytes(lf); err == nil && linesWithin(enc, maxBodyLine) && !bytes.Contains(enc, []byte(boundary)) {
			return bytes.ReplaceAll(enc, []byte("\n"), []byte("\r\n")), "7bit", "ISO-2022-JP"
		}
	}
	return body.b, "base64", "UTF-8"
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

// Base64 encodes 57 bytes to a line of 76 characters; b64Chunk is the input
// of 64 lines.
const (
	b64Line  = 57
	b64Chunk = b64Line * 64
)

// b64Buf is the scratch of writeBase64, pooled: a fixed size, and every byte
// used is written before it is read.
type b64Buf struct {
	in  [b64Chunk]byte
	out [b64Chunk / b64Line * 78]byte // 76 characters and CRLF a line
}

var b64Bufs = sync.Pool{New: func() any { return new(b64Buf) }}

// writeBase64 writes r in base64, 76 characters a line, CRLF line ends.
func writeBase64(w io.Writer, r io.Reader) error {
	buf := b64Bufs.Get().(*b64Buf)
	defer b64Bufs.Put(buf)
	for {
		n, err := io.ReadFull(r, buf.in[:])
		if _, werr := w.Write(appendBase64Lines(buf.out[:0], buf.in[:n])); werr != nil {
			return werr
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// writeBase64Bytes writes p as writeBase64 writes a reader of p.
func writeBase64Bytes(w io.Writer, p []byte) error {
	buf := b64Bufs.Get().(*b64Buf)
	defer b64Bufs.Put(buf)
	for len(p) > 0 {
		k := min(len(p), b64Chunk)
		if _, err := w.Write(appendBase64Lines(buf.out[:0], p[:k])); err != nil {
			return err
		}
		p = p[k:]
	}
	return nil
}

// appendBase64Lines appends p in base64 to dst, b64Line bytes a line, each
// line ending in CRLF.
func appendBase64Lines(dst, p []byte) []byte {
	for len(p) > 0 {
		k := min(len(p), b64Line)
		dst = base64.StdEncoding.AppendEncode(dst, p[:k])
		dst = append(dst, '\r', '\n')
		p = p[k:]
	}
	return dst
}
