package claims

import (
	"context"
	"runtime"
	"sync"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// Env is what a claim's Run may use from the outside world: data, the
// number of seeds, parallelism, and a place to report progress. The zero
// value is usable (MNIST from the default location, the spec's seeds, all
// CPUs, no progress).
type Env struct {
	// Data is "mnist" (the default: the GoMNIST module's copy or
	// $SGDCLAIMS_DATA, see core/data.ResolveData) or a directory holding the
	// four MNIST IDX files. Claims on synthetic data ignore it.
	Data string
	// Seeds, when > 0, overrides the spec's number of replicates.
	Seeds int
	// Workers bounds how many independent runs (seed x grid point) go at
	// once; 0 means GOMAXPROCS. Results do not depend on it: every run is
	// deterministic on its own and results are collected by index.
	Workers int
	// Progress, if set, receives progress events. It is called from worker
	// goroutines, but never concurrently (Env serialises the calls).
	Progress func(Progress)

	claim string
	mu    sync.Mutex
}

// Progress is one progress event: Done of Total units of Stage of a claim.
type Progress struct {
	Claim string
	Stage string
	Done  int
	Total int
}

// Report sends a progress event for the running claim.
func (e *Env) Report(stage string, done, total int) {
	if e == nil || e.Progress == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Progress(Progress{Claim: e.claim, Stage: stage, Done: done, Total: total})
}

// Counter returns a function that counts one finished unit of stage and
// reports it (Report(stage, done, total)); safe to call from ForEach's
// workers.
func (e *Env) Counter(stage string, total int) func() {
	var mu sync.Mutex
	done := 0
	return func() {
		mu.Lock()
		done++
		d := done
		mu.Unlock()
		e.Report(stage, d, total)
	}
}

// SeedList returns the root seeds 1..n for n replicates.
func SeedList(n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = uint64(i + 1)
	}
	return s
}

func (e *Env) workers() int {
	if e != nil && e.Workers > 0 {
		return e.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// ForEach runs f(0..n-1) on up to Workers goroutines and returns the first
// error (by index, so the error too is deterministic). It stops handing out
// work once ctx is cancelled or a call fails. f must write its result to
// slot i of a slice the caller owns; nothing else is shared.
func (e *Env) ForEach(ctx context.Context, n int, f func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	var failed sync.Once
	stop := make(chan struct{})
	for w := 0; w < min(e.workers(), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					errs[i] = err
					failed.Do(func() { close(stop) })
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case <-ctx.Done():
			break feed
		case <-stop:
			break feed
		case next <- i:
		}
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Dataset returns the training and test sets named by Env.Data (the run's
// setup sets it to the spec's data; "mnist" when empty), loaded once per
// process. The datasets are shared: never modify them (derive with Subset,
// Split, Head, WithLabelNoise).
func (e *Env) Dataset() (train, test *data.Dataset, err error) { return e.MNIST() }

// MNIST is Dataset, under its name from when every setup was MNIST.
func (e *Env) MNIST() (train, test *data.Dataset, err error) {
	name := "mnist"
	if e != nil && e.Data != "" {
		name = e.Data
	}
	return data.LoadShared(name)
}

// DataLabel names a setup's data (Spec.Data or Env.Data; "" is MNIST) for
// evidence and reports, by where it is read from but without a
// machine-specific path: goldens and sweep results record it, and a
// resolved path would make them differ between machines.
func DataLabel(name string) string {
	switch name {
	case "", "mnist":
		return "MNIST (the GoMNIST module's copy, or $SGDCLAIMS_DATA)"
	case "fashion-mnist":
		return "Fashion-MNIST (Debian's dataset-fashion-mnist, or $SGDCLAIMS_DATA)"
	case "cifar10":
		return "CIFAR-10 ($SGDCLAIMS_DATA)"
	}
	return name
}

// RunClaim runs c at env's scale and judges it: the spec (with env's seed
// override), the run, the stamp (ISA, GOMAXPROCS, Go version, wall time),
// and the verdict.
func RunClaim(ctx context.Context, c Claim, scale Scale, env *Env) (*Result, error) {
	if env == nil {
		env = &Env{}
	}
	spec, err := SpecAt(c, scale, env.Seeds)
	if err != nil {
		return nil, err
	}
	return runAndJudge(ctx, c, spec, forSpec(env, spec))
}

// RunSpec runs c at spec (one of its Specs, with any seed override applied)
// and judges it.
func RunSpec(ctx context.Context, c Claim, spec Spec, env *Env) (*Result, error) {
	if env == nil {
		env = &Env{}
	}
	return runAndJudge(ctx, c, spec, forSpec(env, spec))
}
