package clamd_test

// End-to-end tests with a real clamd: the engine with the real format
// sanitizers, and the SMTP relay between a go-smtp client and a go-smtp next
// hop. They skip where clamd is not installed.

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/local"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/scan/clamd"
	"github.com/mugai-project/mugai/scan/clamd/clamdtest"
	"github.com/mugai-project/mugai/smtpd"
	"github.com/mugai-project/mugai/smtpd/smtpdtest"
)

func newEngine(t *testing.T, sc sanitize.Scanner) *sanitize.Engine {
	office := ooxml.New(ooxml.Options{})
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{
			detect.Text: text.New(text.Options{}),
			detect.EML:  mail.New(mail.Options{}),
			detect.DOCX: office,
		},
		Mode: func(k sanitize.Kind) sanitize.Mode {
			switch k {
			case detect.Text, detect.EML, detect.DOCX:
				return sanitize.ModeSanitize
			}
			return sanitize.ModeBlock
		},
		Limits:       sanitize.Limits{Timeout: 20 * time.Second},
		TempDir:      t.TempDir(),
		Scanner:      sc,
		ScanRequired: true,
	}
}

// docx builds a minimal Word document; extra parts are added as given.
func docx(t *testing.T, extra map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	add("[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/octet-stream"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`))
	add("_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`))
	add("word/document.xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>入札のご案内</w:t></w:r></w:p></w:body></w:document>`))
	for n, d := range extra {
		add(n, d)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mailWith builds a message with a text body and one base64 attachment.
func mailWith(name, ctype string, data []byte) string {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fmt.Fprintf(&b, "From: sender@example.com\r\nTo: soumu@city.example.lg.jp\r\nSubject: test %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n", name, mw.Boundary())
	w, _ := mw.CreatePart(map[string][]string{"Content-Type": {"text/plain; charset=UTF-8"}})
	io.WriteString(w, "ご確認ください。\r\n")
	if data != nil {
		w, _ = mw.CreatePart(map[string][]string{
			"Content-Type":              {ctype + "; name=" + name},
			"Content-Disposition":       {"attachment; filename=" + name},
			"Content-Transfer-Encoding": {"base64"},
		})
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			io.WriteString(w, enc[:76]+"\r\n")
			enc = enc[76:]
		}
		io.WriteString(w, enc+"\r\n")
	}
	mw.Close()
	return b.String()
}

// The engine path a dropped file takes: Run on the file as it was dropped.
func TestEngineWithClamd(t *testing.T) {
	d := clamdtest.Start(t, clamdtest.Options{})
	c, err := clamd.New(clamd.Config{Address: d.Address(), Timeout: 10 * time.Second, MaxSize: 12 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e := newEngine(t, c)
	eicarZip := zipOf(t, "eicar.txt", clamdtest.EICAR(), zip.Deflate)
	for _, tc := range []struct {
		name string
		data []byte
		sig  string // "" = not blocked by the scan
	}{
		{"report.txt", []byte("会議の資料です。\n"), ""},
		{"eicar.txt", clamdtest.EICAR(), clamdtest.EICARName},
		{"marker.txt", []byte("x " + clamdtest.Marker + "\n"), clamdtest.MarkerName},
		{"archive.zip", eicarZip, clamdtest.EICARName},
		{"clean.docx", docx(t, nil), ""},
		{"infected.docx", docx(t, map[string][]byte{"word/media/payload.bin": clamdtest.EICAR()}), clamdtest.EICARName},
		{"mail.eml", []byte(mailWith("a.zip", "application/zip", eicarZip)), clamdtest.EICARName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, out, err := e.Run(t.Context(), sanitize.Input{R: bytes.NewReader(tc.data), Name: tc.name})
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, d.Log())
			}
			if out != nil {
				defer out.Close()
			}
			var av []string
			for _, f := range rep.Findings {
				if strings.HasPrefix(f.Rule, "av.") {
					av = append(av, f.Rule)
				}
			}
			if tc.sig == "" {
				if len(av) > 0 || rep.Outcome == sanitize.OutcomeBlocked {
					t.Fatalf("outcome %s, findings %v", rep.Outcome, rep.Findings)
				}
			} else if rep.Outcome != sanitize.OutcomeBlocked || out != nil || len(av) != 1 || !strings.HasPrefix(av[0], "av."+tc.sig) {
				t.Fatalf("outcome %s, findings %v", rep.Outcome, rep.Findings)
			}
			if !strings.HasPrefix(rep.Scanner, "ClamAV ") {
				t.Errorf("scanner %q", rep.Scanner)
			}
		})
	}
}

func startRelay(t *testing.T, eng *sanitize.Engine, next string) (string, *local.Store, *smtpd.Server) {
	t.Helper()
	dir := t.TempDir()
	st, err := local.Open(filepath.Join(dir, "q"), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := smtpd.Config{Hostname: "gw.example.lg.jp", NextHops: []string{next}, NextHopTLS: "none",
		Outbox: filepath.Join(dir, "outbox"), HoldFile: filepath.Join(dir, "hold")}
	srv, err := smtpd.New(cfg, eng, st, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(t.Context(), ln); close(done) }()
	t.Cleanup(func() { srv.Shutdown(t.Context()); <-done })
	return ln.Addr().String(), st, srv
}

// send submits msg from sender@example.com to soumu@city.example.lg.jp.
func send(addr, msg string) error {
	return smtpdtest.Send(addr, "sender@example.com", []string{"soumu@city.example.lg.jp"}, msg)
}

// bodyText decodes a received message's single text body.
func bodyText(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "base64") {
		r = base64.NewDecoder(base64.StdEncoding, m.Body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	return subj + "\n" + string(b)
}

func undelivered(t *testing.T, st *local.Store) int {
	n := 0
	st.List(t.Context(), quarantine.Filter{}, func(m quarantine.Meta) error {
		if m.Delivery == quarantine.DeliveryUndelivered {
			n++
		}
		return nil
	})
	return n
}

// EICAR in an attachment (plain, in a zip, in a docx) never reaches the next
// hop; the recipient gets the notice naming the detection, and the report
// kept with the original names it too.
func TestRelayWithClamd(t *testing.T) {
	d := clamdtest.Start(t, clamdtest.Options{})
	c, err := clamd.New(clamd.Config{Address: d.Address(), Timeout: 10 * time.Second, MaxSize: 12 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sk := smtpdtest.StartSink(t, "")
	addr, st, srv := startRelay(t, newEngine(t, c), sk.Addr)
	eicar := clamdtest.EICAR()
	cases := []struct {
		name, ctype string
		data        []byte
	}{
		{"eicar.com", "application/octet-stream", eicar},
		{"archive.zip", "application/zip", zipOf(t, "eicar.txt", eicar, zip.Deflate)},
		{"report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx(t, map[string][]byte{"word/media/x.bin": eicar})},
	}
	for i, tc := range cases {
		if err := send(addr, mailWith(tc.name, tc.ctype, tc.data)); err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, d.Log())
		}
		got := sk.Received()
		if len(got) != i+1 {
			t.Fatalf("%s: next hop has %d messages", tc.name, len(got))
		}
		msg := got[i]
		if msg.From != "" || !bytes.Contains(msg.Data, []byte("X-Mugai-Outcome: blocked")) {
			t.Errorf("%s: not a notice with the null sender:\n%s", tc.name, msg.Data)
		}
		body := bodyText(t, msg.Data)
		if i == 0 {
			t.Logf("notice:\n%s", body)
		}
		if !strings.Contains(body, "マルウェア") || !strings.Contains(body, clamdtest.EICARName) || !strings.Contains(body, "malware was detected") {
			t.Errorf("%s: the notice does not name the detection:\n%s", tc.name, body)
		}
		for _, m := range got {
			if bytes.Contains(m.Data, eicar) || strings.Contains(bodyText(t, m.Data), string(eicar)) {
				t.Fatalf("%s: EICAR reached the next hop", tc.name)
			}
		}
	}
	// The delivery records are written after the replies.
	if err := srv.WaitIdle(t.Context()); err != nil {
		t.Fatal(err)
	}
	n := 0
	st.List(t.Context(), quarantine.Filter{}, func(m quarantine.Meta) error {
		n++
		if m.Outcome != "blocked" || m.Delivery != quarantine.DeliveryBlocked || !strings.Contains(strings.Join(m.Findings, " "), "av."+clamdtest.EICARName) ||
			!bytes.Contains(m.Report, []byte(`"scanner":"ClamAV`)) {
			t.Errorf("kept %s: outcome %s delivery %s findings %v", m.ID, m.Outcome, m.Delivery, m.Findings)
		}
		return nil
	})
	if n != len(cases) {
		t.Errorf("%d originals kept, want %d", n, len(cases))
	}

	// A clean mail goes through, scanned.
	if err := send(addr, mailWith("memo.txt", "text/plain", []byte("議事録\r\n"))); err != nil {
		t.Fatal(err)
	}
	got := sk.Received()
	if len(got) != len(cases)+1 || bytes.Contains(got[len(got)-1].Data, []byte("X-Mugai-Outcome: blocked")) || got[len(got)-1].From == "" {
		t.Fatalf("clean mail not delivered as cleared")
	}
}

// clamd stopped during a run: 451, the original kept as undelivered, nothing
// forwarded; the retry after clamd is back succeeds. A clamd that stalls:
// timeout, 451.
func TestRelayClamdDown(t *testing.T) {
	d := clamdtest.Start(t, clamdtest.Options{})
	c, err := clamd.New(clamd.Config{Address: d.Address(), Timeout: 5 * time.Second, MaxSize: 12 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sk := smtpdtest.StartSink(t, "")
	addr, st, _ := startRelay(t, newEngine(t, c), sk.Addr)
	msg := mailWith("memo.txt", "text/plain", []byte("議事録\r\n"))
	if err := send(addr, msg); err != nil {
		t.Fatal(err) // warm: a pooled session exists
	}
	d.Stop()
	if err := send(addr, msg); smtpdtest.Code(err) != 451 {
		t.Fatalf("clamd stopped: %v, want 451", err)
	}
	if n := undelivered(t, st); n != 1 {
		t.Errorf("%d originals undelivered, want 1", n)
	}
	if n := len(sk.Received()); n != 1 {
		t.Fatalf("next hop got %d messages, want only the first", n)
	}
	d.Start()
	if err := send(addr, msg); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := len(sk.Received()); n != 2 {
		t.Fatalf("next hop got %d messages after the retry", n)
	}
}

func TestRelayClamdStalls(t *testing.T) {
	dir, err := os.MkdirTemp("", "mugai-stall-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "clamd.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	c, err := clamd.New(clamd.Config{Address: "unix:" + sock, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sk := smtpdtest.StartSink(t, "")
	addr, st, _ := startRelay(t, newEngine(t, c), sk.Addr)
	start := time.Now()
	if err := send(addr, mailWith("memo.txt", "text/plain", []byte("議事録\r\n"))); smtpdtest.Code(err) != 451 {
		t.Fatalf("stalled clamd: %v, want 451", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v", el)
	}
	if len(sk.Received()) != 0 || undelivered(t, st) != 1 {
		t.Errorf("next hop got %d, undelivered %d", len(sk.Received()), undelivered(t, st))
	}
}
