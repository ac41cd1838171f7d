package nn

import (
	"strconv"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// The curvature issue's reference size: mlp:784-512-512-10 (669,706
// parameters) on 1024 examples. bench/ holds the project-wide benchmarks;
// these are for working on this package.

func benchSetup(b *testing.B, spec string) (*Model, data.Batch) {
	m, err := New(spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	bt := testBatch(m, 1024, 2)
	for i := range bt.X {
		bt.X[i] = max(bt.X[i], 0) / 4 // roughly pixel-like: non-negative, small
	}
	return m, bt
}

func BenchmarkLossGrad(b *testing.B) {
	m, bt := benchSetup(b, "mlp:784-512-512-10")
	g := make([]float32, m.NumParams())
	for b.Loop() {
		m.LossGrad(bt, false, g)
	}
}

func BenchmarkLossGradDropout(b *testing.B) {
	m, bt := benchSetup(b, "mlp:784-512-512-10")
	m.Dropout = 0.5
	g := make([]float32, m.NumParams())
	for b.Loop() {
		m.LossGrad(bt, true, g)
	}
}

func BenchmarkHVP(b *testing.B) {
	for _, k := range []int{1, 4} {
		b.Run(itoa(k), func(b *testing.B) {
			m, bt := benchSetup(b, "mlp:784-512-512-10")
			vs := randVectors(k, m.NumParams(), 3)
			out := make([]float32, len(vs))
			for b.Loop() {
				m.HVP(bt, vs, k, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k)/1e6, "ms/product")
		})
	}
}

func BenchmarkHVPCached(b *testing.B) {
	for _, k := range []int{1, 4, 16} {
		b.Run(itoa(k), func(b *testing.B) {
			m, bt := benchSetup(b, "mlp:784-512-512-10")
			c := m.NewHVP(bt)
			vs := randVectors(k, m.NumParams(), 3)
			out := make([]float32, len(vs))
			for b.Loop() {
				c.Apply(vs, k, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k)/1e6, "ms/product")
		})
	}
}

func BenchmarkGGNVP(b *testing.B) {
	m, bt := benchSetup(b, "mlp:784-512-512-10")
	vs := randVectors(1, m.NumParams(), 3)
	out := make([]float32, len(vs))
	for b.Loop() {
		m.GGNVP(bt, vs, 1, out)
	}
}

// BenchmarkDropoutApply: masking 2^20 units (one 1024 x 1024 hidden layer
// pair), p = 0.5.
func BenchmarkDropoutApply(b *testing.B) {
	y := make([]float32, 1<<20)
	d := dropoutFor(0.5, rng.New(1, "dropout", 0))
	for b.Loop() {
		d.apply(y)
	}
}

func itoa(k int) string { return "k=" + strconv.Itoa(k) }
