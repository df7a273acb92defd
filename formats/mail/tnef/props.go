package tnef

import (
	"bytes"
	"encoding/binary"
)

// MAPI property types ([MS-OXCDATA] 2.11.1).
const (
	ptI2       = 0x0002
	ptLong     = 0x0003
	ptR4       = 0x0004
	ptDouble   = 0x0005
	ptCurrency = 0x0006
	ptAppTime  = 0x0007
	ptError    = 0x000A
	ptBoolean  = 0x000B
	ptObject   = 0x000D
	ptI8       = 0x0014
	ptString8  = 0x001E
	ptUnicode  = 0x001F
	ptSysTime  = 0x0040
	ptClsid    = 0x0048
	ptServerID = 0x00FB
	ptBinary   = 0x0102

	mvFlag = 0x1000
)

// MAPI property IDs that Decode uses.
const (
	prBody               = 0x1000
	prRTFCompressed      = 0x1009
	prHTML               = 0x1013 // PidTagBodyHtml (string) / PidTagHtml (binary)
	prDisplayName        = 0x3001
	prAttachDataBin      = 0x3701 // PidTagAttachDataBinary / PidTagAttachDataObject
	prAttachFilename     = 0x3704
	prAttachLongFilename = 0x3707
	prAttachMIMETag      = 0x370E
	prInternetCPID       = 0x3FDE

	namedMin = 0x8000
)

// iidIMessage is IID_IMessage, {00020307-0000-0000-C000-000000000046}, as
// stored (the first three fields little-endian).
var iidIMessage = []byte{0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}

// fixedSize is the stored size of a fixed-length value, 16-bit values
// included their padding; 0 for variable-length or unknown types.
func fixedSize(typ uint16) int {
	switch typ {
	case ptI2, ptBoolean, ptLong, ptR4, ptError:
		return 4
	case ptDouble, ptCurrency, ptAppTime, ptI8, ptSysTime:
		return 8
	case ptClsid:
		return 16
	}
	return 0
}

func variable(typ uint16) bool {
	switch typ {
	case ptString8, ptUnicode, ptBinary, ptObject, ptServerID:
		return true
	}
	return false
}

// cursor reads little-endian fields from a property list.
type cursor struct {
	b   []byte
	off int
}

func (c *cursor) left() int { return len(c.b) - c.off }

func (c *cursor) u32() (uint32, bool) {
	if c.left() < 4 {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(c.b[c.off:])
	c.off += 4
	return v, true
}

// take returns the next n bytes and skips the padding to 4 bytes after them.
func (c *cursor) take(n uint32) ([]byte, bool) {
	if uint64(n) > uint64(c.left()) {
		return nil, false
	}
	v := c.b[c.off : c.off+int(n) : c.off+int(n)]
	c.off += int(n)
	pad := int(-n & 3)
	c.off += min(pad, c.left()) // the last value's padding may be missing
	return v, true
}

// visitFunc receives one value of a property: id and base type (without
// mvFlag), the value's index, and the value's bytes (without the size
// field and padding; for PtypObject, starting with the IID).
type visitFunc func(id, typ uint16, i int, v []byte) error

// props walks a counted property list ([MS-OXTNEF] 2.1.3.4) and calls
// visit for each value of each property that is not a named property.
func (d *decoder) props(b []byte, visit visitFunc) error {
	c := &cursor{b: b}
	count, ok := c.u32()
	if !ok {
		return malformed("property list truncated")
	}
	for i := uint32(0); i < count; i++ {
		d.nprops++
		if d.nprops > d.lim.MaxProperties {
			return tooLarge("more than %d MAPI properties", d.lim.MaxProperties)
		}
		tag, ok := c.u32()
		if !ok {
			return malformed("property %d of %d truncated", i+1, count)
		}
		typ, id := uint16(tag), uint16(tag>>16)
		if id >= namedMin {
			if err := skipName(c); err != nil {
				return err
			}
		}
		base := typ &^ mvFlag
		n := uint32(1)
		if typ&mvFlag != 0 || variable(base) {
			if n, ok = c.u32(); !ok {
				return malformed("property %#08x: value count truncated", tag)
			}
			// Each value takes at least 4 bytes: a count beyond that is a
			// lie, caught here before any loop runs.
			if uint64(n)*4 > uint64(c.left()) {
				return malformed("property %#08x: %d values in %d bytes", tag, n, c.left())
			}
		}
		size := fixedSize(base)
		if size == 0 && !variable(base) {
			return malformed("property %#08x: unknown type %#04x", tag, typ)
		}
		for j := 0; j < int(n); j++ {
			var v []byte
			if variable(base) {
				vn, ok := c.u32()
				if !ok {
					return malformed("property %#08x: value size truncated", tag)
				}
				if v, ok = c.take(vn); !ok {
					return malformed("property %#08x: value of %d bytes past end", tag, vn)
				}
			} else {
				if c.left() < size {
					return malformed("property %#08x: value truncated", tag)
				}
				v = c.b[c.off : c.off+size]
				c.off += size
			}
			if id >= namedMin {
				continue
			}
			if err := visit(id, base, j, v); err != nil {
				return err
			}
		}
	}
	// Bytes after the counted list are ignored: some writers pad the
	// attribute. They are covered by the checksum and not returned.
	return nil
}

// skipName skips a named property's GUID, kind and ID or name.
func skipName(c *cursor) error {
	if _, ok := c.take(16); !ok {
		return malformed("named property GUID truncated")
	}
	kind, ok := c.u32()
	if !ok {
		return malformed("named property kind truncated")
	}
	switch kind {
	case 0: // MNID_ID
		if _, ok := c.u32(); !ok {
			return malformed("named property ID truncated")
		}
	case 1: // MNID_STRING: length in bytes, UTF-16LE name, padding
		n, ok := c.u32()
		if !ok {
			return malformed("named property name length truncated")
		}
		if _, ok := c.take(n); !ok {
			return malformed("named property name of %d bytes past end", n)
		}
	default:
		return malformed("named property kind %d", kind)
	}
	return nil
}

// strValue turns a string or binary value into a str.
func strValue(typ uint16, v []byte) (str, bool) {
	switch typ {
	case ptString8:
		return str{b: v}, true
	case ptUnicode:
		return str{s: utf16String(v), decoded: true}, true
	}
	return str{}, false
}

func (d *decoder) messageProp(id, typ uint16, i int, v []byte) error {
	if i > 0 {
		return nil // only single values matter here
	}
	switch id {
	case prBody:
		if s, ok := strValue(typ, v); ok {
			d.body = s
		}
	case prHTML:
		switch typ {
		case ptString8, ptBinary:
			d.html, d.htmlUnicode = trimNUL8(v), false
		case ptUnicode:
			d.html, d.htmlUnicode = []byte(utf16String(v)), true
		}
	case prRTFCompressed:
		if typ == ptBinary {
			d.rtf = true
		}
	case prInternetCPID:
		if typ == ptLong {
			d.internetCP = int(binary.LittleEndian.Uint32(v))
		}
	}
	return nil
}

func (d *decoder) attachmentProp(a *attachment, id, typ uint16, i int, v []byte) error {
	if i > 0 {
		return nil
	}
	switch id {
	case prAttachLongFilename:
		if s, ok := strValue(typ, v); ok {
			a.longName = s
		}
	case prAttachFilename:
		if s, ok := strValue(typ, v); ok {
			a.shortName = s
		}
	case prDisplayName:
		if s, ok := strValue(typ, v); ok {
			a.display = s
		}
	case prAttachMIMETag:
		if s, ok := strValue(typ, v); ok {
			a.mime = s
		}
	case prAttachDataBin:
		embedded := false
		switch typ {
		case ptBinary:
		case ptObject:
			if len(v) < 16 {
				return malformed("attachment %d: object value of %d bytes", len(d.attachments), len(v))
			}
			embedded = bytes.Equal(v[:16], iidIMessage)
			v = v[16:]
		default:
			return nil
		}
		if int64(len(v)) > d.lim.MaxAttachmentSize {
			return tooLarge("attachment %d: %d bytes of data, limit %d", len(d.attachments), len(v), d.lim.MaxAttachmentSize)
		}
		if a.hasPropData {
			return malformed("attachment %d: two PidTagAttachData properties", len(d.attachments))
		}
		a.propData, a.hasPropData, a.embedded = v, true, embedded
	}
	return nil
}
