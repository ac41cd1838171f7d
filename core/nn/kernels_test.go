package nn

import (
	"math"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// naive is a plain, single-threaded, allocation-free kernel implementation
// registered for this package's tests only (rank -1: never chosen
// automatically). TestNoSteadyStateAllocation runs on it so that it
// measures this package's allocations, not the kernels' (a parallel GEMM
// may allocate per call for its goroutines).
type naive struct{}

func init() { kernels.Register(naive{}, -1, nil) }

func (naive) Name() string { return "nn-test-naive" }

func (naive) Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

func (naive) Axpy(n int, alpha float32, x, y []float32) {
	for i := 0; i < n; i++ {
		y[i] += alpha * x[i]
	}
}

func (naive) Scale(n int, alpha float32, x []float32) {
	for i := 0; i < n; i++ {
		x[i] *= alpha
	}
}

func (naive) Dot(n int, x, y []float32) float32 {
	var s float32
	for i := 0; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

func (naive) Mul(n int, x, y, z []float32) {
	for i := 0; i < n; i++ {
		z[i] = x[i] * y[i]
	}
}

func (naive) AddBias(m, n int, bias []float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			c[i*ldc+j] += bias[j]
		}
	}
}

func (naive) SumRows(m, n int, a []float32, lda int, beta float32, out []float32) {
	for j := 0; j < n; j++ {
		var s float32
		for i := 0; i < m; i++ {
			s += a[i*lda+j]
		}
		if beta == 0 {
			out[j] = s
		} else {
			out[j] = beta*out[j] + s
		}
	}
}

func (naive) Relu(n int, x, y []float32) {
	for i := 0; i < n; i++ {
		y[i] = max(x[i], 0)
	}
}

func (naive) ReluBackward(n int, x, dy, dx []float32) {
	for i := 0; i < n; i++ {
		if x[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

func (naive) SoftmaxCrossEntropy(m, n int, logits []float32, labels []int32, probs []float32, loss []float32) {
	for i := 0; i < m; i++ {
		row, p := logits[i*n:(i+1)*n], probs[i*n:(i+1)*n]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v - mx))
		}
		loss[i] = float32(math.Log(z)) - (row[labels[i]] - mx)
		for j, v := range row {
			p[j] = float32(math.Exp(float64(v-mx)) / z)
		}
	}
}

// withKernels runs f with the named implementation active.
func withKernels(name string, f func()) {
	prev := kernels.Active().Name()
	if err := kernels.Use(name); err != nil {
		panic(err)
	}
	defer kernels.Use(prev)
	f()
}
