package curvature

import (
	"context"
	"math"
	"runtime"
	"testing"
)

// quadForm returns u^T H u for the p x p row-major h.
func quadForm(h []float64, u []float64) float64 {
	p := len(u)
	s := 0.0
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			s += u[i] * h[i*p+j] * u[j]
		}
	}
	return s
}

// On a quadratic loss (least squares: L(theta + u) - L(theta) = <g, u> +
// u^T H u / 2 exactly), every line's loss-minimising fraction is
// -<g, u> / u^T H u; along the top eigenvector it is 1 / (eta lambda_1);
// and the loss changes of the top part, the rest and the whole step are
// the quadratic's.
func TestSplitStepOnQuadratic(t *testing.T) {
	ls := nudgeProblem()
	p := ls.P()
	h := ls.Hessian()
	theta := make([]float64, p)
	for i := range theta {
		theta[i] = 1 - 0.3*float64(i)
	}
	m, held := lsModel(t, 6, theta)
	vals, _ := exactEigen(t, p, h)
	star := ls.Minimiser()
	g := make([]float64, p)
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			g[i] += h[i*p+j] * (held[j] - star[j])
		}
	}
	op, err := NewHessian(m, ls.Data.All(), NetworkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	proj, _, err := TopEigenspace(context.Background(), op, 2, LanczosConfig{Tol: 1e-7})
	if err != nil {
		t.Fatal(err)
	}
	eta := 4 / vals[0] // eta lambda_1 = 4: the step along e_1 overshoots; its best fraction is 1/4
	d := make([]float64, p)
	axpy(-eta, g, d)
	alphas := make([]float64, 121)
	for i := range alphas {
		alphas[i] = -1 + 0.05*float64(i) // [-1, 5]
	}
	run := func(procs int) *StepSplit {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		s, err := SplitStep(context.Background(), m, ls.Data.All(), d, proj, StepSplitConfig{Alphas: alphas, Random: 3, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := run(2)
	if len(s.Eigen) != 2 || len(s.Random) != 3 {
		t.Fatalf("%d eigen lines, %d random", len(s.Eigen), len(s.Random))
	}
	if a := s.Eigen[0].BestAlpha; math.Abs(a-0.25) > 2e-3 || s.Eigen[0].AtEdge {
		t.Fatalf("fraction along e1 = %v, want 1/(eta lambda_1) = 0.25", a)
	}
	if a, want := s.Eigen[1].BestAlpha, vals[0]/(4*vals[1]); math.Abs(a-want) > 1e-2*want {
		t.Fatalf("fraction along e2 = %v, want %v", a, want)
	}
	checked := 0
	for _, l := range append(append(append([]StepLine{}, s.Eigen...), s.Random...), s.Bulk, s.Step) {
		want := -dot(g, l.Direction) / quadForm(h, l.Direction)
		if want < alphas[0] || want > alphas[len(alphas)-1] {
			if !l.AtEdge {
				t.Errorf("%s: minimiser %v is off the grid but AtEdge is false", l.Name, want)
			}
			continue
		}
		checked++
		if math.Abs(l.BestAlpha-want) > 2e-3*math.Max(1, want) || l.AtEdge {
			t.Errorf("%s: best alpha %v, quadratic's %v (at edge %v)", l.Name, l.BestAlpha, want, l.AtEdge)
		}
		if d1 := l.Loss1 - l.Loss0; math.Abs(d1-(dot(g, l.Direction)+0.5*quadForm(h, l.Direction))) > 1e-5*math.Max(1, math.Abs(d1)) {
			t.Errorf("%s: loss change at alpha 1 = %v", l.Name, d1)
		}
	}
	if checked < 5 {
		t.Fatalf("only %d lines had their minimiser on the grid", checked)
	}
	top, bulk := proj.Split(d)
	for name, c := range map[string][2]float64{
		"top":  {s.DeltaTop, dot(g, top) + 0.5*quadForm(h, top)},
		"bulk": {s.DeltaBulk, dot(g, bulk) + 0.5*quadForm(h, bulk)},
		"step": {s.DeltaStep, dot(g, d) + 0.5*quadForm(h, d)},
	} {
		if math.Abs(c[0]-c[1]) > 1e-5*math.Max(1, math.Abs(c[1])) {
			t.Errorf("delta %s = %v, quadratic's %v", name, c[0], c[1])
		}
	}
	// eta lambda_1 = 4 > 2: the top part raises the loss, the rest lowers it.
	if !(s.DeltaTop > 0 && s.DeltaBulk < 0) {
		t.Errorf("delta top %v, bulk %v: want > 0 and < 0", s.DeltaTop, s.DeltaBulk)
	}
	if math.Abs(s.TopNorm*s.TopNorm+s.BulkNorm*s.BulkNorm-s.StepNorm*s.StepNorm) > 1e-9*s.StepNorm*s.StepNorm {
		t.Errorf("norms %v^2 + %v^2 != %v^2", s.TopNorm, s.BulkNorm, s.StepNorm)
	}
	s1 := run(1)
	if math.Float64bits(s1.Eigen[0].BestAlpha) != math.Float64bits(s.Eigen[0].BestAlpha) || math.Float64bits(s1.DeltaBulk) != math.Float64bits(s.DeltaBulk) {
		t.Fatal("SplitStep differs across GOMAXPROCS")
	}
}

func TestParabolaVertex(t *testing.T) {
	f := func(x float64) float64 { return 3*(x-0.37)*(x-0.37) + 1 }
	if v := parabolaVertex(0.2, 0.3, 0.5, f(0.2), f(0.3), f(0.5)); math.Abs(v-0.37) > 1e-12 {
		t.Fatalf("vertex %v, want 0.37", v)
	}
	if v := parabolaVertex(0, 1, 2, 1, 1, 1); v != 1 {
		t.Fatalf("flat: vertex %v, want the middle", v)
	}
}
