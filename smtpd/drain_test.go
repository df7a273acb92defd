package smtpd_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/smtpd"
	"github.com/mugai-project/mugai/smtpd/smtpdtest"
)

// TestShutdownDrainsMessageInProgress: Shutdown (SIGTERM in serve) lets a
// message in DATA be sanitized, kept and delivered, and its sender gets the
// 250; new connections are refused and idle ones are closed, and only then
// does Shutdown return.
func TestShutdownDrainsMessageInProgress(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	eng, entered, release := blockingEngine()
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, eng)

	// An idle session, as an upstream MTA's connection cache keeps.
	idle, err := smtp.Dial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if err := idle.Hello("mx.example.lg.jp"); err != nil {
		t.Fatal(err)
	}

	// A message whose DATA is being sanitized.
	dataErr := make(chan error, 1)
	go func() {
		c, err := smtp.Dial(r.addr)
		if err != nil {
			dataErr <- err
			return
		}
		defer c.Close()
		if err := c.Hello("mx.example.lg.jp"); err != nil {
			dataErr <- err
			return
		}
		if err := c.Mail("a@example.com", nil); err != nil {
			dataErr <- err
			return
		}
		if err := c.Rcpt("b@example.lg.jp", nil); err != nil {
			dataErr <- err
			return
		}
		w, err := c.Data()
		if err != nil {
			dataErr <- err
			return
		}
		io.WriteString(w, htmlMail)
		dataErr <- w.Close() // the reply to the end of DATA
	}()
	<-entered

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shut <- r.srv.Shutdown(ctx)
	}()
	// No new connection is taken once the drain has begun.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", r.addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections while draining")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a message was in DATA", err)
	default:
	}

	close(release)
	if err := <-dataErr; err != nil {
		t.Fatalf("the message in progress: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if n := len(sk.Received()); n != 1 {
		t.Fatalf("next hop received %d messages, want 1", n)
	}
	// The delivery record, written after the 250, is in the store by the
	// time Shutdown returns (the store may be closed right after).
	var its []quarantine.Meta
	r.store.List(context.Background(), quarantine.Filter{}, func(m quarantine.Meta) error { its = append(its, m); return nil })
	if len(its) != 1 || its[0].Delivery != "delivered" {
		t.Fatalf("quarantine: %+v", its)
	}
	// The idle session was closed by the drain.
	if err := idle.Noop(); err == nil {
		t.Error("idle session still open after the drain")
	}
}

// TestShutdownDeadlineClosesEverything: when the drain time runs out, every
// connection is closed and the message gets no 250 (the upstream MTA keeps
// and retries it).
func TestShutdownDeadlineClosesEverything(t *testing.T) {
	sk := smtpdtest.StartSink(t, "")
	eng, entered, release := blockingEngine()
	var once sync.Once
	releaseAll := func() { once.Do(func() { close(release) }) }
	defer releaseAll()
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, eng)
	sent := make(chan error, 1)
	go func() { sent <- smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail) }()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown returned nil with a message still in DATA")
	}
	if err := <-sent; smtpdtest.Code(err) == 250 {
		t.Fatal("the cut message got 250")
	}
	// Its handler is still in the engine: WaitIdle waits for it.
	wctx, wcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer wcancel()
	if err := r.srv.WaitIdle(wctx); err == nil {
		t.Fatal("WaitIdle returned with a message still in the engine")
	}
	releaseAll()
	wctx2, wcancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel2()
	if err := r.srv.WaitIdle(wctx2); err != nil {
		t.Fatalf("WaitIdle after the engine finished: %v", err)
	}
}
