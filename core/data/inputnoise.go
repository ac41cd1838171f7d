package data

import (
	"fmt"
	"math"

	"github.com/sgdclaims/sgdclaims/core/rng"
)

// InputNoise is additive Gaussian input noise, the regulariser of Arpit et
// al. (2017, Sec. 5): every input value of a training example gets
// independent N(0, Std^2) noise each time the example is presented. Values
// are not clipped (clipping at 0 would turn the noise on MNIST's black
// background into a positive bias). The zero InputNoise does nothing.
type InputNoise struct {
	Std float64 `json:"std"` // in input units (pixels in [0,1])
}

// On reports whether n adds anything.
func (n InputNoise) On() bool { return n.Std != 0 }

// Validate refuses a negative or non-finite standard deviation.
func (n InputNoise) Validate() error {
	if !(n.Std >= 0) || math.IsInf(n.Std, 0) {
		return fmt.Errorf("data: input noise std %v: must be finite and >= 0", n.Std)
	}
	return nil
}

// Apply adds the noise to x in place, drawing from s in order of x.
func (n InputNoise) Apply(x []float32, s *rng.Stream) {
	if !n.On() {
		return
	}
	for i := range x {
		x[i] += float32(n.Std * s.Normal())
	}
}

// WithInputNoise returns a copy of d whose inputs carry one draw of n,
// from the stream (seed, "input-noise", 0) in row-major order. Labels,
// CleanY, Noisy and Source are shared with d (they are not modified). buf,
// when it has room for d's inputs, is reused for the copy's X, so that a
// training loop drawing fresh noise every epoch allocates once; it must
// not be d.X. With n off, d itself is returned.
func (d *Dataset) WithInputNoise(n InputNoise, seed uint64, buf []float32) (*Dataset, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if !n.On() {
		return d, nil
	}
	size := d.N * d.Dim
	if len(d.X) < size {
		return nil, fmt.Errorf("data: %s: %d input values for %d rows of %d", d.Name, len(d.X), d.N, d.Dim)
	}
	x := grow(buf, size)[:size]
	if size > 0 && &x[0] == &d.X[0] {
		return nil, fmt.Errorf("data: %s: input noise buffer is the dataset's own inputs", d.Name)
	}
	copy(x, d.X[:size])
	n.Apply(x, rng.New(seed, "input-noise", 0))
	nd := *d
	nd.X = x
	nd.Name = fmt.Sprintf("%s/input-noise%g", d.Name, n.Std)
	return &nd, nil
}
