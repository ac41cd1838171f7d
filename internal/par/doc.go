// Package par runs the loops of this module on several goroutines with a
// partition fixed by the sizes alone: the one place, outside tests, where
// core starts goroutines to split work.
//
// # The determinism contract
//
// For(n, grain, fn) always calls fn on the same chunks, [0, grain),
// [grain, 2*grain), ..., whatever GOMAXPROCS is and however many goroutines
// run; Tasks(n, workers, fn) always calls fn once for each task index.
// Only which goroutine runs a chunk, and when, varies. So a caller whose fn
// computes each output of a chunk (or task) the same way wherever it runs
// gets bitwise identical results for any GOMAXPROCS. A sum split over chunks
// is reproducible too if each chunk writes its partial sum to its own slot
// and the caller adds the slots in index order after the loop (as
// kernels.Dot does); it is not if chunks add into a shared accumulator, so
// never do that.
//
// Procs (GOMAXPROCS) may decide sizes that only say who computes an
// element, never how: the number of goroutines here, the tile sizes of a
// GEMM. Everything that fixes an order of arithmetic must depend on the
// problem's sizes alone.
//
// # Scheduling
//
// Chunks and tasks are handed out on demand from a shared counter, so a
// goroutine that starts late, or shares its core with other work, just
// takes fewer. The calling goroutine works too (as worker 0) instead of
// idling in a wait. A loop with one chunk, or one worker, runs in order on
// the calling goroutine and starts nothing. Callers that must not allocate
// on small inputs call their kernel directly below their own threshold:
// the fn passed here escapes to the heap.
//
// # Panics
//
// A panic in fn, on any goroutine, stops the handing out of further work;
// the loop waits for the calls already running to return and then panics
// on the calling goroutine with the first panic's value (so a deferred
// recover in the caller sees the same value as in a serial loop). The
// panicking goroutine's stack trace is lost.
//
// # Placement
//
// The package is a leaf: it imports only the standard library. That is
// why core/kernels, which otherwise imports nothing of this module, may
// import it (the one exception, stated in kernels' doc): no arrow from
// kernels points up. It lives under internal/ so that it is no part of the
// module's public API.
package par
