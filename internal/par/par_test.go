package par

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// procs are the GOMAXPROCS values the partition must not depend on: serial,
// this project's 2-core machines, and more goroutines than cores.
var procs = []int{1, 2, 5}

// TestForPartition checks that For covers every index exactly once, by the
// chunks [c*grain, (c+1)*grain) and no others, at every GOMAXPROCS.
func TestForPartition(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	cases := []struct{ n, grain int }{{0, 1}, {-3, 1}, {1, 1}, {1, 100}, {7, 1}, {7, 4}, {8, 4}, {100, 3}, {1000, 0}, {1000, -5}, {1000, 400}, {4096, 4096}, {4097, 4096}}
	for _, c := range cases {
		var want [][2]int
		for lo := 0; lo < c.n; lo += max(1, c.grain) {
			want = append(want, [2]int{lo, min(c.n, lo+max(1, c.grain))})
		}
		for _, p := range procs {
			runtime.GOMAXPROCS(p)
			var mu sync.Mutex
			var got [][2]int
			seen := make([]int, max(c.n, 0))
			For(c.n, c.grain, func(lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, [2]int{lo, hi})
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, s := range seen {
				if s != 1 {
					t.Fatalf("GOMAXPROCS=%d For(%d, %d): index %d covered %d times", p, c.n, c.grain, i, s)
				}
			}
			slices.SortFunc(got, func(a, b [2]int) int { return a[0] - b[0] })
			if !slices.Equal(got, want) {
				t.Fatalf("GOMAXPROCS=%d For(%d, %d): chunks %v, want %v", p, c.n, c.grain, got, want)
			}
		}
	}
}

// TestTasksOnce checks that Tasks runs every task once, that worker ids are
// in range and never used by two calls at the same time (so per-worker
// scratch space is safe), and that at most min(workers, n) workers run.
func TestTasksOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range procs {
		runtime.GOMAXPROCS(p)
		for _, workers := range []int{-1, 0, 1, 2, 3, 8} {
			for _, n := range []int{0, 1, 2, 3, 64, 1000} {
				ran := make([]atomic.Int32, n)
				busy := make([]atomic.Int32, max(workers, 1))
				var used [16]atomic.Bool
				var bad atomic.Value
				Tasks(n, workers, func(w, i int) {
					if w < 0 || w >= max(1, min(workers, n)) {
						bad.Store(fmt.Sprintf("worker id %d out of range", w))
						return
					}
					used[w].Store(true)
					if busy[w].Add(1) != 1 {
						bad.Store(fmt.Sprintf("worker %d ran two tasks at once", w))
					}
					ran[i].Add(1)
					busy[w].Add(-1)
				})
				if v := bad.Load(); v != nil {
					t.Fatalf("GOMAXPROCS=%d Tasks(%d, %d): %v", p, n, workers, v)
				}
				for i := range ran {
					if r := ran[i].Load(); r != 1 {
						t.Fatalf("GOMAXPROCS=%d Tasks(%d, %d): task %d ran %d times", p, n, workers, i, r)
					}
				}
			}
		}
	}
}

// TestSerialInOrder checks that one worker (or one chunk) runs in index
// order on the calling goroutine: no goroutine is started.
func TestSerialInOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	var order []int
	For(10, 3, func(lo, hi int) { order = append(order, lo) }) // no lock: must be serial
	if !slices.Equal(order, []int{0, 3, 6, 9}) {
		t.Fatalf("For at GOMAXPROCS=1 ran chunks %v, want 0 3 6 9 in order", order)
	}
	runtime.GOMAXPROCS(4)
	order = order[:0]
	Tasks(5, 1, func(w, i int) { order = append(order, i) })
	if !slices.Equal(order, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("Tasks with one worker ran %v, want 0..4 in order", order)
	}
	before := runtime.NumGoroutine()
	calls := 0
	For(5, 5, func(lo, hi int) {
		calls++
		if lo != 0 || hi != 5 {
			t.Errorf("For(5, 5) called fn(%d, %d), want fn(0, 5)", lo, hi)
		}
		if g := runtime.NumGoroutine(); g != before {
			t.Errorf("For with one chunk started goroutines: %d, was %d", g, before)
		}
	})
	if calls != 1 {
		t.Fatalf("For with one chunk made %d calls", calls)
	}
}

// TestChunkSumsDeterministic is the contract in use: a long float sum done
// as per-chunk partial sums added in chunk order is bitwise the same at
// every GOMAXPROCS and in every repetition, and equal to the serial loop
// in the same order.
func TestChunkSumsDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	const n, grain = 1<<16 + 77, 1000
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Sin(float64(i)) * math.Exp(float64(i%50))
	}
	serial := 0.0
	for lo := 0; lo < n; lo += grain {
		s := 0.0
		for _, v := range x[lo:min(n, lo+grain)] {
			s += v
		}
		serial += s
	}
	for _, p := range procs {
		runtime.GOMAXPROCS(p)
		for rep := 0; rep < 3; rep++ {
			partial := make([]float64, (n+grain-1)/grain)
			For(n, grain, func(lo, hi int) {
				s := 0.0
				for _, v := range x[lo:hi] {
					s += v
				}
				partial[lo/grain] = s
			})
			sum := 0.0
			for _, s := range partial {
				sum += s
			}
			if math.Float64bits(sum) != math.Float64bits(serial) {
				t.Fatalf("GOMAXPROCS=%d rep %d: sum %v, serial %v", p, rep, sum, serial)
			}
		}
	}
}

// TestPanicPropagates checks that a panic in fn, on a worker goroutine or
// the caller's, reaches the caller with its value, after every call that
// had started has returned, and that no more tasks start after it.
func TestPanicPropagates(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range procs {
		runtime.GOMAXPROCS(p)
		for _, at := range []int{0, 1, 37} {
			for _, workers := range []int{1, 3} {
				var running, started atomic.Int32
				got := func() (v any) {
					defer func() { v = recover() }()
					Tasks(200, workers, func(w, i int) {
						started.Add(1)
						running.Add(1)
						defer running.Add(-1)
						if i == at {
							panic(fmt.Sprintf("task %d", i))
						}
						for k := 0; k < 1000; k++ { // some work, so that others are mid-call
							_ = math.Sqrt(float64(k))
						}
					})
					return nil
				}()
				if got != fmt.Sprintf("task %d", at) {
					t.Fatalf("GOMAXPROCS=%d workers %d panic at %d: recovered %v", p, workers, at, got)
				}
				if r := running.Load(); r != 0 {
					t.Fatalf("GOMAXPROCS=%d: Tasks returned with %d calls still running", p, r)
				}
				if s := started.Load(); s == 200 && at < 100 {
					t.Fatalf("GOMAXPROCS=%d workers %d: all 200 tasks started after a panic at %d", p, workers, at)
				}
			}
		}
		var caught any
		func() {
			defer func() { caught = recover() }()
			For(100, 10, func(lo, hi int) {
				if lo == 50 {
					panic(lo)
				}
			})
		}()
		if caught != 50 {
			t.Fatalf("GOMAXPROCS=%d For: recovered %v, want 50", p, caught)
		}
	}
}

func BenchmarkForOverhead(b *testing.B) {
	x := make([]float32, 1<<20)
	for _, grain := range []int{4096, 65536} {
		b.Run(fmt.Sprint("grain=", grain), func(b *testing.B) {
			for b.Loop() {
				For(len(x), grain, func(lo, hi int) {
					for i := range x[lo:hi] {
						x[lo+i] += 1
					}
				})
			}
		})
	}
}
