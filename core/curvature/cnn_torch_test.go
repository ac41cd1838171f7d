package curvature_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// TestTorchTopEigenvalues: the top Hessian eigenvalues of PyTorch-trained
// CNN weights (core/nn/testdata/torch, from torchref's make_fixtures.py),
// by Lanczos on float32 products, against PyTorch's float64 Lanczos (exact
// to 1e-10). Bar: lambda_1 within 1e-4 relative.
func TestTorchTopEigenvalues(t *testing.T) {
	if testing.Short() {
		t.Skip("large fixtures")
	}
	dir := filepath.Join("..", "nn", "testdata", "torch")
	for _, c := range []struct{ name, spec string }{
		{"simplecnn", "simplecnn:1x28x28-10"},
		{"resnet20", "resnet20:3x32x32-10"},
	} {
		m, err := nn.LoadSafetensors(filepath.Join(dir, c.name+".weights.safetensors"), c.spec)
		if err != nil {
			t.Fatal(err)
		}
		ts, _, err := nn.ReadSafetensors(filepath.Join(dir, c.name+".ref.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		ref := map[string][]float32{}
		for _, x := range ts {
			ref[x.Name] = x.Data
		}
		b := data.Batch{N: len(ref["labels"]), X: ref["input"], Y: make([]int32, len(ref["labels"]))}
		for i, y := range ref["labels"] {
			b.Y[i] = int32(y)
		}
		op, err := curvature.NewHessian(m, b, curvature.NetworkConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if st := op.Describe(); st.Mode != "eval (dropout off, BatchNorm with running statistics)" && m.HasBatchNorm() {
			t.Errorf("%s: stamp mode %q", c.name, st.Mode)
		}
		eig, err := curvature.Lanczos(op, curvature.LanczosConfig{Top: 3, Tol: 1e-5, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			want := float64(ref["eigenvalues"][i])
			e := math.Abs(eig.Top[i].Value-want) / math.Abs(want)
			t.Logf("%s: lambda_%d = %.8g, PyTorch %.8g, relative error %.2g", c.name, i+1, eig.Top[i].Value, want, e)
			if i == 0 && e > 1e-4 {
				t.Errorf("%s: lambda_1 = %v, PyTorch %v (relative error %.3g, bar 1e-4)", c.name, eig.Top[0].Value, want, e)
			}
		}
	}
}
