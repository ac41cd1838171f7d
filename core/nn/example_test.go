package nn_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// Linear least squares: the Hessian of the mean of 0.5*(w.x + b - t)^2 is
// mean_i [x_i, 1][x_i, 1]^T, whatever the weights; HVP of the identity
// returns it row by row (parameters in state_dict order: w1, w2, b).
func ExampleModel_HVP() {
	m, err := nn.New("mlp:2-1", 1)
	if err != nil {
		panic(err)
	}
	m.Loss = nn.SquaredError
	b := data.Batch{
		N: 4,
		X: []float32{1, 0, 0, 2, 1, 1, 0, 0},
		T: []float32{1, 2, 3, 4},
	}
	p := m.NumParams()
	id := make([]float32, p*p)
	for i := 0; i < p; i++ {
		id[i*p+i] = 1
	}
	h := make([]float32, p*p)
	m.HVP(b, id, p, h) // all three columns in one blocked pass
	for i := 0; i < p; i++ {
		fmt.Println(h[i*p : (i+1)*p])
	}
	// Output:
	// [0.5 0.25 0.5]
	// [0.25 1.25 0.75]
	// [0.5 0.75 1]
}

// Weights go to and from safetensors under PyTorch nn.Sequential names; the
// architecture is inferred from the tensor shapes.
func ExampleLoadSafetensors() {
	m, _ := nn.New("mlp:784-128-128-10", 1)
	dir, err := os.MkdirTemp("", "nn-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	if err := m.SaveSafetensors(path); err != nil {
		panic(err)
	}
	back, err := nn.LoadSafetensors(path, "")
	if err != nil {
		panic(err)
	}
	fmt.Println(back.Spec(), back.NumParams())

	_, err = nn.LoadSafetensors(path, "mlp:784-128-64-10")
	fmt.Println(strings.TrimPrefix(err.Error(), dir+string(filepath.Separator)))
	// Output:
	// mlp:784-128-128-10 118282
	// model.safetensors: tensor "2.weight" has shape [128 128], model mlp:784-128-64-10 expects [64 128]
}
