package tnef

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

func decodeOK(t *testing.T, b []byte, lim Limits) *Message {
	t.Helper()
	m, err := Decode(bytes.NewReader(b), lim)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return m
}

func wantErr(t *testing.T, b []byte, lim Limits, want error) error {
	t.Helper()
	m, err := Decode(bytes.NewReader(b), lim)
	if !errors.Is(err, want) {
		t.Fatalf("Decode error = %v, want %v", err, want)
	}
	if m != nil {
		t.Fatalf("Decode returned a message with error %v", err)
	}
	if !strings.HasPrefix(err.Error(), "tnef: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
	return err
}

// twoAttachments is a CP932 stream with an ASCII-named attachment, one with
// an 8-bit Japanese title and a Unicode long file name, and one with an
// 8-bit Japanese long file name.
func twoAttachments() (*encoder, [][]byte) {
	data := [][]byte{
		[]byte("hello, world\n"),
		bytes.Repeat([]byte{0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3}, 100),
		[]byte("%PDF-1.4\n"),
	}
	e := newEncoder(932)
	e.attach([]byte("readme.txt"), data[0], nil)
	e.attach(sjis("報告書.DOC"), data[1], new(plist).
		unicode(prAttachLongFilename, "令和6年度 報告書（最終版）.doc").
		str8(prAttachMIMETag, []byte("application/msword")).
		long(0x3705, 1))
	e.attach(nil, data[2], new(plist).
		str8(prAttachLongFilename, sjis("見積書①.pdf")).
		str8(prAttachFilename, []byte("MITSUM~1.PDF")))
	return e, data
}

func TestDecodeAttachments(t *testing.T) {
	e, data := twoAttachments()
	m := decodeOK(t, e.Bytes(), Limits{})
	if m.CodePage != 932 {
		t.Errorf("CodePage = %d, want 932", m.CodePage)
	}
	want := []Attachment{
		{Name: "readme.txt", Data: data[0]},
		{Name: "令和6年度 報告書（最終版）.doc", AltNames: []string{"報告書.DOC"}, MIME: "application/msword", Data: data[1]},
		{Name: "見積書①.pdf", AltNames: []string{"MITSUM~1.PDF"}, Data: data[2]},
	}
	if len(m.Attachments) != len(want) {
		t.Fatalf("%d attachments, want %d", len(m.Attachments), len(want))
	}
	for i, w := range want {
		g := m.Attachments[i]
		if g.Name != w.Name || !slices.Equal(g.AltNames, w.AltNames) || g.MIME != w.MIME || !bytes.Equal(g.Data, w.Data) || g.Embedded {
			t.Errorf("attachment %d = {%q %q %q %d bytes %v}, want {%q %q %q %d bytes}",
				i, g.Name, g.AltNames, g.MIME, len(g.Data), g.Embedded, w.Name, w.AltNames, w.MIME, len(w.Data))
		}
	}
}

func TestDecodeCodePages(t *testing.T) {
	for _, tc := range []struct {
		cp    uint32
		title []byte
		want  string
	}{
		{932, sjis("ﾊﾝｶｸ・①・髙"), "ﾊﾝｶｸ・①・髙"},
		{1252, []byte("caf\xe9 \x80.txt"), "café €.txt"},
		{65001, []byte("日本.txt"), "日本.txt"},
		{28591, []byte("na\xefve.txt"), "naïve.txt"},
		{0, []byte("na\xefve.txt"), "naïve.txt"},
	} {
		t.Run(fmt.Sprint(tc.cp), func(t *testing.T) {
			e := newEncoder(tc.cp)
			e.attach(tc.title, []byte("x"), nil)
			m := decodeOK(t, e.Bytes(), Limits{})
			if got := m.Attachments[0].Name; got != tc.want {
				t.Errorf("Name = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecodeBodies(t *testing.T) {
	t.Run("PR_BODY unicode wins over attBody", func(t *testing.T) {
		e := newEncoder(1252)
		e.attr(lvlMessage, idBody, []byte("old body\x00"))
		e.attr(lvlMessage, idMsgProps, new(plist).unicode(prBody, "本文です。\r\nline 2").bytes())
		m := decodeOK(t, e.Bytes(), Limits{})
		if m.Body != "本文です。\r\nline 2" {
			t.Errorf("Body = %q", m.Body)
		}
	})
	t.Run("attBody 8-bit", func(t *testing.T) {
		e := newEncoder(932)
		e.attr(lvlMessage, idBody, append(sjis("こんにちは"), 0))
		m := decodeOK(t, e.Bytes(), Limits{})
		if m.Body != "こんにちは" {
			t.Errorf("Body = %q", m.Body)
		}
	})
	t.Run("PR_BODY string8", func(t *testing.T) {
		e := newEncoder(932)
		e.attr(lvlMessage, idMsgProps, new(plist).str8(prBody, sjis("テスト")).bytes())
		m := decodeOK(t, e.Bytes(), Limits{})
		if m.Body != "テスト" {
			t.Errorf("Body = %q", m.Body)
		}
	})
	t.Run("HTML binary RTF", func(t *testing.T) {
		e := newEncoder(1252)
		html := []byte("<html><body>hi</body></html>")
		e.attr(lvlMessage, idMsgProps, new(plist).
			binary(prRTFCompressed, []byte{1, 2, 3, 4, 5}).
			long(prInternetCPID, 50220).
			binary(prHTML, html).bytes())
		m := decodeOK(t, e.Bytes(), Limits{})
		if !bytes.Equal(m.HTMLBody, html) || m.HTMLCodePage != 50220 || !m.RTFCompressed || m.Body != "" {
			t.Errorf("got HTML %q cp %d RTF %v body %q", m.HTMLBody, m.HTMLCodePage, m.RTFCompressed, m.Body)
		}
	})
	t.Run("HTML unicode", func(t *testing.T) {
		e := newEncoder(1252)
		e.attr(lvlMessage, idMsgProps, new(plist).
			long(prInternetCPID, 932).
			unicode(prHTML, "<p>日本</p>").bytes())
		m := decodeOK(t, e.Bytes(), Limits{})
		if string(m.HTMLBody) != "<p>日本</p>" || m.HTMLCodePage != 65001 || m.RTFCompressed {
			t.Errorf("got HTML %q cp %d RTF %v", m.HTMLBody, m.HTMLCodePage, m.RTFCompressed)
		}
	})
}

// TestDecodePropertyEncodings runs every value shape past the properties
// Decode wants, so a length mistake in any of them shows as a wrong name.
func TestDecodePropertyEncodings(t *testing.T) {
	guid := bytes.Repeat([]byte{0xAB}, 16)
	p := new(plist).
		fixed(ptI2, 0x0E17, []byte{1, 0, 0, 0}).
		fixed(ptBoolean, 0x0E1B, []byte{1, 0, 0, 0}).
		fixed(ptSysTime, 0x3007, make([]byte, 8)).
		fixed(ptClsid, 0x3708, make([]byte, 16)).
		fixed(ptDouble, 0x7001, make([]byte, 8)).
		mvFixed(ptLong, 0x7002, le32(1), le32(2), le32(3)).
		mvFixed(ptI2, 0x7003, []byte{1, 0, 0, 0}, []byte{2, 0, 0, 0}).
		variable(ptString8|mvFlag, 0x7004, []byte("a\x00"), []byte("bcdef\x00"), nil).
		variable(ptBinary|mvFlag, 0x7005, []byte{1}, []byte{1, 2, 3, 4, 5}).
		variable(ptUnicode|mvFlag, 0x7006, utf16le("x\x00")).
		variable(ptServerID, 0x7007, []byte{1, 2, 3}).
		namedID(0x8001, guid, 0x8205, 7).
		namedString(0x8002, guid, "odd-length-name", "value").
		namedString(0x8003, guid, "even", "v").
		binary(0x3702, nil).
		unicode(prAttachLongFilename, "最後.xlsx").
		unicode(prAttachMIMETag, "application/vnd.ms-excel")
	e := newEncoder(932)
	// A recipient table (skipped) and a transport name (an alternative name).
	e.attr(lvlMessage, idRecipTable, append(le32(1), new(plist).str8(0x3001, []byte("someone")).bytes()...))
	e.attach([]byte("SAIGO.XLS"), []byte("data"), p)
	e.attr(lvlAttachment, idAttachTransport, []byte("saigo.xlsx.exe\x00"))
	m := decodeOK(t, e.Bytes(), Limits{})
	a := m.Attachments[0]
	if a.Name != "最後.xlsx" || a.MIME != "application/vnd.ms-excel" || !slices.Equal(a.AltNames, []string{"SAIGO.XLS", "saigo.xlsx.exe"}) {
		t.Errorf("got %q %q %q", a.Name, a.AltNames, a.MIME)
	}
}

func TestDecodeDataSources(t *testing.T) {
	data := []byte("the real attachment")
	t.Run("PidTagAttachDataBinary only", func(t *testing.T) {
		e := newEncoder(1252)
		e.attach([]byte("a.bin"), nil, new(plist).binary(prAttachDataBin, data))
		m := decodeOK(t, e.Bytes(), Limits{})
		if !bytes.Equal(m.Attachments[0].Data, data) {
			t.Errorf("Data = %q", m.Attachments[0].Data)
		}
	})
	t.Run("both agree", func(t *testing.T) {
		e := newEncoder(1252)
		e.attach([]byte("a.bin"), data, new(plist).binary(prAttachDataBin, data))
		m := decodeOK(t, e.Bytes(), Limits{})
		if !bytes.Equal(m.Attachments[0].Data, data) {
			t.Errorf("Data = %q", m.Attachments[0].Data)
		}
	})
	t.Run("both differ", func(t *testing.T) {
		e := newEncoder(1252)
		e.attach([]byte("a.bin"), []byte("decoy"), new(plist).binary(prAttachDataBin, data))
		wantErr(t, e.Bytes(), Limits{}, sanitize.ErrMalformed)
	})
	t.Run("no data", func(t *testing.T) {
		e := newEncoder(1252)
		e.attach([]byte("link.url"), nil, new(plist).long(0x3705, 2))
		m := decodeOK(t, e.Bytes(), Limits{})
		if a := m.Attachments[0]; a.Name != "link.url" || a.Data != nil {
			t.Errorf("got %+v", a)
		}
	})
	t.Run("embedded message", func(t *testing.T) {
		inner := newEncoder(1252)
		inner.attr(lvlMessage, idMsgProps, new(plist).unicode(prBody, "inner").bytes())
		e := newEncoder(932)
		e.attach([]byte("Untitled Attachment"),
			[]byte("This attachment is a MAPI 1.0 embedded message and is not supported by this mail system."),
			new(plist).str8(prDisplayName, sjis("Re: 会議")).
				object(prAttachDataBin, iidIMessage, inner.Bytes()).
				long(0x3705, attachMethodEmbedded))
		m := decodeOK(t, e.Bytes(), Limits{})
		a := m.Attachments[0]
		if !a.Embedded || !bytes.Equal(a.Data, inner.Bytes()) {
			t.Fatalf("got Embedded %v, %d bytes", a.Embedded, len(a.Data))
		}
		if a.Name != "Re: 会議" {
			t.Errorf("Name = %q", a.Name)
		}
		if !slices.Equal(a.AltNames, []string{"Untitled Attachment"}) {
			t.Errorf("AltNames = %q", a.AltNames)
		}
		// The embedded stream decodes on its own, if the caller wants it.
		im := decodeOK(t, a.Data, Limits{})
		if im.Body != "inner" {
			t.Errorf("inner Body = %q", im.Body)
		}
	})
	t.Run("OLE object", func(t *testing.T) {
		ole := []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
		e := newEncoder(1252)
		e.attach(nil, nil, new(plist).str8(prDisplayName, []byte("Picture")).object(prAttachDataBin, iidIStorage, ole))
		m := decodeOK(t, e.Bytes(), Limits{})
		if a := m.Attachments[0]; a.Embedded || !bytes.Equal(a.Data, ole) || a.Name != "Picture" {
			t.Errorf("got %+v", a)
		}
	})
}

func TestDecodeMalformed(t *testing.T) {
	good, _ := twoAttachments()
	for _, tc := range []struct {
		name string
		b    func() []byte
	}{
		{"empty", func() []byte { return nil }},
		{"bad signature", func() []byte {
			b := bytes.Clone(good.Bytes())
			b[0] ^= 1
			return b
		}},
		{"bad checksum", func() []byte {
			e := newEncoder(1252)
			e.rawAttr(lvlAttachment, idAttachRendData, 14, make([]byte, 14), 1)
			return e.Bytes()
		}},
		{"bad checksum in data", func() []byte {
			e := newEncoder(1252)
			e.attach([]byte("a"), []byte("data"), nil)
			b := e.Bytes()
			b[len(b)-3] ^= 0x40 // last data byte
			return b
		}},
		{"unknown level", func() []byte { return newEncoder(1252).attr(3, idBody, []byte("x")).Bytes() }},
		{"garbage at end", func() []byte { return append(good.Bytes(), '\n') }},
		{"attachment attribute first", func() []byte {
			return newEncoder(1252).attr(lvlAttachment, idAttachData, []byte("x")).Bytes()
		}},
		{"short attOemCodepage", func() []byte { return newEncoder(0).attr(lvlMessage, idOemCodepage, []byte{1, 2}).Bytes() }},
		{"unknown property type", func() []byte {
			return newEncoder(1252).attr(lvlMessage, idMsgProps, new(plist).fixed(0x0099, 0x1234, le32(0)).bytes()).Bytes()
		}},
		{"property count past end", func() []byte {
			p := new(plist).long(0x0E08, 1)
			p.n = 2
			return newEncoder(1252).attr(lvlMessage, idMsgProps, p.bytes()).Bytes()
		}},
		{"value count past end", func() []byte {
			p := new(plist)
			p.tag(ptBinary, 0x1234)
			p.b.Write(le32(1 << 30))
			return newEncoder(1252).attr(lvlMessage, idMsgProps, p.bytes()).Bytes()
		}},
		{"value size past end", func() []byte {
			p := new(plist)
			p.tag(ptBinary, prAttachDataBin)
			p.b.Write(le32(1))
			p.b.Write(le32(0xFFFFFFF0))
			return newEncoder(1252).attach(nil, nil, p).Bytes()
		}},
		{"bad named kind", func() []byte {
			p := new(plist)
			p.tag(ptLong, 0x8001)
			p.b.Write(make([]byte, 16))
			p.b.Write(le32(2))
			p.b.Write(le32(0))
			return newEncoder(1252).attr(lvlMessage, idMsgProps, p.bytes()).Bytes()
		}},
		{"short object", func() []byte {
			return newEncoder(1252).attach(nil, nil, new(plist).variable(ptObject, prAttachDataBin, []byte{1, 2, 3})).Bytes()
		}},
		{"two attAttachData", func() []byte {
			return newEncoder(1252).attach(nil, []byte("a"), nil).attr(lvlAttachment, idAttachData, []byte("b")).Bytes()
		}},
		{"two PidTagAttachData", func() []byte {
			return newEncoder(1252).attach(nil, nil, new(plist).binary(prAttachDataBin, []byte("a")).binary(prAttachDataBin, []byte("b"))).Bytes()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.b(), Limits{}, sanitize.ErrMalformed)
		})
	}
}

// TestDecodeTruncated cuts a stream at every length: only cuts at attribute
// boundaries decode; every other cut is an error, never a partial message.
func TestDecodeTruncated(t *testing.T) {
	e, _ := twoAttachments()
	b := e.Bytes()
	for n := 0; n < len(b); n++ {
		m, err := Decode(bytes.NewReader(b[:n]), Limits{})
		if slices.Contains(e.bounds, n) {
			if err != nil {
				t.Errorf("cut at boundary %d: %v", n, err)
			}
			continue
		}
		if !errors.Is(err, sanitize.ErrMalformed) || m != nil {
			t.Fatalf("cut at %d of %d: got %v, want ErrMalformed", n, len(b), err)
		}
	}
}

// TestDecodeHugeLength: a length field of 0xFFFFFFF0 must fail before any
// allocation of that size, with the default and with a limit above it.
func TestDecodeHugeLength(t *testing.T) {
	for _, tc := range []struct {
		name string
		lim  Limits
		want error
	}{
		{"default limits", Limits{}, sanitize.ErrTooLarge},
		{"limits above the length", Limits{MaxTotal: 1 << 40, MaxAttachmentSize: 1 << 40}, sanitize.ErrMalformed},
	} {
		for _, id := range []uint32{idAttachData, idAttachment, idAttachMetaFile} {
			t.Run(fmt.Sprintf("%s/%#x", tc.name, id), func(t *testing.T) {
				e := newEncoder(1252).attach([]byte("a"), nil, nil)
				e.rawAttr(lvlAttachment, id, 0xFFFFFFF0, []byte("only a few bytes"), 0)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				wantErr(t, e.Bytes(), tc.lim, tc.want)
				runtime.ReadMemStats(&after)
				if d := after.TotalAlloc - before.TotalAlloc; d > 2<<20 {
					t.Errorf("allocated %d bytes for a %d-byte stream", d, e.Len())
				}
			})
		}
	}
}

// manyAttachments is a stream with n one-byte attachments.
func manyAttachments(n int) []byte {
	e := newEncoder(1252)
	for i := range n {
		e.attach(fmt.Appendf(nil, "f%d.txt", i), []byte{'x'}, nil)
	}
	return e.Bytes()
}

func TestLimits(t *testing.T) {
	// Each case builds a stream that sits exactly at a limit (n) and one
	// just past it (n+1).
	sizeData := func(n int) []byte {
		return newEncoder(1252).attach([]byte("a"), make([]byte, n), nil).Bytes()
	}
	sizeProp := func(n int) []byte {
		return newEncoder(1252).attach([]byte("a"), nil, new(plist).binary(prAttachDataBin, make([]byte, n))).Bytes()
	}
	sizeObject := func(n int) []byte {
		return newEncoder(1252).attach([]byte("a"), nil, new(plist).object(prAttachDataBin, iidIMessage, make([]byte, n))).Bytes()
	}
	attrs := func(n int) []byte { // newEncoder writes 3 attributes
		e := newEncoder(1252)
		for range n - 3 {
			e.attr(lvlMessage, 0x00018004, []byte("subject\x00"))
		}
		return e.Bytes()
	}
	props := func(n int) []byte {
		p := new(plist)
		for range n {
			p.long(0x0E08, 1)
		}
		return newEncoder(1252).attr(lvlMessage, idMsgProps, p.bytes()).Bytes()
	}
	// newEncoder's attributes: version 4, code page 8, class 24 bytes.
	total := func(n int) []byte {
		return newEncoder(1252).attr(lvlMessage, 0x00018004, make([]byte, n-36)).Bytes()
	}
	for _, tc := range []struct {
		name string
		lim  Limits
		n    int
		gen  func(int) []byte
		why  string // in the error
	}{
		{"MaxAttachments", Limits{MaxAttachments: 100}, 100, manyAttachments, "attachments"},
		{"MaxAttachments small", Limits{MaxAttachments: 3}, 3, manyAttachments, "attachments"},
		{"MaxAttachmentSize attAttachData", Limits{MaxAttachmentSize: 1000}, 1000, sizeData, "bytes of data"},
		{"MaxAttachmentSize binary", Limits{MaxAttachmentSize: 1000}, 1000, sizeProp, "bytes of data"},
		{"MaxAttachmentSize object", Limits{MaxAttachmentSize: 1000}, 1000, sizeObject, "bytes of data"},
		{"MaxAttributes", Limits{MaxAttributes: 50}, 50, attrs, "attributes"},
		{"MaxProperties", Limits{MaxProperties: 20}, 20, props, "MAPI properties"},
		{"MaxTotal", Limits{MaxTotal: 5000}, 5000, total, "bytes of attributes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			decodeOK(t, tc.gen(tc.n), tc.lim)
			if err := wantErr(t, tc.gen(tc.n+1), tc.lim, sanitize.ErrTooLarge); !strings.Contains(err.Error(), tc.why) {
				t.Errorf("error %q does not name the limit (%q)", err, tc.why)
			}
		})
	}
}

func TestLimitsDefaults(t *testing.T) {
	m := decodeOK(t, manyAttachments(DefaultMaxAttachments), Limits{})
	if len(m.Attachments) != DefaultMaxAttachments {
		t.Fatalf("%d attachments", len(m.Attachments))
	}
	wantErr(t, manyAttachments(DefaultMaxAttachments+1), Limits{}, sanitize.ErrTooLarge)
	err := wantErr(t, manyAttachments(200), Limits{}, sanitize.ErrTooLarge)
	if !strings.Contains(err.Error(), "more than 100 attachments") {
		t.Errorf("200 attachments: %v", err)
	}
	decodeOK(t, manyAttachments(200), Limits{MaxAttachments: 200})
}

// errReader fails after its data.
type errReader struct {
	r   *bytes.Reader
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	n, _ := r.r.Read(p)
	if n == 0 {
		return 0, r.err
	}
	return n, nil
}

func TestDecodeReadError(t *testing.T) {
	e, _ := twoAttachments()
	boom := errors.New("disk on fire")
	_, err := Decode(&errReader{r: bytes.NewReader(e.Bytes()[:100]), err: boom}, Limits{})
	if !errors.Is(err, boom) || errors.Is(err, sanitize.ErrMalformed) {
		t.Fatalf("err = %v, want the read error", err)
	}
}
