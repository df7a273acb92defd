package pdf

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzSanitize: no panic escapes, no panic in our own code, every run ends
// in time, and every output sanitizes again to itself with no findings.
func FuzzSanitize(f *testing.F) {
	for _, tc := range fixtures {
		f.Add(tc.in())
	}
	f.Add(baseDoc("/OpenAction "+jsAction, "/AA << /O 6 0 R >>").set(6, jsAction).objStm())
	f.Add(attachDoc(false))
	f.Add(attachDoc(true))
	// Every other input takes the attachments path (without an engine:
	// each embedded file is removed after the attempt).
	plain := New(Options{MaxPages: 100, MaxObjects: 10000})
	attach := New(Options{MaxPages: 100, MaxObjects: 10000, Attachments: AttachmentsSanitize})
	f.Fuzz(func(t *testing.T, in []byte) {
		s := plain
		if len(in)%2 == 1 {
			s = attach
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		var out bytes.Buffer
		_, err := s.Sanitize(ctx, &out, item(in))
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
		if err != nil {
			if strings.Contains(err.Error(), internalPanic) {
				t.Fatal(err)
			}
			return
		}
		var out2 bytes.Buffer
		res2, err := s.Sanitize(ctx, &out2, item(out.Bytes()))
		if err != nil {
			t.Fatalf("output does not sanitize again: %v", err)
		}
		if len(res2.Findings) != 0 {
			t.Fatalf("output has findings: %+v", res2.Findings)
		}
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatal("sanitizing the output changed it")
		}
	})
}
