package server

import (
	"context"
	"errors"
)

// errPoolFull is returned by pool.acquire when every worker is busy and the queue is full.
var errPoolFull = errors.New("server busy: all workers and queue slots taken")

// pool bounds the number of model calls running at once (workers) and waiting for a
// worker (queue). A request that finds both full is refused at once rather than piling
// up: the client gets 429 and retries later.
type pool struct {
	admit chan struct{} // capacity workers+queue: requests admitted (running or waiting)
	run   chan struct{} // capacity workers: requests running
}

func newPool(workers, queue int) *pool {
	return &pool{admit: make(chan struct{}, workers+queue), run: make(chan struct{}, workers)}
}

// acquire admits the caller and waits for a worker until ctx is done. On success the
// caller must call release exactly once.
func (p *pool) acquire(ctx context.Context) (release func(), err error) {
	select {
	case p.admit <- struct{}{}:
	default:
		return nil, errPoolFull
	}
	select {
	case p.run <- struct{}{}:
		return func() { <-p.run; <-p.admit }, nil
	case <-ctx.Done():
		<-p.admit
		return nil, ctx.Err()
	}
}

// running and waiting report the pool's occupancy, for /metrics.
func (p *pool) running() int { return len(p.run) }
func (p *pool) waiting() int { return len(p.admit) - len(p.run) }
