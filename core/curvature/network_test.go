package curvature

import (
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

func tinyNet(t testing.TB, spec string, n int) (*nn.Model, data.Batch) {
	t.Helper()
	m, err := nn.New(spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	d := data.GaussianMixture(n, m.InputDim(), m.OutputDim(), 2, 5)
	return m, d.All()
}

// eigSym returns the eigenvalues of a, ascending.
func eigSym(t testing.TB, a *mat.SymDense) []float64 {
	t.Helper()
	var e mat.EigenSym
	if !e.Factorize(a, false) {
		t.Fatal("EigenSym failed")
	}
	v := e.Values(nil)
	sort.Float64s(v)
	return v
}

// The ladder's network rung: the Hessian of a tiny network, built column by
// column from the operator and diagonalised by gonum, has the eigenvalues
// Lanczos finds. The operator computes in float32, so agreement is to
// about 1e-5 of lambda_max, not 1e-8 as for the float64 Dense tests.
func TestNetworkHessianAgainstDenseEigen(t *testing.T) {
	m, b := tinyNet(t, "mlp:6-5-4-3", 40)
	for _, ggn := range []bool{false, true} {
		var op *Network
		var err error
		if ggn {
			op, err = NewGGN(m, b, NetworkConfig{})
		} else {
			op, err = NewHessian(m, b, NetworkConfig{})
		}
		if err != nil {
			t.Fatal(err)
		}
		h, asym := Materialize(op)
		if asym > 1e-4 {
			t.Errorf("ggn=%v: materialised operator asymmetric by %g (relative)", ggn, asym)
		}
		ev := eigSym(t, h)
		lmax := math.Max(math.Abs(ev[0]), ev[len(ev)-1])
		res, err := Lanczos(op, LanczosConfig{Top: 3, Bottom: 2, Tol: 1e-4, AbsTol: 1e-5 * lmax, Seed: 1, Verify: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range res.Top {
			if want := ev[len(ev)-1-i]; math.Abs(p.Value-want) > 2e-5*lmax {
				t.Errorf("ggn=%v: top %d: Lanczos %.7g, EigenSym %.7g", ggn, i, p.Value, want)
			}
		}
		for i, p := range res.Bottom {
			if want := ev[i]; math.Abs(p.Value-want) > 2e-5*lmax {
				t.Errorf("ggn=%v: bottom %d: Lanczos %.7g, EigenSym %.7g", ggn, i, p.Value, want)
			}
		}
		if ggn && ev[0] < -1e-5*lmax {
			t.Errorf("GGN has eigenvalue %g: should be positive semidefinite", ev[0])
		}
		if !ggn && ev[0] > -1e-3*lmax {
			t.Errorf("Hessian of a ReLU net at init has no clearly negative eigenvalue (min %g): test is vacuous", ev[0])
		}
		t.Logf("ggn=%v: spectrum [%.4g, %.4g], Lanczos %d applications, true residual of top %.2g",
			ggn, ev[0], ev[len(ev)-1], res.Applications, res.Top[0].TrueResidual)
		if s := res.Stamp; s.Examples != 40 || s.Mode != "eval (dropout off)" || s.Loss != "mean cross-entropy" || s.Model != "mlp:6-5-4-3" {
			t.Errorf("stamp %+v", s)
		}
	}
}

// Chunking, caching and blocking change nothing beyond float32 rounding,
// and weight decay adds exactly wd*v.
func TestNetworkChunksCacheBlocks(t *testing.T) {
	m, b := tinyNet(t, "resmlp:6-5x2-3", 50)
	ref, err := NewHessian(m, b, NetworkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	n := ref.Dim()
	vs := make([]float64, 3*n)
	fillGaussian(newStream(1, "test", 0), vs)
	want := make([]float64, 3*n)
	ref.ApplyBlock(vs, 3, want)
	scale := nrm2(want)
	for _, cfg := range []NetworkConfig{{Chunk: 7}, {NoCache: true}, {Chunk: 16, NoCache: true}, {WeightDecay: 0.5}} {
		op, err := NewHessian(m, b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float64, 3*n)
		for i := 0; i < 3; i++ { // one at a time, against the block
			op.Apply(vs[i*n:(i+1)*n], got[i*n:(i+1)*n])
		}
		if cfg.WeightDecay != 0 {
			axpy(-cfg.WeightDecay, vs, got)
		}
		diff := 0.0
		for i := range got {
			diff += (got[i] - want[i]) * (got[i] - want[i])
		}
		if math.Sqrt(diff) > 1e-5*scale {
			t.Errorf("%+v: differs from the reference by %g (relative)", cfg, math.Sqrt(diff)/scale)
		}
		if op.Applications() != 3 {
			t.Errorf("%+v: counted %d applications, want 3", cfg, op.Applications())
		}
	}
	// The operator snapshots the model: changing m afterwards changes nothing.
	m.Params()[0] += 1
	again := make([]float64, 3*n)
	ref.ApplyBlock(vs, 3, again)
	for i := range again {
		if again[i] != want[i] {
			t.Fatal("operator changed when the model's parameters changed")
		}
	}
}

// lsModel returns a linear model f(x) = w.x + b with squared error whose
// parameters are theta (rounded to float32), and theta as the model holds it.
func lsModel(t testing.TB, dim int, theta []float64) (*nn.Model, []float64) {
	t.Helper()
	m, err := nn.New("mlp:"+strconv.Itoa(dim)+"-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	m.Loss = nn.SquaredError
	held := make([]float64, len(theta))
	for i, x := range theta {
		m.Params()[i] = float32(x)
		held[i] = float64(float32(x))
	}
	return m, held
}

// Least squares: the Hessian and Tr(H) against their closed forms.
func TestLeastSquaresHessianAndTrace(t *testing.T) {
	const dim = 12
	lambda := make([]float64, dim)
	for j := range lambda {
		lambda[j] = 10 * math.Pow(0.8, float64(j)) // decaying, within the sketch's 3e-3 resolution
	}
	ls := data.LinearLeastSquares(300, dim, 0.3, 2, data.WithSpectrum(lambda))
	m, _ := lsModel(t, dim, ls.Minimiser())
	op, err := NewHessian(m, ls.Data.All(), NetworkConfig{Chunk: 64})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := Materialize(op)
	want := ls.Hessian()
	p := ls.P()
	trace := 0.0
	for i := 0; i < p; i++ {
		trace += want[i*p+i]
		for j := 0; j < p; j++ {
			if d := math.Abs(h.At(i, j) - want[i*p+j]); d > 1e-5*10 {
				t.Fatalf("H[%d,%d] = %.7g, closed form %.7g", i, j, h.At(i, j), want[i*p+j])
			}
		}
	}
	// Hutch++ with a sketch of 5 of 13 dimensions and Hutchinson at the same
	// budget are within 4 standard errors; with a budget of 3*13 the sketch
	// spans the space and Hutch++ is exact.
	for _, c := range []struct {
		f      func(Operator, TraceConfig) (*TraceEstimate, error)
		budget int
	}{{HutchPlusPlus, 15}, {Hutchinson, 15}, {HutchPlusPlus, 3 * 13}} {
		e, err := c.f(op, TraceConfig{Budget: c.budget, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(e.Value-trace) > 4*e.StdErr+1e-5*trace {
			t.Errorf("%s: %.5f +- %.5f, closed form %.5f", e.Stamp.Estimator, e.Value, e.StdErr, trace)
		}
		if c.budget == 39 && (e.Rank != 13 || e.StdErr > 1e-9*trace) {
			t.Errorf("%s: rank %d, SE %g: want the exact trace", e.Stamp.Estimator, e.Rank, e.StdErr)
		}
	}
	hpp, err := HutchPlusPlus(op, TraceConfig{Budget: 6})
	if err != nil {
		t.Fatal(err)
	}
	if hpp.Stamp.Loss != "mean squared error (0.5 ||f(x) - t||^2)" {
		t.Errorf("stamp loss %q", hpp.Stamp.Loss)
	}
}

// Least squares: C against data.LeastSquares.NoiseCovariance, stored and
// recomputed (in odd-sized chunks), and its exact trace.
func TestCovarianceClosedForm(t *testing.T) {
	const dim = 9
	ls := data.LinearLeastSquares(150, dim, 0.5, 3)
	theta := ls.Minimiser()
	theta[0] += 0.3 // away from the minimum the mean gradient is not zero
	m, held := lsModel(t, dim, theta)
	want := ls.NoiseCovariance(held)
	p := ls.P()
	wantTrace, wmax := 0.0, 0.0
	for i := 0; i < p; i++ {
		wantTrace += want[i*p+i]
	}
	for _, x := range want {
		wmax = math.Max(wmax, math.Abs(x))
	}
	for _, tc := range []struct {
		cfg  CovarianceConfig
		want CovarianceProducts
	}{
		{CovarianceConfig{}, CovarianceStored},
		{CovarianceConfig{Products: CovarianceRecompute, Chunk: 7}, CovarianceRecompute},
		{CovarianceConfig{MaxStoreBytes: 1}, CovarianceFisher},
		{CovarianceConfig{Products: CovarianceFisher}, CovarianceFisher},
		{CovarianceConfig{Products: CovarianceStored, MaxStoreBytes: 1}, CovarianceStored},
	} {
		cfg := tc.cfg
		c, err := NewGradientCovariance(m, ls.Data.All(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if c.Products() != tc.want || c.Stored() != (tc.want == CovarianceStored) {
			t.Errorf("%+v: products %v, stored %v; want %v", cfg, c.Products(), c.Stored(), tc.want)
		}
		got, asym := Materialize(c)
		if asym > 1e-5 {
			t.Errorf("%+v: asymmetry %g", cfg, asym)
		}
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				if d := math.Abs(got.At(i, j) - want[i*p+j]); d > 1e-5*wmax {
					t.Fatalf("%+v: C[%d,%d] = %.7g, closed form %.7g", cfg, i, j, got.At(i, j), want[i*p+j])
				}
			}
		}
		if relErr(c.Trace(), wantTrace) > 1e-5 {
			t.Errorf("%+v: Tr(C) = %.8g, closed form %.8g", cfg, c.Trace(), wantTrace)
		}
		g := ls.Gradient(held)
		for j := range g {
			if math.Abs(c.MeanGradient()[j]-g[j]) > 1e-5*(1+math.Abs(g[j])) {
				t.Fatalf("mean gradient[%d] = %g, closed form %g", j, c.MeanGradient()[j], g[j])
			}
		}
	}
}

func TestLayersAndRestrictedHessian(t *testing.T) {
	m, b := tinyNet(t, "resmlp:4-3x2-2", 20)
	ls := Layers(m)
	names := []string{"0", "2.lin1", "2.lin2", "3.lin1", "3.lin2", "4"}
	if len(ls) != len(names) {
		t.Fatalf("layers %+v", ls)
	}
	for i, l := range ls {
		if l.Name != names[i] || (i > 0 && l.Lo != ls[i-1].Hi) {
			t.Errorf("layer %d: %+v", i, l)
		}
	}
	if ls[len(ls)-1].Hi != m.NumParams() {
		t.Errorf("layers end at %d of %d parameters", ls[len(ls)-1].Hi, m.NumParams())
	}
	op, err := NewHessian(m, b, NetworkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	full, _ := Materialize(op)
	l := ls[2]
	r, err := Restrict(op, l.Lo, l.Hi, l.Name)
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := Materialize(r)
	for i := 0; i < l.Hi-l.Lo; i++ {
		for j := 0; j < l.Hi-l.Lo; j++ {
			if d := math.Abs(sub.At(i, j) - full.At(l.Lo+i, l.Lo+j)); d > 1e-6 {
				t.Fatalf("block (%d,%d): %g vs %g", i, j, sub.At(i, j), full.At(l.Lo+i, l.Lo+j))
			}
		}
	}
	if s := r.Describe(); !strings.HasPrefix(s.Block, "2.lin2 ") || s.Operator != "Hessian" {
		t.Errorf("stamp %+v", s)
	}
}

// Along the top eigenvector the loss curves by lambda_max: the slice's
// second difference must match the eigenvalue (to 2%, the size of the cubic
// term and float32 rounding at this step). The slice at alpha = 0 is the
// loss itself.
func TestLossSliceCurvature(t *testing.T) {
	m, b := tinyNet(t, "mlp:6-8-3", 60)
	op, err := NewHessian(m, b, NetworkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	top, err := Lanczos(op, LanczosConfig{Tol: 1e-5, AbsTol: 1e-6, Vectors: true, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	const h = 0.02
	s, err := LossSlice(m, b, top.Top[0].Vector, []float64{-h, 0, h}, "")
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := m.Evaluate(b)
	if s.Loss[1] != loss {
		t.Errorf("slice at 0: %v, Evaluate: %v", s.Loss[1], loss)
	}
	curv := (s.Loss[0] - 2*s.Loss[1] + s.Loss[2]) / (h * h)
	if relErr(curv, top.Top[0].Value) > 0.02 {
		t.Errorf("second difference %.5g, lambda_max %.5g", curv, top.Top[0].Value)
	}
	if _, err := LossSlice(m, b, make([]float64, 3), []float64{1}, ""); err == nil || !strings.Contains(err.Error(), "direction") {
		t.Errorf("short direction: %v", err)
	}
}

func TestFilterNormalizedDirection(t *testing.T) {
	m, _ := tinyNet(t, "mlp:6-5-3", 1)
	theta := m.Params()
	d := FilterNormalizedDirection(m, 4, false)
	for _, blk := range m.Blocks() {
		if len(blk.Shape) == 1 {
			for i := blk.Offset; i < blk.Offset+blk.Size(); i++ {
				if d[i] != 0 {
					t.Fatalf("%s: bias direction %g, want 0", blk.Name, d[i])
				}
			}
			continue
		}
		cols := blk.Shape[1]
		for r := 0; r < blk.Shape[0]; r++ {
			lo := blk.Offset + r*cols
			wn, dn := 0.0, 0.0
			for i := lo; i < lo+cols; i++ {
				wn += float64(theta[i]) * float64(theta[i])
				dn += d[i] * d[i]
			}
			if relErr(math.Sqrt(dn), math.Sqrt(wn)) > 1e-9 {
				t.Errorf("%s row %d: |d| %g, |w| %g", blk.Name, r, math.Sqrt(dn), math.Sqrt(wn))
			}
		}
	}
	withBias := FilterNormalizedDirection(m, 4, true)
	last := m.Blocks()[len(m.Blocks())-1]
	if withBias[last.Offset] != float64(theta[last.Offset]) || withBias[0] != d[0] {
		t.Errorf("includeBias: bias direction should be the bias, weights unchanged")
	}
}

// CSR on a linear two-class model, where the answer is known: with no
// noise and enough small steps LASS reaches the corner x - r*sign(w) of the
// box, the optimal L_inf attack, so x is critical exactly when its margin
// |w.x + b| is at most r*||w||_1 (w the difference of the class weights).
func TestCriticalSampleRatioLinear(t *testing.T) {
	const dim, n, r = 5, 300, 0.05
	m, err := nn.New("mlp:5-2", 1)
	if err != nil {
		t.Fatal(err)
	}
	p := m.Params()
	w := []float64{0.8, -0.5, 0.3, 1.2, -0.7}
	for j := 0; j < dim; j++ {
		p[j], p[dim+j] = float32(w[j]/2), float32(-w[j]/2) // class 0 row, class 1 row
	}
	// The bias centres the margins of x in [0.3, 0.7]^5 near zero, so that
	// about half the examples lie within the radius of the boundary.
	p[2*dim], p[2*dim+1] = -0.275, 0.275
	bias := -0.55
	x := make([]float32, n*dim)
	s := newStream(9, "test", 0)
	for i := range x {
		x[i] = float32(0.3 + 0.4*s.Float64()) // inside [0,1] with room for the box
	}
	cfg := CSRConfig{Radius: r, Step: 0.005, MaxIter: 40, Seed: 1}
	res, err := CriticalSampleRatio(m, data.Batch{X: x, N: n}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	l1 := 0.0
	for _, v := range w {
		l1 += math.Abs(v)
	}
	want, decided := 0, 0
	for i := 0; i < n; i++ {
		margin := bias
		for j := 0; j < dim; j++ {
			margin += w[j] * float64(x[i*dim+j])
		}
		dist := math.Abs(margin) / l1
		if math.Abs(dist-r) < 1e-3 {
			continue // too close to call in float32
		}
		decided++
		crit := dist <= r
		if crit {
			want++
		}
		if (res.Steps[i] > 0) != crit {
			t.Errorf("example %d: L_inf distance to the boundary %.4f, radius %g, LASS flipped at step %d", i, dist, r, res.Steps[i])
		}
	}
	if want == 0 || want == decided {
		t.Fatalf("test is vacuous: %d of %d critical", want, decided)
	}
	if res.Examples != n || math.Abs(res.StdErr-math.Sqrt(res.Ratio*(1-res.Ratio)/n)) > 1e-15 {
		t.Errorf("result %+v", res)
	}
	t.Logf("CSR %.3f +- %.3f (%d of %d)", res.Ratio, res.StdErr, res.Critical, res.Examples)

	// With noise, the result does not depend on how examples are chunked.
	cfg.NoiseStd, cfg.Chunk = 0.01, 256
	a, err := CriticalSampleRatio(m, data.Batch{X: x, N: n}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Chunk = 7
	c, err := CriticalSampleRatio(m, data.Batch{X: x, N: n}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Steps {
		if a.Steps[i] != c.Steps[i] {
			t.Fatalf("example %d: step %d with chunk 256, %d with chunk 7", i, a.Steps[i], c.Steps[i])
		}
	}
	for _, bad := range []CSRConfig{{Radius: 0, Step: 1, MaxIter: 1}, {Radius: 1, Step: 1, MaxIter: 0}, {Radius: 1, Step: -1, MaxIter: 1}} {
		if _, err := CriticalSampleRatio(m, data.Batch{X: x, N: n}, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestNetworkBadInput(t *testing.T) {
	m, b := tinyNet(t, "mlp:6-5-3", 10)
	wrong := data.GaussianMixture(10, 5, 3, 2, 1).All()
	if _, err := NewHessian(m, wrong, NetworkConfig{}); err == nil {
		t.Error("batch with too few inputs accepted")
	}
	if _, err := NewHessian(m, data.Batch{}, NetworkConfig{}); err == nil || !strings.Contains(err.Error(), "examples") {
		t.Errorf("empty batch: %v", err)
	}
	if _, err := NewHessian(m, b, NetworkConfig{WeightDecay: -1}); err == nil || !strings.Contains(err.Error(), "WeightDecay") {
		t.Errorf("negative weight decay: %v", err)
	}
	bad := m.Clone()
	bad.Params()[3] = float32(math.NaN())
	for name, f := range map[string]func() error{
		"hessian":    func() error { _, err := NewHessian(bad, b, NetworkConfig{}); return err },
		"covariance": func() error { _, err := NewGradientCovariance(bad, b, CovarianceConfig{}); return err },
		"csr":        func() error { _, err := CriticalSampleRatio(bad, b, DefaultCSRConfig()); return err },
	} {
		if err := f(); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: NaN weights: %v", name, err)
		}
	}
}

// Network operators keep the determinism contract: Lanczos, Hutch++ (whose
// sketch runs through core/kernels) and the covariance give bitwise equal
// results with GOMAXPROCS 1 and 2.
func TestNetworkDeterministicAcrossGOMAXPROCS(t *testing.T) {
	m, b := tinyNet(t, "resmlp:6-16x2-3", 300)
	runAll := func() []float64 {
		op, err := NewHessian(m, b, NetworkConfig{Chunk: 128})
		if err != nil {
			t.Fatal(err)
		}
		l, err := Lanczos(op, LanczosConfig{Top: 2, Bottom: 1, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		h, err := HutchPlusPlus(op, TraceConfig{Budget: 30, Block: 4, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		out := append(values(append(l.Top, l.Bottom...)), h.Value, h.StdErr)
		for _, products := range []CovarianceProducts{CovarianceStored, CovarianceFisher} {
			c, err := NewGradientCovariance(m, b, CovarianceConfig{Products: products})
			if err != nil {
				t.Fatal(err)
			}
			ct, err := Hutchinson(c, TraceConfig{Budget: 8, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c.Trace(), ct.Value)
		}
		return out
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	a := runAll()
	runtime.GOMAXPROCS(2)
	bb := runAll()
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(bb[i]) {
			t.Fatalf("value %d: %v with GOMAXPROCS=1, %v with 2", i, a[i], bb[i])
		}
	}
}

// Softmax regression (mlp:D-C) against its closed-form Hessian
// H = mean_i (diag(p_i) - p_i p_i^T) (x) z_i z_i^T with z_i = [x_i, 1], in
// the parameter order W [C, D] row-major then b [C]. The model is linear in
// its parameters, so the GGN must equal the Hessian.
func TestSoftmaxRegressionClosedForm(t *testing.T) {
	const d, c, n = 4, 3, 80
	m, b := tinyNet(t, "mlp:4-3", n)
	theta := m.Params()
	p := m.NumParams()
	want := make([]float64, p*p)
	idx := func(cls, j int) int { // parameter index of W[cls, j], j == d meaning the bias
		if j == d {
			return c*d + cls
		}
		return cls*d + j
	}
	for i := 0; i < n; i++ {
		z := make([]float64, d+1)
		for j := 0; j < d; j++ {
			z[j] = float64(b.X[i*d+j])
		}
		z[d] = 1
		logit := make([]float64, c)
		mx := math.Inf(-1)
		for k := 0; k < c; k++ {
			for j := 0; j <= d; j++ {
				logit[k] += float64(theta[idx(k, j)]) * z[j]
			}
			mx = math.Max(mx, logit[k])
		}
		prob, sum := make([]float64, c), 0.0
		for k := range prob {
			prob[k] = math.Exp(logit[k] - mx)
			sum += prob[k]
		}
		for k := range prob {
			prob[k] /= sum
		}
		for k := 0; k < c; k++ {
			for k2 := 0; k2 < c; k2++ {
				a := -prob[k] * prob[k2]
				if k == k2 {
					a += prob[k]
				}
				for j := 0; j <= d; j++ {
					for j2 := 0; j2 <= d; j2++ {
						want[idx(k, j)*p+idx(k2, j2)] += a * z[j] * z[j2] / n
					}
				}
			}
		}
	}
	hess, err := NewHessian(m, b, NetworkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ggn, err := NewGGN(m, b, NetworkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]Operator{"Hessian": hess, "GGN": ggn} {
		got, _ := Materialize(op)
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				if diff := math.Abs(got.At(i, j) - want[i*p+j]); diff > 1e-5 {
					t.Fatalf("%s[%d,%d] = %.7g, closed form %.7g", name, i, j, got.At(i, j), want[i*p+j])
				}
			}
		}
	}
}

// TestCovarianceFisherProducts: on nonlinear networks (an MLP, a CNN with
// BatchNorm in evaluation mode) the covariance built from Fisher products,
// F - g g^T, equals the one over stored centred per-example gradients, and
// the empirical Fisher operator equals C + g g^T; both traces agree. The
// products are float32 with a float64 rank-one correction, so agreement is
// to about 1e-5 of the largest entry.
func TestCovarianceFisherProducts(t *testing.T) {
	for _, spec := range []string{"mlp:5-6-4-3", "cnn:1x5x5:c2k3p1-bn-relu-m2-f-d3"} {
		m, b := tinyNet(t, spec, 40)
		stored, err := NewGradientCovariance(m, b, CovarianceConfig{Products: CovarianceStored})
		if err != nil {
			t.Fatal(err)
		}
		fisher, err := NewGradientCovariance(m, b, CovarianceConfig{Products: CovarianceFisher})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(fisher.Describe().Operator, "Fisher") || stored.Describe().Operator != "gradient covariance (per-example gradients, stored)" {
			t.Errorf("%s: stamps %q / %q", spec, fisher.Describe().Operator, stored.Describe().Operator)
		}
		want, _ := Materialize(stored)
		got, _ := Materialize(fisher)
		p := m.NumParams()
		scale := 0.0
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				scale = math.Max(scale, math.Abs(want.At(i, j)))
			}
		}
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				if d := math.Abs(got.At(i, j) - want.At(i, j)); d > 2e-5*scale {
					t.Fatalf("%s: C[%d,%d] Fisher %.7g, stored %.7g (max entry %.3g)", spec, i, j, got.At(i, j), want.At(i, j), scale)
				}
			}
		}
		if relErr(fisher.Trace(), stored.Trace()) > 1e-6 {
			t.Errorf("%s: Tr(C) Fisher path %.9g, stored %.9g", spec, fisher.Trace(), stored.Trace())
		}
		if fisher.Precision() < 1e-6 {
			t.Errorf("%s: Precision %g below a float32 product's", spec, fisher.Precision())
		}
		fl, fh := fisher.Loss()
		sl, sh := stored.Loss()
		if relErr(fl, sl) > 1e-6 || fh != sh {
			t.Errorf("%s: loss %g/%d vs %g/%d", spec, fl, fh, sl, sh)
		}

		f, err := NewEmpiricalFisher(m, b, NetworkConfig{})
		if err != nil {
			t.Fatal(err)
		}
		fm, _ := Materialize(f)
		g := stored.MeanGradient()
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				w := want.At(i, j) + g[i]*g[j]
				if d := math.Abs(fm.At(i, j) - w); d > 2e-5*(scale+dot(g, g)) {
					t.Fatalf("%s: F[%d,%d] = %.7g, C + g g^T = %.7g", spec, i, j, fm.At(i, j), w)
				}
			}
		}
	}
	m, b := tinyNet(t, "mlp:5-4-3", 10)
	if _, err := NewEmpiricalFisher(m, b, NetworkConfig{WeightDecay: 1e-4}); err == nil || !strings.Contains(err.Error(), "weight decay") {
		t.Errorf("empirical Fisher with weight decay: err = %v", err)
	}
	if _, err := NewGradientCovariance(m, b, CovarianceConfig{Products: 9}); err == nil {
		t.Error("unknown Products accepted")
	}
}
