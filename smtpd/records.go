package smtpd

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mugai-project/mugai/quarantine"
)

// recorder writes the delivery records of messages already answered (the
// outcome, the delivery status and their audit event: deferred-sync writes
// that the 250 does not depend on) in the background, in batches: it
// gathers what arrives within recordLinger and writes it together, in one
// transaction where the store can (quarantine.BatchJournal), else as
// concurrent writes that the store may commit together. Its goroutine runs
// only while there is something to write. A crash of the process loses
// at most the records of the last recordLinger: the messages are
// delivered and their originals kept, but they stay "pending" in the
// store. The zero value is ready.
type recorder struct {
	pending atomic.Int64 // queued or being written

	mu      sync.Mutex
	queue   []record
	running bool
}

type record struct {
	j quarantine.Journal
	u quarantine.Update
}

const (
	// recordLinger is how long a record waits for others to share its
	// commit.
	recordLinger = 20 * time.Millisecond
	// maxPendingRecords bounds the queue: past it, a session writes its
	// own record before replying, which slows the sessions down rather
	// than letting the queue grow.
	maxPendingRecords = 1024
	// recordBatch caps how many records are written together.
	recordBatch = 64
)

// recordLater queues u, a delivery record for j, for the background.
func (s *Server) recordLater(j quarantine.Journal, u quarantine.Update) {
	r := &s.records
	if r.pending.Add(1) > maxPendingRecords {
		s.writeRecords([]record{{j, u}})
		r.pending.Add(-1)
		return
	}
	r.mu.Lock()
	r.queue = append(r.queue, record{j, u})
	start := !r.running
	r.running = true
	r.mu.Unlock()
	if start {
		go s.recordLoop()
	}
}

// recordLoop writes the queue in batches until it finds it empty.
func (s *Server) recordLoop() {
	r := &s.records
	for {
		time.Sleep(recordLinger)
		r.mu.Lock()
		batch := r.queue
		if len(batch) > recordBatch {
			batch = batch[:recordBatch:recordBatch]
			r.queue = append([]record(nil), r.queue[recordBatch:]...)
		} else {
			r.queue = nil
		}
		if len(batch) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		s.writeRecords(batch)
		r.pending.Add(-int64(len(batch)))
	}
}

// writeRecords writes a batch of records (all for the same journal, the
// server's) and logs each failure. A panic is logged, never fatal: the
// messages are delivered and their originals kept by then.
func (s *Server) writeRecords(batch []record) {
	defer func() {
		if p := recover(); p != nil {
			for _, rec := range batch {
				s.recordFailed(rec.u, fmt.Errorf("panic: %v", p))
			}
		}
	}()
	ctx := quarantine.DeferSync(context.Background())
	if bj, ok := batch[0].j.(quarantine.BatchJournal); ok {
		us := make([]quarantine.Update, len(batch))
		for i, rec := range batch {
			us[i] = rec.u
		}
		for i, err := range bj.UpdatesWithEvents(ctx, us) {
			if err != nil {
				s.recordFailed(us[i], err)
			}
		}
		return
	}
	var wg sync.WaitGroup
	for _, rec := range batch {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					s.recordFailed(rec.u, fmt.Errorf("panic: %v", p))
				}
			}()
			if _, err := rec.j.UpdateWithEvent(ctx, rec.u.ID, rec.u.Fn, rec.u.Event); err != nil {
				s.recordFailed(rec.u, err)
			}
		})
	}
	wg.Wait()
}
