package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Procs returns the number of goroutines a loop may run on, GOMAXPROCS.
// Callers use it for decisions that move work between goroutines, never
// for ones that change an order of arithmetic (see the package doc).
func Procs() int { return runtime.GOMAXPROCS(0) }

// For calls fn(lo, hi) once for each chunk [c*grain, min(n, (c+1)*grain))
// of [0, n), on up to min(Procs(), chunks) goroutines, and returns when all
// calls have returned. The chunks depend on n and grain alone. A grain
// below 1 counts as 1; n <= 0 calls nothing.
func For(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	chunks := (n-1)/grain + 1
	if chunks == 1 {
		fn(0, n)
		return
	}
	Tasks(chunks, Procs(), func(_, c int) {
		lo := c * grain
		fn(lo, min(n, lo+grain))
	})
}

// Tasks calls fn(w, i) once for every task i in [0, n), on up to
// min(workers, n) goroutines, and returns when all calls have returned. w
// in [0, min(workers, n)) names the goroutine running the call, so that fn
// can use per-goroutine scratch space; the calling goroutine is worker 0.
// Results must not depend on w. With workers <= 1 the tasks run in order
// on the calling goroutine.
func Tasks(n, workers int, fn func(w, i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	l := loop{n: int64(n), fn: fn}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { l.work(w) })
	}
	l.work(0)
	wg.Wait()
	if l.panicked {
		panic(l.value)
	}
}

// loop is one parallel loop: the next task to hand out and the first panic.
type loop struct {
	next atomic.Int64
	n    int64
	fn   func(w, i int)

	mu       sync.Mutex
	panicked bool
	value    any
}

// work runs tasks as worker w until none are left or one has panicked.
func (l *loop) work(w int) {
	defer func() {
		if r := recover(); r != nil {
			l.mu.Lock()
			if !l.panicked {
				l.panicked, l.value = true, r
			}
			l.mu.Unlock()
			l.next.Store(l.n) // hand out nothing more
		}
	}()
	for {
		i := l.next.Add(1) - 1
		if i >= l.n {
			return
		}
		l.fn(w, int(i))
	}
}
