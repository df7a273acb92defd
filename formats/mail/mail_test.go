package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/formats/csv"
	"github.com/mugai-project/mugai/formats/html"
	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// engine returns an engine wired like the binary's default (text, CSV, HTML
// and mail; everything else blocked as unsupported), with the mail
// sanitizer configured by opts.
func engine(opts mail.Options) *sanitize.Engine {
	allowed := map[sanitize.Kind]bool{detect.Text: true, detect.CSV: true, detect.HTML: true, detect.EML: true, detect.PDF: true, detect.PNG: true, detect.ZIP: true, detect.DOCX: true}
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{
			detect.Text: text.New(text.Options{}),
			detect.CSV:  csv.New(csv.Options{}),
			detect.HTML: html.New(html.Options{}),
			detect.EML:  mail.New(opts),
		},
		Mode: func(k sanitize.Kind) sanitize.Mode {
			if allowed[k] {
				return sanitize.ModeSanitize
			}
			return sanitize.ModeBlock
		},
		Limits: sanitize.Limits{Timeout: 20 * time.Second},
	}
}

var testTrace = sanitize.Trace{
	QuarantineID: "01JTEST0000000000000000000",
	Received:     time.Date(2026, 11, 21, 9, 30, 0, 0, time.FixedZone("JST", 9*3600)),
	Via:          "mugai sanitize",
	Host:         "gw.example.lg.jp",
}

// run sanitizes one message and returns its report and output.
func run(t testing.TB, e *sanitize.Engine, msg []byte) (*sanitize.Report, []byte) {
	t.Helper()
	ctx := sanitize.WithTrace(context.Background(), testTrace)
	rep, out, err := e.Run(ctx, sanitize.Input{R: bytes.NewReader(msg), Name: "mail.eml"})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep, sanitizetest.Output(t, out)
}

// parsed is an output message read back with go-message, an independent
// parser: its text body and its attachments.
type parsed struct {
	header      gomail.Header
	text        string
	attachments map[string][]byte
	types       []string
}

func parse(t testing.TB, out []byte) parsed {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	p := parsed{header: r.Header, attachments: map[string][]byte{}}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("output part does not parse: %v\n%s", err, out)
		}
		b, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatalf("output part body: %v", err)
		}
		switch h := part.Header.(type) {
		case *gomail.InlineHeader:
			ct, _, _ := h.ContentType()
			p.types = append(p.types, ct)
			p.text += string(b)
		case *gomail.AttachmentHeader:
			ct, _, _ := h.ContentType()
			p.types = append(p.types, ct)
			name, err := h.Filename()
			if err != nil {
				t.Fatalf("attachment name: %v", err)
			}
			p.attachments[name] = b
		}
	}
	return p
}

// checkOutput applies the oracles every output must pass.
func checkOutput(t *testing.T, out []byte) parsed {
	t.Helper()
	for i, line := range bytes.Split(out, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes long", i+1, len(line))
		}
		if bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(line, '\r') >= 0 {
			t.Errorf("line %d has a bare CR or LF", i+1)
		}
	}
	p := parse(t, out)
	for _, ct := range p.types {
		if ct == "text/html" {
			t.Errorf("output has a text/html part")
		}
	}
	if !utf8.ValidString(p.text) {
		t.Errorf("text is not valid UTF-8")
	}
	if !strings.Contains(p.text, "mugai") {
		t.Errorf("text has no notice:\n%s", p.text)
	}
	for _, h := range []string{"X-Mugai-Outcome", "X-Mugai-Findings", "X-Mugai-Quarantine-Id"} {
		if !p.header.Has(h) {
			t.Errorf("output lacks %s", h)
		}
	}
	pythonParses(t, out)
	return p
}

// pythonParses checks the output with Python's email package, policy
// default, when python3 is present: no defects, no text/html part.
func pythonParses(t *testing.T, out []byte) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		return
	}
	const script = `
import sys, email
from email import policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
bad = [str(d) for part in msg.walk() for d in part.defects] + [str(d) for d in msg.defects]
for part in msg.walk():
    if part.get_content_type() == "text/html":
        bad.append("text/html part")
    if not part.is_multipart():
        part.get_content()
print(msg["subject"] or "")
if bad:
    print("DEFECTS:", bad)
    sys.exit(1)
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(out)
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("python email rejects the output: %v\n%s", err, res)
	}
}

// golden compares got with testdata/golden/name.golden.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	sanitizetest.Golden(t, filepath.Join("testdata", "golden", name+".golden"), got, *update)
}

func sjis(s string) string {
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func jis(s string) string {
	b, err := japanese.ISO2022JP.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func eucjp(s string) string {
	b, err := japanese.EUCJP.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// bword is an RFC 2047 B encoded-word.
func bword(charset, s string) string { return fmt.Sprintf("=?%s?B?%s?=", charset, b64(s)) }

// lf2crlf makes a fixture's line ends CRLF.
func lf2crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }
