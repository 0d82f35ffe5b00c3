package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// threads is the goroutine budget set by SetThreads; 0 means runtime.GOMAXPROCS(0).
var threads atomic.Int64

// SetThreads sets how many goroutines a single kernel call (Sgemm) may use. n <= 0
// restores the default, runtime.GOMAXPROCS(0). It never panics and is safe for
// concurrent use.
func SetThreads(n int) {
	threads.Store(int64(max(n, 0)))
}

// Threads returns the number of goroutines a single kernel call may use.
func Threads() int {
	if n := threads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// chunkRunner is a job split into independent chunks that may run concurrently.
type chunkRunner interface {
	runChunk(i int)
}

type parallelTask struct {
	job chunkRunner
	i   int
	wg  *sync.WaitGroup
}

// A fixed pool of long-lived workers takes chunks from workQueue, so a parallel call
// starts no goroutines and allocates nothing in the steady state.
var (
	workQueue   = make(chan parallelTask, 256)
	workersMu   sync.Mutex
	workerCount atomic.Int64
)

func ensureWorkers(n int) {
	if int(workerCount.Load()) >= n {
		return
	}
	workersMu.Lock()
	defer workersMu.Unlock()
	for int(workerCount.Load()) < n {
		go worker()
		workerCount.Add(1)
	}
}

func worker() {
	for t := range workQueue {
		t.job.runChunk(t.i)
		t.wg.Done()
	}
}

// parallelFor runs job.runChunk(i) for i < n, chunk 0 in the calling goroutine and the
// others on the worker pool (inline when the queue is full), and returns when all are
// done. wg must be idle; it is passed in so that callers can keep it in pooled storage.
// Chunks must not panic: callers validate their arguments first.
func parallelFor(job chunkRunner, n int, wg *sync.WaitGroup) {
	if n <= 1 {
		if n == 1 {
			job.runChunk(0)
		}
		return
	}
	ensureWorkers(n - 1)
	wg.Add(n - 1)
	for i := 1; i < n; i++ {
		select {
		case workQueue <- parallelTask{job, i, wg}:
		default:
			job.runChunk(i)
			wg.Done()
		}
	}
	job.runChunk(0)
	wg.Wait()
}

// rangeJob is a ParallelRange call: fn over parts contiguous pieces of [0, n), which
// the goroutines take in turn from an atomic counter, so that one slowed goroutine (the
// garbage collector's worker, another process) does not hold up the others.
type rangeJob struct {
	fn       func(lo, hi int)
	n, parts int
	next     atomic.Int64
	wg       sync.WaitGroup
}

func (j *rangeJob) runChunk(int) {
	for {
		i := int(j.next.Add(1)) - 1
		if i >= j.parts {
			return
		}
		lo, hi := i*j.n/j.parts, (i+1)*j.n/j.parts
		if lo < hi {
			j.fn(lo, hi)
		}
	}
}

var rangeJobPool = sync.Pool{New: func() any { return new(rangeJob) }}

// rangePiecesPerThread is how many pieces ParallelRange cuts per goroutine, when the
// grain allows, for balance.
const rangePiecesPerThread = 4

// ParallelRange calls fn(lo, hi) on contiguous ranges that together cover [0, n), on up
// to Threads() goroutines, giving each range at least grain items (up to four ranges
// per goroutine, taken in turn); below 2·grain items it makes one call, fn(0, n), in
// the calling goroutine. It returns when every call has returned. fn must not panic
// (callers validate their arguments first) and must not itself start parallel kernels
// (a worker waiting on the pool could deadlock it): call the serial variants
// (SgemmSerial) inside fn.
func ParallelRange(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	pieces := n / max(grain, 1)
	t := min(Threads(), pieces)
	if t <= 1 {
		fn(0, n)
		return
	}
	j := rangeJobPool.Get().(*rangeJob)
	j.fn, j.n, j.parts = fn, n, min(pieces, rangePiecesPerThread*t)
	j.next.Store(0)
	parallelFor(j, t, &j.wg)
	j.fn = nil
	rangeJobPool.Put(j)
}
