package kernels_test

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// A dense layer's forward pass, y = x W^T + b, for a batch of two inputs
// with three features and a layer of two units. W is stored as PyTorch's
// nn.Linear stores it, [out, in], so Gemm reads it transposed.
func ExampleGemm() {
	x := []float32{ // 2 x 3
		1, 2, 3,
		4, 5, 6,
	}
	w := []float32{ // 2 x 3, [out, in]
		1, 0, -1,
		0.5, 0.5, 0.5,
	}
	b := []float32{10, 20}
	y := make([]float32, 2*2)

	// y (2x2) = 1 * x (2x3) * W^T (3x2) + 0 * y
	kernels.Gemm(false, true, 2, 2, 3, 1, x, 3, w, 3, 0, y, 2)
	kernels.AddBias(2, 2, b, y, 2)
	fmt.Println(y)
	// Output: [8 23 8 27.5]
}

// The loss and its gradient at the logits: probs - onehot(label).
func ExampleSoftmaxCrossEntropy() {
	logits := []float32{2, 1, 0}
	labels := []int32{0}
	probs := make([]float32, 3)
	loss := make([]float32, 1)
	kernels.SoftmaxCrossEntropy(1, 3, logits, labels, probs, loss)
	fmt.Printf("loss %.4f, probs %.4f\n", loss[0], probs)
	// Output: loss 0.4076, probs [0.6652 0.2447 0.0900]
}
