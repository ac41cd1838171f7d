package data

import (
	"math"
	"slices"
	"testing"
)

// bruteHessianAndNoise computes H and C at theta by looping over examples,
// the definitions written out, to check the gonum versions against.
func bruteHessianAndNoise(ls *LeastSquares, theta []float64) (h, c []float64) {
	d, p := ls.Data, ls.P()
	h = make([]float64, p*p)
	c = make([]float64, p*p)
	g := make([]float64, p)
	z := make([]float64, p)
	for i := range d.N {
		for j, v := range d.Row(i) {
			z[j] = float64(v)
		}
		z[p-1] = 1
		r := dot(theta, z) - float64(d.T[i])
		for a := range p {
			g[a] += r * z[a] / float64(d.N)
			for b := range p {
				h[a*p+b] += z[a] * z[b] / float64(d.N)
				c[a*p+b] += r * r * z[a] * z[b] / float64(d.N)
			}
		}
	}
	for a := range p {
		for b := range p {
			c[a*p+b] -= g[a] * g[b]
		}
	}
	return h, c
}

func maxAbsDiff(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func TestLeastSquaresExactFacts(t *testing.T) {
	ls := LinearLeastSquares(200, 4, 0.3, 1)
	if err := ls.Data.Validate(); err != nil {
		t.Fatal(err)
	}
	theta := []float64{0.5, -1, 2, 0.1, -0.3}
	h, c := bruteHessianAndNoise(ls, theta)
	if e := maxAbsDiff(ls.Hessian(), h); e > 1e-12 {
		t.Fatalf("Hessian off by %g", e)
	}
	if e := maxAbsDiff(ls.NoiseCovariance(theta), c); e > 1e-12 {
		t.Fatalf("noise covariance off by %g", e)
	}
	if hb := ls.Hessian()[ls.P()*ls.P()-1]; math.Abs(hb-1) > 1e-14 {
		t.Fatalf("bias-bias Hessian entry %v, want 1", hb)
	}

	// The loss is exactly quadratic: L(theta+delta) = L + g.delta +
	// 0.5 delta^T H delta. This ties Loss, Gradient and Hessian together.
	delta := []float64{0.2, 0.1, -0.4, 0.3, 0.05}
	moved := slices.Clone(theta)
	for j := range moved {
		moved[j] += delta[j]
	}
	g := ls.Gradient(theta)
	quad := 0.0
	for a := range delta {
		for b := range delta {
			quad += delta[a] * h[a*ls.P()+b] * delta[b]
		}
	}
	if got, want := ls.Loss(moved), ls.Loss(theta)+dot(g, delta)+0.5*quad; math.Abs(got-want) > 1e-12 {
		t.Fatalf("loss not the quadratic of its gradient and Hessian: %v vs %v", got, want)
	}

	// At the minimiser the full gradient vanishes, and no nearby point is
	// lower.
	m := ls.Minimiser()
	if gn := math.Sqrt(dot(ls.Gradient(m), ls.Gradient(m))); gn > 1e-12 {
		t.Fatalf("gradient norm %g at the minimiser", gn)
	}
	for j := range m {
		for _, s := range []float64{-1e-3, 1e-3} {
			p := slices.Clone(m)
			p[j] += s
			if ls.Loss(p) <= ls.MinLoss() {
				t.Fatalf("loss not above MinLoss with coordinate %d of the minimiser moved by %v", j, s)
			}
		}
	}
}

func TestLeastSquaresNoiseless(t *testing.T) {
	ls := LinearLeastSquares(50, 3, 0, 2)
	// Targets are rounded to float32, so the fit is exact to ~1e-7.
	if e := maxAbsDiff(ls.Minimiser(), ls.TrueParams()); e > 1e-5 {
		t.Fatalf("noiseless minimiser off the true parameters by %g", e)
	}
	if ls.MinLoss() > 1e-12 {
		t.Fatalf("noiseless minimum loss %g", ls.MinLoss())
	}
	// Fewer examples than parameters: the minimum-norm interpolant.
	under := LinearLeastSquares(3, 6, 0.5, 2)
	if under.MinLoss() > 1e-12 {
		t.Fatalf("underdetermined problem not interpolated: loss %g", under.MinLoss())
	}
}

func TestLeastSquaresStreams(t *testing.T) {
	a := LinearLeastSquares(30, 3, 0.5, 9)
	if !slices.Equal(a.Data.T, LinearLeastSquares(30, 3, 0.5, 9).Data.T) {
		t.Fatal("same seed, different targets")
	}
	if slices.Equal(a.Data.X, LinearLeastSquares(30, 3, 0.5, 10).Data.X) {
		t.Fatal("different seeds, same inputs")
	}
	// The noise level moves the targets only.
	b := LinearLeastSquares(30, 3, 0, 9)
	if !slices.Equal(a.Data.X, b.Data.X) || !slices.Equal(a.W, b.W) || slices.Equal(a.Data.T, b.Data.T) {
		t.Fatal("noiseStd changed the inputs or weights, or not the targets")
	}
}

// The population facts hold in the limit. With N = 20000 the sample Hessian
// entries have standard deviation at most sqrt(2/N) = 0.01 (for x_j^2 with
// lambda 1), and C/sigma^2 at the true parameters has entries mean(eps^2 z z^T)
// with standard deviation at most sqrt(8/N) = 0.02 (eps^2 x_j^2: E = 1,
// E[square] = 9). The bounds, 0.06 and 0.12, sit 6 standard deviations out.
func TestLeastSquaresPopulationLimit(t *testing.T) {
	const sigma = 0.5
	ls := LinearLeastSquares(20000, 4, sigma, 5)
	if e := maxAbsDiff(ls.Hessian(), ls.PopulationHessian()); e > 0.06 {
		t.Fatalf("sample Hessian off the identity by %g", e)
	}
	c := ls.NoiseCovariance(ls.TrueParams())
	pc := ls.PopulationNoiseCovariance()
	t.Logf("max |H - H_pop| = %.4f, max |C - C_pop|/sigma^2 = %.4f", maxAbsDiff(ls.Hessian(), ls.PopulationHessian()), maxAbsDiff(c, pc)/(sigma*sigma))
	for i := range c {
		if math.Abs(c[i]-pc[i])/(sigma*sigma) > 0.12 {
			t.Fatalf("noise covariance entry %d: %v, population %v", i, c[i], pc[i])
		}
	}
	// E[MinLoss] = sigma^2/2 (N-P)/N; its sd here is about 0.2%.
	want := sigma * sigma / 2 * float64(ls.Data.N-ls.P()) / float64(ls.Data.N)
	if got := ls.MinLoss(); math.Abs(got-want)/want > 0.03 {
		t.Fatalf("minimum loss %v, expected about %v", got, want)
	}
}

func TestLeastSquaresSpectrum(t *testing.T) {
	lambda := []float64{9, 1, 0.01}
	ls := LinearLeastSquares(20000, 3, 0.1, 6, WithSpectrum(lambda))
	ph := ls.PopulationHessian()
	if !slices.Equal(ph, []float64{9, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.01, 0, 0, 0, 0, 1}) {
		t.Fatalf("population Hessian %v", ph)
	}
	h := ls.Hessian()
	for j, l := range lambda {
		// Relative error of a mean of N chi-square(1) variables: sqrt(2/N).
		if got := h[j*4+j]; math.Abs(got-l)/l > 0.06 {
			t.Fatalf("Hessian diagonal %d = %v, want about %v", j, got, l)
		}
	}
	// The ill-conditioned problem is still solved to full accuracy.
	if gn := math.Sqrt(dot(ls.Gradient(ls.Minimiser()), ls.Gradient(ls.Minimiser()))); gn > 1e-12 {
		t.Fatalf("gradient norm %g at the minimiser", gn)
	}

	fixed := LinearLeastSquares(10, 2, 0, 1, WithTrueParams([]float64{1, -2}, 3))
	if !slices.Equal(fixed.TrueParams(), []float64{1, -2, 3}) {
		t.Fatalf("true params %v", fixed.TrueParams())
	}
}

func TestLeastSquaresPanicsOnBadArguments(t *testing.T) {
	for name, f := range map[string]func(){
		"n=0":            func() { LinearLeastSquares(0, 2, 1, 1) },
		"negative noise": func() { LinearLeastSquares(5, 2, -1, 1) },
		"NaN noise":      func() { LinearLeastSquares(5, 2, math.NaN(), 1) },
		"spectrum len":   func() { LinearLeastSquares(5, 2, 1, 1, WithSpectrum([]float64{1})) },
		"spectrum sign":  func() { LinearLeastSquares(5, 2, 1, 1, WithSpectrum([]float64{1, -1})) },
		"weights len":    func() { LinearLeastSquares(5, 2, 1, 1, WithTrueParams([]float64{1}, 0)) },
		"theta len":      func() { LinearLeastSquares(5, 2, 1, 1).Loss([]float64{1, 2}) },
		"mixture sep":    func() { GaussianMixture(5, 2, 2, -1, 1) },
		"mixture class":  func() { GaussianMixture(5, 2, 1, 1, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
