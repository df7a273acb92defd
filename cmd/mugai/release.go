package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/mugai-project/mugai/formats/mail/mailhdr"
	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/smtpd"
)

// defaultOutbox is where released messages go when neither --outbox nor
// the policy's smtp.outbox says otherwise: the Maildir `mugai serve`
// delivers cleared mail into without a next hop.
const defaultOutbox = "./var/outbox"

// partPathRE is a MIME part number as the mail sanitizer writes it in
// findings' "where": "2", "1.3"; "body" is the whole top-level body.
var partPathRE = regexp.MustCompile(`^(body|[1-9][0-9]{0,4}(\.[1-9][0-9]{0,4}){0,15})$`)

// stringList is a flag that may be given several times, each a
// comma-separated list.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// envelope is who a released message goes to.
type envelope struct {
	From string
	To   []string
}

func (a *app) qRelease(ctx context.Context, args []string) int {
	fs, o := a.opsFlagSet("quarantine release", "usage.quarantine")
	reason := fs.String("reason", "", a.t("flag.q_reason"))
	var to stringList
	fs.Var(&to, "to", a.t("flag.to"))
	part := fs.String("part", "", a.t("flag.part"))
	outbox := fs.String("outbox", "", a.t("flag.outbox"))
	id, code := a.parseItem(fs, args)
	if code != exitOK {
		return code
	}
	if strings.TrimSpace(*reason) == "" {
		a.errorf("%s", a.t("err.no_reason"))
		return exitUsage
	}
	if *part != "" && !partPathRE.MatchString(*part) {
		a.errorf("%s", a.t("err.bad_part", *part))
		return exitUsage
	}
	var rcpts []string
	for _, s := range to {
		addr, err := mail.ParseAddress(s)
		if err != nil || strings.ContainsAny(addr.Address, " \t\r\n<>") {
			a.errorf("%s", a.t("err.bad_addr", s))
			return exitUsage
		}
		rcpts = append(rcpts, addr.Address)
	}
	q, code := a.openQuarantine(ctx, o.config)
	if code != exitOK {
		return code
	}
	defer q.Close()
	m, err := q.store.Stat(ctx, id)
	if err != nil {
		return a.storeFail(id, err)
	}
	if len(rcpts) == 0 {
		rcpts = m.To
	}
	if len(rcpts) == 0 {
		a.errorf("%s", a.t("err.no_rcpt", id))
		return exitUsage
	}
	isMail := m.Origin == quarantine.OriginSMTP || reportKind(m.Report) == "eml"
	if *part != "" && !isMail {
		a.errorf("%s", a.t("err.part_not_mail", id))
		return exitUsage
	}
	_, rc, err := q.store.Get(ctx, id)
	if err != nil {
		return a.storeFail(id, err)
	}
	defer rc.Close()

	actor := a.actor()
	rel := release{id: id, actor: actor, reason: *reason, part: *part, to: rcpts, now: a.now(), lang: q.cfg.Lang, meta: m}
	var write func(io.Writer) error
	switch {
	case *part != "":
		write = func(w io.Writer) error { return rel.writePart(w, rc) }
	case isMail:
		write = func(w io.Writer) error { return rel.writeOriginal(w, rc) }
	default:
		write = func(w io.Writer) error { return rel.writeFile(w, rc) }
	}
	// The intent is in the audit log before anything crosses: a release
	// never goes out unlogged, even if the final event cannot be written.
	intent, _ := json.Marshal(map[string]any{"to": rcpts, "part": *part})
	if _, err := q.audit.Append(ctx, quarantine.Event{Type: "release_started", Item: id, Actor: actor, Reason: *reason, Data: intent}); err != nil {
		return a.auditFail(err)
	}
	where, err := a.deliverRelease(q.cfg, *outbox, envelope{From: m.From, To: rcpts}, write)
	if err != nil {
		failed, _ := json.Marshal(map[string]any{"to": rcpts, "part": *part, "error": err.Error()})
		q.audit.Append(ctx, quarantine.Event{Type: "release_failed", Item: id, Actor: actor, Reason: *reason, Data: failed})
	}
	var pe *partError
	switch {
	case errors.As(err, &pe):
		a.errorf("%s", a.t("err.part_missing", *part, id, pe.msg))
		return exitUsage
	case errors.Is(err, quarantine.ErrCorrupt) || errors.Is(err, quarantine.ErrKey):
		return a.storeFail(id, err)
	case err != nil:
		a.errorf("%s", a.t("err.deliver", err))
		return exitInternal
	}
	data, _ := json.Marshal(map[string]any{"to": rcpts, "part": *part, "delivered": where})
	if _, err := q.audit.Append(ctx, quarantine.Event{Type: "released", Item: id, Actor: actor, Reason: *reason, Data: data}); err != nil {
		return a.auditFail(err)
	}
	if err := q.store.Update(ctx, id, func(m *quarantine.Meta) error {
		m.Delivery = quarantine.DeliveryReleased
		return nil
	}); err != nil {
		return a.storeFail(id, err)
	}
	if o.json {
		return a.printJSON(map[string]any{"id": id, "released": true, "part": *part, "to": rcpts, "delivered": where})
	}
	if *part != "" {
		fmt.Fprintln(a.stdout, a.t("release.done_part", id, *part, strings.Join(rcpts, ", "), where))
	} else {
		fmt.Fprintln(a.stdout, a.t("release.done", id, strings.Join(rcpts, ", "), where))
	}
	return exitOK
}

// reportKind is the detected type of the top-level item of a stored report.
func reportKind(raw json.RawMessage) string {
	var r struct {
		Detected string `json:"detected_type"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &r) != nil {
		return ""
	}
	return r.Detected
}

// deliverRelease hands a released message to its next hop and returns where
// it went. write produces the message; when it fails nothing is delivered.
// With smtp.next_hops set (and no --outbox given), the message goes to the
// first next hop that answers, with env as the envelope; a failed relay is
// an error, never a silent Maildir delivery. Otherwise it goes into the
// Maildir outbox, where `mugai serve` delivers without a next hop.
func (a *app) deliverRelease(cfg *policy.Config, outbox string, env envelope, write func(io.Writer) error) (string, error) {
	if outbox != "" || len(cfg.SMTP.NextHops) == 0 {
		return smtpd.WriteMaildir(cmp.Or(outbox, cfg.SMTP.Outbox, defaultOutbox), write)
	}
	// The whole message is built first, so that a part that cannot be cut
	// out fails before anything is sent.
	sp := sanitize.NewSpool(cfg.TempDir, 1<<20, 1<<40)
	defer sp.Close()
	if err := write(sp); err != nil {
		return "", err
	}
	b, err := sp.Finish()
	if err != nil {
		return "", err
	}
	defer b.Close()
	scfg, err := smtpConfig(cfg)
	if err != nil {
		return "", err
	}
	return smtpd.Send(scfg, nil, env.From, env.To, b.Stream())
}

// release builds the message that carries a released original or part.
type release struct {
	id, actor, reason, part, lang string
	to                            []string
	now                           time.Time
	meta                          quarantine.Meta
}

// partError says that the part asked for does not exist or cannot be cut
// out: the operator's mistake, not an internal error.
type partError struct{ msg string }

func (e *partError) Error() string { return "release: " + e.msg }

// writeOriginal writes the original mail unchanged but for trace fields
// prepended to its header (as an MTA prepends Received), in the original's
// line ending. It reads r to EOF, so the store's hash check runs.
func (rel *release) writeOriginal(w io.Writer, r io.Reader) error {
	br := bufio.NewReader(r)
	nl := "\r\n"
	if line, err := br.Peek(4096); len(line) > 0 || err == nil {
		if i := strings.IndexByte(string(line), '\n'); i >= 0 && (i == 0 || line[i-1] != '\r') {
			nl = "\n"
		}
	}
	hdr := rel.traceHeader()
	if nl == "\n" {
		hdr = strings.ReplaceAll(hdr, "\r\n", "\n")
	}
	if _, err := io.WriteString(w, hdr); err != nil {
		return err
	}
	_, err := io.Copy(w, br)
	return err
}

// traceHeader is what a release adds to a message: who released it, why,
// to whom.
func (rel *release) traceHeader() string {
	var b strings.Builder
	b.WriteString("X-Mugai-Released: " + rel.now.Format(time.RFC1123Z) + "\r\n")
	b.WriteString(mailhdr.EncodeText("X-Mugai-Released-By", rel.actor, mailhdr.UTF8))
	b.WriteString(mailhdr.EncodeText("X-Mugai-Release-Reason", rel.reason, mailhdr.UTF8))
	b.WriteString("X-Mugai-Quarantine-ID: " + rel.id + "\r\n")
	if rel.part != "" {
		b.WriteString("X-Mugai-Released-Part: " + rel.part + "\r\n")
	}
	addrs := make([]mailhdr.Address, len(rel.to))
	for i, t := range rel.to {
		addrs[i] = mailhdr.Address{Addr: t}
	}
	b.WriteString(mailhdr.EncodeAddressList("X-Mugai-Release-To", addrs, mailhdr.UTF8))
	return b.String()
}

// writePart cuts MIME part rel.part out of the original mail read from r
// and wraps it, with its own header and its body as it was encoded, in a
// new message: the original's From, To and Subject (decoded and encoded
// again), a note saying who released it and why, then the part. r is read
// to EOF afterwards so that the store's hash check runs.
//
// Parts are numbered as the mail sanitizer numbers them: the children of a
// multipart entity 1, 2, … and theirs 1.1, 1.2, …; "body", or "1" for a
// mail that is not multipart, is the top-level body.
//
// todo: the header reader of go-message has no size limit of its own; the
// originals are bounded by the policy's input limit when they are received.
func (rel *release) writePart(w io.Writer, r io.Reader) error {
	br := bufio.NewReader(r)
	root, err := textproto.ReadHeader(br)
	if err != nil {
		return &partError{msg: "the mail header cannot be read: " + err.Error()}
	}
	h, body, err := findPart(root, br, rel.part)
	if err != nil {
		return err
	}
	if err := rel.writeWrapped(w, root, h, body); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, r)
	return err
}

// findPart walks down to part path below the entity with header root and
// body r.
func findPart(root textproto.Header, r io.Reader, path string) (textproto.Header, io.Reader, error) {
	if path == "body" {
		return root, r, nil
	}
	h, body := root, r
	nums := strings.Split(path, ".")
	for depth, s := range nums {
		n, _ := strconv.Atoi(s)
		mt, params := mailhdr.ParseMediaType(h.Get("Content-Type"))
		if !strings.HasPrefix(mt, "multipart/") {
			if depth == 0 && n == 1 && len(nums) == 1 {
				return root, r, nil // IMAP numbering: part 1 of a single-part mail
			}
			return h, nil, &partError{msg: "no such part"}
		}
		if params["boundary"] == "" {
			return h, nil, &partError{msg: "a multipart entity without a boundary"}
		}
		mr := textproto.NewMultipartReader(body, params["boundary"])
		var p *textproto.Part
		for i := 1; i <= n; i++ {
			var err error
			p, err = mr.NextPart()
			if err == io.EOF {
				return h, nil, &partError{msg: "no such part"}
			}
			if err != nil {
				return h, nil, &partError{msg: "the MIME structure cannot be read: " + err.Error()}
			}
		}
		h, body = p.Header, p
	}
	return h, body, nil
}

// partFields are the fields of a part's header that travel with it.
var partFields = []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-Description", "Content-Id", "Content-Language"}

// writeWrapped writes the new message: header, note, and the part with
// its own header fields and encoded body, line endings made CRLF.
func (rel *release) writeWrapped(w io.Writer, root, h textproto.Header, body io.Reader) error {
	var ph textproto.Header
	for i := len(partFields) - 1; i >= 0; i-- {
		raw, err := h.Raw(partFields[i])
		if err != nil || raw == nil {
			continue
		}
		ph.AddRaw(append([]byte(nil), raw...))
	}
	if !ph.Has("Content-Type") {
		ph.Add("Content-Type", "text/plain; charset=us-ascii")
	}
	return rel.writeMessage(w, root, func(w io.Writer) error {
		cw := &crlfWriter{w: w}
		if err := textproto.WriteHeader(cw, ph); err != nil {
			return err
		}
		_, err := io.Copy(cw, body)
		return err
	})
}

// writeFile releases an original that is not a mail (a file given to
// `mugai sanitize --keep`): it becomes the attachment of a new message.
func (rel *release) writeFile(w io.Writer, r io.Reader) error {
	name := rel.meta.Subject
	if name == "" {
		name = rel.id + ".bin"
	}
	return rel.writeMessage(w, textproto.Header{}, func(w io.Writer) error {
		hdr := "Content-Type: application/octet-stream;\r\n " + mailhdr.FormatParamWords("name", name, mailhdr.UTF8) + "\r\n" +
			"Content-Transfer-Encoding: base64\r\n" +
			"Content-Disposition: attachment;\r\n " + mailhdr.FormatParam("filename", name) + "\r\n\r\n"
		if _, err := io.WriteString(w, hdr); err != nil {
			return err
		}
		lw := &lineWriter{w: w, width: 76}
		enc := base64.NewEncoder(base64.StdEncoding, lw)
		if _, err := io.Copy(enc, r); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
		return lw.end()
	})
}

// writeMessage writes a multipart/mixed message with the release note as
// its first part and whatever writeBody writes (one part: its header and
// body) as the second.
func (rel *release) writeMessage(w io.Writer, root textproto.Header, writeBody func(io.Writer) error) error {
	var rb [16]byte
	if _, err := rand.Read(rb[:]); err != nil {
		return err
	}
	boundary := "mugai-release-" + hex.EncodeToString(rb[:])
	from := mailhdr.DecodeAddressList(root.Get("From"))
	if len(from) == 0 && rel.meta.From != "" {
		from = []mailhdr.Address{{Addr: rel.meta.From}}
	}
	if len(from) == 0 {
		from = []mailhdr.Address{{Name: "mugai", Addr: "postmaster@localhost"}}
	}
	to := mailhdr.DecodeAddressList(root.Get("To"))
	if len(to) == 0 {
		for _, t := range rel.to {
			to = append(to, mailhdr.Address{Addr: t})
		}
	}
	subject := mailhdr.DecodeText(root.Get("Subject"))
	if subject == "" {
		subject = rel.meta.Subject
	}
	var b strings.Builder
	b.WriteString(rel.traceHeader())
	b.WriteString(mailhdr.EncodeAddressList("From", from, mailhdr.UTF8))
	b.WriteString(mailhdr.EncodeAddressList("To", to, mailhdr.UTF8))
	b.WriteString(mailhdr.EncodeText("Subject", rel.note("release.subject")+subject, mailhdr.UTF8))
	b.WriteString("Date: " + rel.now.Format(time.RFC1123Z) + "\r\n")
	b.WriteString("Message-ID: <" + rel.id + "." + strings.ReplaceAll(rel.part, ".", "-") + "." + hex.EncodeToString(rb[:4]) + "@mugai.invalid>\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n")
	b.WriteString("--" + boundary + "\r\n")
	b.WriteString("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	part := rel.part
	if part == "" {
		part = rel.note("release.whole")
	}
	note := rel.note("release.note", rel.id, part, rel.actor, mailhdr.Clean(rel.reason))
	b.WriteString(strings.ReplaceAll(note, "\n", "\r\n"))
	b.WriteString("\r\n--" + boundary + "\r\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := writeBody(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\r\n--"+boundary+"--\r\n")
	return err
}

// note is a message of the release note in the policy's language (the
// notice goes to the recipient, who reads the policy's language).
func (rel *release) note(key string, args ...any) string {
	n := (&app{lang: rel.lang}).t(key, args...)
	return n
}

// crlfWriter turns lone LF into CRLF.
type crlfWriter struct {
	w    io.Writer
	last byte
}

func (c *crlfWriter) Write(p []byte) (int, error) {
	start := 0
	for i, b := range p {
		if b == '\n' && (i > 0 && p[i-1] != '\r' || i == 0 && c.last != '\r') {
			if _, err := c.w.Write(p[start:i]); err != nil {
				return 0, err
			}
			if _, err := c.w.Write([]byte("\r\n")); err != nil {
				return 0, err
			}
			start = i + 1
		}
	}
	if _, err := c.w.Write(p[start:]); err != nil {
		return 0, err
	}
	if len(p) > 0 {
		c.last = p[len(p)-1]
	}
	return len(p), nil
}

// reportTree decodes a stored report.
func reportTree(raw json.RawMessage) (*sanitize.Report, error) {
	var rep sanitize.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// lineWriter cuts what is written into CRLF-terminated lines of width
// bytes (base64 bodies: RFC 2045 §6.8 allows 76).
type lineWriter struct {
	w     io.Writer
	width int
	col   int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(l.width-l.col, len(p))
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		n += k
		l.col += k
		p = p[k:]
		if l.col == l.width {
			if _, err := io.WriteString(l.w, "\r\n"); err != nil {
				return n, err
			}
			l.col = 0
		}
	}
	return n, nil
}

// end finishes the last line.
func (l *lineWriter) end() error {
	if l.col == 0 {
		return nil
	}
	l.col = 0
	_, err := io.WriteString(l.w, "\r\n")
	return err
}
