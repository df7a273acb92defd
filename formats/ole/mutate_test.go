package ole

import (
	"encoding/binary"
	"math/rand"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// TestMutations scans fixtures with random overwrites, cuts and insertions
// (a cheap, deterministic complement to FuzzScan): none may hang.
func TestMutations(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	kinds := []sanitize.Kind{detect.DOC, detect.XLS, detect.PPT}
	for i := 0; i < 3000; i++ {
		tc := fixtureCases[r.Intn(len(fixtureCases))]
		in := buildCFB(tc.nodes...)
		for j := 0; j < 1+r.Intn(4); j++ {
			p := r.Intn(len(in) - 8)
			switch r.Intn(4) {
			case 0:
				binary.LittleEndian.PutUint32(in[p:], r.Uint32())
			case 1:
				binary.LittleEndian.PutUint32(in[p:], uint32(r.Intn(64)))
			case 2:
				in = append(in[:p], in[min(len(in), p+r.Intn(600)):]...)
			case 3:
				in = append(in[:p], append(make([]byte, r.Intn(600)), in[p:]...)...)
			}
			if len(in) < 16 {
				break
			}
		}
		start := time.Now()
		done := make(chan bool)
		go func() {
			scanBytes(t, in, kinds[r.Intn(3)], Options{MaxEntries: 4096})
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("%d hangs (%s)", i, tc.name)
		}
		_ = start
	}
}
