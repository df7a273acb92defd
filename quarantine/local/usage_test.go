package local

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/quarantine"
)

func TestUsage(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "q"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if n, b, seq, err := s.Usage(ctx); err != nil || n != 0 || b != 0 || seq != 0 {
		t.Fatalf("empty store: %d %d %d %v", n, b, seq, err)
	}
	for _, body := range []string{"first original", "second, longer original"} {
		if _, _, err := s.PutWithEvent(ctx, quarantine.Meta{Origin: quarantine.OriginSMTP}, strings.NewReader(body), quarantine.Event{Type: "received", Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	n, b, seq, err := s.Usage(ctx)
	if err != nil || n != 2 || b != int64(len("first original")+len("second, longer original")) || seq != 2 {
		t.Fatalf("Usage = %d items, %d bytes, seq %d, %v", n, b, seq, err)
	}
	// After a rotation the sequence continues from the anchor.
	if _, err := s.RotateAudit(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, _, seq, err := s.Usage(ctx); err != nil || seq != 2 {
		t.Fatalf("after rotation: seq %d, %v", seq, err)
	}
}
