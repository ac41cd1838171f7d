package curvature

import (
	"context"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// Batch sharpness against dense mini-batch Hessians of a tiny network: the
// same mini-batches are drawn again, each one's Hessian is materialised
// column by column and diagonalised by gonum, and both figures (the mean
// directional curvature along the mini-batch gradient, the mean top
// eigenvalue) are formed from the dense matrices. The operator computes in
// float32, so agreement is to about 1e-4 relative.
func TestBatchSharpnessAgainstDenseHessians(t *testing.T) {
	m, err := nn.New("mlp:6-5-4-3", 3)
	if err != nil {
		t.Fatal(err)
	}
	d := data.GaussianMixture(60, 6, 3, 2, 5)
	cfg := BatchSharpnessConfig{Batches: 5, Batch: 10, Seed: 11, Lambda: true, Tol: 1e-7}
	got, err := BatchSharpness(context.Background(), m, d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.PerBatch) != 5 || len(got.PerBatchLambda) != 5 {
		t.Fatalf("%d and %d per-batch figures, want 5", len(got.PerBatch), len(got.PerBatchLambda))
	}
	var dirs, tops []float64
	idx := make([]int, cfg.Batch)
	for k := 0; k < cfg.Batches; k++ {
		sampleWithoutReplacement(newStream(cfg.Seed, "batch-sharpness", uint64(k)), d.N, idx)
		s := slices.Clone(idx)
		slices.Sort(s)
		if len(slices.Compact(s)) != cfg.Batch {
			t.Fatalf("batch %d repeats an example: %v", k, idx)
		}
		b := d.Subset(idx).All()
		op, err := NewHessian(m, b, NetworkConfig{})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := Materialize(op)
		ev := eigSym(t, h)
		g := op.Gradient()
		n := len(g)
		hg := make([]float64, n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				hg[i] += h.At(i, j) * g[j]
			}
		}
		dirs = append(dirs, dot(g, hg)/dot(g, g))
		tops = append(tops, ev[len(ev)-1])
		// The directional curvature lies inside the spectrum.
		if dirs[k] > ev[len(ev)-1]*(1+1e-4) || dirs[k] < ev[0]*(1+1e-4)-1e-6 {
			t.Errorf("batch %d: directional curvature %g outside the spectrum [%g, %g]", k, dirs[k], ev[0], ev[len(ev)-1])
		}
	}
	for k := range dirs {
		if rel := math.Abs(got.PerBatch[k]-dirs[k]) / math.Abs(tops[k]); rel > 1e-4 {
			t.Errorf("batch %d: directional curvature %g, dense %g", k, got.PerBatch[k], dirs[k])
		}
		if rel := math.Abs(got.PerBatchLambda[k]-tops[k]) / tops[k]; rel > 1e-4 {
			t.Errorf("batch %d: lambda_max %g, dense %g", k, got.PerBatchLambda[k], tops[k])
		}
	}
	wantDir, _ := meanSE(dirs)
	wantTop, _ := meanSE(tops)
	if math.Abs(got.Sharpness-wantDir) > 1e-4*wantTop || math.Abs(got.Lambda-wantTop) > 1e-4*wantTop {
		t.Errorf("means: sharpness %g (dense %g), lambda %g (dense %g)", got.Sharpness, wantDir, got.Lambda, wantTop)
	}
	if !(got.Sharpness <= got.Lambda) {
		t.Errorf("mean directional curvature %g above mean lambda_max %g", got.Sharpness, got.Lambda)
	}
	if got.Stamp.Estimator == "" || got.Applications < cfg.Batches {
		t.Errorf("stamp %+v, %d applications", got.Stamp, got.Applications)
	}
}

// The figures do not depend on GOMAXPROCS.
func TestBatchSharpnessDeterministic(t *testing.T) {
	m, err := nn.New("mlp:6-8-3", 2)
	if err != nil {
		t.Fatal(err)
	}
	d := data.GaussianMixture(200, 6, 3, 2, 7)
	run := func(p int) *BatchSharpnessResult {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
		r, err := BatchSharpness(context.Background(), m, d, BatchSharpnessConfig{Batches: 4, Batch: 32, Seed: 3, Lambda: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := run(1), run(4)
	if !slices.Equal(a.PerBatch, b.PerBatch) || !slices.Equal(a.PerBatchLambda, b.PerBatchLambda) {
		t.Errorf("GOMAXPROCS 1 and 4 differ: %v %v / %v %v", a.PerBatch, a.PerBatchLambda, b.PerBatch, b.PerBatchLambda)
	}
	if _, err := BatchSharpness(context.Background(), m, d, BatchSharpnessConfig{Batch: 201}); err == nil {
		t.Error("a batch larger than the data was accepted")
	}
}
