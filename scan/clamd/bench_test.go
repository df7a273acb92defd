package clamd_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mugai-project/mugai/scan/clamd"
	"github.com/mugai-project/mugai/scan/clamd/clamdtest"
)

// BenchmarkInstream measures INSTREAM throughput against a real clamd with
// the test database (so it measures the transfer and clamd's parsing, not a
// full signature set): clean text of 1 MB and 10 MB.
func BenchmarkInstream(b *testing.B) {
	d := clamdtest.Start(b, clamdtest.Options{})
	c, err := clamd.New(clamd.Config{Address: d.Address(), Timeout: 30 * time.Second, MaxSize: 12 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, size := range []int{1 << 20, 10 << 20} {
		data := bytes.Repeat([]byte("mugai clamd benchmark line of plain text 0123456789\n"), size/52+1)[:size]
		b.Run(map[int]string{1 << 20: "1MB", 10 << 20: "10MB"}[size], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				res, err := c.ScanStream(b.Context(), bytes.NewReader(data), int64(size))
				if err != nil || res.Status != clamd.Clean {
					b.Fatalf("%+v, %v", res, err)
				}
			}
		})
	}
}
