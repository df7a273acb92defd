package smtpd

import (
	"context"
	"sync"
)

// budget is a weighted semaphore over the bytes of the messages in the
// engine at once. Sanitizers hold a multiple of their input in memory (a
// PDF parser the whole file), so counting messages alone lets sixteen 10 MB
// messages take sixteen times the memory of one; counting bytes keeps the
// peak flat whatever the sizes. Waiters are served in arrival order, so a
// large message is not starved by a stream of small ones; a message larger
// than the whole budget waits for all of it and then runs alone.
type budget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	waiters []*budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

func newBudget(size int64) *budget { return &budget{size: size} }

// weight is what acquiring n bytes takes from b.
func (b *budget) weight(n int64) int64 { return max(1, min(n, b.size)) }

// acquire takes n bytes of the budget, waiting in line until they are free
// or ctx is done. The caller releases the same n.
func (b *budget) acquire(ctx context.Context, n int64) error {
	w := b.weight(n)
	b.mu.Lock()
	if len(b.waiters) == 0 && b.used+w <= b.size {
		b.used += w
		b.mu.Unlock()
		return nil
	}
	wt := &budgetWaiter{n: w, ready: make(chan struct{})}
	b.waiters = append(b.waiters, wt)
	b.mu.Unlock()

	select {
	case <-wt.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-wt.ready:
			// Granted while giving up: hand it back.
			b.used -= w
		default:
			for i, x := range b.waiters {
				if x == wt {
					b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
					break
				}
			}
		}
		b.grant()
		b.mu.Unlock()
		return ctx.Err()
	}
}

// release returns n bytes taken by acquire.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= b.weight(n)
	b.grant()
	b.mu.Unlock()
}

// grant wakes waiters from the front of the line while they fit.
func (b *budget) grant() {
	for len(b.waiters) > 0 {
		h := b.waiters[0]
		if b.used+h.n > b.size {
			return
		}
		b.used += h.n
		close(h.ready)
		b.waiters = b.waiters[1:]
	}
}
