package image

import "encoding/binary"

// exifOrientation reads the Orientation tag (0x0112, SHORT, values 1–8) from
// IFD0 of an Exif TIFF structure (Exif 2.32 §4.5.2, §4.6.4 A; TIFF 6.0 §2):
// the "II*\0" or "MM\0*" header, the offset of IFD0, its entry count and its
// 12-byte entries. Every offset is checked against len(b); anything out of
// range, a wrong type or a value outside 1–8 gives 0 (no orientation).
func exifOrientation(b []byte) int {
	if len(b) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := uint64(bo.Uint32(b[4:]))
	if off < 8 || off+2 > uint64(len(b)) {
		return 0
	}
	n := uint64(bo.Uint16(b[off:]))
	entries := off + 2
	if entries+12*n > uint64(len(b)) {
		n = (uint64(len(b)) - entries) / 12 // a truncated IFD: read what is there
	}
	for i := range n {
		e := b[entries+12*i : entries+12*i+12]
		if bo.Uint16(e) != 0x0112 {
			continue
		}
		// Type SHORT (3), count 1: the value sits in the first two bytes of
		// the value field.
		if bo.Uint16(e[2:]) != 3 || bo.Uint32(e[4:]) != 1 {
			return 0
		}
		if v := int(bo.Uint16(e[8:])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}
