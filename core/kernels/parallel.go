package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The helpers below are the only place where kernels start goroutines. They
// are shared by every implementation in this package.
//
// Both may split work differently for different GOMAXPROCS. That is safe
// only when every output element is computed by exactly one call of fn and
// that call's arithmetic does not depend on the chunk it was given (same
// operands, same reduction order). Never use them to split a reduction: a
// sum whose terms are spread over tasks would change with GOMAXPROCS and
// break the package's bitwise-determinism contract.

// parallelFor splits [0, n) into contiguous chunks of at least minPerTask
// indices and calls fn(lo, hi) once per chunk, on up to GOMAXPROCS
// goroutines. When n is below 2*minPerTask (or GOMAXPROCS is 1) it calls
// fn(0, n) on the calling goroutine, so small inputs pay no goroutine cost.
// It returns when every call has returned.
func parallelFor(n, minPerTask int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if minPerTask < 1 {
		minPerTask = 1
	}
	workers := min(runtime.GOMAXPROCS(0), n/minPerTask)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for t := 1; t < workers; t++ {
		lo, hi := n*t/workers, n*(t+1)/workers
		wg.Go(func() { fn(lo, hi) })
	}
	fn(0, n/workers) // the caller works too instead of idling in Wait
	wg.Wait()
}

// parallelTasks calls fn(i) once for every i in [0, n), handing indices to
// up to min(GOMAXPROCS, n) goroutines on demand, so uneven tasks still
// balance. With serial set (the caller judged the work too small to be worth
// a goroutine) or GOMAXPROCS 1, it runs the tasks in order on the calling
// goroutine.
func parallelTasks(n int, serial bool, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if serial || workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}
