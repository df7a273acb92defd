package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/quarantine"
)

func TestUsage(t *testing.T) {
	s := openFresh(t, Options{})
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n, b, seq, err := s.Usage(ctx); err != nil || n != 0 || b != 0 || seq != 0 {
		t.Fatalf("empty store: %d %d %d %v", n, b, seq, err)
	}
	for _, body := range []string{"first original", "second, longer original"} {
		if _, err := s.Put(ctx, quarantine.Meta{Origin: quarantine.OriginSMTP}, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(ctx, quarantine.Event{Type: "received", Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	n, b, seq, err := s.Usage(ctx)
	if err != nil || n != 2 || b != int64(len("first original")+len("second, longer original")) || seq != 2 {
		t.Fatalf("Usage = %d items, %d bytes, seq %d, %v", n, b, seq, err)
	}
}
