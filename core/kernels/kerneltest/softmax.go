package kerneltest

import (
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// softmaxRef returns the float64 softmax of z and the cross-entropy for
// label y, and zy - max(z), which enters the loss's error bound.
func softmaxRef(z []float32, y int) (p []float64, loss, shift float64) {
	zmax := math.Inf(-1)
	for _, v := range z {
		zmax = math.Max(zmax, float64(v))
	}
	p = make([]float64, len(z))
	var sum float64
	for j, v := range z {
		p[j] = math.Exp(float64(v) - zmax)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
	shift = float64(z[y]) - zmax
	return p, math.Log(sum) - shift, shift
}

// softmaxCase runs SoftmaxCrossEntropy on the m x n logits z and checks it
// against the float64 reference. With alias set, probs is logits.
func softmaxCase(t *testing.T, impl kernels.Impl, what string, m, n int, z []float32, labels []int32, alias bool) bool {
	t.Helper()
	logits := newBuffer(m * n)
	copy(logits.data(), z)
	probs := logits
	if !alias {
		probs = newBuffer(m * n)
	}
	loss := newBuffer(m)
	lab := append([]int32(nil), labels...)
	ls := logits.snapshot()

	impl.SoftmaxCrossEntropy(m, n, logits.data(), lab, probs.data(), loss.data())

	if !alias && !checkUnchanged(t, what+": logits", ls, logits.mem) {
		return false
	}
	if !probs.checkGuards(t, what+": probs") || !loss.checkGuards(t, what+": loss") {
		return false
	}
	for i, y := range lab {
		if y != labels[i] {
			t.Errorf("%s: labels[%d] changed from %d to %d", what, i, labels[i], y)
			return false
		}
	}
	// Error bounds: the n-term sum of exponentials has relative error up
	// to n*u, a vectorised exp or log a few u, the division and the
	// rounding of the result one u each; (n+8)u covers them. The loss,
	// log(S) - (z_y - max), inherits the sum's relative error as an
	// absolute one, plus relative errors of the log, of z_y - max and of
	// the final subtraction.
	tol := float64(n+8) * u
	for i := range m {
		pRef, lossRef, shift := softmaxRef(z[i*n:(i+1)*n], int(labels[i]))
		var sum float64
		for j := range n {
			got := float64(probs.data()[i*n+j])
			sum += got
			// 2^-126 absorbs results at the float32 underflow threshold.
			if !(math.Abs(got-pRef[j]) <= tol*pRef[j]+0x1p-126) {
				t.Errorf("%s: probs[%d,%d] = %v, want %v", what, i, j, got, pRef[j])
				return false
			}
		}
		if !(math.Abs(sum-1) <= tol) {
			t.Errorf("%s: row %d of probs sums to %v, want 1", what, i, sum)
			return false
		}
		got := float64(loss.data()[i])
		if !(math.Abs(got-lossRef) <= tol*(1+math.Abs(lossRef)+math.Abs(shift))) {
			t.Errorf("%s: loss[%d] = %v, want %v", what, i, got, lossRef)
			return false
		}
	}
	return true
}

func testSoftmaxCrossEntropy(t *testing.T, impl kernels.Impl) {
	// Random logits at several scales, every label position used.
	for _, s := range [][2]int{{0, 3}, {1, 1}, {1, 2}, {3, 3}, {17, 10}, {64, 10}, {5, 17}, {4, 100}, {2, 1000}} {
		m, n := s[0], s[1]
		for _, scale := range []float64{1, 10} {
			r := newRand(16, m, n, int(scale))
			z := make([]float32, m*n)
			for i := range z {
				z[i] = float32(scale * r.NormFloat64())
			}
			labels := make([]int32, m)
			for i := range labels {
				labels[i] = int32((i * 7) % n)
			}
			for _, alias := range []bool{false, true} {
				what := describe("SoftmaxCrossEntropy(m=%d, n=%d, scale %v, alias %v)", m, n, scale, alias)
				if !softmaxCase(t, impl, what, m, n, z, labels, alias) {
					return
				}
			}
		}
	}

	// Logits whose exponentials overflow or underflow float32 unless the
	// maximum is subtracted first, and rows of equal logits.
	rows := []struct {
		name  string
		z     []float32
		label int32
		loss  float64 // exact expected loss
	}{
		{"huge positive winner", []float32{1e4, -1e4, 0}, 0, 0},
		{"huge negative label", []float32{1e4, -1e4, 0}, 1, 2e4},
		{"all huge positive", []float32{1e4, 1e4, 1e4, 1e4}, 2, math.Log(4)},
		{"all huge negative", []float32{-1e4, -1e4, -1e4, -1e4}, 3, math.Log(4)},
		{"past exp overflow", []float32{100, 99, 98}, 0, math.Log(1 + math.Exp(-1) + math.Exp(-2))},
		{"equal", []float32{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, 7, math.Log(10)},
		{"single class", []float32{-3}, 0, 0},
	}
	for _, row := range rows {
		what := "SoftmaxCrossEntropy(" + row.name + ")"
		n := len(row.z)
		if !softmaxCase(t, impl, what, 1, n, row.z, []int32{row.label}, false) {
			continue
		}
		probs, loss := make([]float32, n), make([]float32, 1)
		impl.SoftmaxCrossEntropy(1, n, row.z, []int32{row.label}, probs, loss)
		if l := float64(loss[0]); math.IsInf(l, 0) || !(math.Abs(l-row.loss) <= float64(n+8)*u*(1+row.loss)) {
			t.Errorf("%s: loss = %v, want %v", what, l, row.loss)
		}
		for j, p := range probs {
			if p != p || math.IsInf(float64(p), 0) {
				t.Errorf("%s: probs[%d] = %v", what, j, p)
			}
		}
	}
}
