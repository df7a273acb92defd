package detect

import (
	"bytes"
	"encoding/binary"

	"github.com/h2non/filetype"
	"github.com/h2non/filetype/matchers"
)

// What github.com/h2non/filetype v1.1.3 is used for, and where we do not
// trust it (read in matchers/*.go):
//
//   - filetype.Match walks Go maps, so its order between overlapping matchers
//     (Doc/Xls/Ppt, Tiff/CR2, the OOXML guessers) changes from run to run. We
//     never call Match; we call single matchers in our own order.
//   - Matchers that are sound and used as is: Jpeg, Png, Rar (v4/v5), Tar
//     (ustar at 257), Zst (with skippable frames), Zip (PK + 03/05/07 +
//     04/06/08), and the 7z and xz prefixes.
//   - Matchers that are too weak or too strict, replaced by our own: Gif and
//     Bmp (two or three bytes: plain text starting "GIF" or "BM" would be an
//     image), Webp (ignores RIFF), Ico (four bytes), Heif (misses heix, hevc,
//     mif1+heix), MachO (counts Java's CAFEBABE as Mach-O), Elf (wants > 52
//     bytes), Wasm (wants version 1), Dex (wants a header byte), gz (wants
//     CM=8), Cab (also takes InstallShield "ISc("), Rtf ("{\rtf", but Word
//     opens "{\rt"), Pdf (offset 0 only), Iso (wants the whole 32 KiB in the
//     buffer), Doc/Xls/Ppt (guess OLE2 contents from byte 512) and the OOXML
//     guessers (guess from the order of zip entries).

// Signatures sniffMagic checks at offset 0.
var (
	magicOLE      = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicLNK      = []byte{0x4C, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}
	magicOneNote  = []byte{0xE4, 0x52, 0x5C, 0x7B, 0x8C, 0xD8, 0xA7, 0x4D, 0xAE, 0xB1, 0x53, 0x78, 0xD0, 0x29, 0x96, 0xD3}
	magicPNG      = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}
	magicWASM     = []byte("\x00asm")
	magicELF      = []byte("\x7fELF")
	magicDEX      = []byte("dex\n")
	magicCHM      = []byte("ITSF")
	magicVHDX     = []byte("vhdxfile")
	magicVHD      = []byte("conectix")
	magicVMDK     = []byte("KDMV")
	magicVMDKDesc = []byte("# Disk DescriptorFile")
	magicQCOW     = []byte("QFI\xfb")
	magicVDI      = []byte("<<< Oracle VM VirtualBox Disk Image >>>")
	magicCAB      = []byte("MSCF\x00\x00\x00\x00")
	magicRAR14    = []byte("RE~^")
	magicGIF87    = []byte("GIF87a")
	magicGIF89    = []byte("GIF89a")
)

// sniffMagic recognises formats by signatures at the start of buf (with r for
// the zip and OLE2 directories). It returns "" when nothing matches.
func sniffMagic(r *budgetReaderAt, size int64, buf []byte) Kind {
	switch {
	case bytes.HasPrefix(buf, magicOLE):
		return sniffOLE(r, size, buf)
	case matchers.Zip(buf):
		return sniffZip(r, size)
	case bytes.HasPrefix(buf, []byte("MZ")):
		// PE, NE, LE and bare DOS executables alike: Windows runs any of
		// them, so a valid "PE\0\0" at e_lfanew is not required.
		return PE
	case bytes.HasPrefix(buf, []byte("ZM")) && hasNewExeHeader(buf):
		return PE // DOS also accepts the swapped signature
	case bytes.HasPrefix(buf, magicELF):
		return ELF
	case isMachO(buf):
		return MachO
	case bytes.HasPrefix(buf, []byte{0xCA, 0xFE, 0xBA, 0xBE}):
		return fatOrClass(buf)
	case bytes.HasPrefix(buf, magicWASM):
		return WASM
	case bytes.HasPrefix(buf, magicDEX):
		return JAR // Dalvik bytecode: an Android program
	case bytes.HasPrefix(buf, magicLNK):
		return LNK
	case bytes.HasPrefix(buf, magicOneNote):
		return OneNote
	case bytes.HasPrefix(buf, magicCHM):
		return CHM
	case bytes.HasPrefix(buf, magicVHDX), bytes.HasPrefix(buf, magicVHD),
		bytes.HasPrefix(buf, magicVMDK), bytes.HasPrefix(buf, magicVMDKDesc),
		bytes.HasPrefix(buf, magicQCOW), bytes.HasPrefix(buf, magicVDI):
		return DiskImage
	case filetype.Is(buf, "7z"):
		return SevenZ
	case matchers.Rar(buf), bytes.HasPrefix(buf, magicRAR14):
		return RAR
	case filetype.Is(buf, "xz"):
		return XZ
	case matchers.Zst(buf):
		return ZSTD
	case len(buf) >= 2 && buf[0] == 0x1F && buf[1] == 0x8B:
		return GZIP // RFC 1952 ID1 ID2; CM is checked by the decompressor
	case len(buf) >= 4 && bytes.HasPrefix(buf, []byte("BZh")) && buf[3] >= '1' && buf[3] <= '9':
		return BZIP2
	case bytes.HasPrefix(buf, magicCAB):
		return CAB
	case bytes.HasPrefix(buf, []byte("MSCF")) && len(buf) < len(magicCAB):
		return CAB // truncated header: still a cabinet, the sanitizer rejects it
	case isLZH(buf):
		return LZH
	case matchers.Jpeg(buf):
		return JPEG
	case bytes.HasPrefix(buf, magicPNG), len(buf) < len(magicPNG) && matchers.Png(buf):
		return PNG
	case bytes.HasPrefix(buf, magicGIF87), bytes.HasPrefix(buf, magicGIF89):
		return GIF
	case len(buf) >= 12 && bytes.HasPrefix(buf, []byte("RIFF")) && string(buf[8:12]) == "WEBP":
		return WEBP
	case isTIFF(buf):
		return TIFF
	case isBMP(buf):
		return BMP
	case isICO(buf):
		return ICO
	case isHEIC(buf):
		return HEIC
	case matchers.Tar(buf), isV7Tar(buf):
		return TAR
	}
	return ""
}

// sniffOffsets recognises disk images by structures away from offset 0: ISO
// 9660 / UDF volume descriptors at 0x8001, 0x8801, 0x9001 (ECMA-119 §8,
// ECMA-167 §2/9.1), a VHD footer or a DMG (UDIF) "koly" trailer in the last
// 512 bytes, and FAT/NTFS/exFAT boot sectors (raw .img floppy and disk
// images, which Windows mounts).
func sniffOffsets(r *budgetReaderAt, size int64, buf []byte, sc *scratch) Kind {
	id := &sc.id
	for _, off := range []int64{0x8001, 0x8801, 0x9001} {
		if off+int64(len(id)) > size {
			break
		}
		if !readAt(r, id[:], off) {
			break
		}
		switch string(id[:]) {
		case "CD001", "BEA01", "NSR02", "NSR03", "TEA01":
			return DiskImage
		}
	}
	if size >= 512 {
		tail := &sc.tail
		if readAt(r, tail[:], size-512) {
			if bytes.HasPrefix(tail[:], []byte("koly")) || bytes.HasPrefix(tail[:], magicVHD) ||
				bytes.HasPrefix(tail[1:], magicVHD) { // some old VHDs have a 511-byte footer
				return DiskImage
			}
		}
	}
	if len(buf) >= 512 && buf[510] == 0x55 && buf[511] == 0xAA {
		switch {
		case string(buf[3:11]) == "NTFS    ", string(buf[3:11]) == "EXFAT   ",
			bytes.HasPrefix(buf[0x36:], []byte("FAT1")), bytes.HasPrefix(buf[0x52:], []byte("FAT32")):
			return DiskImage
		}
	}
	return ""
}

// hasPDFHeader reports whether "%PDF-" starts within the first
// pdfHeaderWindow bytes.
func hasPDFHeader(buf []byte) bool {
	return bytes.Contains(buf[:min(len(buf), pdfHeaderWindow+4)], []byte("%PDF-"))
}

// hasNewExeHeader reports whether the DOS header's e_lfanew points inside buf
// to a PE, NE, LE or LX signature.
func hasNewExeHeader(buf []byte) bool {
	if len(buf) < 0x40 {
		return false
	}
	off := int(binary.LittleEndian.Uint32(buf[0x3C:]))
	if off < 0x40 || off > len(buf)-4 {
		return false
	}
	switch string(buf[off : off+2]) {
	case "PE", "NE", "LE", "LX":
		return true
	}
	return false
}

// isMachO matches the thin Mach-O magics in both byte orders and the
// byte-swapped and 64-bit fat magics (which Java cannot produce).
func isMachO(buf []byte) bool {
	if len(buf) < 4 {
		return false
	}
	switch binary.BigEndian.Uint32(buf) {
	case 0xFEEDFACE, 0xFEEDFACF, 0xCEFAEDFE, 0xCFFAEDFE, // MH_MAGIC(_64), MH_CIGAM(_64)
		0xBEBAFECA, 0xCAFEBABF, 0xBFBAFECA: // FAT_CIGAM, FAT_MAGIC_64, FAT_CIGAM_64
		return true
	}
	return false
}

// fatOrClass tells a universal (fat) Mach-O from a Java class file, which
// share CAFEBABE: a fat header continues with a small big-endian arch count,
// a class file with minor and major version, and major ≥ 45 (JDK 1.0.2), so
// the same four bytes read as a count are ≥ 45. Both are executable; a
// truncated header counts as a class file.
func fatOrClass(buf []byte) Kind {
	if len(buf) < 8 {
		return JavaClass
	}
	if n := binary.BigEndian.Uint32(buf[4:]); n > 0 && n < 45 {
		return MachO
	}
	return JavaClass
}

// isLZH matches the LHA/LHarc method id at offset 2: "-lh?-", "-lz?-",
// "-pm?-" (? a digit or lower-case letter, "d" for directories).
func isLZH(buf []byte) bool {
	if len(buf) < 7 || buf[2] != '-' || buf[6] != '-' {
		return false
	}
	switch string(buf[3:5]) {
	case "lh", "lz", "pm":
	default:
		return false
	}
	c := buf[5]
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z'
}

// isTIFF matches the TIFF and BigTIFF byte-order headers (TIFF 6.0 §2).
func isTIFF(buf []byte) bool {
	if len(buf) < 4 {
		return false
	}
	switch string(buf[:4]) {
	case "II*\x00", "MM\x00*", "II+\x00", "MM\x00+":
		return true
	}
	return false
}

// isBMP requires "BM" and a known DIB header size at offset 14, so that text
// starting "BM" is not an image.
func isBMP(buf []byte) bool {
	if len(buf) < 18 || buf[0] != 'B' || buf[1] != 'M' {
		return false
	}
	switch binary.LittleEndian.Uint32(buf[14:]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// isICO matches an ICONDIR (icon or cursor) with at least one entry whose
// reserved byte is zero.
func isICO(buf []byte) bool {
	if len(buf) < 6+16 || buf[0] != 0 || buf[1] != 0 || buf[3] != 0 || (buf[2] != 1 && buf[2] != 2) {
		return false
	}
	n := binary.LittleEndian.Uint16(buf[4:])
	return n > 0 && n <= 256 && buf[6+3] == 0
}

// heicBrands are the ISO/IEC 23008-12 brands of HEIF images coded with HEVC.
var heicBrands = map[string]bool{"heic": true, "heix": true, "heim": true, "heis": true, "hevc": true, "hevx": true, "hevm": true, "hevs": true}

// isHEIC parses the leading ftyp box (ISO/IEC 14496-12 §4.3): a HEVC brand
// as major brand, or mif1/msf1 with a HEVC compatible brand. A box size of 0
// means "to the end of the file"; the brand list is read within buf only.
func isHEIC(buf []byte) bool {
	if len(buf) < 12 || string(buf[4:8]) != "ftyp" {
		return false
	}
	major := string(buf[8:12])
	if heicBrands[major] {
		return true
	}
	if major != "mif1" && major != "msf1" {
		return false
	}
	end := len(buf)
	if n := binary.BigEndian.Uint32(buf); n >= 16 && int64(n) < int64(end) {
		end = int(n)
	}
	for i := 16; i+4 <= end; i += 4 {
		if heicBrands[string(buf[i:i+4])] {
			return true
		}
	}
	return false
}

// isV7Tar recognises a pre-POSIX (v7) tar header by its checksum: the sum of
// the 512 header bytes with the checksum field read as spaces, stored as
// octal at 148 (POSIX.1-1988 §10.1.1). Some writers sum signed bytes; both
// are accepted. An all-zero block is not a header.
func isV7Tar(buf []byte) bool {
	if len(buf) < 512 || buf[0] == 0 {
		return false
	}
	stored, ok := parseOctal(buf[148:156])
	if !ok {
		return false
	}
	var unsigned, signed int64
	for i, c := range buf[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	return stored == unsigned || stored == signed
}

// parseOctal parses a tar numeric field: optional leading spaces, octal
// digits, then NUL or space padding.
func parseOctal(f []byte) (int64, bool) {
	var v int64
	digits := 0
	i := 0
	for i < len(f) && f[i] == ' ' {
		i++
	}
	for ; i < len(f) && f[i] >= '0' && f[i] <= '7'; i++ {
		v = v*8 + int64(f[i]-'0')
		digits++
	}
	for ; i < len(f); i++ {
		if f[i] != ' ' && f[i] != 0 {
			return 0, false
		}
	}
	return v, digits > 0
}
