package nn

import (
	"math"
	"runtime"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// TestCNNWeightGradChunks: the weight gradient by chunks of input channels
// (convWeightGrad) is bitwise the group-by-group loop, on every
// implementation and GOMAXPROCS, with groups of one and of several examples
// a last chunk of fewer channels, and gradients set and added to.
func TestCNNWeightGradChunks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer kernels.Use(kernels.Active().Name())
	defer func(v bool) { convWeightGradChunked = v }(convWeightGradChunked)
	defer func(v int) { convColBudget = v }(convColBudget)
	const spec = "cnn:1x12x12:c20k3p1-relu-c20k3-relu-m2-c12k3p1-relu-f-d5"
	for _, budget := range []int{1, 1 << 17} {
		convColBudget = budget
		for _, impl := range kernels.All() {
			if err := kernels.Use(impl.Name()); err != nil {
				t.Fatal(err)
			}
			for _, procs := range []int{1, 2, 3} {
				runtime.GOMAXPROCS(procs)
				grad := func(chunked bool) []float32 {
					convWeightGradChunked = chunked
					m := newTestModel(t, spec, CrossEntropy, 21)
					m.Chunk = 5 // three chunks: the later ones add (beta 1)
					g := make([]float32, m.NumParams())
					m.LossGrad(testBatch(m, 13, 22), false, g)
					return g
				}
				want, got := grad(false), grad(true)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("budget %d, %s, GOMAXPROCS %d: gradient %d = %v by chunks, %v by groups",
							budget, impl.Name(), procs, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestCNNPremask: ReLU masks applied by the reader's backward pass (max
// pooling, a convolution's col2im) give the bits of the producer's own
// mask pass, for a gradient and an input gradient, with and without
// dropout, on every implementation.
func TestCNNPremask(t *testing.T) {
	defer kernels.Use(kernels.Active().Name())
	defer func(v bool) { cnnPremask = v }(cnnPremask)
	specs := []string{
		"cnn:1x12x12:c20k3p1-relu-c20k3-relu-m2-c12k3p1-relu-m3-f-d5",
		"cnn:1x12x12:c8k3p1-relu-drop-c8k3-relu-m2-f-d5",
	}
	for _, spec := range specs {
		for _, impl := range kernels.All() {
			if err := kernels.Use(impl.Name()); err != nil {
				t.Fatal(err)
			}
			run := func(premask bool) []float32 {
				cnnPremask = premask
				m := newTestModel(t, spec, CrossEntropy, 23)
				m.Dropout = 0.25
				b := testBatch(m, 9, 24)
				g := make([]float32, m.NumParams())
				m.LossGrad(b, true, g)
				ig := make([]float32, b.N*m.InputDim())
				m.InputGrad(b, ig)
				return append(g, ig...)
			}
			want, got := run(false), run(true)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s on %s: value %d = %v premasked, %v", spec, impl.Name(), i, got[i], want[i])
				}
			}
		}
	}
}
