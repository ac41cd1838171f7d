package nn_test

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// The residual-block measurements of C9 on a resmlp: per block, the mean
// cosine between its residual F_i(h_i) and the loss gradient dL/dh_i at its
// input, the relative size ||F_i|| / ||h_i||, and the loss with the block
// replaced by the identity.
func ExampleModel_TraceBlocks() {
	d := data.GaussianMixture(200, 16, 4, 3, 1)
	m, _ := nn.New("resmlp:16-32x3-4", 1)
	b := d.All()
	tr, err := m.TraceBlocks(b)
	if err != nil {
		panic(err)
	}
	full, _ := m.Evaluate(b)
	fmt.Printf("%d blocks; h_i, F_i(h_i) and dL/dh_i hold %d x %d values each\n", tr.Blocks, tr.N, tr.Width)
	for _, s := range tr.Stats() {
		lesioned, _, _ := m.EvaluateWithoutBlocks(b, s.Block)
		_ = s.Cos     // mean cos(F_i(h_i), dL/dh_i): < 0 is iterative inference
		_ = s.RelNorm // mean ||F_i(h_i)|| / ||h_i||
		fmt.Printf("block %d: cosine in [-1, 1]: %v, relative norm > 0: %v, loss changes without it: %v\n",
			s.Block, s.Cos >= -1 && s.Cos <= 1, s.RelNorm > 0, lesioned != full)
	}
	small, _ := m.WithoutBlocks(2)
	l1, _, _ := m.EvaluateWithoutBlocks(b, 2)
	l2, _ := small.Evaluate(b)
	fmt.Println(small.Spec(), l1 == l2)
	// Output:
	// 3 blocks; h_i, F_i(h_i) and dL/dh_i hold 200 x 32 values each
	// block 0: cosine in [-1, 1]: true, relative norm > 0: true, loss changes without it: true
	// block 1: cosine in [-1, 1]: true, relative norm > 0: true, loss changes without it: true
	// block 2: cosine in [-1, 1]: true, relative norm > 0: true, loss changes without it: true
	// resmlp:16-32x2-4 true
}
