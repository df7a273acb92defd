package ole

import (
	"bytes"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// records reads the workbook globals of a file: (type, stream offset of
// the data, data) for each record up to the first EOF.
type record struct {
	typ  uint16
	off  int64
	data []byte
}

func globals(t *testing.T, in []byte) []record {
	t.Helper()
	c, err := openCFB(bytes.NewReader(in), int64(len(in)), DefaultMaxEntries)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.open(c.find("Workbook"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var out []record
	for p := 0; p+4 <= len(b); {
		typ := binary.LittleEndian.Uint16(b[p:])
		n := int(binary.LittleEndian.Uint16(b[p+2:]))
		if p+4+n > len(b) {
			break
		}
		out = append(out, record{typ, int64(p + 4), append([]byte(nil), b[p+4:p+4+n]...)})
		if typ == biffEOF {
			break
		}
		p += 4 + n
	}
	return out
}

// TestDecryptorRealFiles checks the key derivation against real encrypted
// workbooks with published passwords (THIRD_PARTY.md): the right password
// passes the verifier and decrypts the sheet names to text; a wrong one
// fails. Skips without the corpus.
func TestDecryptorRealFiles(t *testing.T) {
	for _, tc := range []struct{ file, password string }{
		{"poi__35897-type4.xls", "freedom"}, // CryptoAPI RC4
		{"tika__testEXCEL_protected_passtika.xls", "tika"},
		{"poi__50833.xls", DefaultExcelPassword},
	} {
		t.Run(tc.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(corpusRoot, "office", tc.file))
			if err != nil {
				t.Skipf("corpus absent: %v", err)
			}
			recs := globals(t, in)
			var fp []byte
			for _, r := range recs {
				if r.typ == biffFilePass {
					fp = r.data
				}
			}
			if fp == nil {
				t.Fatal("no FILEPASS")
			}
			if newBIFFDecryptor(fp, tc.password+"x") != nil {
				t.Errorf("a wrong password opens it")
			}
			d := newBIFFDecryptor(fp, tc.password)
			if d == nil {
				t.Fatalf("password %q does not open it (FILEPASS % x)", tc.password, fp[:6])
			}
			sheets := 0
			for _, r := range recs {
				if r.typ != biffBoundSheet {
					continue
				}
				d.decryptAt(r.data[4:], r.off+4)
				name := sheetName(r.data[6:], true)
				for _, c := range name {
					if !unicode.IsPrint(c) {
						t.Errorf("sheet name %q does not decrypt to text", name)
					}
				}
				t.Logf("sheet %q type %d", name, r.data[5])
				sheets++
			}
			if sheets == 0 {
				t.Error("no sheets")
			}
		})
	}
}

// encryptedWorkbook encrypts a workbook's globals with RC4 ([MS-OFFCRYPTO]
// §2.3.6) under password: a FILEPASS after the BOF, then every record's
// data encrypted by stream offset (BOUNDSHEET's first 4 bytes excepted).
func encryptedWorkbook(password string, recs ...[]byte) []byte {
	salt := []byte("0123456789abcdef")
	fp := []byte{1, 0, 1, 0, 1, 0}
	fp = append(fp, salt...)
	// Derive the block-0 key with a fresh decryptor whose verifier we do
	// not check yet.
	probe := append(append([]byte(nil), fp...), make([]byte, 32)...)
	h0 := md5.Sum(utf16le16(password))
	var buf []byte
	for range 16 {
		buf = append(append(buf, h0[:5]...), salt...)
	}
	h1 := md5.Sum(buf)
	k0 := md5.Sum(append(append([]byte(nil), h1[:5]...), 0, 0, 0, 0))
	verifier := []byte("verifier-16bytes")
	vh := md5.Sum(verifier)
	c, _ := rc4.NewCipher(k0[:])
	enc := make([]byte, 32)
	c.XORKeyStream(enc[:16], verifier)
	c.XORKeyStream(enc[16:], vh[:])
	copy(probe[22:], enc)
	d := newBIFFDecryptor(probe, password)
	if d == nil {
		panic("fixture: verifier does not check")
	}
	var out bytes.Buffer
	out.Write(bof())
	out.Write(biff(biffFilePass, probe))
	for _, r := range append(recs, biff(biffEOF, nil)) {
		r = append([]byte(nil), r...)
		off := int64(out.Len())
		typ := binary.LittleEndian.Uint16(r)
		if typ == biffBoundSheet {
			d.decryptAt(r[8:], off+8)
		} else {
			d.decryptAt(r[4:], off+4)
		}
		out.Write(r)
	}
	return out.Bytes()
}

func TestDefaultPassword(t *testing.T) {
	for _, mode := range []sanitize.Mode{sanitize.ModeSanitize, sanitize.ModeVerify} {
		eng := newEngine(t, Options{}, mode, sanitize.Limits{})
		clean := buildCFB(stream("Workbook", encryptedWorkbook(DefaultExcelPassword, boundSheet("Sheet1", 0))))
		rep, out := sanitizetest.Run(t, eng, clean, "a.xls")
		if rep.Outcome != sanitize.OutcomePassed || !bytes.Equal(out, clean) || !sanitizetest.RuleSet(rep.Findings)[RuleDefaultPW] {
			t.Errorf("%s clean: %s %+v", mode, rep.Outcome, rep.Findings)
		}
		macro := buildCFB(stream("Workbook", encryptedWorkbook(DefaultExcelPassword, boundSheet("Sheet1", 0), boundSheet("Macro1", 1), nameRec(0x0020, []byte{1}))))
		rep, out = sanitizetest.Run(t, eng, macro, "b.xls")
		if rep.Outcome != sanitize.OutcomeBlocked || out != nil || !sanitizetest.RuleSet(rep.Findings)[RuleXLM] {
			t.Errorf("%s macro: %s %+v", mode, rep.Outcome, rep.Findings)
		}
		other := buildCFB(stream("Workbook", encryptedWorkbook("secret", boundSheet("Sheet1", 0))))
		rep, _ = sanitizetest.Run(t, eng, other, "c.xls")
		if rep.Outcome != sanitize.OutcomeBlocked || !sanitizetest.RuleSet(rep.Findings)[RuleEncrypted] {
			t.Errorf("%s other password: %s %+v", mode, rep.Outcome, rep.Findings)
		}
	}
}
