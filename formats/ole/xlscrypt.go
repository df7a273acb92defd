package ole

import (
	"bytes"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"encoding/binary"
	"unicode/utf16"
)

// DefaultExcelPassword is the password Excel uses when a workbook is
// encrypted without one (a protected structure, "read-only recommended"):
// Excel opens such files without asking, so they can be inspected.
const DefaultExcelPassword = "VelvetSweatshop"

// rc4Block is the re-keying interval of RC4 in BIFF8 ([MS-XLS] §2.2.10):
// the key of the byte at stream offset p is derived from block p/1024.
const rc4Block = 1024

// biffDecryptor decrypts Workbook stream bytes by their stream offset.
type biffDecryptor struct {
	key func(block uint32) []byte
}

// newBIFFDecryptor parses FILEPASS record data and, if the workbook uses
// RC4 or CryptoAPI RC4 and password opens it, returns a decryptor. XOR
// obfuscation and other methods return nil.
func newBIFFDecryptor(filepass []byte, password string) *biffDecryptor {
	if len(filepass) < 6 || binary.LittleEndian.Uint16(filepass) != 1 {
		return nil // XOR obfuscation, or not RC4
	}
	major := binary.LittleEndian.Uint16(filepass[2:])
	minor := binary.LittleEndian.Uint16(filepass[4:])
	pw := utf16le16(password)
	switch {
	case major == 1 && minor == 1:
		// RC4 ([MS-OFFCRYPTO] §2.3.6): salt, verifier, verifier hash.
		b := filepass[6:]
		if len(b) < 48 {
			return nil
		}
		salt, ver, verHash := b[:16], b[16:32], b[32:48]
		h0 := md5.Sum(pw)
		var buf []byte
		for range 16 {
			buf = append(buf, h0[:5]...)
			buf = append(buf, salt...)
		}
		h1 := md5.Sum(buf)
		trunc := append([]byte(nil), h1[:5]...)
		d := &biffDecryptor{key: func(block uint32) []byte {
			k := md5.Sum(binary.LittleEndian.AppendUint32(append([]byte(nil), trunc...), block))
			return k[:]
		}}
		if !d.verify(ver, verHash, func(v []byte) []byte { s := md5.Sum(v); return s[:] }) {
			return nil
		}
		return d
	case (major == 2 || major == 3 || major == 4) && minor == 2:
		// CryptoAPI RC4 ([MS-OFFCRYPTO] §2.3.5): header, then verifier.
		b := filepass[6:]
		if len(b) < 8 {
			return nil
		}
		hsize := int(binary.LittleEndian.Uint32(b[4:]))
		b = b[8:]
		if hsize < 32 || hsize > len(b) {
			return nil
		}
		keyBits := binary.LittleEndian.Uint32(b[16:])
		if keyBits == 0 {
			keyBits = 40
		}
		if keyBits < 40 || keyBits > 128 || keyBits%8 != 0 {
			return nil
		}
		v := b[hsize:]
		if len(v) < 4+16+16+4+20 || binary.LittleEndian.Uint32(v) != 16 {
			return nil
		}
		salt, ver, verHash := v[4:20], v[20:36], v[40:60]
		h0 := sha1.Sum(append(append([]byte(nil), salt...), pw...))
		d := &biffDecryptor{key: func(block uint32) []byte {
			h := sha1.Sum(binary.LittleEndian.AppendUint32(append([]byte(nil), h0[:]...), block))
			if keyBits == 40 {
				k := make([]byte, 16) // 40-bit keys are padded to 128 bits with zeros
				copy(k, h[:5])
				return k
			}
			return h[:keyBits/8]
		}}
		if !d.verify(ver, verHash, func(v []byte) []byte { s := sha1.Sum(v); return s[:] }) {
			return nil
		}
		return d
	}
	return nil
}

// verify decrypts the verifier and its hash with the block-0 key (one RC4
// stream) and compares.
func (d *biffDecryptor) verify(ver, verHash []byte, hash func([]byte) []byte) bool {
	c, err := rc4.NewCipher(d.key(0))
	if err != nil {
		return false
	}
	v := make([]byte, len(ver))
	c.XORKeyStream(v, ver)
	h := make([]byte, len(verHash))
	c.XORKeyStream(h, verHash)
	return bytes.Equal(hash(v), h)
}

// decryptAt decrypts b in place; b starts at stream offset off.
func (d *biffDecryptor) decryptAt(b []byte, off int64) {
	var skip [rc4Block]byte
	for len(b) > 0 {
		block := uint32(off / rc4Block)
		in := off % rc4Block
		n := min(int64(len(b)), rc4Block-in)
		c, err := rc4.NewCipher(d.key(block))
		if err != nil {
			return
		}
		c.XORKeyStream(skip[:in], skip[:in])
		c.XORKeyStream(b[:n], b[:n])
		b = b[n:]
		off += n
	}
}

func utf16le16(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}
