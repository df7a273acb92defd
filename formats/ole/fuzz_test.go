package ole

import (
	"errors"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// FuzzScan: the CFB reader and the three stream scanners never panic, stop
// quickly, and fail only with the sentinel errors the engine maps to a
// block. Seeds are the fixtures; sel picks the kind scanned.
func FuzzScan(f *testing.F) {
	kinds := []sanitize.Kind{detect.DOC, detect.XLS, detect.PPT}
	for _, tc := range fixtureCases {
		for i, k := range kinds {
			if k == tc.kind {
				f.Add(buildCFB(tc.nodes...), byte(i))
			}
		}
	}
	f.Add(buildCFB(splitDoc("BENIGN \x13 DD", "EAUTO x \x15")...), byte(0))
	f.Fuzz(func(t *testing.T, in []byte, sel byte) {
		start := time.Now()
		// The fuzzing engine has no per-input timeout: a watchdog turns a
		// hang into a crash, which saves the input.
		watchdog := time.AfterFunc(5*time.Second, func() { panic("scan hangs") })
		defer watchdog.Stop()
		res, err := scanBytes(t, in, kinds[int(sel)%len(kinds)], Options{MaxEntries: 4096})
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v", d)
		}
		if err != nil && !errors.Is(err, sanitize.ErrMalformed) && !errors.Is(err, sanitize.ErrTooLarge) {
			t.Fatalf("error %v", err)
		}
		for _, fd := range res.Findings {
			if fd.Action != sanitize.Blocked && fd.Rule != RuleDefaultPW {
				t.Fatalf("finding %+v is not blocking", fd)
			}
		}
	})
}
