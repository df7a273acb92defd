package smtpd

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBudgetBoundsBytesInFlight(t *testing.T) {
	b := newBudget(100)
	var inFlight, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(10 + i%5*20) // 10..90
			if err := b.acquire(context.Background(), n); err != nil {
				t.Error(err)
				return
			}
			cur := inFlight.Add(n)
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inFlight.Add(-n)
			b.release(n)
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 100 {
		t.Fatalf("peak bytes in flight %d over the budget of 100", p)
	}
	if b.used != 0 || len(b.waiters) != 0 {
		t.Fatalf("after all released: used %d, %d waiters", b.used, len(b.waiters))
	}
}

func TestBudgetLargeRunsAloneAndInOrder(t *testing.T) {
	b := newBudget(100)
	ctx := context.Background()
	if err := b.acquire(ctx, 30); err != nil {
		t.Fatal(err)
	}
	big := make(chan struct{})
	go func() {
		b.acquire(ctx, 1<<30) // larger than the budget: takes all of it
		close(big)
	}()
	for {
		b.mu.Lock()
		n := len(b.waiters)
		b.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// A small one arriving after the big one waits behind it even though
	// it would fit now.
	ctx2, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.acquire(ctx2, 10); err == nil {
		t.Fatal("a later small message overtook the waiting large one")
	}
	b.release(30)
	<-big
	if b.used != 100 {
		t.Fatalf("the large message holds %d, want the whole budget", b.used)
	}
	b.release(1 << 30)
	if b.used != 0 {
		t.Fatalf("used %d after release", b.used)
	}
}

func TestBudgetCancelledWaiterLeavesNoTrace(t *testing.T) {
	b := newBudget(10)
	ctx := context.Background()
	b.acquire(ctx, 10)
	c, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- b.acquire(c, 5) }()
	time.Sleep(5 * time.Millisecond)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("cancelled acquire succeeded")
	}
	b.release(10)
	if b.used != 0 || len(b.waiters) != 0 {
		t.Fatalf("used %d, %d waiters", b.used, len(b.waiters))
	}
}
