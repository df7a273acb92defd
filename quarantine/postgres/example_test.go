package postgres_test

import (
	"context"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/quarantine/postgres"
)

// Several nodes open the same database and schema; each keeps originals
// and appends to the one audit chain. (Not run: it needs a server.)
func ExampleOpen() {
	key, err := quarantine.LoadKey("/etc/mugai/quarantine.key") // the same key on every node
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	s, err := postgres.Open(ctx, os.Getenv("MUGAI_POSTGRES"), postgres.Options{
		Key:       key,
		Retention: 90 * 24 * time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	m, err := s.Put(ctx, quarantine.Meta{
		Origin: quarantine.OriginSMTP,
		From:   "sender@example.jp",
		To:     []string{"staff@city.example.lg.jp"},
	}, strings.NewReader("Subject: hello\r\n\r\nbody\r\n"))
	if err != nil {
		log.Fatal(err) // nothing was kept (rolled back): answer 4xx
	}
	if _, err := s.Append(ctx, quarantine.Event{Type: "received", Item: m.ID, Actor: "mugai"}); err != nil {
		log.Fatal(err)
	}

	_, rc, err := s.Get(ctx, m.ID)
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.Copy(os.Stdout, rc); err != nil { // quarantine.ErrCorrupt if altered
		log.Fatal(err)
	}
	if err := s.Verify(ctx); err != nil {
		log.Fatal(err) // wraps quarantine.ErrTampered and names the first bad entry
	}
}
