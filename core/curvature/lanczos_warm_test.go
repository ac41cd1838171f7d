package curvature

import (
	"math"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// trackingSpectrum is a network-like spectrum with a small top gap: a few
// outliers above a bulk in [-1, 3].
func trackingSpectrum(n int) []float64 {
	eig := []float64{10, 9.3, 8, 7, 6}
	bulk := n - len(eig)
	for i := 0; i < bulk; i++ {
		eig = append(eig, -1+4*float64(i)/float64(bulk-1))
	}
	return eig
}

// drift returns the matrices A_0, A_1, ... with A_{t+1} = A_t + E_t, each
// E_t a random symmetric matrix of spectral norm about step (a fresh
// direction every step, as SGD moves the Hessian), with their exact largest
// eigenvalues.
func drift(t *testing.T, n, steps int, step float64) (ops []*Dense, top []float64) {
	t.Helper()
	base := mustDense(t, trackingSpectrum(n), 3)
	a := make([]float64, n*n)
	for i := range a {
		a[i] = base.At(i/n, i%n)
	}
	e := make([]float64, n*n)
	for s := 0; s < steps; s++ {
		if s > 0 {
			fillGaussian(newStream(11, "drift", uint64(s)), e)
			// A symmetric Gaussian matrix has spectral norm about 2 sqrt(n) sigma.
			sc := step / (2 * math.Sqrt(float64(n)))
			for i := 0; i < n; i++ {
				for j := 0; j <= i; j++ {
					x := sc * (e[i*n+j] + e[j*n+i]) / math.Sqrt2
					a[i*n+j] += x
					if i != j {
						a[j*n+i] += x
					}
				}
			}
		}
		op, err := NewDense(n, append([]float64(nil), a...))
		if err != nil {
			t.Fatal(err)
		}
		var es mat.EigenSym
		if !es.Factorize(mat.NewSymDense(n, append([]float64(nil), a...)), false) {
			t.Fatal("eigensolver failed")
		}
		vals := es.Values(nil)
		ops, top = append(ops, op), append(top, vals[n-1])
	}
	return ops, top
}

// TestLanczosWarmTracking is the trajectory case: lambda_max of a slowly
// drifting matrix, measured after every step by Lanczos started from the
// previous measurement's Ritz vectors, must cost at most 5 applications per
// measurement after the first and stay within 1e-3 of the exact value; from
// a random start each measurement costs several times more.
func TestLanczosWarmTracking(t *testing.T) {
	const n, steps = 400, 12
	ops, exact := drift(t, n, steps, 0.1) // 1% of lambda_max per step
	for _, block := range []int{1, 2} {
		var start [][]float64
		warm, cold := 0, 0
		for s, op := range ops {
			cfg := LanczosConfig{Tol: 1e-3, Stop: StopValue, Seed: uint64(s), Vectors: true, Start: start}
			res, err := Lanczos(op, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(res.Top[0].Value, exact[s]); e > 1e-3 {
				t.Errorf("block %d, step %d: lambda_max %.6g, exact %.6g: relative error %.2g > 1e-3", block, s, res.Top[0].Value, exact[s], e)
			}
			if s > 0 {
				warm += res.Applications
				if res.Applications > 5 {
					t.Errorf("block %d, step %d: %d applications, want <= 5 after the first measurement", block, s, res.Applications)
				}
				c, err := Lanczos(op, LanczosConfig{Tol: 1e-3, Stop: StopValue, Seed: uint64(s)})
				if err != nil {
					t.Fatal(err)
				}
				cold += c.Applications
			}
			// The next start: the top Ritz vector, and for a block the
			// second one too (Lanczos's Top decides how many it returns).
			start = [][]float64{res.Top[0].Vector}
			if block == 2 {
				r2, err := Lanczos(op, LanczosConfig{Top: 2, Tol: 1e-2, Stop: StopValue, Seed: uint64(s), Vectors: true, Start: start})
				if err != nil {
					t.Fatal(err)
				}
				start = [][]float64{r2.Top[0].Vector, r2.Top[1].Vector}
			}
		}
		per := float64(warm) / float64(steps-1)
		t.Logf("block %d: %.1f applications per warm measurement, %.1f cold", block, per, float64(cold)/float64(steps-1))
		if 2*warm > cold {
			t.Errorf("block %d: warm starts spent %d applications, cold %d: want less than half", block, warm, cold)
		}
	}
}

// TestLanczosWarmExactStart: from an exact eigenvector of a float64
// operator, whose Krylov space would be invariant at once, the pinch of
// random start vector still lets Lanczos find the top eigenvalue; from the
// top eigenvector it costs one or two applications.
func TestLanczosWarmExactStart(t *testing.T) {
	eig := knownSpectrum(200)
	op := mustDense(t, eig, 5)
	ref, err := Lanczos(op, LanczosConfig{Top: 2, Tol: 1e-10, Seed: 1, Vectors: true})
	if err != nil {
		t.Fatal(err)
	}
	y1, y2 := ref.Top[0].Vector, ref.Top[1].Vector
	for _, c := range []struct {
		name  string
		start [][]float64
		apps  int
	}{{"top eigenvector", [][]float64{y1}, 2}, {"block [second, top]", [][]float64{y2, y1}, 4}} {
		res, err := Lanczos(op, LanczosConfig{Tol: 1e-3, Stop: StopValue, Seed: 2, Start: c.start})
		if err != nil {
			t.Fatal(err)
		}
		if relErr(res.Top[0].Value, 50) > 1e-5 || res.Applications > c.apps {
			t.Errorf("from the %s: %v in %d applications, want 50 in <= %d", c.name, res.Top[0].Value, res.Applications, c.apps)
		}
	}
	// From the second eigenvector alone an unperturbed start would be an
	// invariant space holding only 30.
	res, err := Lanczos(op, LanczosConfig{Tol: 1e-6, Seed: 2, Start: [][]float64{y2}})
	if err != nil {
		t.Fatal(err)
	}
	if relErr(res.Top[0].Value, 50) > 1e-6 {
		t.Errorf("from the second eigenvector: top %v, want 50", res.Top[0].Value)
	}
}

// TestLanczosWarmStartInput: dependent and zero start vectors are dropped
// (all dropped: the random start), bad ones are errors, and the result does
// not depend on GOMAXPROCS.
func TestLanczosWarmStartInput(t *testing.T) {
	op := mustDense(t, knownSpectrum(100), 2)
	n := op.Dim()
	v := make([]float64, n)
	fillGaussian(newStream(1, "t", 0), v)
	w := append([]float64(nil), v...)
	scal(-3, w)
	zero := make([]float64, n)
	res, err := Lanczos(op, LanczosConfig{Tol: 1e-8, Start: [][]float64{v, w, zero}})
	if err != nil {
		t.Fatal(err)
	}
	if relErr(res.Top[0].Value, 50) > 1e-8 || res.Stamp.Budget != res.Applications {
		t.Errorf("dependent start block: top %v, budget %d, applications %d", res.Top[0].Value, res.Stamp.Budget, res.Applications)
	}
	one, err := Lanczos(op, LanczosConfig{Tol: 1e-8, Start: [][]float64{v}})
	if err != nil {
		t.Fatal(err)
	}
	if one.Top[0].Value != res.Top[0].Value || one.Applications != res.Applications {
		t.Errorf("[v, -3v, 0] should start exactly as [v]: %v in %d vs %v in %d", res.Top[0].Value, res.Applications, one.Top[0].Value, one.Applications)
	}
	cold, _ := Lanczos(op, LanczosConfig{Tol: 1e-8, Seed: 4})
	allZero, err := Lanczos(op, LanczosConfig{Tol: 1e-8, Seed: 4, Start: [][]float64{zero}})
	if err != nil || allZero.Top[0].Value != cold.Top[0].Value || allZero.Applications != cold.Applications {
		t.Errorf("an all-zero start should fall back to the random one: %v, %v vs %v", err, allZero.Top[0].Value, cold.Top[0].Value)
	}
	if _, err := Lanczos(op, LanczosConfig{Start: [][]float64{v[:n-1]}}); err == nil {
		t.Error("a short start vector was accepted")
	}
	bad := append([]float64(nil), v...)
	bad[3] = math.NaN()
	if _, err := Lanczos(op, LanczosConfig{Start: [][]float64{bad}}); err == nil {
		t.Error("a NaN start vector was accepted")
	}

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	big := mustDense(t, knownSpectrum(600), 3)
	u := make([]float64, 600)
	fillGaussian(newStream(2, "t", 0), u)
	var ref *Eigenpairs
	for _, p := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(p)
		r, err := Lanczos(big, LanczosConfig{Top: 2, Tol: 1e-6, Start: [][]float64{u, v[:0:0]}})
		if err == nil {
			t.Fatal("an empty start vector was accepted")
		}
		r, err = Lanczos(big, LanczosConfig{Top: 2, Tol: 1e-6, Start: [][]float64{u, knownSpectrum(600)}})
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = r
		} else if r.Top[0].Value != ref.Top[0].Value || r.Top[1].Value != ref.Top[1].Value || r.Applications != ref.Applications {
			t.Fatalf("GOMAXPROCS=%d: %v in %d, GOMAXPROCS=1: %v in %d", p, r.Top, r.Applications, ref.Top, ref.Applications)
		}
	}
}
