package curvature

import (
	"context"
	"math"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// projSpectrum is a known spectrum: three separated top eigenvalues over a
// bulk in [0, 1].
func projSpectrum(n int) []float64 {
	eig := []float64{10, 8, 6}
	for i := 3; i < n; i++ {
		eig = append(eig, float64(i%7)/7)
	}
	return eig
}

func projGauss(n int, seed uint64) []float64 {
	v := make([]float64, n)
	fillGaussian(newStream(seed, "test", 0), v)
	return v
}

// exactTop returns the top k eigenvectors of a dense operator by a full
// eigendecomposition (the ground truth).
func exactTop(t *testing.T, op Operator, k int) [][]float64 {
	t.Helper()
	s, _ := Materialize(op)
	var e mat.EigenSym
	if !e.Factorize(s, true) {
		t.Fatal("eigendecomposition failed")
	}
	var v mat.Dense
	e.VectorsTo(&v)
	n := op.Dim()
	out := make([][]float64, k)
	for i := range out {
		out[i] = make([]float64, n)
		for j := 0; j < n; j++ {
			out[i][j] = v.At(j, n-1-i)
		}
	}
	return out
}

// On a matrix with a known spectrum, the Lanczos projector is the projector
// onto the exact top-K eigenspace: P g agrees with Q Q^T g from a full
// eigendecomposition, P is idempotent, commutes with H, and tr(P H P) is the
// sum of the top K eigenvalues.
func TestTopEigenspaceKnownSpectrum(t *testing.T) {
	const n, k = 60, 3
	op, err := NewDenseSpectrum(projSpectrum(n), 3)
	if err != nil {
		t.Fatal(err)
	}
	p, res, err := TopEigenspace(context.Background(), op, k, LanczosConfig{Tol: 1e-10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged || p.Rank() != k || p.Dim() != n {
		t.Fatalf("converged %v rank %d dim %d", res.Converged, p.Rank(), p.Dim())
	}
	for i, want := range []float64{10, 8, 6} {
		if math.Abs(p.Values()[i]-want) > 1e-9 {
			t.Errorf("value %d = %v, want %v", i, p.Values()[i], want)
		}
	}
	exact, err := NewProjector(exactTop(t, op, k))
	if err != nil {
		t.Fatal(err)
	}
	g := projGauss(n, 5)
	pg, want := make([]float64, n), make([]float64, n)
	p.Project(g, pg)
	exact.Project(g, want)
	for i := range pg {
		if math.Abs(pg[i]-want[i]) > 1e-8 {
			t.Fatalf("P g [%d] = %v, exact %v", i, pg[i], want[i])
		}
	}
	// Idempotent, and the complement is orthogonal to the inside.
	ppg := make([]float64, n)
	p.Project(pg, ppg)
	in, out := p.Split(g)
	for i := range g {
		if math.Abs(ppg[i]-pg[i]) > 1e-12 || math.Abs(in[i]+out[i]-g[i]) > 1e-12 {
			t.Fatalf("P^2 g or P g + (I-P) g off at %d", i)
		}
	}
	if d := dot(in, out); math.Abs(d) > 1e-12*nrm2(g)*nrm2(g) {
		t.Fatalf("<P g, (I-P) g> = %v", d)
	}
	ni, no := p.Norms(g)
	if math.Abs(ni-nrm2(in)) > 1e-12 || math.Abs(no-nrm2(out)) > 1e-12 {
		t.Fatalf("Norms %v %v, want %v %v", ni, no, nrm2(in), nrm2(out))
	}
	// H P g = P H g: the span is invariant.
	hpg, hg, phg := make([]float64, n), make([]float64, n), make([]float64, n)
	op.Apply(pg, hpg)
	op.Apply(g, hg)
	p.Project(hg, phg)
	for i := range hpg {
		if math.Abs(hpg[i]-phg[i]) > 1e-8 {
			t.Fatalf("H P g != P H g at %d: %v vs %v", i, hpg[i], phg[i])
		}
	}
	// tr(Q^T H Q) = 24.
	tr := 0.0
	hq := make([]float64, n)
	for _, q := range p.Vectors() {
		op.Apply(q, hq)
		tr += dot(q, hq)
	}
	if math.Abs(tr-24) > 1e-9 {
		t.Fatalf("tr(P H P) = %v, want 24", tr)
	}
}

// Nudge is (I - P) g + gamma P g; gamma = 1 returns g bit for bit, in float64
// and float32 alike (zeros of either sign included).
func TestProjectorNudge(t *testing.T) {
	const n = 40
	op, _ := NewDenseSpectrum(projSpectrum(n), 4)
	p, _, err := TopEigenspace(context.Background(), op, 2, LanczosConfig{Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	g := projGauss(n, 7)
	in, out := p.Split(g)
	for _, gamma := range []float64{0, 0.1, 1, 3} {
		got := make([]float64, n)
		p.Nudge(gamma, g, got)
		for i := range got {
			want := out[i] + gamma*in[i]
			if math.Abs(got[i]-want) > 1e-12 {
				t.Fatalf("gamma %v: nudge[%d] = %v, want %v", gamma, i, got[i], want)
			}
		}
	}
	got := make([]float64, n)
	p.Nudge(1, g, got)
	g32 := make([]float32, n)
	for i := range g {
		g32[i] = float32(g[i])
		if math.Float64bits(got[i]) != math.Float64bits(g[i]) {
			t.Fatalf("gamma 1 changed g[%d]", i)
		}
	}
	g32[0], g32[1] = float32(math.Copysign(0, -1)), 0
	keep := append([]float32(nil), g32...)
	p.Nudge32(1, g32)
	for i := range g32 {
		if math.Float32bits(g32[i]) != math.Float32bits(keep[i]) {
			t.Fatalf("Nudge32(1) changed g[%d]: %v -> %v", i, keep[i], g32[i])
		}
	}
	p.Nudge32(0, g32) // removes the top-2 part
	w := make([]float64, n)
	for i, x := range g32 {
		w[i] = float64(x)
	}
	if c := p.Coefficients(w); math.Abs(c[0]) > 1e-5 || math.Abs(c[1]) > 1e-5 {
		t.Fatalf("after Nudge32(0) the top coefficients are %v", c)
	}
}

func TestNewProjectorOrthonormalises(t *testing.T) {
	a := []float64{1, 1, 0, 0}
	b := []float64{2, 0, 0, 0}
	c := []float64{3, 1, 0, 0} // in span(a, b): dropped
	p, err := NewProjector([][]float64{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rank() != 2 {
		t.Fatalf("rank %d, want 2", p.Rank())
	}
	out := make([]float64, 4)
	p.Project([]float64{5, 6, 7, 8}, out)
	for i, want := range []float64{5, 6, 0, 0} {
		if math.Abs(out[i]-want) > 1e-14 {
			t.Fatalf("P g = %v", out)
		}
	}
	if _, err := NewProjector([][]float64{{1, 2}, {1}}); err == nil {
		t.Fatal("ragged vectors accepted")
	}
	if _, err := NewProjector([][]float64{{1, math.NaN()}}); err == nil {
		t.Fatal("NaN accepted")
	}
	z, err := NewProjectorDim(3, nil)
	if err != nil || z.Rank() != 0 {
		t.Fatalf("zero projector: %v %v", z, err)
	}
	z.Complement([]float64{1, 2, 3}, out[:3])
	if out[0] != 1 || out[2] != 3 {
		t.Fatalf("zero projector's complement %v", out[:3])
	}
}

// Refreshing from the previous vectors (warm start) after a small change of
// the operator finds the new top space in fewer applications than a cold
// start, and the projections are identical across GOMAXPROCS.
func TestTopEigenspaceWarmRefresh(t *testing.T) {
	const n, k = 400, 3
	// A hard spectrum for a cold start: the top three close together over
	// a bulk reaching 90% of the top.
	eig := []float64{10, 9.9, 9.8}
	for i := 3; i < n; i++ {
		eig = append(eig, 9*float64(i)/n)
	}
	op, _ := NewDenseSpectrum(eig, 8)
	p0, cold, err := TopEigenspace(context.Background(), op, k, LanczosConfig{Tol: 1e-6, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	// A nearby operator: the same matrix plus a small symmetric perturbation.
	s, _ := Materialize(op)
	pert := projGauss(n*n, 9)
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a[i*n+j] = s.At(i, j) + 1e-3*(pert[i*n+j]+pert[j*n+i])
		}
	}
	op2, err := NewDense(n, a)
	if err != nil {
		t.Fatal(err)
	}
	_, cold2, _ := TopEigenspace(context.Background(), op2, k, LanczosConfig{Tol: 1e-6, Seed: 2})
	run := func(procs int) (*Projector, *Eigenpairs) {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		p, r, err := TopEigenspace(context.Background(), op2, k, LanczosConfig{Tol: 1e-6, Seed: 2, Start: p0.Vectors()})
		if err != nil {
			t.Fatal(err)
		}
		return p, r
	}
	p1, warm := run(1)
	p2, _ := run(2)
	if !warm.Converged || warm.Applications >= cold2.Applications {
		t.Fatalf("warm refresh %d applications (converged %v), cold %d (first %d)", warm.Applications, warm.Converged, cold2.Applications, cold.Applications)
	}
	t.Logf("top-3 refresh: warm %d applications, cold %d", warm.Applications, cold2.Applications)
	g := projGauss(n, 1)
	x, y := make([]float64, n), make([]float64, n)
	p1.Project(g, x)
	p2.Project(g, y)
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			t.Fatalf("projection differs across GOMAXPROCS at %d", i)
		}
	}
}
