package nn

import (
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// CNN benchmarks for working on this package: a training step of simplecnn
// (1x28x28) and resnet20 (3x32x32) on 128 examples, and curvature products
// of simplecnn on 1024 examples next to its gradient. bench/ holds the
// project-wide ones.

func cnnBenchSetup(b *testing.B, spec string, n int) (*Model, data.Batch) {
	m, err := New(spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	bt := testBatch(m, n, 2)
	for i := range bt.X {
		bt.X[i] = max(bt.X[i], 0) / 4
	}
	return m, bt
}

func BenchmarkCNNTrainStep(b *testing.B) {
	for _, spec := range []string{"simplecnn:1x28x28-10", "resnet20:3x32x32-10"} {
		b.Run(spec, func(b *testing.B) {
			m, bt := cnnBenchSetup(b, spec, 128)
			g := make([]float32, m.NumParams())
			for b.Loop() {
				m.LossGrad(bt, true, g)
			}
		})
	}
}

func BenchmarkCNNCurvature(b *testing.B) {
	m, bt := cnnBenchSetup(b, "simplecnn:1x28x28-10", 1024)
	g := make([]float32, m.NumParams())
	b.Run("gradient", func(b *testing.B) {
		for b.Loop() {
			m.LossGrad(bt, false, g)
		}
	})
	vs := randVectors(1, m.NumParams(), 3)
	out := make([]float32, len(vs))
	b.Run("HVP", func(b *testing.B) {
		for b.Loop() {
			m.HVP(bt, vs, 1, out)
		}
	})
	c := m.NewHVP(bt)
	b.Run("HVPCached", func(b *testing.B) {
		for b.Loop() {
			c.Apply(vs, 1, out)
		}
	})
}
