package local_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/local"
)

// Keep an original, log that, and read it back.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "quarantine")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := local.Open(dir, local.Options{Retention: 90 * 24 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	m, err := s.Put(ctx, quarantine.Meta{
		Origin: quarantine.OriginSMTP,
		From:   "sender@example.jp",
		To:     []string{"staff@city.example.lg.jp"},
	}, strings.NewReader("Subject: hello\r\n\r\nbody\r\n"))
	if err != nil {
		log.Fatal(err) // nothing was kept: answer 4xx
	}
	// The store writes no audit entries itself.
	if _, err := s.Append(ctx, quarantine.Event{Type: "received", Item: m.ID, Actor: "mugai"}); err != nil {
		log.Fatal(err)
	}

	_, rc, err := s.Get(ctx, m.ID)
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc) // fails with quarantine.ErrCorrupt if the blob was altered
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes, %s\n", len(b), m.SHA256[:12])
	fmt.Println(s.Verify(ctx))
	// Output:
	// 24 bytes, 49ccf1cff08f
	// <nil>
}
