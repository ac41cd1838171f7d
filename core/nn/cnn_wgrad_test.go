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
