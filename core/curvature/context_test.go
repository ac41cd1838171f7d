package curvature

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// cancelOp applies op and cancels its context once it has computed after
// calls (Apply or ApplyBlock, a block counting once): an interruption that
// arrives while an application runs, as SIGTERM would.
type cancelOp struct {
	Operator
	after  int
	calls  int
	cancel context.CancelFunc
}

func (c *cancelOp) Apply(v, out []float64) { c.ApplyBlock(v, 1, out) }

func (c *cancelOp) ApplyBlock(vs []float64, k int, out []float64) {
	c.Operator.ApplyBlock(vs, k, out)
	c.calls++
	if c.calls == c.after {
		c.cancel()
	}
}

// countCtx counts the calls of Err and cancels itself at call after+1 (never
// when after < 0): the checks of an estimator that takes no Operator (LASS,
// loss slices) are counted instead of its work.
type countCtx struct {
	context.Context
	after, n int
	cancel   context.CancelFunc
}

func newCountCtx(after int) *countCtx {
	ctx, cancel := context.WithCancel(context.Background())
	return &countCtx{Context: ctx, after: after, cancel: cancel}
}

func (c *countCtx) Err() error {
	c.n++
	if c.after >= 0 && c.n > c.after {
		c.cancel()
	}
	return c.Context.Err()
}

// ctxEstimator runs one Context variant on op and renders its result
// exactly (%+v prints every float64 in its shortest round-trip form), or
// reports nil.
type ctxEstimator struct {
	name string
	run  func(ctx context.Context, op Operator) (string, bool, error)
	// plain is the function without a context, on the same settings.
	plain func(op Operator) (string, error)
	// after lists the cancellation points (applications) to try.
	after []int
}

func render[T any](res *T, err error) (string, bool, error) {
	if res == nil {
		return "", false, err
	}
	return fmt.Sprintf("%+v", *res), true, err
}

func ctxEstimators() []ctxEstimator {
	lc := LanczosConfig{Top: 2, Bottom: 1, Tol: 1e-9, Seed: 4, Vectors: true, Verify: true}
	pc := PowerConfig{Top: 2, Tol: 1e-12, MaxIter: 40, Seed: 5}
	hc := TraceConfig{Budget: 40, Block: 4, Seed: 6}
	// Hutch++ at budget 60, block 4: 5 sketch blocks, 5 deflation blocks,
	// then the probes; the cancellation points hit each phase.
	hpc := TraceConfig{Budget: 60, Block: 4, Seed: 7}
	sc := SLQConfig{Probes: 4, Steps: 20, Block: 2, Seed: 8, GridPoints: 50}
	str := func(s string, _ bool, err error) (string, error) { return s, err }
	return []ctxEstimator{
		{"Lanczos",
			func(ctx context.Context, op Operator) (string, bool, error) {
				return render(LanczosContext(ctx, op, lc))
			},
			func(op Operator) (string, error) { return str(render(Lanczos(op, lc))) },
			// 0 is filled in with the iteration count: the interruption
			// arrives during the last product, before the Verify block.
			[]int{1, 5, 0}},
		{"PowerIteration",
			func(ctx context.Context, op Operator) (string, bool, error) {
				return render(PowerIterationContext(ctx, op, pc))
			},
			func(op Operator) (string, error) { return str(render(PowerIteration(op, pc))) },
			[]int{3, 45}},
		{"Hutchinson",
			func(ctx context.Context, op Operator) (string, bool, error) {
				return render(HutchinsonContext(ctx, op, hc))
			},
			func(op Operator) (string, error) { return str(render(Hutchinson(op, hc))) },
			[]int{1, 4}},
		{"HutchPlusPlus",
			func(ctx context.Context, op Operator) (string, bool, error) {
				return render(HutchPlusPlusContext(ctx, op, hpc))
			},
			func(op Operator) (string, error) { return str(render(HutchPlusPlus(op, hpc))) },
			[]int{2, 5, 7, 12}},
		{"SpectralDensity",
			func(ctx context.Context, op Operator) (string, bool, error) {
				return render(SpectralDensityContext(ctx, op, sc))
			},
			func(op Operator) (string, error) { return str(render(SpectralDensity(op, sc))) },
			[]int{3, 25}},
	}
}

// Each operator estimator, interrupted during its k-th application, returns
// at its next check: no further application, no result, and an error that
// names it and wraps context.Canceled.
func TestContextCancelStopsEstimators(t *testing.T) {
	op := mustDense(t, knownSpectrum(120), 21)
	for _, e := range ctxEstimators() {
		// An uninterrupted run, to know how many applications there are.
		full := &cancelOp{Operator: op, cancel: func() {}}
		if _, ok, err := e.run(context.Background(), full); err != nil || !ok {
			t.Fatalf("%s: uninterrupted: %v", e.name, err)
		}
		for _, k := range e.after {
			if k == 0 {
				k = full.calls - 1 // Lanczos: the last iteration's product
			}
			if k >= full.calls {
				t.Fatalf("%s: cancellation point %d is past the %d applications of a full run", e.name, k, full.calls)
			}
			ctx, cancel := context.WithCancel(context.Background())
			c := &cancelOp{Operator: op, after: k, cancel: cancel}
			_, ok, err := e.run(ctx, c)
			cancel()
			if !errors.Is(err, context.Canceled) || ok {
				t.Errorf("%s cancelled after %d: result %v, error %v", e.name, k, ok, err)
				continue
			}
			if want := "curvature: " + e.name + ": context canceled"; err.Error() != want {
				t.Errorf("%s: error %q, want %q", e.name, err, want)
			}
			if c.calls > k+1 {
				t.Errorf("%s cancelled after %d applications: %d applications before returning (a full run takes %d)", e.name, k, c.calls, full.calls)
			}
		}
	}
}

// A context that is done before the call gives no application at all, and
// the error keeps the context's own (here a deadline).
func TestContextAlreadyDone(t *testing.T) {
	op := mustDense(t, knownSpectrum(60), 22)
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	for _, e := range ctxEstimators() {
		c := &cancelOp{Operator: op, cancel: func() {}}
		_, ok, err := e.run(ctx, c)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ctx.Err()) || ok || c.calls != 0 {
			t.Errorf("%s: result %v, error %v, %d applications", e.name, ok, err, c.calls)
		}
	}
}

// With a live context every variant gives bitwise the result of the plain
// function (rendered with every float64 in full), on a dense operator and
// on a network Hessian.
func TestContextUncancelledIsBitwisePlain(t *testing.T) {
	m, b := tinyNet(t, "mlp:6-8-3", 40)
	net, err := NewHessian(m, b, NetworkConfig{Chunk: 16})
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range []Operator{mustDense(t, knownSpectrum(120), 23), net} {
		for _, e := range ctxEstimators() {
			want, err := e.plain(op)
			if err != nil {
				t.Fatalf("%s: %v", e.name, err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			got, _, err := e.run(ctx, op)
			cancel()
			if err != nil || got != want {
				t.Errorf("operator %d, %s: Context variant differs from the plain function (error %v)\n got %.300s\nwant %.300s", i, e.name, err, got, want)
			}
		}
	}
}

// CSR checks its context before each chunk and before every LASS step, so
// an interruption is seen within one step on a chunk; uncancelled, the
// result is bitwise the plain function's.
func TestCriticalSampleRatioContext(t *testing.T) {
	m, _ := tinyNet(t, "mlp:6-8-3", 1)
	const n, chunk = 90, 16
	x := make([]float32, n*m.InputDim())
	s := newStream(9, "test", 0)
	for i := range x {
		x[i] = float32(s.Float64())
	}
	b := data.Batch{X: x, N: n}
	cfg := CSRConfig{Radius: 0.3, Step: 0.05, NoiseStd: 0.02, MaxIter: 15, Seed: 2, Chunk: chunk}
	want, err := CriticalSampleRatio(m, b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	live := newCountCtx(-1)
	got, err := CriticalSampleRatioContext(live, m, b, cfg)
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) {
		t.Fatalf("uncancelled: error %v, or the result differs from CriticalSampleRatio", err)
	}
	// One check per chunk plus one per LASS step: a chunk runs until its
	// last example flips, or MaxIter steps.
	checks := 0
	for lo := 0; lo < n; lo += chunk {
		steps := 0
		for _, st := range want.Steps[lo:min(lo+chunk, n)] {
			if st == 0 {
				st = cfg.MaxIter
			}
			steps = max(steps, st)
		}
		checks += 1 + steps
	}
	if live.n != checks {
		t.Errorf("%d context checks for %d chunks and LASS steps", live.n, checks)
	}
	if want.Critical == 0 || want.Critical == n {
		t.Fatalf("test is vacuous: %d of %d critical", want.Critical, n)
	}
	for _, k := range []int{0, 1, checks / 2, checks - 1} {
		ctx := newCountCtx(k)
		res, err := CriticalSampleRatioContext(ctx, m, b, cfg)
		if !errors.Is(err, context.Canceled) || res != nil || !strings.HasPrefix(err.Error(), "curvature: CriticalSampleRatio: ") {
			t.Errorf("cancelled at check %d: result %v, error %v", k+1, res, err)
		}
		if ctx.n != k+1 {
			t.Errorf("cancelled at check %d: %d checks before returning", k+1, ctx.n)
		}
	}
}

func TestLossSliceContext(t *testing.T) {
	m, b := tinyNet(t, "mlp:6-8-3", 30)
	d := FilterNormalizedDirection(m, 3, false)
	alphas := []float64{-1, -0.5, 0, 0.5, 1}
	want, err := LossSlice(m, b, d, alphas, "x")
	if err != nil {
		t.Fatal(err)
	}
	live := newCountCtx(-1)
	got, err := LossSliceContext(live, m, b, d, alphas, "x")
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) || live.n != len(alphas) {
		t.Fatalf("uncancelled: error %v, %d checks, or the result differs from LossSlice", err, live.n)
	}
	ctx := newCountCtx(2)
	res, err := LossSliceContext(ctx, m, b, d, alphas, "x")
	if !errors.Is(err, context.Canceled) || res != nil || ctx.n != 3 || err.Error() != "curvature: LossSlice: context canceled" {
		t.Errorf("cancelled before the third alpha: result %v, error %v, %d checks", res, err, ctx.n)
	}
}
