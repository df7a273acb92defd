package tnef

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"

	"golang.org/x/text/encoding/japanese"
)

// A test-only TNEF encoder, written from [MS-OXTNEF] to build fixtures.

// Full attribute IDs (type in the high word) as writers emit them.
const (
	idTnefVersion        = 0x00089006
	idOemCodepage        = 0x00069007
	idMessageClass       = 0x00078008
	idBody               = 0x0002800C
	idMsgProps           = 0x00069003
	idAttachRendData     = 0x00069002
	idAttachTitle        = 0x00018010
	idAttachData         = 0x0006800F
	idAttachment         = 0x00069005
	idAttachMetaFile     = 0x00068011
	idAttachTransport    = 0x00069001
	idAttachModifyDate   = 0x00038013
	idRecipTable         = 0x00069004
	attachMethodEmbedded = 5
)

// iidIStorage is IID_IStorage as stored.
var iidIStorage = []byte{0x0B, 0, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}

type encoder struct {
	bytes.Buffer
	bounds []int // offsets where an attribute ends (valid truncation points)
}

// newEncoder starts a stream with the signature, a key, attTnefVersion and
// attOemCodepage cp (none if cp is 0).
func newEncoder(cp uint32) *encoder {
	e := &encoder{}
	e.u32(Signature)
	e.u16(0x0001)
	e.bounds = append(e.bounds, e.Len()) // a stream without attributes is empty, not broken
	e.attr(lvlMessage, idTnefVersion, le32(0x00010000))
	if cp != 0 {
		e.attr(lvlMessage, idOemCodepage, append(le32(cp), 0, 0, 0, 0))
	}
	e.attr(lvlMessage, idMessageClass, []byte("IPM.Microsoft Mail.Note\x00"))
	return e
}

func (e *encoder) u16(v uint16) { e.Write(binary.LittleEndian.AppendUint16(nil, v)) }
func (e *encoder) u32(v uint32) { e.Write(le32(v)) }

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func checksumOf(b []byte) uint16 {
	var s uint16
	for _, c := range b {
		s += uint16(c)
	}
	return s
}

// attr writes one attribute with the right length and checksum.
func (e *encoder) attr(level byte, id uint32, data []byte) *encoder {
	return e.rawAttr(level, id, uint32(len(data)), data, checksumOf(data))
}

// rawAttr writes an attribute with any length field and checksum.
func (e *encoder) rawAttr(level byte, id, length uint32, data []byte, sum uint16) *encoder {
	e.WriteByte(level)
	e.u32(id)
	e.u32(length)
	e.Write(data)
	e.u16(sum)
	e.bounds = append(e.bounds, e.Len())
	return e
}

// attach starts an attachment: attAttachRendData, then the title (if not
// empty) and the data (if not nil) as mapped attributes, then props (if
// any) as attAttachment.
func (e *encoder) attach(title []byte, data []byte, props *plist) *encoder {
	rend := make([]byte, 14)
	rend[0] = 1 // attachment type: file
	binary.LittleEndian.PutUint32(rend[2:], 0xFFFFFFFF)
	e.attr(lvlAttachment, idAttachRendData, rend)
	e.attr(lvlAttachment, idAttachModifyDate, make([]byte, 14))
	if len(title) > 0 {
		e.attr(lvlAttachment, idAttachTitle, append(append([]byte{}, title...), 0))
	}
	if data != nil {
		e.attr(lvlAttachment, idAttachData, data)
	}
	if props != nil {
		e.attr(lvlAttachment, idAttachment, props.bytes())
	}
	return e
}

// plist builds a counted MAPI property list.
type plist struct {
	n int
	b bytes.Buffer
}

func (p *plist) bytes() []byte {
	return append(le32(uint32(p.n)), p.b.Bytes()...)
}

func (p *plist) tag(typ, id uint16) {
	p.n++
	p.b.Write(binary.LittleEndian.AppendUint16(nil, typ))
	p.b.Write(binary.LittleEndian.AppendUint16(nil, id))
}

func (p *plist) pad(n int) {
	for ; n%4 != 0; n++ {
		p.b.WriteByte(0)
	}
}

// value writes one counted, sized, padded value.
func (p *plist) value(v []byte) {
	p.b.Write(le32(uint32(len(v))))
	p.b.Write(v)
	p.pad(len(v))
}

func (p *plist) variable(typ, id uint16, vals ...[]byte) *plist {
	p.tag(typ, id)
	p.b.Write(le32(uint32(len(vals))))
	for _, v := range vals {
		p.value(v)
	}
	return p
}

func (p *plist) str8(id uint16, s []byte) *plist {
	return p.variable(ptString8, id, append(append([]byte{}, s...), 0))
}

func (p *plist) unicode(id uint16, s string) *plist {
	return p.variable(ptUnicode, id, utf16le(s+"\x00"))
}

func (p *plist) binary(id uint16, b []byte) *plist { return p.variable(ptBinary, id, b) }

func (p *plist) object(id uint16, iid, b []byte) *plist {
	return p.variable(ptObject, id, append(append([]byte{}, iid...), b...))
}

func (p *plist) long(id uint16, v uint32) *plist {
	p.tag(ptLong, id)
	p.b.Write(le32(v))
	return p
}

// fixed writes a single fixed-size value (16-bit values are padded by the
// caller passing 4 bytes).
func (p *plist) fixed(typ, id uint16, v []byte) *plist {
	p.tag(typ, id)
	p.b.Write(v)
	return p
}

// mvFixed writes a multi-valued fixed-size property.
func (p *plist) mvFixed(typ, id uint16, vals ...[]byte) *plist {
	p.tag(typ|mvFlag, id)
	p.b.Write(le32(uint32(len(vals))))
	for _, v := range vals {
		p.b.Write(v)
	}
	return p
}

// namedID writes a named property (MNID_ID) of type PtypInteger32.
func (p *plist) namedID(id uint16, guid []byte, lid uint32, v uint32) *plist {
	p.tag(ptLong, id)
	p.b.Write(guid)
	p.b.Write(le32(0))
	p.b.Write(le32(lid))
	p.b.Write(le32(v))
	return p
}

// namedString writes a named property (MNID_STRING) of type PtypString.
func (p *plist) namedString(id uint16, guid []byte, name, v string) *plist {
	p.tag(ptUnicode, id)
	p.b.Write(guid)
	p.b.Write(le32(1))
	p.value(utf16le(name + "\x00"))
	p.b.Write(le32(1))
	p.value(utf16le(v + "\x00"))
	return p
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func sjis(s string) []byte {
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}
