package kernels

import (
	"math"

	"github.com/sgdclaims/sgdclaims/internal/par"
)

// generic is the pure-Go implementation: the reference every other
// implementation is tested against, the fallback on CPUs without the SIMD
// extensions, and what `-tags purego` builds run. Other implementations may
// embed it and override only the kernels they accelerate.
//
// Wherever fusing a multiply and an add into an FMA would change a result,
// the product is written float32(x*y), which the Go spec forbids compilers
// to fuse (arm64 and GOAMD64=v3 builds fuse otherwise). So generic gives the
// same bits on every platform, not only for every GOMAXPROCS; the one
// exception is noted at SoftmaxCrossEntropy.
type generic struct{}

func init() { Register(generic{}, 0, nil) }

func (generic) Name() string { return "generic" }

func (generic) Axpy(n int, alpha float32, x, y []float32) {
	checkDims("Axpy", n)
	checkVector("Axpy", "x", n, x)
	checkVector("Axpy", "y", n, y)
	x, y = x[:n], y[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		xs, ys := (*[4]float32)(x[i:]), (*[4]float32)(y[i:])
		ys[0] += float32(alpha * xs[0])
		ys[1] += float32(alpha * xs[1])
		ys[2] += float32(alpha * xs[2])
		ys[3] += float32(alpha * xs[3])
	}
	for ; i < n; i++ {
		y[i] += float32(alpha * x[i])
	}
}

func (generic) Scale(n int, alpha float32, x []float32) {
	checkDims("Scale", n)
	checkVector("Scale", "x", n, x)
	for i := range x[:n] {
		x[i] *= alpha
	}
}

// Dot accumulates in float64: four partial sums over i mod 4, combined as
// (s0+s1)+(s2+s3), then the n mod 4 tail in order, and one rounding to
// float32 at the end. A product of two float32 values is exact in float64,
// so the sum's relative error is about n*2^-53 instead of n*2^-24, which
// matters to the curvature code's long dot products (Lanczos, Hutchinson
// over every parameter). The four chains hide the add latency, and the
// order depends on n alone.
func (generic) Dot(n int, x, y []float32) float32 {
	checkDims("Dot", n)
	checkVector("Dot", "x", n, x)
	checkVector("Dot", "y", n, y)
	x, y = x[:n], y[:n]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= n; i += 4 {
		xs, ys := (*[4]float32)(x[i:]), (*[4]float32)(y[i:])
		s0 += float64(xs[0]) * float64(ys[0])
		s1 += float64(xs[1]) * float64(ys[1])
		s2 += float64(xs[2]) * float64(ys[2])
		s3 += float64(xs[3]) * float64(ys[3])
	}
	s := (s0 + s1) + (s2 + s3)
	for ; i < n; i++ {
		s += float64(x[i]) * float64(y[i])
	}
	return float32(s)
}

func (generic) Mul(n int, x, y, z []float32) {
	checkDims("Mul", n)
	checkVector("Mul", "x", n, x)
	checkVector("Mul", "y", n, y)
	checkVector("Mul", "z", n, z)
	x, y = x[:n], y[:n]
	for i := range z[:n] {
		z[i] = x[i] * y[i]
	}
}

func (generic) AddBias(m, n int, bias []float32, c []float32, ldc int) {
	checkDims("AddBias", m, n)
	checkVector("AddBias", "bias", n, bias)
	checkMatrix("AddBias", "c", m, n, c, ldc)
	if n == 0 {
		return
	}
	bias = bias[:n]
	for i := range m {
		row := c[i*ldc:][:n]
		for j, v := range bias {
			row[j] += v
		}
	}
}

// sumRowsBlock is the width of the column block SumRows accumulates at a
// time: its partial sums (1 KiB) and the rows' segments stay in L1.
const sumRowsBlock = 256

// SumRows adds the rows in order, i = 0, 1, ..., m-1, for every column, and
// only then merges with beta*out. Goroutines split the columns, never the
// rows, so the sum's order does not depend on GOMAXPROCS.
func (generic) SumRows(m, n int, a []float32, lda int, beta float32, out []float32) {
	checkDims("SumRows", m, n)
	checkMatrix("SumRows", "a", m, n, a, lda)
	checkVector("SumRows", "out", n, out)
	blocks := (n + sumRowsBlock - 1) / sumRowsBlock
	// At least ~64K elements per goroutine, so small gradients stay inline
	// (and allocate no closure).
	minBlocks := max(1, (1<<16)/max(1, m*sumRowsBlock))
	if blocks < 2*minBlocks || par.Procs() == 1 {
		sumRowsRange(m, n, a, lda, beta, out, 0, blocks)
		return
	}
	par.For(blocks, minBlocks, func(lo, hi int) { sumRowsRange(m, n, a, lda, beta, out, lo, hi) })
}

// sumRowsRange does SumRows for the column blocks [lo, hi).
func sumRowsRange(m, n int, a []float32, lda int, beta float32, out []float32, lo, hi int) {
	var sum [sumRowsBlock]float32
	for blk := lo; blk < hi; blk++ {
		j0 := blk * sumRowsBlock
		w := min(sumRowsBlock, n-j0)
		s := sum[:w]
		clear(s)
		for i := range m {
			row := a[i*lda+j0:][:w]
			for j, v := range row {
				s[j] += v
			}
		}
		o := out[j0:][:w]
		switch beta {
		case 0:
			copy(o, s)
		case 1:
			for j, v := range s {
				o[j] += v
			}
		default:
			for j, v := range s {
				o[j] = float32(beta*o[j]) + v
			}
		}
	}
}

// Relu propagates NaN (a NaN activation must reach the loss so that
// divergence is detected, not be silently zeroed) and maps -0 to +0, the
// semantics of the max builtin.
func (generic) Relu(n int, x, y []float32) {
	checkDims("Relu", n)
	checkVector("Relu", "x", n, x)
	checkVector("Relu", "y", n, y)
	x = x[:n]
	for i := range y[:n] {
		y[i] = max(x[i], 0)
	}
}

func (generic) ReluBackward(n int, x, dy, dx []float32) {
	checkDims("ReluBackward", n)
	checkVector("ReluBackward", "x", n, x)
	checkVector("ReluBackward", "dy", n, dy)
	checkVector("ReluBackward", "dx", n, dx)
	x, dy = x[:n], dy[:n]
	for i := range dx[:n] {
		if x[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// SoftmaxCrossEntropy works row by row: m = max_j z_j; e_j = exp(z_j - m)
// evaluated in float64 and stored rounded to float32 in probs; the sum S of
// the e_j accumulated in float64 in column order; probs scaled by 1/S; and
// loss = log(S) - (z_y - m) in float64, rounded once. Subtracting the max
// keeps every exponent <= 0 (no overflow; S >= 1 so the log is finite), and
// z_y is read before the row is overwritten, so probs may alias logits.
//
// math.Exp and math.Log are accurate to about one float64 ulp but not
// correctly rounded, and their assembly versions differ between amd64
// (with or without FMA) and arm64. The float64 difference survives the
// rounding to float32 only for values within one float64 ulp of a float32
// rounding boundary (about one in 2^29), so results across platforms agree
// in all but such rare last bits; on one machine they are deterministic.
func (generic) SoftmaxCrossEntropy(m, n int, logits []float32, labels []int32, probs []float32, loss []float32) {
	checkSoftmaxCrossEntropy(m, n, logits, labels, probs, loss)
	for i := range m {
		z := logits[i*n:][:n]
		p := probs[i*n:][:n]
		zmax := z[0]
		for _, v := range z[1:] {
			zmax = max(zmax, v)
		}
		zy := float64(z[labels[i]]) - float64(zmax)
		var sum float64
		for j, v := range z {
			e := math.Exp(float64(v) - float64(zmax))
			sum += e
			p[j] = float32(e)
		}
		inv := 1 / sum
		for j, v := range p {
			p[j] = float32(float64(v) * inv)
		}
		loss[i] = float32(math.Log(sum) - zy)
	}
}
