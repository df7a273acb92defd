package mail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mugai-project/mugai/formats/html"
	"github.com/mugai-project/mugai/formats/mail/mailhdr"
	"github.com/mugai-project/mugai/formats/mail/tnef"
	"github.com/mugai-project/mugai/formats/mail/uue"
	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/sanitize"
)

// attachment is one part that went through the engine.
type attachment struct {
	path string // MIME part number, "2" or "1.3"; "2/winmail.dat/1" inside TNEF
	name string // declared name, decoded and cleaned; "" when the part had none
	mime string // declared media type
	rep  *sanitize.Report
	out  *sanitize.Blob // cleared content to re-attach; nil when removed or not forwarded
	// dropped marks attachments of an alternative that was not chosen.
	dropped bool
}

// walker walks one message's MIME tree once, writing body text to sinks and
// sending every other leaf through the engine.
type walker struct {
	ctx   context.Context
	it    *sanitize.Item
	opts  Options
	m     *mimeReader
	trace sanitize.Trace
	res   sanitize.Result
	atts  []*attachment
	parts int

	// What the notice explains.
	htmlBody     bool // the text kept was converted from HTML
	sigRemoved   bool
	encRemoved   bool
	partialFound bool
	cut          bool // structure that could not be read was removed
}

func (w *walker) closeAll() {
	for _, a := range w.atts {
		a.out.Close()
	}
}

// textSink collects body text, separating the texts of several parts by a
// blank line.
type textSink struct {
	w    io.Writer
	n    int64
	last byte
	html bool // some of the text was converted from HTML
}

func (s *textSink) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := s.w.Write(p)
	s.n += int64(n)
	if n > 0 {
		s.last = p[n-1]
	}
	return n, err
}

// separate starts a new paragraph when text was already written.
func (s *textSink) separate() error {
	if s.n == 0 {
		return nil
	}
	sep := "\n\n"
	if s.last == '\n' {
		sep = "\n"
	}
	_, err := io.WriteString(s, sep)
	return err
}

func partPath(parent string, i int) string {
	if parent == "" {
		return strconv.Itoa(i)
	}
	return parent + "." + strconv.Itoa(i)
}

// where names a part in findings: its path, or "body" for the top level.
func where(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// walkPart handles one entity whose header was just read; its body is the
// mimeReader's current body. defType is the default media type in this
// context ("message/rfc822" inside multipart/digest).
func (w *walker) walkPart(h header, path string, depth int, sink *textSink, defType string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.parts++
	if w.parts > w.it.Limits.MaxParts {
		if w.parts == w.it.Limits.MaxParts+1 {
			w.find(sanitize.RuleLimitParts, where(path), sanitize.Removed, fmt.Sprintf("more than %d parts; the rest was removed", w.it.Limits.MaxParts))
			w.cut = true
		}
		return nil
	}
	if h.malformed && path != "" {
		w.find("mail.structure", where(path), sanitize.Recorded, "a part header ended early")
	}
	rawCT := h.get("Content-Type")
	ct, params := mailhdr.ParseMediaType(rawCT)
	if rawCT == "" || ct == "" {
		ct = defType
		if ct == "" {
			ct = "text/plain"
		}
	}
	disp, dparams := mailhdr.ParseMediaType(h.get("Content-Disposition"))
	name := mailhdr.FileNameFrom(dparams, params)
	cte := h.get("Content-Transfer-Encoding")

	switch {
	case strings.HasPrefix(ct, "multipart/"):
		if depth >= maxMIMEDepth {
			w.find(sanitize.RuleLimitDepth, where(path), sanitize.Removed, fmt.Sprintf("multipart nesting deeper than %d was removed", maxMIMEDepth))
			w.cut = true
			return nil
		}
		if !w.m.push(params["boundary"]) {
			// No usable boundary: the body is most likely text.
			w.find("mail.structure", where(path), sanitize.Recorded, "multipart without a usable boundary read as text")
			return w.bodyText(path, "text/plain", params["charset"], cte, sink)
		}
		err := w.walkMultipart(ct, path, depth, sink)
		w.m.pop()
		return err

	case ct == "message/partial" || ct == "message/external-body":
		w.find("mail.partial", where(path), sanitize.Removed, ct+" cannot be inspected")
		w.partialFound = true
		return nil

	case ct == "application/pkcs7-signature" || ct == "application/x-pkcs7-signature" || ct == "application/pgp-signature":
		w.find("mail.signature", where(path), sanitize.Removed, "signature removed")
		w.sigRemoved = true
		return nil

	case ct == "application/pkcs7-mime" || ct == "application/x-pkcs7-mime":
		if strings.Contains(strings.ToLower(params["smime-type"]), "signed") {
			// Opaque signed data: the content is inside the signature.
			w.find("mail.signature", where(path), sanitize.Removed, "opaque S/MIME signed content cannot be unwrapped")
			w.sigRemoved = true
			w.cut = true
			return nil
		}
		w.find("mail.encrypted", where(path), sanitize.Removed, "encrypted S/MIME content")
		w.encRemoved = true
		return nil

	case ct == "application/pgp-encrypted":
		w.find("mail.encrypted", where(path), sanitize.Removed, "encrypted PGP/MIME content")
		w.encRemoved = true
		return nil

	case ct == "application/ms-tnef" || ct == "application/vnd.ms-tnef" || strings.EqualFold(name, "winmail.dat"):
		return w.tnefPart(path, name, ct, cte, sink)
	}

	isText := ct == "text/plain" || ct == "text/html"
	if isText && name == "" && disp != "attachment" {
		return w.bodyText(path, ct, params["charset"], cte, sink)
	}
	if ct == "message/rfc822" || ct == "message/global" {
		if name == "" {
			name = "message.eml"
		}
	}
	return w.attach(path, name, ct, cte, w.m)
}

// walkMultipart reads the parts of a multipart entity whose boundary was
// just pushed.
func (w *walker) walkMultipart(ct string, path string, depth int, sink *textSink) error {
	level := len(w.m.bounds) - 1
	if err := w.m.drain(); err != nil { // the preamble
		return err
	}
	defType := ""
	if ct == "multipart/digest" {
		defType = "message/rfc822"
	}
	var alts []alt
	defer func() {
		for _, a := range alts {
			a.spool.Close()
		}
	}()
	signed := ct == "multipart/signed"
	for i := 1; ; i++ {
		if w.m.hit != level {
			if w.m.hit < 0 {
				w.find("mail.structure", where(path), sanitize.Recorded, "missing closing boundary")
			}
			break
		}
		if w.m.final {
			w.m.resume()
			if err := w.m.drain(); err != nil { // the epilogue
				return err
			}
			break
		}
		w.m.resume()
		h := w.m.readHeader(partHeaderMax, false)
		if h.truncated {
			w.find("mail.header", where(partPath(path, i)), sanitize.Recorded, "part header over the size limit was cut")
		}
		if w.m.hit >= 0 {
			continue // a part with a header and no body
		}
		child := partPath(path, i)
		switch {
		case signed && i > 1:
			// The signature of multipart/signed (RFC 1847): removed.
			w.find("mail.signature", where(child), sanitize.Removed, "signature removed")
			w.sigRemoved = true
		case ct == "multipart/alternative":
			sp := w.it.NewSpool(0)
			a := alt{spool: sp, sink: &textSink{w: sp}, from: len(w.atts)}
			pct, _ := mailhdr.ParseMediaType(h.get("Content-Type"))
			a.ct = pct
			if err := w.walkPart(h, child, depth+1, a.sink, ""); err != nil {
				sp.Close()
				return err
			}
			a.to = len(w.atts)
			alts = append(alts, a)
		default:
			if err := w.walkPart(h, child, depth+1, sink, defType); err != nil {
				return err
			}
		}
		if err := w.m.drain(); err != nil {
			return err
		}
	}
	if len(alts) > 0 {
		return w.chooseAlternative(alts, path, sink)
	}
	return nil
}

// alt is one representation inside a multipart/alternative.
type alt struct {
	ct    string
	spool *sanitize.Spool
	sink  *textSink
	from  int // index into walker.atts where its attachments start
	to    int
}

// chooseAlternative keeps one representation of a multipart/alternative:
// text/plain unless the policy prefers HTML, falling back to whichever has
// text. The attachments of the others are dropped, not listed.
func (w *walker) chooseAlternative(alts []alt, path string, sink *textSink) error {
	best := -1
	score := func(ct string) int {
		switch {
		case ct == "text/plain" || ct == "":
			if w.opts.PreferHTML {
				return 1
			}
			return 2
		case ct == "text/html" || strings.HasPrefix(ct, "multipart/"):
			if w.opts.PreferHTML {
				return 2
			}
			return 1
		}
		return 0
	}
	for i, a := range alts {
		if a.sink.n == 0 {
			continue
		}
		if best < 0 || score(a.ct) > score(alts[best].ct) {
			best = i
		}
	}
	for i, a := range alts {
		if i == best {
			continue
		}
		for _, att := range w.atts[a.from:a.to] {
			att.dropped = true
			att.out.Close()
			att.out = nil
		}
	}
	if best < 0 {
		return nil
	}
	if len(alts) > 1 {
		w.find("mail.alternative", where(path), sanitize.Recorded, fmt.Sprintf("kept the %s version of %d", alts[best].ct, len(alts)))
	}
	b, err := alts[best].spool.Finish()
	if err != nil {
		return err
	}
	defer b.Close()
	if err := sink.separate(); err != nil {
		return err
	}
	sink.html = sink.html || alts[best].sink.html
	_, err = io.Copy(sink, b.Stream())
	return err
}

// bodyText decodes a text/plain or text/html body into sink as text.
// uuencoded blocks inside a plain text body become attachments.
func (w *walker) bodyText(path, ct, label, cte string, sink *textSink) error {
	dec, st, known := transferDecoder(cte, w.m)
	defer releaseDecoder(dec)
	if !known {
		w.find("mail.encoding", where(path), sanitize.Recorded, "unknown transfer encoding "+cte+" read as is")
	}
	br := getReader(dec) // lineBuf == text.SniffLen: the whole sniffing window fits
	defer putReader(br)
	prefix, _ := br.Peek(text.SniffLen)
	rd := decodeText(br, prefix, label)
	defer rd.Release()
	if err := sink.separate(); err != nil {
		return err
	}
	if ct == "text/html" {
		sink.html = true
		stats, err := html.Convert(w.ctx, sink, rd, w.opts.HTML)
		for _, f := range stats.Findings() {
			f.Where = where(path)
			w.res.Findings = append(w.res.Findings, f)
		}
		if err != nil {
			return fmt.Errorf("mail: part %s: %w", where(path), err)
		}
	} else {
		n := 0
		err := uue.Split(rd, sink, uue.Limits{MaxBlockSize: w.it.Limits.MaxInput}, func(b uue.Block) error {
			n++
			bpath := fmt.Sprintf("%s/uue%d", where(path), n)
			w.find("mail.uuencode", bpath, sanitize.Converted, "uuencoded block treated as an attachment")
			if b.Err != nil {
				w.find("mail.uuencode", bpath, sanitize.Removed, "damaged uuencoded block removed")
				w.cut = true
				return nil
			}
			return w.attach(bpath, b.Name, "application/octet-stream", "", bytes.NewReader(b.Data))
		})
		if err != nil {
			return fmt.Errorf("mail: part %s: %w", where(path), err)
		}
	}
	for _, f := range rd.Findings() {
		if f.Rule == "text.charset" {
			continue // converting a mail's charset is the job, not a finding
		}
		f.Where = where(path)
		w.res.Findings = append(w.res.Findings, f)
	}
	if st.invalid > 0 {
		w.find("mail.encoding", where(path), sanitize.Recorded, fmt.Sprintf("%d invalid characters in the transfer encoding skipped", st.invalid))
	}
	return nil
}

// attach sends one part through the engine and records the result.
func (w *walker) attach(path, name, ct, cte string, body io.Reader) error {
	dec, st, known := transferDecoder(cte, body)
	defer releaseDecoder(dec)
	if !known {
		w.find("mail.encoding", where(path), sanitize.Recorded, "unknown transfer encoding "+cte+" read as is")
	}
	clean := ""
	if name != "" {
		clean = sanitize.CleanName(name)
	}
	rep, out, err := w.it.Child(w.ctx, dec, clean, ct)
	if err != nil {
		return fmt.Errorf("mail: part %s: %w", where(path), err)
	}
	if clean == "" {
		rep.Input = "(" + path + ")"
	}
	if st.invalid > 0 {
		rep.Findings = append(rep.Findings, sanitize.Finding{Rule: "mail.encoding", Action: sanitize.Recorded, Detail: fmt.Sprintf("%d invalid characters in the transfer encoding skipped", st.invalid)})
	}
	w.res.Children = append(w.res.Children, rep)
	a := &attachment{path: path, name: clean, mime: ct, rep: rep, out: out}
	w.atts = append(w.atts, a)
	switch {
	case out == nil:
		w.find("mail.attachment", path, sanitize.Removed, "attachment "+rep.Input+" removed: "+rep.Error)
	case w.opts.Mode == ModeText:
		a.out.Close()
		a.out = nil
		w.find("mail.attachment", path, sanitize.Removed, "text mode: attachment "+rep.Input+" not forwarded")
	}
	return nil
}

// tnefPart extracts the attachments of a TNEF (winmail.dat) part and sends
// each through the engine; an undecodable stream is removed.
func (w *walker) tnefPart(path, name, ct, cte string, sink *textSink) error {
	dec, _, _ := transferDecoder(cte, w.m)
	defer releaseDecoder(dec)
	msg, err := tnef.Decode(w.it.ExpandLimit(dec), tnef.Limits{
		MaxAttachments:    w.it.Limits.MaxParts,
		MaxAttachmentSize: w.it.Limits.MaxInput,
		MaxTotal:          w.it.Limits.MaxInput,
	})
	if err != nil {
		w.find("mail.tnef", where(path), sanitize.Removed, "winmail.dat could not be decoded: "+err.Error())
		w.cut = true
		// Keep it listed so the recipient knows something was there.
		rep := &sanitize.Report{Input: orDefault(name, "winmail.dat"), DeclaredMIME: ct, Outcome: sanitize.OutcomeBlocked,
			Findings: []sanitize.Finding{{Rule: sanitize.RuleMalformed, Action: sanitize.Blocked, Detail: err.Error()}}, Error: "the file could not be parsed"}
		w.res.Children = append(w.res.Children, rep)
		w.atts = append(w.atts, &attachment{path: path, name: rep.Input, mime: ct, rep: rep})
		return nil
	}
	w.find("mail.tnef", where(path), sanitize.Converted, fmt.Sprintf("winmail.dat unpacked: %d attachments", len(msg.Attachments)))
	if msg.Body != "" && sink.n == 0 {
		rd := text.NewReader(strings.NewReader(msg.Body), text.UTF8)
		_, err := io.Copy(sink, rd)
		rd.Release()
		if err != nil {
			return err
		}
	}
	if msg.RTFCompressed && msg.Body == "" {
		w.find("mail.tnef", where(path), sanitize.Removed, "RTF body inside winmail.dat not converted")
	}
	for i, a := range msg.Attachments {
		apath := fmt.Sprintf("%s/tnef%d", where(path), i+1)
		aname := a.Name
		if a.Embedded {
			w.find("mail.tnef", apath, sanitize.Removed, "embedded Outlook item inside winmail.dat removed")
			rep := &sanitize.Report{Input: orDefault(aname, "item"), Outcome: sanitize.OutcomeBlocked,
				Findings: []sanitize.Finding{{Rule: sanitize.RuleUnsupported, Action: sanitize.Blocked, Detail: "embedded Outlook item"}}, Error: "unsupported content"}
			w.res.Children = append(w.res.Children, rep)
			w.atts = append(w.atts, &attachment{path: apath, name: rep.Input, rep: rep})
			continue
		}
		if err := w.attach(apath, aname, orDefault(a.MIME, "application/octet-stream"), "", bytes.NewReader(a.Data)); err != nil {
			return err
		}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
