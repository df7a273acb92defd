package smtpd

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// drain is the one shutdown sequence (Shutdown starts it once):
//
//  1. stop accepting: the listener is closed, and MAIL on open
//     connections gets 421 (draining is already set);
//  2. wait until no message is in DATA: each holds a slot of the
//     MaxSanitizing semaphore from the DATA command until its reply is
//     decided, so a message in progress is sanitized, kept and delivered,
//     and its upstream MTA gets the 250 (or 4xx) it is owed; then until
//     the delivery records written after those replies are in the store;
//  3. wake the idle connections: their pending read of the next command
//     fails at once (a read deadline in the past), which go-smtp treats as
//     the end of the session. A reply being written is not cut, since only
//     reads are affected. A transaction between MAIL and DATA is dropped
//     without a 250, so the upstream MTA keeps the message and retries;
//  4. wait for go-smtp's connection handlers, then close the next-hop
//     connections.
//
// A caller whose context ends first closes every connection (Shutdown).
func (s *Server) drain() {
	defer close(s.drained)
	s.lnMu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	s.lnMu.Unlock()
	for s.busy() {
		time.Sleep(5 * time.Millisecond)
	}
	s.conns.wake()
	s.smtp.Shutdown(context.Background())
	if s.hops != nil {
		s.hops.close()
	}
	s.log.Info("drained")
}

// connSet tracks the open connections. The zero value is empty.
type connSet struct {
	mu    sync.Mutex
	m     map[*guardConn]struct{}
	woken atomic.Bool
}

func (cs *connSet) add(c *guardConn) {
	cs.mu.Lock()
	if cs.m == nil {
		cs.m = make(map[*guardConn]struct{})
	}
	cs.m[c] = struct{}{}
	cs.mu.Unlock()
}

func (cs *connSet) remove(c *guardConn) {
	cs.mu.Lock()
	delete(cs.m, c)
	cs.mu.Unlock()
}

// wake makes every pending and future read fail at once.
func (cs *connSet) wake() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.woken.Store(true)
	for c := range cs.m {
		c.Conn.SetReadDeadline(past)
	}
}

// past is a read deadline that has passed.
var past = time.Unix(1, 0)

// SetReadDeadline keeps reads failing once the drain has woken the
// connections, whatever deadline go-smtp sets before its next read.
func (g *guardConn) SetReadDeadline(t time.Time) error {
	if g.s.conns.woken.Load() {
		t = past
	}
	return g.Conn.SetReadDeadline(t)
}

// SetDeadline is SetReadDeadline and SetWriteDeadline.
func (g *guardConn) SetDeadline(t time.Time) error {
	werr := g.Conn.SetWriteDeadline(t)
	if err := g.SetReadDeadline(t); err != nil {
		return err
	}
	return werr
}

// closeAll closes every connection.
func (cs *connSet) closeAll() {
	cs.mu.Lock()
	conns := make([]*guardConn, 0, len(cs.m))
	for c := range cs.m {
		conns = append(conns, c)
	}
	cs.mu.Unlock()
	for _, c := range conns {
		c.Conn.Close()
	}
}
