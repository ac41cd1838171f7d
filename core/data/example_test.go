package data_test

import (
	"fmt"
	"log"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// Load MNIST as the training command does: find it, split off a validation
// set, take a prefix for a quick run.
func ExampleLoadMNIST() {
	dir, err := data.ResolveData("mnist") // or a path given with --data
	if err != nil {
		log.Fatal(err)
	}
	train, test, err := data.LoadMNIST(dir)
	if err != nil {
		log.Fatal(err)
	}
	train, val, err := train.Split(10000, 1)
	if err != nil {
		log.Fatal(err)
	}
	small, err := train.Head(5000)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(small.N, val.N, test.N, small.Dim)
}

// Label noise keeps the clean labels and marks the redrawn rows, so clean
// and noisy examples can be evaluated apart.
func ExampleDataset_WithLabelNoise() {
	d := data.GaussianMixture(1000, 5, 10, 4, 1)
	noisy, err := d.WithLabelNoise(0.2, 7)
	if err != nil {
		log.Fatal(err)
	}
	redrawn, changed := 0, 0
	for i := range noisy.N {
		if noisy.Noisy[i] {
			redrawn++
		}
		if noisy.Y[i] != noisy.CleanY[i] {
			changed++
		}
	}
	fmt.Println("redrawn:", redrawn, "changed:", changed <= redrawn)
	// Output: redrawn: 200 changed: true
}

// One epoch of mini-batches; the last, partial batch is the caller's to use
// or drop.
func ExampleSampler() {
	d := data.GaussianMixture(10, 2, 2, 1, 1)
	s, err := data.NewSampler(d.N, 42)
	if err != nil {
		log.Fatal(err)
	}
	var b data.Batch
	for !s.EpochDone() {
		idx, epoch := s.Next(4)
		d.Gather(idx, &b)
		fmt.Println("epoch", epoch, "batch of", b.N)
	}
	// Output:
	// epoch 0 batch of 4
	// epoch 0 batch of 4
	// epoch 0 batch of 2
}

// The least-squares problem knows its curvature: the Hessian tends to the
// identity (for x ~ N(0, I)) and, at the true parameters, the gradient-noise
// covariance to sigma^2 times it.
func ExampleLinearLeastSquares() {
	ls := data.LinearLeastSquares(100000, 2, 0.5, 1)
	fmt.Println("population H:", ls.PopulationHessian())
	fmt.Println("population C:", ls.PopulationNoiseCovariance())
	h := ls.Hessian()
	fmt.Printf("sample H diagonal: %.1f %.1f %.1f\n", h[0], h[4], h[8])
	// Output:
	// population H: [1 0 0 0 1 0 0 0 1]
	// population C: [0.25 0 0 0 0.25 0 0 0 0.25]
	// sample H diagonal: 1.0 1.0 1.0
}
