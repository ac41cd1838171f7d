package curvature

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// knownSpectrum is the test spectrum: five separated top eigenvalues, two
// separated negative ones, and a bulk in [-2, 8] like a network Hessian's.
func knownSpectrum(n int) []float64 {
	eig := []float64{50, 30, 20, 15, 12, -10, -6}
	bulk := n - len(eig)
	for i := 0; i < bulk; i++ {
		eig = append(eig, -2+10*float64(i)/float64(bulk-1))
	}
	return eig
}

func mustDense(t testing.TB, eig []float64, seed uint64) *Dense {
	t.Helper()
	d, err := NewDenseSpectrum(eig, seed)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

func TestLanczosKnownSpectrum(t *testing.T) {
	op := mustDense(t, knownSpectrum(300), 1)
	res, err := Lanczos(op, LanczosConfig{Top: 3, Bottom: 2, Tol: 1e-10, Seed: 7, Vectors: true, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged {
		t.Fatalf("not converged after %d iterations", res.Iterations)
	}
	wantTop, wantBottom := []float64{50, 30, 20}, []float64{-10, -6}
	for i, p := range res.Top {
		if relErr(p.Value, wantTop[i]) > 1e-8 {
			t.Errorf("top %d = %.12g, want %g", i, p.Value, wantTop[i])
		}
	}
	for i, p := range res.Bottom {
		if relErr(p.Value, wantBottom[i]) > 1e-8 {
			t.Errorf("bottom %d = %.12g, want %g", i, p.Value, wantBottom[i])
		}
	}
	all := append(slices.Clone(res.Top), res.Bottom...)
	for i, p := range all {
		if p.Residual > 1e-10*math.Abs(p.Value) {
			t.Errorf("pair %d: residual %g above the tolerance", i, p.Residual)
		}
		// The recurrence's residual is exact in exact arithmetic: the direct
		// one may differ only by rounding.
		if math.Abs(p.TrueResidual-p.Residual) > 1e-11*50 {
			t.Errorf("pair %d: recurrence residual %g, direct %g", i, p.Residual, p.TrueResidual)
		}
		if math.Abs(nrm2(p.Vector)-1) > 1e-12 {
			t.Errorf("pair %d: |y| = %v", i, nrm2(p.Vector))
		}
		for j := 0; j < i; j++ {
			if c := math.Abs(dot(p.Vector, all[j].Vector)); c > 1e-10 {
				t.Errorf("pairs %d, %d: y_i . y_j = %g", i, j, c)
			}
		}
	}
	// Budget accounting: the estimator's count, the operator's count and
	// the stamp agree (Verify adds one block of 5).
	if int64(res.Applications) != op.Applications() || res.Stamp.Budget != res.Applications ||
		res.Applications != res.Iterations+5 {
		t.Errorf("applications %d, operator counted %d, stamp %d, iterations %d",
			res.Applications, op.Applications(), res.Stamp.Budget, res.Iterations)
	}
}

// The residual bound is rigorous: an eigenvalue lies within it. The value
// rule stops earlier and its estimate still bounds the true error here.
func TestLanczosStopRules(t *testing.T) {
	op := mustDense(t, knownSpectrum(300), 2)
	byRes, err := Lanczos(op, LanczosConfig{Tol: 1e-6, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	byVal, err := Lanczos(op, LanczosConfig{Tol: 1e-6, Seed: 3, Stop: StopValue})
	if err != nil {
		t.Fatal(err)
	}
	r, v := byRes.Top[0], byVal.Top[0]
	if math.Abs(r.Value-50) > r.Residual || r.Residual > 1e-6*r.Value {
		t.Errorf("residual rule: value %.12g, residual %g", r.Value, r.Residual)
	}
	if relErr(v.Value, 50) > 1e-6 || math.Abs(v.Value-50) > 2*v.ErrorEstimate {
		t.Errorf("value rule: value %.12g (error %g), estimate %g", v.Value, v.Value-50, v.ErrorEstimate)
	}
	if byVal.Applications >= byRes.Applications {
		t.Errorf("value rule used %d applications, residual rule %d: want fewer", byVal.Applications, byRes.Applications)
	}
	t.Logf("applications to 1e-6: residual rule %d, value rule %d", byRes.Applications, byVal.Applications)
}

func TestLanczosRepeatedAndNullEigenvalues(t *testing.T) {
	var eig []float64
	for i := 0; i < 30; i++ {
		eig = append(eig, []float64{5, 1, 3}[i%3])
	}
	op := mustDense(t, eig, 4)
	res, err := Lanczos(op, LanczosConfig{Top: 3, Bottom: 2, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Top {
		if math.Abs(p.Value-5) > 1e-9 {
			t.Errorf("top: %v, want 5, 5, 5", values(res.Top))
			break
		}
	}
	for _, p := range res.Bottom {
		if math.Abs(p.Value-1) > 1e-9 {
			t.Errorf("bottom: %v, want 1, 1", values(res.Bottom))
			break
		}
	}

	// Rank 3 in dimension 60: the null space is found, and the top pairs
	// are certified after one extra application.
	eig = make([]float64, 60)
	eig[0], eig[1], eig[2] = 9, 4, 2
	op = mustDense(t, eig, 5)
	res, err = Lanczos(op, LanczosConfig{Top: 2, Bottom: 2, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	if got := values(res.Top); math.Abs(got[0]-9) > 1e-9 || math.Abs(got[1]-4) > 1e-9 {
		t.Errorf("top %v, want 9, 4", got)
	}
	if got := values(res.Bottom); math.Abs(got[0]) > 1e-9 || math.Abs(got[1]) > 1e-9 {
		t.Errorf("bottom %v, want 0, 0", got)
	}
	if res.Applications > 10 {
		t.Errorf("rank-3 operator took %d applications", res.Applications)
	}
}

func values(ps []Eigenpair) []float64 {
	var v []float64
	for _, p := range ps {
		v = append(v, p.Value)
	}
	return v
}

func TestPowerIteration(t *testing.T) {
	// A slowly converging spectrum (lambda_2/lambda_1 = 0.95): PyHessian's
	// rule stops once successive estimates agree to 1e-3, which is well
	// before they are 1e-3 accurate; the residual rule does not.
	eig := []float64{10, 9.5}
	for i := 0; i < 198; i++ {
		eig = append(eig, 5*float64(i)/197)
	}
	op := mustDense(t, eig, 6)
	py, err := PowerIteration(op, PowerConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := PowerIteration(op, PowerConfig{Seed: 1, Stop: StopResidual, MaxIter: 1000})
	if err != nil {
		t.Fatal(err)
	}
	pe, re := relErr(py.Top[0].Value, 10), relErr(rs.Top[0].Value, 10)
	t.Logf("PyHessian rule: %d HVPs, relative error %.2e; residual rule: %d HVPs, error %.2e",
		py.Applications, pe, rs.Applications, re)
	if !py.Converged || pe <= 2e-3 {
		t.Errorf("PyHessian rule: converged %v, relative error %.2e: expected a premature stop (> 2e-3)", py.Converged, pe)
	}
	if !rs.Converged || re > 1e-3 || math.Abs(rs.Top[0].Value-10) > rs.Top[0].Residual {
		t.Errorf("residual rule: converged %v, error %.2e, residual %g", rs.Converged, re, rs.Top[0].Residual)
	}
	// The PyHessian variant's residual belongs to the value it reports.
	if r := py.Top[0].Residual; math.Abs(py.Top[0].Value-10) > r {
		t.Errorf("PyHessian value %v further from 10 than its residual %v", py.Top[0].Value, r)
	}

	// Well separated: both rules find the top two (deflated) to 1e-3.
	op = mustDense(t, knownSpectrum(200), 7)
	two, err := PowerIteration(op, PowerConfig{Top: 2, Seed: 2, Stop: StopResidual, Tol: 1e-4, MaxIter: 500})
	if err != nil {
		t.Fatal(err)
	}
	if relErr(two.Top[0].Value, 50) > 1e-3 || relErr(two.Top[1].Value, 30) > 1e-3 {
		t.Errorf("top two by deflated power iteration: %v", values(two.Top))
	}
	if int64(py.Applications+rs.Applications+two.Applications) != int64(py.Stamp.Budget+rs.Stamp.Budget+two.Stamp.Budget) {
		t.Errorf("stamp budgets disagree with applications")
	}
}

// lowRankSpectrum is dominated by ten large eigenvalues over a small bulk:
// the case Hutch++ is built for (and the shape of network Hessians).
func lowRankSpectrum(n int) []float64 {
	eig := make([]float64, n)
	for i := range eig {
		if i < 10 {
			eig[i] = 100 * math.Pow(0.7, float64(i))
		} else {
			eig[i] = 0.01 * float64(i%17) / 16
		}
	}
	return eig
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// Both estimators' standard errors must cover their errors, and at an equal
// budget Hutch++ must beat Hutchinson on a low-rank-dominated spectrum.
// Margins, fixed before running: over 30 seeds the mean squared z-score of
// each estimator lies in [0.4, 2.5] (its expectation is about 1), no |z|
// exceeds 5, and Hutch++'s RMS error is below a tenth of Hutchinson's (the
// variance argument predicts a ratio of several hundred here).
func TestTraceEstimators(t *testing.T) {
	eig := lowRankSpectrum(400)
	op := mustDense(t, eig, 8)
	exact := sum(eig)
	const seeds, budget = 30, 60
	var seH, seP, z2H, z2P float64
	for s := uint64(0); s < seeds; s++ {
		h, err := Hutchinson(op, TraceConfig{Budget: budget, Block: 7, Seed: s})
		if err != nil {
			t.Fatal(err)
		}
		p, err := HutchPlusPlus(op, TraceConfig{Budget: budget, Block: 7, Seed: s})
		if err != nil {
			t.Fatal(err)
		}
		if h.Applications != budget || p.Applications != budget || p.Probes+p.Rank+budget/3 != budget {
			t.Fatalf("budget: Hutchinson %d, Hutch++ %d (rank %d, probes %d)", h.Applications, p.Applications, p.Rank, p.Probes)
		}
		zh, zp := (h.Value-exact)/h.StdErr, (p.Value-exact)/p.StdErr
		if math.Abs(zh) > 5 || math.Abs(zp) > 5 {
			t.Errorf("seed %d: z-scores Hutchinson %.2f, Hutch++ %.2f", s, zh, zp)
		}
		seH += (h.Value - exact) * (h.Value - exact)
		seP += (p.Value - exact) * (p.Value - exact)
		z2H += zh * zh
		z2P += zp * zp
	}
	rmsH, rmsP := math.Sqrt(seH/seeds), math.Sqrt(seP/seeds)
	z2H, z2P = z2H/seeds, z2P/seeds
	t.Logf("trace %.4f: RMS error Hutchinson %.3g, Hutch++ %.3g; mean z^2 %.2f, %.2f", exact, rmsH, rmsP, z2H, z2P)
	if z2H < 0.4 || z2H > 2.5 || z2P < 0.4 || z2P > 2.5 {
		t.Errorf("standard errors miscalibrated: mean z^2 Hutchinson %.2f, Hutch++ %.2f", z2H, z2P)
	}
	if rmsP > rmsH/10 {
		t.Errorf("Hutch++ RMS error %.3g not below a tenth of Hutchinson's %.3g", rmsP, rmsH)
	}
}

// Hutchinson's standard error must match the closed-form standard deviation
// of a Rademacher quadratic form, sqrt(2 (||H||_F^2 - sum_i H_ii^2) / m),
// within 15% at 800 probes (the sample SD's own relative error is about
// 1/sqrt(2*800) = 2.5%, plus the fourth-moment term).
func TestHutchinsonStdErrMatchesTheory(t *testing.T) {
	eig := knownSpectrum(150)
	op := mustDense(t, eig, 9)
	fro2, diag2 := 0.0, 0.0
	for _, l := range eig {
		fro2 += l * l
	}
	for i := 0; i < op.Dim(); i++ {
		diag2 += op.At(i, i) * op.At(i, i)
	}
	const m = 800
	h, err := Hutchinson(op, TraceConfig{Budget: m, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	want := math.Sqrt(2 * (fro2 - diag2) / m)
	if relErr(h.StdErr, want) > 0.15 {
		t.Errorf("standard error %.4g, theory %.4g", h.StdErr, want)
	}
}

func TestSpectralDensity(t *testing.T) {
	eig := knownSpectrum(300)
	op := mustDense(t, eig, 10)
	const probes = 12
	d, err := SpectralDensity(op, SLQConfig{Probes: probes, Steps: 40, Block: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if d.Applications != probes*40 {
		t.Errorf("applications %d, want %d", d.Applications, probes*40)
	}
	// Weights of each probe sum to 1; the smoothed density integrates to 1.
	for l, w := range d.Weights {
		if math.Abs(sum(w)-1) > 1e-12 {
			t.Errorf("probe %d: weights sum to %.15g", l, sum(w))
		}
	}
	integral := 0.0
	for i := 1; i < len(d.Grid); i++ {
		integral += 0.5 * (d.Values[i] + d.Values[i-1]) * (d.Grid[i] - d.Grid[i-1])
	}
	if math.Abs(integral-1) > 1e-4 {
		t.Errorf("density integrates to %.6f", integral)
	}
	// Gauss quadrature is exact for low moments: the first three moments
	// equal the probes' quadratic forms z^T H^p z / n exactly (to rounding),
	// computed here directly on the same probes.
	n := op.Dim()
	z := make([]float64, n)
	hz := make([]float64, n)
	h2z := make([]float64, n)
	var m1, m2, m3 float64
	for l := 0; l < probes; l++ {
		fillRademacher(newStream(3, "probe", uint64(l)), z)
		op.Apply(z, hz)
		op.Apply(hz, h2z)
		m1 += dot(z, hz)
		m2 += dot(hz, hz)
		m3 += dot(hz, h2z)
	}
	for p, want := range []float64{m1, m2, m3} {
		want /= float64(probes * n)
		if got := d.Moment(p + 1); relErr(got, want) > 1e-10 {
			t.Errorf("moment %d = %.15g, quadratic forms give %.15g", p+1, got, want)
		}
	}
	// ... and, statistically, Tr(H)/n within four standard errors.
	tr, se := d.Trace()
	if math.Abs(tr-sum(eig)) > 4*se {
		t.Errorf("implied trace %.4f +- %.4f, exact %.4f", tr, se, sum(eig))
	}
	// Nodes interlace: they lie inside [lambda_min, lambda_max], and with 40
	// steps the extreme nodes have found the extreme eigenvalues.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ns := range d.Nodes {
		lo, hi = math.Min(lo, ns[0]), math.Max(hi, ns[len(ns)-1])
	}
	if lo < -10-1e-9 || hi > 50+1e-9 || relErr(hi, 50) > 1e-6 || relErr(lo, -10) > 1e-6 {
		t.Errorf("node range [%g, %g], spectrum [-10, 50]", lo, hi)
	}
}

// Same seed -> bitwise identical results for any GOMAXPROCS.
func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	op := mustDense(t, knownSpectrum(700), 12)
	runAll := func() []float64 {
		l, err := Lanczos(op, LanczosConfig{Top: 2, Bottom: 1, Tol: 1e-8, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		p, err := HutchPlusPlus(op, TraceConfig{Budget: 30, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		d, err := SpectralDensity(op, SLQConfig{Probes: 2, Steps: 20, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		out := append(values(l.Top), values(l.Bottom)...)
		out = append(out, l.Top[0].Residual, p.Value, p.StdErr)
		return append(out, d.Values...)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	a := runAll()
	runtime.GOMAXPROCS(4)
	b := runAll()
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("value %d differs: %v with GOMAXPROCS=1, %v with 4", i, a[i], b[i])
		}
	}
}

func TestRestrictAndMaterialize(t *testing.T) {
	op := mustDense(t, knownSpectrum(40), 13)
	r, err := Restrict(op, 10, 25, "layer 1")
	if err != nil {
		t.Fatal(err)
	}
	sub, asym := Materialize(r)
	if asym != 0 {
		t.Errorf("restriction of a symmetric matrix reported asymmetry %g", asym)
	}
	for i := 0; i < 15; i++ {
		for j := 0; j < 15; j++ {
			if sub.At(i, j) != op.At(10+i, 10+j) {
				t.Fatalf("block (%d,%d) = %v, want %v", i, j, sub.At(i, j), op.At(10+i, 10+j))
			}
		}
	}
	if r.Applications() != 15 || op.Applications() != 15 {
		t.Errorf("counts: restricted %d, inner %d, want 15 each (a block of k counts k)", r.Applications(), op.Applications())
	}
	if s := r.Describe(); s.Block != "layer 1 params [10, 25)" {
		t.Errorf("block label %q", s.Block)
	}
	for _, c := range [][2]int{{-1, 3}, {5, 5}, {30, 41}} {
		if _, err := Restrict(op, c[0], c[1], ""); err == nil {
			t.Errorf("Restrict(%d, %d) accepted", c[0], c[1])
		}
	}
	// An asymmetric map is caught by Materialize.
	_, asym = Materialize(skew{})
	if asym < 0.5 {
		t.Errorf("asymmetry of a skew map reported as %g", asym)
	}
}

// skew is the non-symmetric map (x, y) -> (y, 0).
type skew struct{}

func (skew) Dim() int                 { return 2 }
func (s skew) Apply(v, out []float64) { s.ApplyBlock(v, 1, out) }
func (skew) ApplyBlock(v []float64, k int, out []float64) {
	for i := 0; i < k; i++ {
		out[2*i], out[2*i+1] = v[2*i+1], 0
	}
}

// nanOp returns NaN products: estimators must say so, not loop or panic.
type nanOp struct{}

func (nanOp) Dim() int               { return 8 }
func (nanOp) Apply(v, out []float64) { out[0] = math.NaN() }
func (nanOp) ApplyBlock(v []float64, k int, out []float64) {
	for i := range out[:k*8] {
		out[i] = math.NaN()
	}
}

func TestBadInput(t *testing.T) {
	op := mustDense(t, knownSpectrum(20), 14)
	cases := []struct {
		name, field string
		err         func() error
	}{
		{"top > dim", "Top+Bottom", func() error { _, err := Lanczos(op, LanczosConfig{Top: 15, Bottom: 6}); return err }},
		{"negative tol", "Tol", func() error { _, err := Lanczos(op, LanczosConfig{Tol: -1}); return err }},
		{"maxiter", "MaxIter", func() error { _, err := Lanczos(op, LanczosConfig{Top: 3, MaxIter: 2}); return err }},
		{"pyhessian stop", "Stop", func() error { _, err := Lanczos(op, LanczosConfig{Stop: StopPyHessian}); return err }},
		{"power top", "Top", func() error { _, err := PowerIteration(op, PowerConfig{Top: 21}); return err }},
		{"hutchinson budget", "Budget", func() error { _, err := Hutchinson(op, TraceConfig{Budget: 1}); return err }},
		{"hutch++ budget", "Budget", func() error { _, err := HutchPlusPlus(op, TraceConfig{Budget: 5}); return err }},
		{"slq steps", "Steps", func() error { _, err := SpectralDensity(op, SLQConfig{Steps: 21}); return err }},
		{"nan lanczos", "not finite", func() error { _, err := Lanczos(nanOp{}, LanczosConfig{}); return err }},
		{"nan power", "not finite", func() error { _, err := PowerIteration(nanOp{}, PowerConfig{}); return err }},
		{"nan trace", "not finite", func() error { _, err := HutchPlusPlus(nanOp{}, TraceConfig{Budget: 6}); return err }},
		{"nan slq", "not finite", func() error { _, err := SpectralDensity(nanOp{}, SLQConfig{}); return err }},
		{"asymmetric dense", "symmetric", func() error { _, err := NewDense(2, []float64{1, 2, 3, 4}); return err }},
		{"nan dense", "finite", func() error { _, err := NewDense(1, []float64{math.NaN()}); return err }},
	}
	for _, c := range cases {
		err := c.err()
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.field) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q should name %q on one line", c.name, msg, c.field)
		}
	}
}

// The sketch orthonormalisation: orthonormal rows to float32 precision, the
// numerical rank of a rank-deficient input, and a row space that contains
// the input's.
func TestOrthonormalRows32(t *testing.T) {
	const m, n, rank = 12, 500, 7
	// y = A B with A (m x rank) and B (rank x n) Gaussian, rows scaled over
	// three decades so that SVQB's diagonal scaling matters.
	s := newStream(1, "test", 0)
	a := make([]float64, m*rank)
	bm := make([]float64, rank*n)
	fillGaussian(s, a)
	fillGaussian(s, bm)
	y := make([]float32, m*n)
	orig := make([]float64, m*n)
	for i := 0; i < m; i++ {
		scale := math.Pow(10, float64(i%4)-2)
		for j := 0; j < n; j++ {
			v := 0.0
			for l := 0; l < rank; l++ {
				v += a[i*rank+l] * bm[l*n+j]
			}
			y[i*n+j] = float32(scale * v)
			orig[i*n+j] = float64(y[i*n+j])
		}
	}
	q, r := orthonormalRows32(y, m, n)
	if r != rank {
		t.Fatalf("rank %d, want %d", r, rank)
	}
	for i := 0; i < r; i++ {
		for j := 0; j <= i; j++ {
			d := 0.0
			for l := 0; l < n; l++ {
				d += float64(q[i*n+l]) * float64(q[j*n+l])
			}
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(d-want) > 1e-5 {
				t.Errorf("q_%d . q_%d = %g", i, j, d)
			}
		}
	}
	for i := 0; i < m; i++ {
		row := orig[i*n : (i+1)*n]
		res := append([]float64(nil), row...)
		for k := 0; k < r; k++ {
			c := 0.0
			for l := 0; l < n; l++ {
				c += float64(q[k*n+l]) * row[l]
			}
			for l := 0; l < n; l++ {
				res[l] -= c * float64(q[k*n+l])
			}
		}
		if nrm2(res) > 1e-5*nrm2(row) {
			t.Errorf("row %d: %.2g of it lies outside the basis", i, nrm2(res)/nrm2(row))
		}
	}
}

// The float64 reorthogonalisation splits its work over goroutines above
// 4096 coordinates; the split must not change a bit.
func TestOrthogonalizeDeterministic(t *testing.T) {
	const n, m = 50000, 9
	basis := make([][]float64, m)
	for i := range basis {
		basis[i] = make([]float64, n)
		fillGaussian(newStream(1, "test", uint64(i)), basis[i])
		orthogonalize(basis[:i], basis[i], make([]float64, m))
		scal(1/nrm2(basis[i]), basis[i])
	}
	w0 := make([]float64, n)
	fillGaussian(newStream(2, "test", 0), w0)
	run := func(procs int) ([]float64, float64) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		w := append([]float64(nil), w0...)
		c := make([]float64, m)
		norm := orthogonalize(basis, w, c)
		return append(w, c...), norm
	}
	a, na := run(1)
	b, nb := run(3)
	if math.Float64bits(na) != math.Float64bits(nb) {
		t.Fatalf("norms differ: %v, %v", na, nb)
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("entry %d differs: %v, %v", i, a[i], b[i])
		}
	}
	for i, q := range basis {
		if d := math.Abs(dot(q, a[:n])); d > 1e-12*na {
			t.Errorf("w . q_%d = %g after orthogonalisation", i, d)
		}
	}
}
