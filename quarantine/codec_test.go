package quarantine

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// goldenPlain and the blobs below were written by the codec before its
// buffers were pooled: existing stores hold blobs like these, and they must
// keep reading.
var goldenPlain = strings.Repeat("原本保持 golden blob 0123456789\r\n", 40)

const (
	goldenPlainBlob = "TUdRMQDs0DsNgEAMBuCdBA+VwPthp4GwNFQDO0EBBAPn4cxcq+Ns3PDv3/TZ8/sbUvz8vuhQ2faTWJSpabt+GKd5WevKgPCEAhSgoNSCHAAA//8="
	// key: 32 bytes of 0x42
	goldenSealedBlob = "TUdRMQHdkAjZ2++oAAAAXiICM+cEJeMSSBtIdvlOJJg99HltMAKoHmMKdSrXn2VEz3xFXkx5vUrLQGOhSxaMhgeiy9F7bEzgZ9QTWsg+yp78Ean6Ii4UHlUc/0Ozf5v7YFC2u9FcJxshFOysqXc="
)

func TestCodecGolden(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 32)
	for _, tc := range []struct {
		name, blob string
		key        []byte
	}{{"plain", goldenPlainBlob, nil}, {"sealed", goldenSealedBlob, key}} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := base64.StdEncoding.DecodeString(tc.blob)
			if err != nil {
				t.Fatal(err)
			}
			c, err := NewCodec(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 { // fresh and pooled readers alike
				r, err := c.Reader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || string(got) != goldenPlain {
					t.Fatalf("read %d: %v, %d bytes", i, err, len(got))
				}
			}
		})
	}
}

// TestCodecFormat checks that a (pooled, reused) writer writes exactly the
// documented format: the header, then the DEFLATE stream of a fresh
// BestSpeed compressor.
func TestCodecFormat(t *testing.T) {
	c, _ := NewCodec(nil)
	for i, plain := range [][]byte{nil, []byte("x"), randomish(1, 300<<10), []byte(goldenPlain)} {
		var want bytes.Buffer
		want.WriteString(blobMagic + "\x00")
		fw, _ := flate.NewWriter(&want, flate.BestSpeed)
		fw.Write(plain)
		fw.Close()
		for round := range 3 {
			var got bytes.Buffer
			w, err := c.Writer(&got)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(plain)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("input %d, round %d: the blob differs from a fresh compressor's", i, round)
			}
		}
	}
}

// randomish returns n bytes, half random (incompressible), half repeated.
func randomish(seed uint64, n int) []byte {
	r := mrand.New(mrand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		if i/1000%2 == 0 {
			b[i] = byte(r.Uint32())
		} else {
			b[i] = byte(i)
		}
	}
	return b
}

// TestCodecPoolConcurrent runs many encoders and decoders at once, some
// abandoned half way, so that the race detector sees pooled state shared.
func TestCodecPoolConcurrent(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	for _, k := range [][]byte{nil, key} {
		c, _ := NewCodec(k)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 20 {
					plain := randomish(uint64(g*100+i), (g*37+i*1013)%(200<<10))
					var blob bytes.Buffer
					w, err := c.Writer(&blob)
					if err != nil {
						t.Error(err)
						return
					}
					if i%5 == 4 {
						w.Write(plain[:len(plain)/2]) // abandoned: never closed
						continue
					}
					w.Write(plain)
					if err := w.Close(); err != nil {
						t.Error(err)
						return
					}
					r, err := c.Reader(bytes.NewReader(blob.Bytes()))
					if err != nil {
						t.Error(err)
						return
					}
					if i%7 == 3 {
						io.CopyN(io.Discard, r, int64(len(plain)/3)) // closed before EOF
						r.Close()
						continue
					}
					got, err := io.ReadAll(r)
					r.Close()
					if err != nil || !bytes.Equal(got, plain) {
						t.Errorf("goroutine %d item %d: round trip: %v", g, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

func TestCodecClosed(t *testing.T) {
	c, _ := NewCodec(nil)
	var blob bytes.Buffer
	w, _ := c.Writer(&blob)
	w.Write([]byte("abc"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	r, _ := c.Reader(bytes.NewReader(blob.Bytes()))
	r.Close()
	if _, err := r.Read(make([]byte, 10)); err == nil {
		t.Error("Read after Close succeeded")
	}
}

// TestCodecAllocs pins the point of the pools: encoding a 5 KB mail
// allocates kilobytes, not the megabyte of a new DEFLATE compressor.
func TestCodecAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage or race")
	}
	key := make([]byte, 32)
	rand.Read(key)
	plain := randomish(7, 5000)
	for _, k := range [][]byte{nil, key} {
		c, _ := NewCodec(k)
		var blob bytes.Buffer
		blob.Grow(16 << 10)
		encode := func() {
			blob.Reset()
			w, err := c.Writer(&blob)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(plain)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
		decode := func() {
			r, err := c.Reader(bytes.NewReader(blob.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, r)
			r.Close()
		}
		for _, tc := range []struct {
			name string
			fn   func()
		}{{"encode", encode}, {"decode", decode}} {
			t.Run(fmt.Sprintf("%s/key=%v", tc.name, k != nil), func(t *testing.T) {
				tc.fn() // warm the pools
				n := bytesPerRun(1000, tc.fn)
				t.Logf("%d bytes per run", n)
				if n > 16<<10 {
					t.Errorf("%d bytes allocated per run, want at most 16 KB", n)
				}
			})
		}
	}
}

// bytesPerRun returns the average heap bytes fn allocates. A GC may empty
// the pools in between; the average over runs absorbs that.
func bytesPerRun(runs int, fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		fn()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}
