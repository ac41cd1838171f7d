package kernels

import (
	"runtime"
	"sync"
	"testing"
)

// TestParallelFor checks that every index is covered exactly once, by
// contiguous chunks of at least minPerTask, and that small inputs run as a
// single inline call.
func TestParallelFor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(procs)
		for _, c := range []struct{ n, min int }{{0, 1}, {1, 1}, {7, 1}, {7, 4}, {8, 4}, {100, 3}, {1000, 0}, {1000, 400}} {
			var mu sync.Mutex
			seen := make([]int, c.n)
			var chunks [][2]int
			parallelFor(c.n, c.min, func(lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				chunks = append(chunks, [2]int{lo, hi})
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, s := range seen {
				if s != 1 {
					t.Fatalf("GOMAXPROCS=%d parallelFor(%d, %d): index %d covered %d times", procs, c.n, c.min, i, s)
				}
			}
			if c.n == 0 {
				if len(chunks) != 0 {
					t.Errorf("parallelFor(0, ...) called fn %v", chunks)
				}
				continue
			}
			wantChunks := min(procs, c.n/max(1, c.min))
			if wantChunks < 1 {
				wantChunks = 1
			}
			if len(chunks) != wantChunks {
				t.Errorf("GOMAXPROCS=%d parallelFor(%d, %d): %d chunks, want %d", procs, c.n, c.min, len(chunks), wantChunks)
			}
			for _, ch := range chunks {
				if len(chunks) > 1 && ch[1]-ch[0] < c.min {
					t.Errorf("GOMAXPROCS=%d parallelFor(%d, %d): chunk %v smaller than minPerTask", procs, c.n, c.min, ch)
				}
			}
		}
	}
}

func TestParallelTasks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(procs)
		for _, serial := range []bool{false, true} {
			for _, n := range []int{0, 1, 3, 64} {
				var mu sync.Mutex
				var order []int
				parallelTasks(n, serial, func(i int) {
					mu.Lock()
					order = append(order, i)
					mu.Unlock()
				})
				seen := make([]int, n)
				for _, i := range order {
					seen[i]++
				}
				for i, s := range seen {
					if s != 1 {
						t.Fatalf("GOMAXPROCS=%d parallelTasks(%d, serial=%v): task %d ran %d times", procs, n, serial, i, s)
					}
				}
				if serial || procs == 1 {
					for i, v := range order {
						if v != i {
							t.Fatalf("parallelTasks(%d, serial=%v) at GOMAXPROCS=%d ran out of order: %v", n, serial, procs, order)
						}
					}
				}
			}
		}
	}
}
