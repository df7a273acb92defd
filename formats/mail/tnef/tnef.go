package tnef

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/mugai-project/mugai/sanitize"
)

// Signature is the first four bytes of every TNEF stream, little-endian.
const Signature = 0x223E9F78

// Default limits; see the package documentation.
const (
	DefaultMaxAttributes     = 1000
	DefaultMaxAttachments    = 100
	DefaultMaxAttachmentSize = 50 << 20
	DefaultMaxTotal          = 100 << 20
	DefaultMaxProperties     = 10000
)

// Limits bound what Decode accepts. A zero field takes its Default value.
type Limits struct {
	MaxAttributes     int   // TNEF attributes in the stream
	MaxAttachments    int   // attachments
	MaxAttachmentSize int64 // bytes of one attachment's data
	MaxTotal          int64 // sum of all attribute lengths: bounds memory held
	MaxProperties     int   // MAPI properties across all property lists
}

func (l Limits) withDefaults() Limits {
	if l.MaxAttributes <= 0 {
		l.MaxAttributes = DefaultMaxAttributes
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = DefaultMaxAttachments
	}
	if l.MaxAttachmentSize <= 0 {
		l.MaxAttachmentSize = DefaultMaxAttachmentSize
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultMaxTotal
	}
	if l.MaxProperties <= 0 {
		l.MaxProperties = DefaultMaxProperties
	}
	return l
}

// Attachment is one attachment of a TNEF stream.
type Attachment struct {
	// Name is the best name the stream gives: PidTagAttachLongFilename,
	// else attAttachTitle, else PidTagAttachFilename, else
	// PidTagDisplayName (for an attached message the display name, its
	// subject, comes second); decoded to UTF-8 but not cleaned. It may be
	// empty.
	Name string
	// AltNames are the other distinct non-empty names the stream carries for
	// this attachment (8.3 name, display name, transport name), in the order
	// above. A policy that judges names should judge these too.
	AltNames []string
	// MIME is PidTagAttachMimeTag, if present.
	MIME string
	// Data is the attachment's content; nil if the stream carries none (an
	// attachment by reference, for instance). It aliases memory Decode
	// allocated and is not shared with other attachments' Data.
	Data []byte
	// Embedded reports an attached message (PidTagAttachDataObject with
	// IID_IMessage): Data is then an embedded TNEF stream, not decoded.
	Embedded bool
}

// Message is what Decode extracts from a TNEF stream.
type Message struct {
	Attachments []Attachment
	// Body is the plain text body (PidTagBody, else attBody) in UTF-8.
	Body string
	// HTMLBody is PidTagBodyHtml or PidTagHtml as stored; see HTMLCodePage.
	HTMLBody []byte
	// HTMLCodePage is the Windows code page of HTMLBody: 65001 when it was
	// stored as UTF-16 and converted here to UTF-8, else PidTagInternetCodepage
	// if present, else 0 (unknown).
	HTMLCodePage int
	// RTFCompressed reports a PidTagRtfCompressed body, which is not
	// decompressed: it may be the only body the message has.
	RTFCompressed bool
	// CodePage is the primary code page of attOemCodepage (0 if absent),
	// used to decode 8-bit strings.
	CodePage int
}

// Attribute levels.
const (
	lvlMessage    = 1
	lvlAttachment = 2
)

// Attribute IDs (the low word of the attribute ID; the high word is a type
// that Decode does not need).
const (
	attBody                    = 0x800C
	attAttachData              = 0x800F
	attAttachTitle             = 0x8010
	attAttachTransportFilename = 0x9001
	attAttachRendData          = 0x9002
	attMsgProps                = 0x9003
	attAttachment              = 0x9005
	attOemCodepage             = 0x9007
)

// Decode reads a TNEF stream from r to its end and returns its attachments
// and bodies. It reads r sequentially, through its own buffer, and does not
// close it. On error the Message is nil and the error wraps
// sanitize.ErrMalformed or sanitize.ErrTooLarge, or is r's read error.
//
// Decode is safe for concurrent use on different readers.
func Decode(r io.Reader, lim Limits) (*Message, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 32<<10), lim: lim.withDefaults()}
	var hdr [6]byte
	if _, err := io.ReadFull(d.r, hdr[:]); err != nil {
		return nil, d.readErr("header", err)
	}
	if binary.LittleEndian.Uint32(hdr[:]) != Signature {
		return nil, fmt.Errorf("tnef: bad signature: %w", sanitize.ErrMalformed)
	}
	for {
		more, err := d.attribute()
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
	}
	return d.finish()
}

// str is a string as stored: 8-bit bytes in the stream's code page, or
// already decoded.
type str struct {
	b       []byte // 8-bit, decoded at the end with the code page
	s       string // decoded (from UTF-16)
	decoded bool
}

func (s str) empty() bool { return len(s.b) == 0 && s.s == "" }

type attachment struct {
	longName, title, shortName, display, transport str
	mime                                           str
	attData                                        []byte // attAttachData
	hasAttData                                     bool
	propData                                       []byte // PidTagAttachDataBinary / Object
	hasPropData                                    bool
	embedded                                       bool
}

type decoder struct {
	r   *bufio.Reader
	lim Limits

	nattr  int
	nprops int
	total  int64

	codePage     int
	attBody      str
	body         str
	html         []byte
	htmlUnicode  bool
	internetCP   int
	rtf          bool
	attachments  []*attachment
	skipBuf      [4096]byte
	currentAttch *attachment
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("tnef: "+format+": %w", append(args, sanitize.ErrMalformed)...)
}

func tooLarge(format string, args ...any) error {
	return fmt.Errorf("tnef: "+format+": %w", append(args, sanitize.ErrTooLarge)...)
}

// readErr maps a read error: a short read is a truncated stream.
func (d *decoder) readErr(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed("%s truncated", what)
	}
	return fmt.Errorf("tnef: reading %s: %w", what, err)
}

// attribute reads one attribute. It returns false at a clean end of stream.
func (d *decoder) attribute() (bool, error) {
	level, err := d.r.ReadByte()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, d.readErr("attribute", err)
	}
	if level != lvlMessage && level != lvlAttachment {
		return false, malformed("attribute %d: unknown level %d (garbage after the last attribute?)", d.nattr+1, level)
	}
	var hdr [8]byte
	if _, err := io.ReadFull(d.r, hdr[:]); err != nil {
		return false, d.readErr("attribute header", err)
	}
	id := binary.LittleEndian.Uint32(hdr[0:]) & 0xFFFF
	n := int64(binary.LittleEndian.Uint32(hdr[4:]))

	d.nattr++
	if d.nattr > d.lim.MaxAttributes {
		return false, tooLarge("more than %d attributes", d.lim.MaxAttributes)
	}
	if n > d.lim.MaxTotal-d.total {
		return false, tooLarge("attribute %#04x of %d bytes: more than %d bytes of attributes", id, n, d.lim.MaxTotal)
	}
	d.total += n

	if level == lvlAttachment && id == attAttachRendData {
		if len(d.attachments) >= d.lim.MaxAttachments {
			return false, tooLarge("more than %d attachments", d.lim.MaxAttachments)
		}
		d.currentAttch = &attachment{}
		d.attachments = append(d.attachments, d.currentAttch)
		return true, d.skip(n)
	}
	if level == lvlAttachment && d.currentAttch == nil {
		return false, malformed("attachment attribute %#04x before attAttachRendData", id)
	}
	a := d.currentAttch

	switch {
	case level == lvlMessage && id == attOemCodepage:
		b, err := d.data(n)
		if err != nil {
			return false, err
		}
		if len(b) < 4 {
			return false, malformed("attOemCodepage of %d bytes", len(b))
		}
		d.codePage = int(binary.LittleEndian.Uint32(b))
	case level == lvlMessage && id == attBody:
		b, err := d.data(n)
		if err != nil {
			return false, err
		}
		d.attBody = str{b: b}
	case level == lvlMessage && id == attMsgProps:
		b, err := d.data(n)
		if err != nil {
			return false, err
		}
		if err := d.props(b, d.messageProp); err != nil {
			return false, err
		}
	case level == lvlAttachment && id == attAttachData:
		if n > d.lim.MaxAttachmentSize {
			return false, tooLarge("attachment %d: %d bytes of data, limit %d", len(d.attachments), n, d.lim.MaxAttachmentSize)
		}
		b, err := d.data(n)
		if err != nil {
			return false, err
		}
		if a.hasAttData {
			return false, malformed("attachment %d: two attAttachData attributes", len(d.attachments))
		}
		a.attData, a.hasAttData = b, true
	case level == lvlAttachment && id == attAttachTitle:
		b, err := d.data(n)
		if err != nil {
			return false, err
		}
		a.title = str{b: b}
	case level == lvlAttachment && id == attAttachTransportFilename:
		b, err := d.data(n)
		if err != nil {
			return false, err
		}
		a.transport = str{b: b}
	case level == lvlAttachment && id == attAttachment:
		b, err := d.data(n)
		if err != nil {
			return false, err
		}
		if err := d.props(b, func(id, typ uint16, i int, v []byte) error {
			return d.attachmentProp(a, id, typ, i, v)
		}); err != nil {
			return false, err
		}
	default:
		return true, d.skip(n)
	}
	return true, nil
}

// data reads an attribute's n data bytes and its checksum.
//
// Only the last attribute read can be truncated (a short read ends
// decoding), so trusting a length field up to exactAlloc costs at most
// exactAlloc per stream; past that the buffer doubles as bytes arrive, and a
// length field larger than the stream costs no more than twice the stream.
func (d *decoder) data(n int64) ([]byte, error) {
	const exactAlloc = 1 << 20
	buf := make([]byte, 0, min(n, exactAlloc))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(n, 2*int64(cap(buf))))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(d.r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, d.readErr("attribute data", err)
		}
	}
	return buf, d.checksum(sum(buf))
}

// skip reads an attribute's n data bytes without keeping them, and its
// checksum.
func (d *decoder) skip(n int64) error {
	var s uint32
	for n > 0 {
		m, err := io.ReadFull(d.r, d.skipBuf[:min(n, int64(len(d.skipBuf)))])
		if err != nil {
			return d.readErr("attribute data", err)
		}
		s += sum(d.skipBuf[:m])
		n -= int64(m)
	}
	return d.checksum(s)
}

func (d *decoder) checksum(s uint32) error {
	var c [2]byte
	if _, err := io.ReadFull(d.r, c[:]); err != nil {
		return d.readErr("attribute checksum", err)
	}
	if got := binary.LittleEndian.Uint16(c[:]); got != uint16(s) {
		return malformed("attribute %d: checksum %#04x, want %#04x", d.nattr, got, uint16(s))
	}
	return nil
}

// sum adds the bytes of b; the caller keeps the low 16 bits.
func sum(b []byte) uint32 {
	var s0, s1, s2, s3 uint32
	for len(b) >= 4 {
		s0 += uint32(b[0])
		s1 += uint32(b[1])
		s2 += uint32(b[2])
		s3 += uint32(b[3])
		b = b[4:]
	}
	for _, c := range b {
		s0 += uint32(c)
	}
	return s0 + s1 + s2 + s3
}

// finish resolves names and data and decodes 8-bit strings.
func (d *decoder) finish() (*Message, error) {
	m := &Message{
		CodePage:      d.codePage,
		RTFCompressed: d.rtf,
		HTMLBody:      d.html,
		HTMLCodePage:  d.internetCP,
	}
	if d.htmlUnicode {
		m.HTMLCodePage = 65001
	}
	if !d.body.empty() {
		m.Body = d.text(d.body)
	} else {
		m.Body = d.text(d.attBody)
	}
	m.Attachments = make([]Attachment, 0, len(d.attachments))
	for i, a := range d.attachments {
		var out Attachment
		switch {
		case a.hasPropData && a.hasAttData && !a.embedded && !bytes.Equal(a.propData, a.attData):
			// An attached message's attAttachData is a placeholder text for
			// readers without MAPI; any other difference means two readers
			// would see two different files.
			return nil, malformed("attachment %d: attAttachData and PidTagAttachData differ", i+1)
		case a.hasPropData:
			out.Data = a.propData
		case a.hasAttData:
			out.Data = a.attData
		}
		out.Embedded = a.embedded
		out.MIME = d.text(a.mime)
		names := []str{a.longName, a.title, a.shortName, a.display, a.transport}
		if a.embedded {
			// An attached message's title is a placeholder ("Untitled
			// Attachment"); its display name is its subject.
			names = []str{a.longName, a.display, a.title, a.shortName, a.transport}
		}
		for _, s := range names {
			name := d.text(s)
			if name == "" || name == out.Name || slices.Contains(out.AltNames, name) {
				continue
			}
			if out.Name == "" {
				out.Name = name
			} else {
				out.AltNames = append(out.AltNames, name)
			}
		}
		m.Attachments = append(m.Attachments, out)
	}
	return m, nil
}
