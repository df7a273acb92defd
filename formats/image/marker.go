package image

import (
	"bytes"
	"io"
)

// RulePayload is emitted when a re-encoded image still holds a sequence
// that a PHP interpreter, a browser or a script host would act on.
const RulePayload = "image.payload"

// payloadMarkers are the sequences, in lower case, that a re-encoded image
// must not contain. Each is long enough (five bytes or more) that random
// compressed pixel data contains one by chance less than once in 2^37
// bytes (a 10 MB output: about 1 in 16000 for "<?php", the shortest);
// finding one means the pixels were chosen to make our encoder write it
// (the IDAT and LZW "payload survives re-encoding" techniques).
var payloadMarkers = [][]byte{
	[]byte("<?php"),
	[]byte("<script"), []byte("<iframe"), []byte("<object"), []byte("<embed "),
	[]byte("<html>"), []byte("<html "), []byte("<!doctype"), []byte("javascript:"),
	[]byte("<svg "), []byte("<svg>"), []byte("<body "), []byte("<body>"),
}

const maxMarker = 11

// markerWriter passes writes to w and looks for payloadMarkers in them,
// case-insensitively and across write boundaries.
type markerWriter struct {
	w    io.Writer
	buf  []byte // lower-cased tail of the previous write, then the current one
	tail int
	hit  string
}

func (m *markerWriter) Write(p []byte) (int, error) {
	if m.hit == "" {
		for rest := p; len(rest) > 0; {
			chunk := rest[:min(len(rest), 64<<10)]
			rest = rest[len(chunk):]
			m.buf = append(m.buf[:m.tail], chunk...)
			low := m.buf[m.tail:]
			for i, c := range low {
				if c >= 'A' && c <= 'Z' {
					low[i] = c + 'a' - 'A'
				}
			}
			for _, mk := range payloadMarkers {
				if bytes.Contains(m.buf, mk) {
					m.hit = string(mk)
					break
				}
			}
			keep := min(len(m.buf), maxMarker-1)
			copy(m.buf, m.buf[len(m.buf)-keep:])
			m.tail = keep
		}
	}
	return m.w.Write(p)
}
