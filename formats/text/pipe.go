package text

import (
	"errors"
	"io"
	"sync"

	"golang.org/x/text/transform"
)

// pipe runs a transform.Transformer over a reader, as transform.Reader does,
// with its two buffers taken from a pool: a short text, such as a mail body,
// then costs no 8 KiB of fresh buffers per stage. release gives them back.
type pipe struct {
	r   io.Reader
	t   transform.Transformer
	buf *pipeBufs // nil after release

	s0, s1 int   // buf.src[s0:s1]: read, not yet transformed
	d0, d1 int   // buf.dst[d0:d1]: transformed, not yet returned
	rerr   error // from r; sticky
	done   bool  // the transformer has had its last call
	err    error // returned once done and dst is empty
}

const pipeBuf = 4 << 10

// pipeBufs are pooled. A pipe never reads a byte of them that it has not
// written since it took them, so nothing of one text shows in another.
type pipeBufs struct {
	src, dst [pipeBuf]byte
}

var pipeBufPool = sync.Pool{New: func() any { return new(pipeBufs) }}

var errReleased = errors.New("text: read after Release")

func newPipe(r io.Reader, t transform.Transformer) *pipe {
	t.Reset()
	return &pipe{r: r, t: t, buf: pipeBufPool.Get().(*pipeBufs)}
}

func (p *pipe) Read(b []byte) (int, error) {
	if p.buf == nil {
		return 0, errReleased
	}
	for {
		if p.d0 < p.d1 {
			n := copy(b, p.buf.dst[p.d0:p.d1])
			p.d0 += n
			return n, nil
		}
		if p.done {
			return 0, p.err
		}
		if p.s0 < p.s1 || p.rerr != nil {
			if p.transform() {
				continue
			}
		}
		// Keep what the transformer left for next time, and read more.
		if p.s0 > 0 {
			p.s1 = copy(p.buf.src[:], p.buf.src[p.s0:p.s1])
			p.s0 = 0
		}
		var n int
		n, p.rerr = p.r.Read(p.buf.src[p.s1:])
		p.s1 += n
	}
}

// transform runs the transformer over the pending input. It reports false
// when the transformer needs more input than is buffered.
func (p *pipe) transform() bool {
	atEOF := p.rerr == io.EOF
	nDst, nSrc, err := p.t.Transform(p.buf.dst[:], p.buf.src[p.s0:p.s1], atEOF)
	p.s0 += nSrc
	p.d0, p.d1 = 0, nDst
	switch {
	case err == nil && p.s0 != p.s1:
		p.finish(errors.New("text: transformer left input unread"))
	case err == nil:
		// All input is consumed; at the end of r, that is the end.
		if p.rerr != nil {
			p.finish(nil)
		}
	case err == transform.ErrShortDst && (nDst > 0 || nSrc > 0):
		// Return what fits, then go on.
	case err == transform.ErrShortSrc && p.rerr == nil && p.s1-p.s0 < pipeBuf:
		return false
	default:
		p.finish(err)
	}
	return true
}

// finish ends the stream: r's error wins over the transformer's, except
// io.EOF, which becomes the transformer's error if it had one.
func (p *pipe) finish(err error) {
	p.done = true
	p.err = p.rerr
	if (p.err == nil || p.err == io.EOF) && err != nil {
		p.err = err
	}
}

// release returns the buffers to the pool; reads afterwards fail.
func (p *pipe) release() {
	if p.buf != nil {
		pipeBufPool.Put(p.buf)
		p.buf = nil
	}
}
