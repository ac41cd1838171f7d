package bench

import (
	"fmt"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// BenchmarkTrainStepCNN is one plain-SGD step of simplecnn on 1x28x28
// images (MNIST's, in memory; Fashion-MNIST has the same shape and cost)
// and of resnet20 on 3x32x32 (seeded uniform pixels: CIFAR-10 is not on
// these machines; BatchNorm in training mode), at S = 128, per ISA. Names
// and metrics match bench/pytorch_cnn_step.py's, for benchstat.
func BenchmarkTrainStepCNN(b *testing.B) {
	const s = 128
	train := mnistTrain(b)
	rgb := randomImages(3*32*32, 1024, 10)
	for _, c := range []struct {
		name, spec string
		d          *data.Dataset
	}{
		{"simplecnn", "simplecnn:1x28x28-10", train},
		{"resnet20", "resnet20:3x32x32-10", rgb},
	} {
		b.Run(fmt.Sprintf("%s/S=%d", c.name, s), func(b *testing.B) {
			forEachISA(b, func(b *testing.B) {
				m, err := nn.New(c.spec, 1)
				if err != nil {
					b.Fatal(err)
				}
				timeTrainSteps(b, m, c.d, s)
			})
		})
	}
}

// BenchmarkHVPCNN: the gradient of simplecnn on the first 1024 training
// images, one Hessian-vector product from scratch, and one on kept passes
// (nn.NewHVP, what curvature.Network uses), per ISA. The bar is
// hvp <= 3x grad.
func BenchmarkHVPCNN(b *testing.B) {
	train := mnistTrain(b)
	head, err := train.Head(1024)
	if err != nil {
		b.Fatal(err)
	}
	bt := head.All()
	b.Run("simplecnn/N=1024", func(b *testing.B) {
		forEachISA(b, func(b *testing.B) {
			m, err := nn.New("simplecnn:1x28x28-10", 1)
			if err != nil {
				b.Fatal(err)
			}
			p := m.NumParams()
			g := make([]float32, p)
			v := make([]float32, p)
			s := rng.New(3, "bench-v", 0)
			for i := range v {
				v[i] = float32(s.Normal())
			}
			out := make([]float32, p)
			b.Run("grad", func(b *testing.B) {
				for b.Loop() {
					m.LossGrad(bt, false, g)
				}
			})
			b.Run("hvp", func(b *testing.B) {
				for b.Loop() {
					m.HVP(bt, v, 1, out)
				}
			})
			c := m.NewHVP(bt)
			b.Run("hvpcached", func(b *testing.B) {
				for b.Loop() {
					c.Apply(v, 1, out)
				}
			})
		})
	})
}

// randomImages is n seeded images of dim uniform pixels and uniform labels.
func randomImages(dim, n int, classes int) *data.Dataset {
	s := rng.New(1, "bench-images", 0)
	d := &data.Dataset{Name: "random", X: make([]float32, n*dim), Y: make([]int32, n), N: n, Dim: dim, Classes: classes}
	for i := range d.X {
		d.X[i] = float32(s.Float64())
	}
	for i := range d.Y {
		d.Y[i] = int32(s.IntN(classes))
	}
	return d
}
