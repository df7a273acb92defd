package storetest

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/mugai-project/mugai/quarantine"
)

// BenchmarkPut measures s.Put of distinct originals of size bytes (so that
// content addressing saves nothing) and reports MB/s and items/s.
func BenchmarkPut(b *testing.B, s quarantine.Store, size int) {
	b.Helper()
	buf := data(uint64(size), size)
	m := meta(0)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var n uint64
	for b.Loop() {
		n++
		if size >= 8 {
			binary.LittleEndian.PutUint64(buf, n) // distinct content
		}
		if _, err := s.Put(b.Context(), m, bytes.NewReader(buf)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkAppend measures a.Append and reports entries/s.
func BenchmarkAppend(b *testing.B, a quarantine.Audit) {
	b.Helper()
	e := event(0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Append(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
