package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
)

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	sess := &session{s: b.s, conn: c, trace: newTrace(), start: time.Now()}
	if gc, ok := c.Conn().(*guardConn); ok {
		sess.trace = gc.trace
	}
	if ap, err := netip.ParseAddrPort(c.Conn().RemoteAddr().String()); err == nil {
		sess.client = ap.Addr().Unmap()
	}
	sess.helo = c.Hostname()
	// One line per session, at its end; this one only when debugging.
	b.s.log.Debug("session", "trace", sess.trace, "client", sess.client.String(), "helo", sess.helo)
	b.s.obs.Session()
	return observedSession{sess}, nil
}

// session is one SMTP connection from the upstream MTA. In proxy mode it
// mirrors the transaction on a next-hop connection: MAIL and RCPT are passed
// through and their answers returned, so 250 to DATA means the next hop
// accepted the cleared message.
type session struct {
	s      *Server
	conn   *smtp.Conn
	trace  string
	client netip.Addr
	helo   string
	start  time.Time

	from  string
	opts  *smtp.MailOptions
	rcpts []string
	hop   *hopConn // open downstream transaction, proxy mode
	inTx  bool     // MAIL was accepted downstream
	msgs  int
}

var _ smtp.Session = (*session)(nil)

// reply builds the SMTP error returned to the upstream MTA: a generic text
// with the trace ID, never file names, rules or configuration. It returns a
// bare *smtp.SMTPError, which go-smtp needs (it does not unwrap).
func (ss *session) reply(code int, enh smtp.EnhancedCode, text string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: fmt.Sprintf("%s [%s]", text, ss.trace)}
}

func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	switch {
	case ss.s.draining.Load():
		return ss.reply(421, smtp.EnhancedCode{4, 3, 2}, "Service shutting down, try again later")
	case ss.s.held():
		return ss.reply(451, smtp.EnhancedCode{4, 3, 2}, "Delivery is on hold, try again later")
	case !ss.s.limClient.allow(ss.client.String()):
		ss.s.log.Warn("rate limited", "trace", ss.trace, "client", ss.client.String())
		return ss.reply(451, smtp.EnhancedCode{4, 7, 1}, "Too many messages from your address, try again later")
	case from != "" && !ss.s.limSender.allow(strings.ToLower(from)):
		ss.s.log.Warn("rate limited", "trace", ss.trace, "from", from)
		return ss.reply(451, smtp.EnhancedCode{4, 7, 1}, "Too many messages from this sender, try again later")
	case opts != nil && opts.Size > ss.s.cfg.MaxMessageBytes:
		return ss.reply(552, smtp.EnhancedCode{5, 3, 4}, "Message too big")
	}
	ss.resetTx()
	ss.from, ss.opts = from, opts
	if ss.s.hops == nil {
		return nil
	}
	if ss.hop == nil {
		hc, err := ss.s.hops.get(ss.trace)
		if err != nil {
			ss.s.log.Warn("next hop unavailable", "trace", ss.trace, "err", err)
			return ss.reply(451, smtp.EnhancedCode{4, 4, 1}, "Next hop unavailable, try again later")
		}
		ss.hop = hc
	}
	err := ss.hop.mail(from, opts)
	if err != nil && ss.hop.reused && connGone(err) {
		// A pooled connection that the next hop closed while it was idle:
		// nothing was sent on it, so dial afresh once. The other idle
		// connections are most likely dead too (the next hop restarted).
		ss.dropHop()
		ss.s.hops.drop()
		hc, derr := ss.s.hops.get(ss.trace)
		if derr != nil {
			ss.s.log.Warn("next hop unavailable", "trace", ss.trace, "err", derr)
			return ss.reply(451, smtp.EnhancedCode{4, 4, 1}, "Next hop unavailable, try again later")
		}
		ss.hop = hc
		err = ss.hop.mail(from, opts)
	}
	if err != nil {
		return ss.hopError("MAIL", err)
	}
	ss.hop.reused = false
	ss.inTx = true
	return nil
}

func (ss *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if !ss.s.domainAllowed(to) {
		ss.s.log.Warn("relay denied", "trace", ss.trace, "client", ss.client.String(), "rcpt", to)
		return ss.reply(550, smtp.EnhancedCode{5, 7, 1}, "Relaying denied")
	}
	if ss.hop != nil {
		if err := ss.hop.rcpt(to, opts); err != nil {
			return ss.hopError("RCPT", err)
		}
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

// hopError turns a next-hop failure into our reply: the next hop's own
// code for an SMTP answer (so a refused recipient is refused here too),
// 451 for anything else. A broken next-hop connection is dropped.
func (ss *session) hopError(step string, err error) error {
	ss.s.obs.NextHopError(step, hopCode(err))
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		ss.s.log.Info("next hop refused", "trace", ss.trace, "step", step, "code", se.Code, "text", se.Message)
		if se.Code == 421 {
			ss.dropHop() // the next hop is closing this connection: never pool it
		}
		text := "Refused by the next hop"
		if se.Code/100 == 4 {
			text = "Next hop busy, try again later"
		}
		return ss.reply(se.Code, se.EnhancedCode, text)
	}
	ss.s.log.Warn("next hop failed", "trace", ss.trace, "step", step, "err", err)
	ss.dropHop()
	return ss.reply(451, smtp.EnhancedCode{4, 4, 2}, "Next hop failed, try again later")
}

func (ss *session) dropHop() {
	if ss.hop != nil {
		ss.hop.close()
		ss.hop = nil
	}
	ss.inTx = false
}

// The states of the store goroutine of Data.
const (
	putRunning int32 = iota
	putFinished
	putAbandoned
)

var errStoreTimeout = errors.New("the quarantine did not answer within store_timeout")

func (ss *session) Data(r io.Reader) error {
	start := time.Now()
	select {
	case ss.s.sanitize <- struct{}{}:
		defer func() { <-ss.s.sanitize }()
	default:
		ss.s.log.Warn("busy", "trace", ss.trace)
		return ss.reply(451, smtp.EnhancedCode{4, 3, 2}, "Too busy, try again later")
	}
	if len(ss.rcpts) == 0 {
		return ss.reply(554, smtp.EnhancedCode{5, 5, 1}, "No valid recipients")
	}
	ctx := context.Background()

	// Spool the message; go-smtp's reader enforces MaxMessageBytes as it
	// streams and fails with ErrDataTooLarge (552 5.3.4).
	sp := sanitize.NewSpool(ss.s.engine().TempDir, 1<<20, ss.s.cfg.MaxMessageBytes+1)
	if _, err := sp.ReadFrom(r); err != nil {
		sp.Close()
		if errors.Is(err, smtp.ErrDataTooLarge) || errors.Is(err, sanitize.ErrTooLarge) {
			return ss.reply(552, smtp.EnhancedCode{5, 3, 4}, "Message too big")
		}
		ss.s.log.Warn("reading DATA failed", "trace", ss.trace, "err", err)
		return ss.reply(451, smtp.EnhancedCode{4, 3, 0}, "Temporary failure, try again later")
	}
	src, err := sp.Finish()
	if err != nil {
		return ss.reply(451, smtp.EnhancedCode{4, 3, 0}, "Temporary failure, try again later")
	}
	// src and its room in the byte budget belong to this call, unless a
	// store that outlived StoreTimeout still reads src: then its goroutine
	// releases them when it is done.
	owned := true
	defer func() {
		if owned {
			src.Close()
		}
	}()

	if loop := ss.s.looping(src); loop != "" {
		ss.s.log.Warn("mail loop", "trace", ss.trace, "reason", loop)
		return ss.reply(554, smtp.EnhancedCode{5, 4, 6}, "Mail loop detected")
	}

	// Wait in line for room in the byte budget of the engine.
	wctx, cancel := context.WithTimeout(ctx, ss.s.cfg.NextHopTimeout)
	err = ss.s.bytes.acquire(wctx, src.Size())
	cancel()
	if err != nil {
		ss.s.log.Warn("busy: no room in the sanitizing byte budget", "trace", ss.trace, "size", src.Size())
		return ss.reply(451, smtp.EnhancedCode{4, 3, 2}, "Too busy, try again later")
	}
	defer func() {
		if owned {
			ss.s.bytes.release(src.Size())
		}
	}()

	// The original must be durable before anything crosses. Storing it
	// (with its "received" event, one transaction with a Journal) runs
	// beside the sanitizer, which only needs its ID: the next hop accepts
	// nothing until the store has answered, and a failed or timed-out
	// store discards the sanitized message and answers 451.
	received := time.Now()
	qid := quarantine.NewID(received)
	j := ss.s.journal()
	m := quarantine.Meta{
		ID: qid, Received: received, Origin: quarantine.OriginSMTP, Client: ss.client.String(),
		From: ss.from, To: ss.rcpts, Subject: subjectOf(src), Delivery: quarantine.DeliveryPending,
	}
	recv := map[string]any{"trace": ss.trace, "client": ss.client.String(), "from": ss.from, "to": ss.rcpts, "size": src.Size()}
	type stored struct {
		meta quarantine.Meta
		err  error
	}
	putCtx, cancelPut := context.WithCancel(ctx)
	defer cancelPut()
	var putState atomic.Int32 // putRunning, then putFinished or putAbandoned
	putDone := make(chan stored, 1)
	go func() {
		var st stored
		if j != nil {
			st.meta, _, st.err = j.PutWithEvent(putCtx, m, src.Reader(), event("received", recv))
		} else {
			st.meta, st.err = ss.s.store.Put(putCtx, m, src.Reader())
		}
		if putState.CompareAndSwap(putRunning, putFinished) {
			putDone <- st
			return
		}
		// The session gave up on the store and answered 451: the message
		// will come again. An original kept all the same is marked
		// undelivered, so that it is not taken for one in progress.
		if st.err == nil {
			ss.s.log.Warn("quarantine answered after store_timeout", "trace", ss.trace, "qid", st.meta.ID)
			ss.s.markUndelivered(ctx, j, st.meta.ID, ss.trace, nil, "kept after store_timeout; the sender was answered 451")
		}
		ss.s.bytes.release(src.Size())
		src.Close()
		ss.s.late.Add(-1)
	}()
	// storeWait waits for the store, at most StoreTimeout.
	storeWait := func() stored {
		t := time.NewTimer(ss.s.cfg.StoreTimeout)
		defer t.Stop()
		select {
		case st := <-putDone:
			return st
		case <-t.C:
			ss.s.late.Add(1) // before the swap: the goroutine may end at once
			if !putState.CompareAndSwap(putRunning, putAbandoned) {
				ss.s.late.Add(-1)
				return <-putDone // it finished just now
			}
			owned = false
			cancelPut()
			return stored{err: errStoreTimeout}
		}
	}

	tr := sanitize.Trace{
		QuarantineID: qid, Received: received, Host: ss.s.cfg.Hostname,
		Via: fmt.Sprintf("SMTP from %s [%s]", oneLine(ss.helo), ss.client), From: ss.from, To: ss.rcpts,
	}
	engStart := time.Now()
	rep, out, err := ss.s.engine().RunKind(sanitize.WithTrace(ctx, tr), src, "message.eml", "message/rfc822", "eml")
	ss.s.obs.Message(rep, err, time.Since(engStart))

	// A cleared message goes to the next hop while the store finishes:
	// everything but the final dot, which waits for the store's answer. A
	// failed store abandons the transaction (the next hop discards it), so
	// the next hop still accepts nothing whose original is not kept.
	var (
		hopReply string
		hopErr   error
		sent     bool
	)
	putResult := sync.OnceValue(storeWait)
	if err == nil && rep.Outcome != sanitize.OutcomeBlocked && ss.s.hops != nil {
		hopReply, hopErr = ss.deliver(ss.from, out.Stream(), func() error { return putResult().err })
		sent = true
	}
	st := putResult()
	if st.err != nil {
		if err == nil && out != src {
			out.Close()
		}
		ss.s.log.Error("quarantine unavailable", "trace", ss.trace, "err", st.err)
		return ss.reply(451, smtp.EnhancedCode{4, 3, 0}, "Temporary failure, try again later")
	}
	meta := st.meta
	if st.meta.ID != qid {
		// A store that does not keep the caller's ID: the notices name
		// qid, which the operator will not find. Never expected; say so.
		ss.s.log.Error("the quarantine store assigned its own ID", "trace", ss.trace, "want", qid, "got", st.meta.ID)
		qid = st.meta.ID
	}
	if j == nil {
		recv["size"] = meta.Size
		ss.s.auditEvent(ctx, "received", qid, recv)
	}
	if err != nil {
		ss.s.markUndelivered(ctx, j, qid, ss.trace, nil, "engine: "+err.Error())
		ss.s.log.Error("engine failed", "trace", ss.trace, "qid", qid, "err", err)
		return ss.reply(451, smtp.EnhancedCode{4, 3, 0}, "Temporary failure, try again later")
	}
	defer func() {
		if out != src {
			out.Close()
		}
	}()
	rep.QuarantineID = qid
	o := outcomeOf(rep)
	if j == nil {
		ss.s.recordOutcome(ctx, qid, o)
	}

	// What crosses: the cleared message (already on its way to a next
	// hop), or a notice that it was stopped.
	if !sent {
		deliverFrom := ss.from
		var msg io.Reader
		if rep.Outcome == sanitize.OutcomeBlocked {
			msg = bytes.NewReader(ss.s.blockedNotice(rep, src, tr))
			deliverFrom = "" // a notice goes with the null sender, like a DSN
		} else {
			msg = out.Stream()
		}
		hopReply, hopErr = ss.deliver(deliverFrom, msg, nil)
	}
	if err := hopErr; err != nil {
		ss.s.markUndelivered(ctx, j, qid, ss.trace, o, err.Error())
		ss.logMessage(qid, rep, meta.Size, start, "undelivered: "+err.Error())
		step := "DATA"
		if ss.s.hops == nil {
			step = "maildir"
		}
		ss.s.obs.NextHopError(step, hopCode(err))
		var se *smtp.SMTPError
		if errors.As(err, &se) && se.Code/100 == 5 {
			return ss.reply(554, smtp.EnhancedCode{5, 0, 0}, "Refused by the next hop")
		}
		return ss.reply(451, smtp.EnhancedCode{4, 4, 2}, "Next hop failed, try again later")
	}
	ss.s.markDelivered(ctx, j, qid, ss.trace, o, hopReply)
	ss.logMessage(qid, rep, meta.Size, start, hopReply)
	ss.msgs++
	ss.inTx = false
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: fmt.Sprintf("OK queued as %s [%s]", qid, ss.trace)}
}

// deliver sends msg to the next hop on the open transaction, or into the
// Maildir outbox, and returns a short account of the next hop's answer.
// A next hop gets the final dot only once gate (if not nil) has returned
// nil; gate is never called on the Maildir path.
func (ss *session) deliver(from string, msg io.Reader, gate func() error) (string, error) {
	if ss.s.hops == nil {
		name, err := ss.s.box.deliver(from, msg)
		if err != nil {
			return "", err
		}
		return "maildir " + name, nil
	}
	if ss.hop == nil || !ss.inTx {
		return "", errors.New("no open next-hop transaction")
	}
	if from != ss.from {
		// A notice goes with the null sender: restart the downstream
		// transaction with it.
		if err := ss.hop.reset(); err != nil {
			ss.dropHop()
			return "", err
		}
		if err := ss.hop.mail(from, nil); err != nil {
			return "", err
		}
		for _, r := range ss.rcpts {
			if err := ss.hop.rcpt(r, nil); err != nil {
				return "", err
			}
		}
	}
	resp, err := ss.hop.data(msg, gate)
	if err != nil {
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code == 421 {
			ss.dropHop()
		}
		return "", err
	}
	return resp, nil
}

func (ss *session) logMessage(qid string, rep *sanitize.Report, size int64, start time.Time, hop string) {
	var rules []string
	rep.Walk(func(_ int, r *sanitize.Report) {
		for _, f := range r.Findings {
			if f.Action > sanitize.Recorded {
				rules = append(rules, f.Rule)
			}
		}
	})
	ss.s.log.Info("message", "trace", ss.trace, "qid", qid, "client", ss.client.String(), "from", ss.from,
		"rcpts", len(ss.rcpts), "size", size, "outcome", string(rep.Outcome), "findings", rules,
		"next_hop", hop, "ms", time.Since(start).Milliseconds())
}

func (ss *session) resetTx() {
	ss.from, ss.opts, ss.rcpts = "", nil, nil
	if ss.hop != nil && ss.inTx {
		if err := ss.hop.reset(); err != nil {
			ss.dropHop()
		}
	}
	ss.inTx = false
}

func (ss *session) Reset() { ss.resetTx() }

func (ss *session) Logout() error {
	if ss.hop != nil {
		if ss.inTx {
			ss.dropHop()
		} else {
			ss.s.hops.put(ss.hop)
			ss.hop = nil
		}
	}
	ss.s.log.Info("session end", "trace", ss.trace, "client", ss.client.String(), "helo", ss.helo, "messages", ss.msgs, "ms", time.Since(ss.start).Milliseconds())
	return nil
}

// domainAllowed reports whether a recipient may be relayed to.
func (s *Server) domainAllowed(rcpt string) bool {
	if len(s.cfg.Domains) == 0 {
		return true // only possible with loopback-only networks (Validate)
	}
	at := strings.LastIndexByte(rcpt, '@')
	if at < 0 {
		return false
	}
	d := strings.ToLower(strings.TrimSuffix(rcpt[at+1:], "."))
	for _, want := range s.cfg.Domains {
		want = strings.ToLower(want)
		if d == want || strings.HasSuffix(d, "."+want) {
			return true
		}
	}
	return false
}

// looping reports why a message seems to loop: too many Received lines, or
// our own outcome header already present (a cleared message came back).
func (s *Server) looping(src *sanitize.Blob) string {
	br := headerReader(src, 1<<20)
	defer putHeaderReader(br)
	received := 0
	for {
		line, err := br.ReadSlice('\n')
		if len(bytes.TrimRight(line, "\r\n")) == 0 || err != nil && err != bufio.ErrBufferFull {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		l := bytes.ToLower(line)
		if bytes.HasPrefix(l, []byte("received:")) {
			received++
			if received > s.cfg.MaxReceived {
				return fmt.Sprintf("more than %d Received lines", s.cfg.MaxReceived)
			}
		}
		if bytes.HasPrefix(l, []byte("x-mugai-outcome:")) {
			return "already passed through mugai"
		}
	}
	return ""
}

// journal returns the store as a quarantine.Journal when it is one and is
// also the audit log the server was given, so that its events land in
// that chain; nil otherwise (the separate Store and Audit calls are used).
func (s *Server) journal() quarantine.Journal {
	j, ok := s.store.(quarantine.Journal)
	if !ok || !sameValue(s.store, s.audit) {
		return nil
	}
	return j
}

// sameValue reports whether a and b are the same value, without panicking
// on types that cannot be compared.
func sameValue(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.IsValid() && va.Type() == vb.Type() && va.Comparable() && vb.Comparable() && a == b
}

func event(typ string, data map[string]any) quarantine.Event {
	raw, _ := json.Marshal(data)
	return quarantine.Event{Type: typ, Actor: "mugai", Data: raw}
}

// outcome is the engine's verdict on one message as the store keeps it,
// computed (and the report encoded) once.
type outcome struct {
	rep   *sanitize.Report
	rules []string        // distinct rule IDs of all findings
	raw   json.RawMessage // rep as JSON
}

func outcomeOf(rep *sanitize.Report) *outcome {
	seen := map[string]bool{}
	var rules []string
	rep.Walk(func(_ int, r *sanitize.Report) {
		for _, f := range r.Findings {
			if !seen[f.Rule] {
				seen[f.Rule] = true
				rules = append(rules, f.Rule)
			}
		}
	})
	raw, _ := json.Marshal(rep)
	return &outcome{rep: rep, rules: rules, raw: raw}
}

// recordOutcome writes the outcome and its "outcome" event as separate
// calls, before delivery; only for a store without a Journal (with one,
// settle writes the outcome with the delivery status).
func (s *Server) recordOutcome(ctx context.Context, qid string, o *outcome) {
	err := s.store.Update(ctx, qid, func(m *quarantine.Meta) error {
		m.Outcome, m.Findings, m.Report = string(o.rep.Outcome), o.rules, o.raw
		return nil
	})
	if err != nil {
		s.log.Error("recording outcome failed", "qid", qid, "err", err)
	}
	s.auditEvent(ctx, "outcome", qid, map[string]any{"outcome": o.rep.Outcome, "findings": o.rules})
}

// markUndelivered records that nothing reached the next hop: o is the
// outcome (nil when the engine failed), why the failure.
//
// Like markDelivered, it is bookkeeping after the fact (the original is
// durable already), so its commit does not wait for the disk
// (quarantine.DeferSync: visible at once, durable within a second).
func (s *Server) markUndelivered(ctx context.Context, j quarantine.Journal, qid, trace string, o *outcome, why string) {
	ctx = quarantine.DeferSync(ctx)
	if j == nil {
		s.store.Update(ctx, qid, func(m *quarantine.Meta) error { m.Delivery = quarantine.DeliveryUndelivered; return nil })
		s.auditEvent(ctx, "undelivered", qid, map[string]any{"reason": why})
		return
	}
	data := map[string]any{"trace": trace, "reason": why}
	if o != nil {
		data = map[string]any{"trace": trace, "next_hop": why}
	}
	s.settle(ctx, j, qid, o, quarantine.DeliveryUndelivered, "undelivered", data)
}

// markDelivered records that the cleared message, or for a blocked one the
// notice, reached the next hop, which answered hopReply. The original is
// durable already and the next hop has the message: this is bookkeeping
// after the fact, so its commit does not wait for the disk
// (quarantine.DeferSync: visible at once, durable within a second).
func (s *Server) markDelivered(ctx context.Context, j quarantine.Journal, qid, trace string, o *outcome, hopReply string) {
	ctx = quarantine.DeferSync(ctx)
	blocked := o.rep.Outcome == sanitize.OutcomeBlocked
	delivery, typ := quarantine.DeliveryDelivered, "delivered"
	if blocked {
		delivery, typ = quarantine.DeliveryBlocked, "blocked"
	}
	data := map[string]any{"trace": trace, "next_hop": hopReply, "notice_only": blocked}
	if j == nil {
		s.store.Update(ctx, qid, func(m *quarantine.Meta) error { m.Delivery = delivery; return nil })
		s.auditEvent(ctx, "delivered", qid, data)
		return
	}
	// The 250 owes nothing to this record (the original is kept, the
	// next hop has the message): it is written after the reply.
	s.recordLater(j, settlement(qid, o, delivery, typ, data))
}

// settle writes, in one transaction, the outcome (unless o is nil), the
// delivery status and the event typ, whose data gets the outcome and the
// findings added.
func (s *Server) settle(ctx context.Context, j quarantine.Journal, qid string, o *outcome, delivery, typ string, data map[string]any) {
	u := settlement(qid, o, delivery, typ, data)
	if _, err := j.UpdateWithEvent(ctx, u.ID, u.Fn, u.Event); err != nil {
		s.recordFailed(u, err)
	}
}

// settlement is the update that settle writes.
func settlement(qid string, o *outcome, delivery, typ string, data map[string]any) quarantine.Update {
	if o != nil {
		data["outcome"], data["findings"] = o.rep.Outcome, o.rules
	}
	return quarantine.Update{ID: qid, Event: event(typ, data), Fn: func(m *quarantine.Meta) error {
		if o != nil {
			m.Outcome, m.Findings, m.Report = string(o.rep.Outcome), o.rules, o.raw
		}
		m.Delivery = delivery
		return nil
	}}
}

func (s *Server) recordFailed(u quarantine.Update, err error) {
	s.log.Error("recording the outcome and delivery failed", "qid", u.ID, "event", u.Event.Type, "err", err)
}

func (s *Server) auditEvent(ctx context.Context, typ, qid string, data map[string]any) {
	e := event(typ, data)
	e.Item = qid
	if _, err := s.audit.Append(ctx, e); err != nil {
		s.log.Error("audit log append failed", "qid", qid, "event", typ, "err", err)
	}
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

// connGone reports whether err says the connection itself failed (closed,
// reset), as opposed to an SMTP reply or a local check of go-smtp's.
func connGone(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &oe) || errors.As(err, &ne)
}
