package tnef

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

// corpusDir holds real third-party samples (see its MANIFEST.tsv); tests
// that need it skip when it is absent.
const corpusDir = "../../../../shared/corpus"

func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("corpus sample %s absent", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpusTNEF lists the raw TNEF samples with what Decode must find: the
// names (Name, with an embedded message marked "*") or the error. The names
// agree with the Debian tnef tool's listing (see TestCorpusTnefTool).
var corpusTNEF = []struct {
	file  string
	names []string
	err   error
}{
	// ClamAV's sample has a wrong checksum in attMessageClass; tnef(1) rejects it too.
	{file: "mail/clamav__clam.tnef", err: sanitize.ErrMalformed},
	{file: "mail/mimekit__tnef_MAPI_ATTACH_DATA_OBJ.tnef", names: []string{"VIA_Nytt_1402.doc", "VIA_Nytt_1402.pdf", "VIA_Nytt_14021.htm"}},
	{file: "mail/mimekit__tnef_attachments.tnef", names: []string{"zappa_av1.jpg", "bookmark.htm"}},
	{file: "mail/mimekit__tnef_christmas.tnef", names: []string{"kitten-playing-with-a-christmas-tree.jpg", "*Build a train table", "*Christmas Celebration!"}},
	// A line feed after the last attribute; tnef(1) rejects it too.
	{file: "mail/mimekit__tnef_garbage-at-end.tnef", err: sanitize.ErrMalformed},
	{file: "mail/mimekit__tnef_long-filename.tnef", names: []string{"allproductsmar2000.dat"}},
	{file: "mail/mimekit__tnef_multi-name-property.tnef", names: []string{}},
	{file: "mail/mimekit__tnef_multi-value-attribute.tnef", names: []string{"208225__5_seconds__Voice_Mail.mp3"}},
	{file: "mail/mimekit__tnef_rtf.tnef", names: []string{}},
	{file: "mail/mimekit__tnef_unicode-mapi-attr-name.tnef", names: []string{"spaconsole2.cfg", "image001.png", "image002.png", "image003.png"}},
	{file: "mail/mimekit__tnef_unicode-mapi-attr.tnef", names: []string{"example.dat"}},
	{file: "mail/mimekit__tnef_winmail.tnef", names: []string{"Untitled Attachment", "Untitled Attachment"}},
	{file: "mail/poi__bug63955-winmail.dat", names: []string{"SI-61597.pdf", "SI-61598.pdf"}},
	{file: "mail/poi__quick-winmail.dat", names: []string{"quick.doc", "quick.html", "quick.pdf", "quick.txt", "quick.xml"}},
	{file: "mail/poi__winmail-sample1.dat", names: []string{"zappa_av1.jpg", "bookmark.htm"}},
	{file: "mail/tika__testWINMAIL.dat", names: []string{"quick.doc", "quick.html", "quick.pdf", "quick.txt", "quick.xml"}},
}

func names(m *Message) []string {
	out := []string{}
	for _, a := range m.Attachments {
		n := a.Name
		if a.Embedded {
			n = "*" + n
		}
		out = append(out, n)
	}
	return out
}

func TestCorpus(t *testing.T) {
	for _, tc := range corpusTNEF {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			b := corpusFile(t, tc.file)
			if tc.err != nil {
				wantErr(t, b, Limits{}, tc.err)
				return
			}
			m := decodeOK(t, b, Limits{})
			if got := names(m); !slices.Equal(got, tc.names) {
				t.Errorf("names = %q, want %q", got, tc.names)
			}
			for _, a := range m.Attachments {
				if len(a.Data) == 0 {
					t.Errorf("%q: no data", a.Name)
				}
				if a.Embedded {
					// An attached message is itself a TNEF stream.
					if _, err := Decode(bytes.NewReader(a.Data), Limits{}); err != nil {
						t.Errorf("%q: embedded stream: %v", a.Name, err)
					}
				}
			}
			t.Logf("code page %d, body %d bytes, HTML %d bytes (cp %d), RTF %v", m.CodePage, len(m.Body), len(m.HTMLBody), m.HTMLCodePage, m.RTFCompressed)
		})
	}
}

func TestCorpusDetails(t *testing.T) {
	m := decodeOK(t, corpusFile(t, "mail/mimekit__tnef_unicode-mapi-attr-name.tnef"), Limits{})
	if a := m.Attachments[1]; a.MIME != "image/png" || !bytes.HasPrefix(a.Data, []byte("\x89PNG")) {
		t.Errorf("image001.png: MIME %q, data % x", a.MIME, a.Data[:8])
	}
	if m.HTMLCodePage != 65001 || !bytes.Contains(m.HTMLBody, []byte("<html")) {
		t.Errorf("HTML cp %d: %.40q", m.HTMLCodePage, m.HTMLBody)
	}
	m = decodeOK(t, corpusFile(t, "mail/mimekit__tnef_winmail.tnef"), Limits{})
	if m.CodePage != 936 {
		t.Errorf("code page %d", m.CodePage)
	}
	for _, a := range m.Attachments {
		// OLE attachments (IID_IStorage): Data is the compound file itself.
		if !bytes.HasPrefix(a.Data, []byte{0xD0, 0xCF, 0x11, 0xE0}) || a.Embedded {
			t.Errorf("%q: % x", a.Name, a.Data[:8])
		}
	}
}

// TestCorpusTnefTool cross-checks names and contents with the Debian tnef
// tool (an independent implementation) when it is installed.
func TestCorpusTnefTool(t *testing.T) {
	tool, err := exec.LookPath("tnef")
	if err != nil {
		t.Skip("tnef(1) not installed (apt-get install tnef)")
	}
	for _, tc := range corpusTNEF {
		if tc.err != nil {
			continue
		}
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			b := corpusFile(t, tc.file)
			m := decodeOK(t, b, Limits{})
			dir := t.TempDir()
			cmd := exec.CommandContext(t.Context(), tool, "-C", dir, "--number-backups")
			cmd.Stdin = bytes.NewReader(b)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("tnef: %v\n%s", err, out)
			}
			// tnef names an attachment by its long name or title and
			// numbers duplicates: NAME, NAME.1, …
			seen := map[string]int{}
			for _, a := range m.Attachments {
				name := a.Name
				if a.Embedded && len(a.AltNames) > 0 {
					name = a.AltNames[0] // tnef(1) uses the title
				}
				file := name
				if k := seen[name]; k > 0 {
					file = name + "." + string(rune('0'+k))
				}
				seen[name]++
				got, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Errorf("tnef(1) wrote no %q: %v", file, err)
					continue
				}
				// tnef(1) keeps a PtypObject value's IID in front of the data.
				if !bytes.Equal(got, a.Data) && (len(got) != len(a.Data)+16 || !bytes.Equal(got[16:], a.Data)) {
					t.Errorf("%q: tnef(1) wrote %d bytes, Decode returned %d", file, len(got), len(a.Data))
				}
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != len(m.Attachments) {
				t.Errorf("tnef(1) wrote %d files, Decode found %d attachments", len(ents), len(m.Attachments))
			}
		})
	}
}

// TestCorpusMail finds application/ms-tnef parts in the corpus mails and
// decodes them.
func TestCorpusMail(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "mail", "*"))
	if len(files) == 0 {
		t.Skip("corpus absent")
	}
	found := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(bytes.ToLower(raw), []byte("application/ms-tnef")) {
			continue
		}
		if !bytes.Contains(raw, []byte("\n")) {
			raw = bytes.ReplaceAll(raw, []byte("\r"), []byte("\n")) // CR-only sample
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		walkTNEFParts(t, filepath.Base(f), textprotoHeader(msg.Header), msg.Body, func(part []byte) {
			found++
			m, err := Decode(bytes.NewReader(part), Limits{})
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
				return
			}
			t.Logf("%s: %d-byte TNEF part: attachments %q, body %d bytes, HTML %d bytes, RTF %v",
				filepath.Base(f), len(part), names(m), len(m.Body), len(m.HTMLBody), m.RTFCompressed)
		})
	}
	if found == 0 {
		t.Skip("no application/ms-tnef parts in the corpus mails")
	}
}

type header interface{ Get(string) string }

func textprotoHeader(h mail.Header) header { return h }

// walkTNEFParts calls fn with the decoded body of every application/ms-tnef
// part under a MIME entity.
func walkTNEFParts(t *testing.T, name string, h header, body io.Reader, fn func([]byte)) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			walkTNEFParts(t, name, p.Header, p, fn)
		}
	}
	if mt == "message/rfc822" {
		msg, err := mail.ReadMessage(body)
		if err == nil {
			walkTNEFParts(t, name, msg.Header, msg.Body, fn)
		}
		return
	}
	if mt != "application/ms-tnef" {
		return
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &stripSpace{r: body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Errorf("%s: TNEF part: %v", name, err)
		return
	}
	fn(b)
}

// stripSpace drops line breaks and spaces, which base64.NewDecoder would
// otherwise only partly ignore.
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
