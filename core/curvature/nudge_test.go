package curvature

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/train"
	"gonum.org/v1/gonum/mat"
)

// nudgeProblem is a least-squares problem (a quadratic loss with a known,
// constant Hessian) with a separated top of the spectrum.
func nudgeProblem() *data.LeastSquares {
	return data.LinearLeastSquares(256, 6, 0.5, 3, data.WithSpectrum([]float64{20, 8, 3, 1, 0.5, 0.2}))
}

// exactEigen returns the eigenvalues (descending) and eigenvectors (as
// rows, same order) of the p x p symmetric matrix h.
func exactEigen(t *testing.T, p int, h []float64) ([]float64, [][]float64) {
	t.Helper()
	var e mat.EigenSym
	if !e.Factorize(mat.NewSymDense(p, append([]float64(nil), h...)), true) {
		t.Fatal("eigendecomposition failed")
	}
	vals := e.Values(nil)
	var v mat.Dense
	e.VectorsTo(&v)
	outV := make([]float64, p)
	outQ := make([][]float64, p)
	for i := 0; i < p; i++ {
		outV[i] = vals[p-1-i]
		outQ[i] = make([]float64, p)
		for j := 0; j < p; j++ {
			outQ[i][j] = v.At(j, p-1-i)
		}
	}
	return outV, outQ
}

// exactNudge is g + (gamma-1) Q_K Q_K^T g in float64.
func exactNudge(g []float64, q [][]float64, k int, gamma float64) []float64 {
	out := append([]float64(nil), g...)
	for _, v := range q[:k] {
		c := dot(v, g)
		axpy((gamma-1)*c, v, out)
	}
	return out
}

// On a quadratic with a known Hessian, the nudged gradient is the formula
// (I - P_K) g + gamma P_K g with P_K from the exact eigenvectors, and the
// refreshes record the exact top eigenvalues at the steps scheduled.
func TestNudgerMatchesFormulaOnQuadratic(t *testing.T) {
	ls := nudgeProblem()
	p := ls.P()
	theta := make([]float64, p)
	for i := range theta {
		theta[i] = 1.5 - 0.4*float64(i)
	}
	m, _ := lsModel(t, 6, theta)
	vals, q := exactEigen(t, p, ls.Hessian())
	all := ls.Data.All()
	const k, gamma = 2, 0.25
	nd, err := NewNudger(NudgeConfig{Gamma: gamma, K: k, M: 3, Tol: 1e-6}, all, "all 256 examples")
	if err != nil {
		t.Fatal(err)
	}
	for step := 1; step <= 7; step++ {
		grad := make([]float32, p)
		m.LossGrad(all, false, grad)
		g := make([]float64, p)
		for i, x := range grad {
			g[i] = float64(x)
		}
		if err := nd.TransformGrad(step, m, all, grad); err != nil {
			t.Fatal(err)
		}
		want := exactNudge(g, q, k, gamma)
		for i := range want {
			if math.Abs(float64(grad[i])-want[i]) > 1e-4*nrm2(g) {
				t.Fatalf("step %d: nudged grad[%d] = %v, formula %v (g %v)", step, i, grad[i], want[i], g[i])
			}
		}
		// Move a little, so that each refresh sees other parameters
		// (the Hessian is the same everywhere).
		for i := range grad {
			m.Params()[i] -= 0.01 * grad[i]
		}
	}
	refs := nd.Refreshes()
	if len(refs) != 3 || refs[0].Step != 1 || refs[1].Step != 4 || refs[2].Step != 7 {
		t.Fatalf("refreshes %+v, want steps 1, 4, 7", refs)
	}
	for i, r := range refs {
		if r.Warm != (i > 0) || !r.Converged || len(r.Eigenvalues) != k {
			t.Fatalf("refresh %d: %+v", i, r)
		}
		for j := 0; j < k; j++ {
			if math.Abs(r.Eigenvalues[j]-vals[j]) > 1e-4*vals[0] {
				t.Fatalf("refresh %d eigenvalue %d = %v, exact %v", i, j, r.Eigenvalues[j], vals[j])
			}
		}
	}
}

// Full-batch Nudged GD on the quadratic follows the float64 recursion
// theta <- theta - eta [(I - P) + gamma P] H (theta - theta*), and with K = P
// (every direction projected) and gamma = 0 it does not move at all.
func TestNudgedTrainingOnQuadratic(t *testing.T) {
	ls := nudgeProblem()
	p := ls.P()
	h := ls.Hessian()
	star := ls.Minimiser()
	_, q := exactEigen(t, p, h)
	run := func(k int, gamma, eta float64, epochs int) ([]float64, []float64) {
		theta0 := make([]float64, p)
		for i := range theta0 {
			theta0[i] = 0.7 * float64(i%3)
		}
		m, held := lsModel(t, 6, theta0)
		nd, err := NewNudger(NudgeConfig{Gamma: gamma, K: k, M: 2, Tol: 1e-6}, ls.Data.All(), "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = train.Run(train.Config{Model: m, Train: ls.Data, Epochs: epochs, LR: optim.ConstantLR(eta),
			Batch: optim.ConstantBatch(ls.Data.N), Seed: 1, Transform: nd})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float64, p)
		for i, x := range m.Params() {
			got[i] = float64(x)
		}
		// The float64 recursion.
		th := held
		for s := 0; s < epochs; s++ {
			g := make([]float64, p)
			for i := 0; i < p; i++ {
				for j := 0; j < p; j++ {
					g[i] += h[i*p+j] * (th[j] - star[j])
				}
			}
			d := exactNudge(g, q, k, gamma)
			axpy(-eta, d, th)
		}
		return got, th
	}
	got, want := run(2, 0.2, 0.05, 12)
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-4 {
			t.Fatalf("nudged GD param %d = %v, recursion %v", i, got[i], want[i])
		}
	}
	got, want = run(p, 0, 0.05, 4)
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-5 {
			t.Fatalf("gamma 0, K = P: param %d moved to %v from %v", i, got[i], want[i])
		}
	}
}

// A nudged run is bitwise the same for any GOMAXPROCS.
func TestNudgedRunDeterministic(t *testing.T) {
	d := data.GaussianMixture(600, 16, 4, 3, 5)
	run := func(procs int) []float32 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		m, err := nn.New("mlp:16-24-4", 2)
		if err != nil {
			t.Fatal(err)
		}
		hb, _ := d.Head(128)
		nd, err := NewNudger(NudgeConfig{Gamma: 0.5, K: 2, M: 4, Seed: 3}, hb.All(), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := train.Run(train.Config{Model: m, Train: d, Epochs: 1, LR: optim.ConstantLR(0.1),
			Batch: optim.ConstantBatch(32), Seed: 4, Transform: nd, Optimizer: &optim.SGD{Momentum: 0.9}}); err != nil {
			t.Fatal(err)
		}
		if len(nd.Refreshes()) != (600/32+3)/4 {
			t.Fatalf("%d refreshes for %d steps every 4", len(nd.Refreshes()), 600/32)
		}
		return append([]float32(nil), m.Params()...)
	}
	a, b := run(1), run(2)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("param %d differs across GOMAXPROCS", i)
		}
	}
}

func TestParseNudge(t *testing.T) {
	c, err := ParseNudge("0.1,5,10")
	if err != nil || c.Gamma != 0.1 || c.K != 5 || c.M != 10 || c.String() != "0.1,5,10" {
		t.Fatalf("ParseNudge: %+v %v", c, err)
	}
	for s, want := range map[string]string{
		"0.1,5":     "GAMMA,K,M",
		"x,5,10":    "gamma",
		"-1,5,10":   "gamma",
		"inf,5,10":  "gamma",
		"NaN,5,10":  "gamma",
		"0.1,0,10":  "K 0",
		"0.1,2.5,1": "K",
		"0.1,5,0":   "M 0",
		"":          "GAMMA,K,M",
	} {
		_, err := ParseNudge(s)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseNudge(%q) = %v, want a one-line error containing %q", s, err, want)
		}
	}
}
