package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/nn"
)

// TestCurvatureCommandCNN: PyTorch simplecnn weights (the torchref
// fixture, which has no sgdclaims metadata) under the bare name simplecnn,
// which takes the data's 1x28x28 shape; BatchNorm and mode in the stamp.
func TestCurvatureCommandCNN(t *testing.T) {
	if testing.Short() {
		t.Skip("CNN curvature")
	}
	weights := filepath.Join("..", "..", "core", "nn", "testdata", "torch", "simplecnn.weights.safetensors")
	code, stdout, stderr := runCmd("curvature", "--weights", weights, "--model", "simplecnn",
		"--examples", "16", "--top", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Model       string
		Params      int
		Eigenvalues struct{ Top []struct{ Value float64 } }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Model != "simplecnn:1x28x28-10" || rep.Params != 271210 || len(rep.Eigenvalues.Top) != 1 || !(rep.Eigenvalues.Top[0].Value > 0) {
		t.Errorf("report %+v", rep)
	}
}

func TestCurvatureCommandCNNBadInput(t *testing.T) {
	dir := t.TempDir()
	w3, _ := saveModel(t, dir, "rgb.safetensors", "simplecnn:3x32x32-10", 1)
	bn, _ := saveModel(t, dir, "bn.safetensors", "simplecnn-bn:1x28x28-10", 1)
	ts, meta, err := nn.ReadSafetensors(bn)
	if err != nil {
		t.Fatal(err)
	}
	var keep []nn.Tensor
	for _, x := range ts {
		if x.Name != "1.running_var" {
			keep = append(keep, x)
		}
	}
	nobuf := filepath.Join(dir, "nobuf.safetensors")
	if err := nn.WriteSafetensors(nobuf, keep, meta); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--weights", w3, "--model", "simplecnn"}, `tensor "0.weight" has shape [32 3 3 3], model simplecnn:1x28x28-10 expects [32 1 3 3]`},
		{[]string{"--weights", w3}, `model simplecnn:3x32x32-10 takes 3072 inputs, but the images of mnist have 784 pixels`},
		{[]string{"--weights", nobuf}, `missing BatchNorm buffer "1.running_var"`},
		{[]string{"--weights", bn, "--mode", "train"}, `--mode "train": curvature is measured in evaluation mode only`},
	} {
		code, stdout, stderr := runCmd(append([]string{"curvature"}, append(c.args, "--examples", "8")...)...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) || len(lines) > 2 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", c.args, code, stdout, stderr, c.want)
		}
	}
}
