package smtpd

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// recorder writes the delivery records of messages already answered (the
// outcome, the delivery status and their audit event: deferred-sync writes
// that the 250 does not depend on) in the background, in batches: it
// gathers what arrives within recordLinger and starts those writes
// together, so that the store commits them as one transaction (group
// commit) rather than one each. Its goroutine runs only while there is
// something to write. The zero value is ready.
type recorder struct {
	pending atomic.Int64 // queued or being written

	mu      sync.Mutex
	queue   []func()
	running bool
}

const (
	// recordLinger is how long a record waits for others to share its
	// commit.
	recordLinger = 20 * time.Millisecond
	// maxPendingRecords bounds the queue: past it, a session writes its
	// own record before replying, which slows the sessions down rather
	// than letting the queue grow.
	maxPendingRecords = 1024
	// recordBatch caps how many writes start together.
	recordBatch = 64
)

// recordLater queues write, the record of message qid, for the
// background. A panic in write is logged, never fatal: the message is
// delivered and its original kept by then.
func (s *Server) recordLater(qid string, write func()) {
	run := func() {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("recording the outcome and delivery failed", "qid", qid, "err", fmt.Sprint(p))
			}
		}()
		write()
	}
	r := &s.records
	if r.pending.Add(1) > maxPendingRecords {
		run()
		r.pending.Add(-1)
		return
	}
	r.mu.Lock()
	r.queue = append(r.queue, run)
	start := !r.running
	r.running = true
	r.mu.Unlock()
	if start {
		go r.loop()
	}
}

// loop writes the queue in batches until it finds it empty.
func (r *recorder) loop() {
	for {
		time.Sleep(recordLinger)
		r.mu.Lock()
		batch := r.queue
		if len(batch) > recordBatch {
			batch = batch[:recordBatch:recordBatch]
			r.queue = append([]func(){}, r.queue[recordBatch:]...)
		} else {
			r.queue = nil
		}
		if len(batch) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		var wg sync.WaitGroup
		for _, w := range batch {
			wg.Go(w)
		}
		wg.Wait()
		r.pending.Add(-int64(len(batch)))
	}
}
