package runner

import (
	"context"
	"errors"
	"fmt"
	"github.com/sgdclaims/sgdclaims/internal/provenance"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Options control Execute.
type Options struct {
	// Workers is the number of runs executed at once (default 1: a train
	// run already uses every core in its kernels; raise it for small
	// models). Results do not depend on it.
	Workers int
	// Drain, when closed, stops Execute from starting runs; the running
	// ones finish and are stored. Cancelling Execute's context instead
	// abandons the running ones too (nothing is stored for them; a later
	// Execute redoes them).
	Drain <-chan struct{}
	// Events, if set, receives what happens, one call at a time.
	Events func(Event)
	// Task is recorded in each result's stamp ("slurm job 12_3").
	Task string
}

// EventType says what happened to a run.
type EventType int

const (
	Skipped   EventType = iota // finished before: its valid result is kept
	Redo                       // its result file was corrupt: moved aside, run again
	Started                    // it started
	Progress                   // it reported progress (Done/Total of its own)
	Finished                   // it finished and its result is stored
	Failed                     // it failed (Err); no result stored
	Abandoned                  // interrupted; no result stored
)

// Event is one thing that happened during Execute.
type Event struct {
	Type   EventType
	Run    Run
	Result *Result // Finished, Skipped
	Err    error   // Failed, Redo (the reason), Abandoned
	// Step and Steps are a running run's own progress (Progress events).
	Step, Steps int
	// Done counts the selected runs settled so far (skipped, finished,
	// failed or abandoned) out of Total.
	Done, Total int
}

// Summary counts what Execute did.
type Summary struct {
	Selected, Skipped, Redone, Ran, Diverged, Failed, Abandoned, NotStarted int
	// Errors holds the failures, in run order.
	Errors []error
}

// Execute runs the selected runs (by index) on a pool of opt.Workers
// goroutines: runs with a valid result are skipped, corrupt results are
// moved aside and redone, and every finished run is stored atomically as it
// completes, so an interrupted Execute (signal, kill -9, a scheduler's time
// limit) loses only the runs in progress. It returns an error when a run
// failed or the sweep was interrupted; Summary says what was done either
// way.
func (s *Sweep) Execute(ctx context.Context, selected []int, opt Options) (*Summary, error) {
	sum := &Summary{Selected: len(selected)}
	workers := opt.Workers
	if workers < 1 {
		workers = 1
	}
	var mu sync.Mutex // serialises events and sum
	done := 0
	emit := func(e Event) {
		e.Total = len(selected)
		e.Done = done
		if opt.Events != nil {
			opt.Events(e)
		}
	}
	s.strayTemps(true)

	// Settle what is finished before starting anything, so progress and
	// ETA count only real work.
	var todo []Run
	for _, i := range selected {
		run := s.Manifest.Runs[i]
		r, st, err := s.Load(run)
		switch {
		case st.Finished():
			sum.Skipped++
			done++
			emit(Event{Type: Skipped, Run: run, Result: r})
			continue
		case st == Corrupt:
			if qerr := s.quarantine(run); qerr != nil {
				return sum, fmt.Errorf("moving corrupt %s aside: %v", s.resultPath(run.ID), qerr)
			}
			sum.Redone++
			emit(Event{Type: Redo, Run: run, Err: err})
		}
		todo = append(todo, run)
	}

	inner := max(1, runtime.GOMAXPROCS(0)/workers)
	jobs := make(chan Run)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(todo)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for run := range jobs {
				mu.Lock()
				emit(Event{Type: Started, Run: run})
				mu.Unlock()
				env := &Env{Workers: inner, Progress: func(d, t int) {
					mu.Lock()
					emit(Event{Type: Progress, Run: run, Step: d, Steps: t})
					mu.Unlock()
				}}
				r, err := s.executeOne(ctx, run, env, opt.Task)
				mu.Lock()
				done++
				switch {
				case err == nil:
					sum.Ran++
					if r.Diverged {
						sum.Diverged++
					}
					emit(Event{Type: Finished, Run: run, Result: r})
				case ctx.Err() != nil && errors.Is(err, ctx.Err()):
					sum.Abandoned++
					emit(Event{Type: Abandoned, Run: run, Err: err})
				default:
					err = fmt.Errorf("run %d (%s): %w", run.Index, run.ID, err)
					sum.Failed++
					sum.Errors = append(sum.Errors, err)
					emit(Event{Type: Failed, Run: run, Err: err})
				}
				mu.Unlock()
			}
		}()
	}
	started := 0
feed:
	for _, run := range todo {
		select {
		case <-ctx.Done():
			break feed
		case <-opt.Drain:
			break feed
		default:
		}
		select {
		case <-ctx.Done():
			break feed
		case <-opt.Drain:
			break feed
		case jobs <- run:
			started++
		}
	}
	close(jobs)
	wg.Wait()
	sum.NotStarted = len(todo) - started
	switch {
	case sum.Failed > 0:
		return sum, fmt.Errorf("%d of %d runs failed; first: %w", sum.Failed, len(selected), sum.Errors[0])
	case ctx.Err() != nil || sum.NotStarted > 0:
		return sum, fmt.Errorf("%w: %d runs abandoned, %d not started", ErrInterrupted, sum.Abandoned, sum.NotStarted)
	}
	return sum, nil
}

// ErrInterrupted is returned by Execute when it stopped before every
// selected run was settled.
var ErrInterrupted = errors.New("interrupted")

// executeOne decodes, runs and stores one run. A panic in the run is
// reported as its failure, not a crash of the sweep.
// runsStarted and runsInFlight tell executeOne whether a run had the
// process to itself, so that its CPU time is its own.
var runsStarted, runsInFlight atomic.Int64

func (s *Sweep) executeOne(ctx context.Context, run Run, env *Env, task string) (r *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	_, cfg, err := NewRun(run.Kind, run.Config)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	start := time.Now()
	me := runsStarted.Add(1)
	solo := runsInFlight.Add(1) == 1
	cpu0 := processCPUSeconds()
	out, err := cfg.Execute(ctx, env)
	cpu := processCPUSeconds() - cpu0
	solo = solo && runsStarted.Load() == me
	runsInFlight.Add(-1)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stamp := Stamp{ISA: out.ISA, GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), Host: host, Provenance: provenance.Current(),
		Started: start.UTC().Format(time.RFC3339), Seconds: time.Since(start).Seconds(), Task: task}
	if solo && cpu > 0 {
		stamp.CPUSeconds = cpu
	}
	return s.store(run, out, stamp)
}
