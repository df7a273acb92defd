package tnef

import (
	"bytes"
	"testing"
)

// BenchmarkDecode decodes a 1 MB stream with three attachments, message
// properties and a body.
func BenchmarkDecode(b *testing.B) {
	e := newEncoder(932)
	e.attr(lvlMessage, idMsgProps, new(plist).unicode(prBody, "本文").binary(prRTFCompressed, make([]byte, 2000)).bytes())
	sizes := []int{600 << 10, 300 << 10, 100 << 10}
	for i, n := range sizes {
		data := bytes.Repeat([]byte{byte(i), 0x5A, 0xC3, 0x11}, n/4)
		e.attach(sjis("添付.DAT"), data, new(plist).unicode(prAttachLongFilename, "添付ファイル.dat").str8(prAttachMIMETag, []byte("application/octet-stream")))
	}
	in := e.Bytes()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Decode(bytes.NewReader(in), Limits{})
		if err != nil || len(m.Attachments) != 3 {
			b.Fatal(err)
		}
	}
}
