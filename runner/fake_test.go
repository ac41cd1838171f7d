package runner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sgdclaims/sgdclaims/runner"
)

// sleepConfig is a run kind that exists only in this test binary: it takes
// SleepMS milliseconds (checking for cancellation), then returns a record
// computed from N. It logs "start N" to $RUNNER_TEST_LOG when set, so tests
// can count executions across processes.
type sleepConfig struct {
	N       int  `json:"n"`
	SleepMS int  `json:"sleep_ms,omitempty"`
	Diverge bool `json:"diverge,omitempty"`
	Fail    bool `json:"fail,omitempty"`
	// Spin makes the run busy-wait instead of sleeping, so that it uses
	// CPU time.
	Spin bool `json:"spin,omitempty"`
	// Seed only labels the run (seed=N), as a train run's seed does.
	Seed int `json:"seed,omitempty"`
}

func init() {
	runner.RegisterKind(runner.Kind{Name: "test-sleep", Summary: "test only", New: func() runner.Config { return &sleepConfig{} }})
}

func (c *sleepConfig) Normalize() error {
	if c.N < 0 {
		return &runner.FieldError{Field: "n", Msg: fmt.Sprintf("must be >= 0, got %d", c.N)}
	}
	return nil
}

func (c *sleepConfig) Check() error { return nil }

func (c *sleepConfig) Execute(ctx context.Context, env *runner.Env) (*runner.Output, error) {
	if path := os.Getenv("RUNNER_TEST_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(f, "start %d\n", c.N)
		f.Close()
	}
	deadline := time.Now().Add(time.Duration(c.SleepMS) * time.Millisecond)
	for step := 1; time.Now().Before(deadline); step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		env.Progress(step, 0)
		if c.Spin {
			for t := time.Now(); time.Since(t) < 5*time.Millisecond; {
			}
			continue
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c.Fail {
		return nil, errors.New("asked to fail")
	}
	out := &runner.Output{
		Record:  map[string]any{"n": c.N, "square": c.N * c.N, "third": float64(c.N) / 3},
		Figures: map[string]float64{"square": float64(c.N * c.N)},
		ISA:     "test",
	}
	if c.Diverge {
		out.Diverged, out.DivergedStep = true, 7
	}
	return out, nil
}
