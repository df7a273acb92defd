package mailhdr

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// corpusDir holds real third-party mails (shared/corpus beside the
// repository); the test skips when it is absent.
const corpusDir = "../../../../shared/corpus/mail"

// TestCorpus runs every decoder over the headers of every mail in the
// shared corpus, and of their MIME parts, and reports the subjects that
// still hold U+FFFD.
func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no corpus at " + corpusDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var mails, subjects int
	var replaced []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		path := filepath.Join(corpusDir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// mbox files: read the first message only.
		if bytes.HasPrefix(data, []byte("From ")) {
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				data = data[i+1:]
			}
		}
		c := &corpusWalk{t: t, file: e.Name()}
		if !c.message(data, 0) {
			continue
		}
		mails++
		subjects += c.subjects
		replaced = append(replaced, c.replaced...)
	}
	t.Logf("%d mails read, %d subjects decoded, %d with U+FFFD", mails, subjects, len(replaced))
	for _, r := range replaced {
		t.Log("  U+FFFD: " + r)
	}
}

type corpusWalk struct {
	t        *testing.T
	file     string
	parts    int
	subjects int
	replaced []string
}

// message reads a header and walks the body; false when data holds no
// header at all.
func (c *corpusWalk) message(data []byte, depth int) bool {
	br := bufio.NewReader(bytes.NewReader(data))
	h, err := textproto.ReadHeader(br)
	if err != nil && h.Len() == 0 {
		return false
	}
	if raw := rawValue(h, "Subject"); raw != "" {
		s := DecodeText(raw)
		checkClean(c.t, c.file+" Subject", s)
		c.subjects++
		if strings.ContainsRune(s, '\uFFFD') {
			c.replaced = append(c.replaced, c.file+": "+strings.TrimSpace(raw)+" → "+s)
		}
	}
	for _, k := range []string{"From", "To", "Cc", "Reply-To", "Sender"} {
		for _, a := range DecodeAddressList(rawValue(h, k)) {
			checkClean(c.t, c.file+" "+k, a.Name)
			checkClean(c.t, c.file+" "+k, a.Addr)
			if a.Addr != "" {
				if got, ok := checkAddr(a.Addr); !ok || got != a.Addr {
					c.t.Errorf("%s: %s address %q does not check", c.file, k, a.Addr)
				}
			}
		}
	}
	for _, k := range []string{"Message-ID", "In-Reply-To", "References"} {
		MessageIDs(rawValue(h, k))
	}
	Date(rawValue(h, "Date"))
	if err != nil {
		return true
	}
	c.part(h, br, depth)
	return true
}

func rawValue(h textproto.Header, k string) string {
	b, err := h.Raw(k)
	if err != nil || b == nil {
		return ""
	}
	_, v, _ := strings.Cut(string(b), ":")
	return v
}

// part decodes a part's Content-Type and Content-Disposition and walks into
// multiparts and message/rfc822, within bounds.
func (c *corpusWalk) part(h textproto.Header, body io.Reader, depth int) {
	c.parts++
	if depth > 10 || c.parts > 500 {
		return
	}
	ct, params := ParseMediaType(rawValue(h, "Content-Type"))
	_, dparams := ParseMediaType(rawValue(h, "Content-Disposition"))
	for k, v := range params {
		checkClean(c.t, c.file+" Content-Type "+k, v)
	}
	for k, v := range dparams {
		checkClean(c.t, c.file+" Content-Disposition "+k, v)
	}
	checkClean(c.t, c.file+" filename", FileName(rawValue(h, "Content-Disposition"), rawValue(h, "Content-Type")))
	switch {
	case strings.HasPrefix(ct, "multipart/") && params["boundary"] != "":
		mr := textproto.NewMultipartReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			c.part(p.Header, p, depth+1)
		}
	case ct == "message/rfc822":
		data, err := io.ReadAll(io.LimitReader(body, 1<<20))
		if err == nil {
			c.message(data, depth+1)
		}
	}
}
