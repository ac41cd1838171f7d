package runner_test

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/runner"
)

// A spec file may be YAML; its grid keeps the file's key order, which sets
// the order of the runs (the first key varies slowest).
func ExampleParseSpecFile() {
	yaml := []byte(`
kind: train
base:
  model: mlp:784-128-10
  epochs: 5
  val_examples: 5000
grid:
  lr: [0.05, 0.1]
  batch: [32, 128]
  seed: [1, 2, 3]
`)
	spec, err := runner.ParseSpecFile("grid.yaml", yaml)
	if err != nil {
		fmt.Println(err)
		return
	}
	runs := 1
	for _, ax := range spec.Grid {
		fmt.Printf("%s: %d values\n", ax.Field, len(ax.Values))
		runs *= len(ax.Values)
	}
	fmt.Println(runs, "runs of kind", spec.Kind)

	// A mistake is one line naming the field and, for YAML, the line.
	_, err = runner.ParseSpecFile("grid.yaml", []byte("kind: train\ngrid:\n  lr: [0.1, fast]\n"))
	fmt.Println(err)
	// Output:
	// lr: 2 values
	// batch: 2 values
	// seed: 3 values
	// 12 runs of kind train
	// grid.lr[1]: want a number, got string (line 3)
}
