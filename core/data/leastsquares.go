package data

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/sgdclaims/sgdclaims/core/rng"
)

// LeastSquares is a linear regression problem whose curvature and gradient
// noise are known exactly. The model is f(x) = w.x + b with the loss
//
//	L(w, b) = 0.5 * mean_i (f(x_i) - t_i)^2,
//
// and parameter vectors are ordered weights first, then bias: theta =
// [w_1..w_dim, b], P = dim+1 entries. With z_i = [x_i, 1] and the residual
// r_i = f(x_i) - t_i, the per-example gradient is g_i = r_i z_i, so
//
//	Hessian          H = mean_i z_i z_i^T              (constant in theta)
//	minimiser        theta^ solves H theta = mean_i t_i z_i
//	noise covariance C(theta) = mean_i g_i g_i^T - g g^T, g = mean_i g_i.
//
// All of these are computed from the data as stored (float32, promoted to
// float64), so they are exact for what a model trained on Data sees, up to
// float64 rounding.
type LeastSquares struct {
	Data     *Dataset  // inputs X (N x Dim), targets T (N x 1)
	W        []float64 // true weights w*
	B        float64   // true bias b*
	NoiseStd float64   // sigma: t = w*.x + b* + sigma*eps, eps ~ N(0,1)
	Lambda   []float64 // variance of each input coordinate: x_j ~ N(0, Lambda[j])

	once sync.Once
	z    *mat.Dense    // N x P design matrix [x_i, 1]
	t    *mat.VecDense // N targets
	hess *mat.SymDense
	min  []float64
}

// LSOption changes how LinearLeastSquares draws its problem.
type LSOption func(*lsConfig)

type lsConfig struct {
	lambda []float64
	w      []float64
	b      float64
}

// WithSpectrum scales input coordinate j by sqrt(lambda[j]), so x ~ N(0,
// diag(lambda)) and the population Hessian is diag(lambda..., 1): a matrix
// with a chosen spectrum, for testing eigensolvers. len(lambda) must equal
// dim and every entry be >= 0.
func WithSpectrum(lambda []float64) LSOption {
	return func(c *lsConfig) { c.lambda = append([]float64(nil), lambda...) }
}

// WithTrueParams fixes the true weights and bias instead of drawing them.
func WithTrueParams(w []float64, b float64) LSOption {
	return func(c *lsConfig) { c.w, c.b = append([]float64(nil), w...), b }
}

// LinearLeastSquares draws n examples x_i ~ N(0, I_dim) (or N(0,
// diag(lambda)) with WithSpectrum) and targets t_i = w*.x_i + b* + sigma
// eps_i with sigma = noiseStd. Unless WithTrueParams is given, w* and b* are
// drawn i.i.d. N(0, 1/(dim+1)), so the signal has variance about 1.
//
// Inputs, true parameters and noise come from separate streams
// ("synthetic-inputs", "synthetic-params", "synthetic-noise") of seed, so
// problems that differ only in noiseStd share their inputs and w*.
//
// It panics if n < 1, dim < 1, noiseStd is negative or not finite, or an
// option's length does not match dim: these are programming errors, not data.
func LinearLeastSquares(n, dim int, noiseStd float64, seed uint64, opts ...LSOption) *LeastSquares {
	if n < 1 || dim < 1 || !(noiseStd >= 0) || math.IsInf(noiseStd, 1) {
		panic(fmt.Sprintf("data: LinearLeastSquares(n=%d, dim=%d, noiseStd=%v): need n, dim >= 1 and finite noiseStd >= 0", n, dim, noiseStd))
	}
	var cfg lsConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.lambda == nil {
		cfg.lambda = make([]float64, dim)
		for j := range cfg.lambda {
			cfg.lambda[j] = 1
		}
	}
	if len(cfg.lambda) != dim {
		panic(fmt.Sprintf("data: LinearLeastSquares: spectrum has %d entries for dim %d", len(cfg.lambda), dim))
	}
	for j, l := range cfg.lambda {
		if !(l >= 0) || math.IsInf(l, 1) {
			panic(fmt.Sprintf("data: LinearLeastSquares: spectrum entry %d is %v", j, l))
		}
	}
	if cfg.w == nil {
		ps := rng.New(seed, "synthetic-params", 0)
		scale := 1 / math.Sqrt(float64(dim+1))
		cfg.w = make([]float64, dim)
		for j := range cfg.w {
			cfg.w[j] = scale * ps.Normal()
		}
		cfg.b = scale * ps.Normal()
	}
	if len(cfg.w) != dim {
		panic(fmt.Sprintf("data: LinearLeastSquares: %d true weights for dim %d", len(cfg.w), dim))
	}

	sd := make([]float64, dim)
	for j, l := range cfg.lambda {
		sd[j] = math.Sqrt(l)
	}
	xs := rng.New(seed, "synthetic-inputs", 0)
	es := rng.New(seed, "synthetic-noise", 0)
	x := make([]float32, n*dim)
	t := make([]float32, n)
	for i := range n {
		row := x[i*dim : (i+1)*dim]
		f := cfg.b
		for j := range row {
			row[j] = float32(sd[j] * xs.Normal())
			// The target uses the stored (rounded) input, so w* is
			// the exact population minimiser for the data as stored.
			f += cfg.w[j] * float64(row[j])
		}
		t[i] = float32(f + noiseStd*es.Normal())
	}
	return &LeastSquares{
		Data: &Dataset{
			Name: "linear-least-squares",
			X:    x, T: t, N: n, Dim: dim, TargetDim: 1,
		},
		W: cfg.w, B: cfg.b, NoiseStd: noiseStd, Lambda: cfg.lambda,
	}
}

// P returns the number of parameters, dim+1.
func (ls *LeastSquares) P() int { return ls.Data.Dim + 1 }

// setup builds the float64 design matrix, the Hessian and the minimiser
// once; they cost O(N P^2) and not every user needs them.
func (ls *LeastSquares) setup() {
	ls.once.Do(func() {
		d := ls.Data
		p := d.Dim + 1
		z := mat.NewDense(d.N, p, nil)
		t := mat.NewVecDense(d.N, nil)
		for i := range d.N {
			for j, v := range d.Row(i) {
				z.Set(i, j, float64(v))
			}
			z.Set(i, d.Dim, 1)
			t.SetVec(i, float64(d.T[i]))
		}
		ls.z, ls.t = z, t
		ls.hess = mat.NewSymDense(p, nil)
		ls.hess.SymOuterK(1/float64(d.N), z.T())
		ls.min = solveLeastSquares(z, t)
	})
}

// solveLeastSquares returns argmin ||Z theta - t||, the solution of the
// normal equations Z^T Z theta = Z^T t. It factors Z by QR rather than
// forming Z^T Z, which would square the condition number (WithSpectrum
// makes ill-conditioned problems on purpose). When Z is rank deficient, for
// example n < P, it returns the minimum-norm solution from the SVD.
func solveLeastSquares(z *mat.Dense, t *mat.VecDense) []float64 {
	n, p := z.Dims()
	var sol mat.VecDense
	if n >= p {
		var qr mat.QR
		qr.Factorize(z)
		if err := qr.SolveVecTo(&sol, false, t); err == nil {
			return sol.RawVector().Data
		}
	}
	var svd mat.SVD
	if !svd.Factorize(z, mat.SVDThin) {
		panic("data: SVD of the least-squares design matrix did not converge")
	}
	// Rank: singular values above the usual relative tolerance.
	vals := svd.Values(nil)
	rank := 0
	for _, s := range vals {
		if s > vals[0]*float64(max(n, p))*1e-15*2 {
			rank++
		}
	}
	var sm mat.Dense
	svd.SolveTo(&sm, t, max(rank, 1))
	out := make([]float64, p)
	for j := range out {
		out[j] = sm.At(j, 0)
	}
	return out
}

// Hessian returns the P x P Hessian H = mean_i z_i z_i^T, the second-moment
// matrix of [x, 1], row-major, weights before bias. The loss is quadratic, so
// it is the same at every theta.
func (ls *LeastSquares) Hessian() []float64 {
	ls.setup()
	return symToSlice(ls.hess)
}

// Minimiser returns the least-squares parameters theta^ (weights, then bias)
// of the finite sample. It differs from the true [W, B] by the fitted noise.
func (ls *LeastSquares) Minimiser() []float64 {
	ls.setup()
	return append([]float64(nil), ls.min...)
}

// MinLoss returns L(theta^), the smallest loss attainable on the sample. Its
// expectation is sigma^2/2 * (N-P)/N for N >= P.
func (ls *LeastSquares) MinLoss() float64 {
	ls.setup()
	return ls.Loss(ls.min)
}

// Residuals returns r_i = f(x_i) - t_i at theta.
func (ls *LeastSquares) Residuals(theta []float64) []float64 {
	ls.setup()
	ls.checkTheta(theta)
	var r mat.VecDense
	r.MulVec(ls.z, mat.NewVecDense(len(theta), append([]float64(nil), theta...)))
	r.SubVec(&r, ls.t)
	return r.RawVector().Data
}

// Loss returns 0.5 * mean_i r_i^2 at theta.
func (ls *LeastSquares) Loss(theta []float64) float64 {
	var s float64
	for _, r := range ls.Residuals(theta) {
		s += r * r
	}
	return 0.5 * s / float64(ls.Data.N)
}

// Gradient returns the full-batch gradient g = mean_i r_i z_i at theta.
func (ls *LeastSquares) Gradient(theta []float64) []float64 {
	r := mat.NewVecDense(ls.Data.N, ls.Residuals(theta))
	var g mat.VecDense
	g.MulVec(ls.z.T(), r)
	g.ScaleVec(1/float64(ls.Data.N), &g)
	return g.RawVector().Data
}

// NoiseCovariance returns the P x P covariance of one uniformly sampled
// example's gradient at theta, C = mean_i g_i g_i^T - g g^T with g_i = r_i
// z_i, computed exactly from the data (row-major, weights before bias). A
// mini-batch of B examples drawn with replacement has gradient covariance
// C/B; drawn without replacement, C/B * (N-B)/(N-1).
func (ls *LeastSquares) NoiseCovariance(theta []float64) []float64 {
	r := ls.Residuals(theta)
	n, p := ls.Data.N, ls.P()
	zr := mat.NewDense(n, p, nil)
	zr.Apply(func(i, j int, v float64) float64 { return r[i] * v }, ls.z)
	c := mat.NewSymDense(p, nil)
	c.SymOuterK(1/float64(n), zr.T())
	g := mat.NewVecDense(p, ls.Gradient(theta))
	c.SymRankOne(c, -1, g)
	return symToSlice(c)
}

// PopulationHessian returns E[z z^T] for z = [x, 1], x ~ N(0, diag(Lambda)):
// the diagonal matrix diag(Lambda_1, ..., Lambda_dim, 1) (the identity
// without WithSpectrum). The sample Hessian tends to it as N grows, with
// entries off by O(1/sqrt(N)).
func (ls *LeastSquares) PopulationHessian() []float64 {
	p := ls.P()
	h := make([]float64, p*p)
	for j, l := range ls.Lambda {
		h[j*p+j] = l
	}
	h[p*p-1] = 1
	return h
}

// PopulationNoiseCovariance returns sigma^2 * PopulationHessian(): the
// gradient-noise covariance at the true parameters [W, B] in the population
// limit. There r = -sigma*eps is independent of x with mean zero, so
// E[g] = 0 and E[r^2 z z^T] = sigma^2 E[z z^T]. It does not hold exactly for
// a finite sample, nor at the sample minimiser: there mean_i g_i = 0 exactly
// and mean_i r_i^2 is about sigma^2 (N-P)/N, so NoiseCovariance(Minimiser())
// is close to, not equal to, sigma^2 H.
func (ls *LeastSquares) PopulationNoiseCovariance() []float64 {
	h := ls.PopulationHessian()
	s2 := ls.NoiseStd * ls.NoiseStd
	for i := range h {
		h[i] *= s2
	}
	return h
}

// TrueParams returns [W, B], the population minimiser.
func (ls *LeastSquares) TrueParams() []float64 {
	return append(append([]float64(nil), ls.W...), ls.B)
}

func (ls *LeastSquares) checkTheta(theta []float64) {
	if len(theta) != ls.P() {
		panic(fmt.Sprintf("data: LeastSquares: parameter vector of length %d, want dim+1 = %d", len(theta), ls.P()))
	}
}

func symToSlice(s *mat.SymDense) []float64 {
	p := s.SymmetricDim()
	out := make([]float64, p*p)
	for i := range p {
		for j := range p {
			out[i*p+j] = s.At(i, j)
		}
	}
	return out
}
