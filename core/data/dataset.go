package data

import (
	"fmt"
	"math"
	"slices"

	"github.com/sgdclaims/sgdclaims/core/rng"
)

// Dataset is a table of examples held in memory: N rows of Dim float32
// inputs, each with a class label (classification) or a TargetDim-vector of
// targets (regression).
//
// A Dataset is not modified after it is built. Methods that derive a new one
// either copy rows (Subset, Split) or share backing arrays (Head, All, Rows,
// the inputs of WithLabelNoise), which is safe because neither side writes.
type Dataset struct {
	Name      string
	X         []float32 // N x Dim, row-major; pixels scaled to [0,1] (x/255)
	Y         []int32   // class labels in [0, Classes); nil for regression data
	T         []float32 // N x TargetDim regression targets; nil for classification data
	N, Dim    int
	Classes   int // 0 for regression
	TargetDim int // 0 for classification
	// Shape is the image shape of a row (Dim = C*H*W), for models that
	// read images (CNNs); the zero Shape for feature-vector data. Every
	// derived dataset (Subset, Split, Head, WithLabelNoise) keeps it.
	Shape Shape

	// Noisy marks, per row, the rows whose label was redrawn by
	// WithLabelNoise; nil when no noise was applied. A redrawn label may
	// equal the clean one (see WithLabelNoise).
	Noisy []bool
	// CleanY holds the labels as they were before label noise; nil when no
	// noise was applied. Y != CleanY exactly where the noise changed a label.
	CleanY []int32
	// Source maps each row to its row in the root dataset (the one loaded or
	// generated) it was derived from; nil means the identity. Derivations
	// compose, so Source always points at the root, never at an intermediate.
	Source []int
}

// Batch is a block of rows as models consume it. Its slices are row-major
// like Dataset's; Y is nil for regression data and T for classification data.
type Batch struct {
	X []float32
	Y []int32
	T []float32
	N int
}

// Validate checks that the fields are consistent with each other: slice
// lengths match N, Dim and TargetDim; labels lie in [0, Classes); exactly one
// of Y and T is set. Loaders and generators in this package always return
// valid datasets; Validate is for datasets built by hand.
func (d *Dataset) Validate() error {
	switch {
	case d.N < 0 || d.Dim < 1:
		return fmt.Errorf("data: dataset %q: N=%d, Dim=%d", d.Name, d.N, d.Dim)
	case len(d.X) != d.N*d.Dim:
		return fmt.Errorf("data: dataset %q: len(X)=%d, want N*Dim=%d", d.Name, len(d.X), d.N*d.Dim)
	case (d.Y == nil) == (d.T == nil):
		return fmt.Errorf("data: dataset %q: exactly one of Y (classification) and T (regression) must be set", d.Name)
	}
	if err := d.Shape.check(d.Dim); err != nil {
		return fmt.Errorf("data: dataset %q: %v", d.Name, err)
	}
	if d.Y != nil {
		if len(d.Y) != d.N || d.Classes < 1 || d.TargetDim != 0 {
			return fmt.Errorf("data: dataset %q: len(Y)=%d, Classes=%d, TargetDim=%d for N=%d", d.Name, len(d.Y), d.Classes, d.TargetDim, d.N)
		}
		for i, y := range d.Y {
			if y < 0 || int(y) >= d.Classes {
				return fmt.Errorf("data: dataset %q: label %d of row %d not in [0,%d)", d.Name, y, i, d.Classes)
			}
		}
	} else if len(d.T) != d.N*d.TargetDim || d.TargetDim < 1 || d.Classes != 0 {
		return fmt.Errorf("data: dataset %q: len(T)=%d, TargetDim=%d, Classes=%d for N=%d", d.Name, len(d.T), d.TargetDim, d.Classes, d.N)
	}
	for _, s := range []struct {
		name string
		n    int
		set  bool
	}{{"Noisy", len(d.Noisy), d.Noisy != nil}, {"CleanY", len(d.CleanY), d.CleanY != nil}, {"Source", len(d.Source), d.Source != nil}} {
		if s.set && s.n != d.N {
			return fmt.Errorf("data: dataset %q: len(%s)=%d, want N=%d", d.Name, s.name, s.n, d.N)
		}
	}
	return nil
}

// Row returns row i's inputs (shares memory).
func (d *Dataset) Row(i int) []float32 { return d.X[i*d.Dim : (i+1)*d.Dim : (i+1)*d.Dim] }

// SourceIndex returns the root-dataset row that row i came from.
func (d *Dataset) SourceIndex(i int) int {
	if d.Source == nil {
		return i
	}
	return d.Source[i]
}

// All returns the whole dataset as one batch; it shares memory with d.
func (d *Dataset) All() Batch { return d.Rows(0, d.N) }

// Rows returns rows [lo, hi) as a batch that shares memory with d. It panics,
// like slicing, unless 0 <= lo <= hi <= N.
func (d *Dataset) Rows(lo, hi int) Batch {
	if lo < 0 || hi < lo || hi > d.N {
		panic(fmt.Sprintf("data: Rows(%d, %d) out of range for %d rows", lo, hi, d.N))
	}
	b := Batch{X: d.X[lo*d.Dim : hi*d.Dim : hi*d.Dim], N: hi - lo}
	if d.Y != nil {
		b.Y = d.Y[lo:hi:hi]
	}
	if d.T != nil {
		b.T = d.T[lo*d.TargetDim : hi*d.TargetDim : hi*d.TargetDim]
	}
	return b
}

// Gather copies rows idx into dst, reusing dst's buffers when they are large
// enough, so a training loop allocates nothing per step after the first. The
// label (or target) slice of dst is nil when d has none. It panics, like
// indexing, if an index is out of range.
func (d *Dataset) Gather(idx []int, dst *Batch) {
	n := len(idx)
	dst.N = n
	dst.X = grow(dst.X, n*d.Dim)
	for k, i := range idx {
		copy(dst.X[k*d.Dim:(k+1)*d.Dim], d.X[i*d.Dim:(i+1)*d.Dim])
	}
	if d.Y == nil {
		dst.Y = nil
	} else {
		dst.Y = grow(dst.Y, n)
		for k, i := range idx {
			dst.Y[k] = d.Y[i]
		}
	}
	if d.T == nil {
		dst.T = nil
	} else {
		td := d.TargetDim
		dst.T = grow(dst.T, n*td)
		for k, i := range idx {
			copy(dst.T[k*td:(k+1)*td], d.T[i*td:(i+1)*td])
		}
	}
}

func grow[E any](s []E, n int) []E {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]E, n)
}

// Subset returns a new dataset holding copies of rows idx, in that order
// (repeats allowed). Noisy and CleanY follow their rows, and Source composes:
// the result's Source points at the root dataset, not at d. It panics, like
// indexing, if an index is out of range.
func (d *Dataset) Subset(idx []int) *Dataset {
	s := &Dataset{
		Name: d.Name, N: len(idx), Dim: d.Dim, Shape: d.Shape,
		Classes: d.Classes, TargetDim: d.TargetDim,
		Source: make([]int, len(idx)),
	}
	var b Batch
	d.Gather(idx, &b)
	s.X, s.Y, s.T = b.X, b.Y, b.T
	for k, i := range idx {
		s.Source[k] = d.SourceIndex(i)
	}
	if d.Noisy != nil {
		s.Noisy = make([]bool, len(idx))
		for k, i := range idx {
			s.Noisy[k] = d.Noisy[i]
		}
	}
	if d.CleanY != nil {
		s.CleanY = make([]int32, len(idx))
		for k, i := range idx {
			s.CleanY[k] = d.CleanY[i]
		}
	}
	return s
}

// Head returns the first n rows, in order, sharing memory with d. This is
// what --train-examples N means: a prefix, so that runs with different N see
// nested data sets.
func (d *Dataset) Head(n int) (*Dataset, error) {
	if n < 1 || n > d.N {
		return nil, fmt.Errorf("data: %s: cannot take the first %d rows of %d", d.Name, n, d.N)
	}
	h := *d
	h.N = n
	b := d.Rows(0, n)
	h.X, h.Y, h.T = b.X, b.Y, b.T
	if d.Noisy != nil {
		h.Noisy = d.Noisy[:n:n]
	}
	if d.CleanY != nil {
		h.CleanY = d.CleanY[:n:n]
	}
	if d.Source != nil {
		h.Source = d.Source[:n:n]
	}
	return &h, nil
}

// Split divides d at random into a training part of N-nVal rows and a
// validation part of nVal rows. Every row lands in exactly one part; within a
// part rows keep their original relative order (the split chooses a set, and
// the training loop chooses the order). The choice is a function of seed
// alone, drawn from the stream (seed, "split").
func (d *Dataset) Split(nVal int, seed uint64) (train, val *Dataset, err error) {
	return d.SplitHead(nVal, 0, seed)
}

// SplitHead is Split followed by Head(nTrain) on the training part (nTrain
// 0: all of it), without copying the training rows that Head would drop:
// the same rows in the same order, bit for bit, for a fraction of the
// memory traffic when nTrain is small (a train run on 1,000 of MNIST's
// 55,000 training images copies 1,000 rows instead of 55,000).
func (d *Dataset) SplitHead(nVal, nTrain int, seed uint64) (train, val *Dataset, err error) {
	if nVal < 1 || nVal >= d.N {
		return nil, nil, fmt.Errorf("data: %s: cannot split %d rows into a validation part of %d and a non-empty training part", d.Name, d.N, nVal)
	}
	if nTrain < 0 || nTrain > d.N-nVal {
		return nil, nil, fmt.Errorf("data: %s: cannot take the first %d of the %d training rows left after holding out %d", d.Name, nTrain, d.N-nVal, nVal)
	}
	perm := rng.New(seed, "split", 0).Perm(d.N)
	vi, ti := perm[:nVal], perm[nVal:]
	slices.Sort(vi)
	slices.Sort(ti)
	if nTrain > 0 {
		ti = ti[:nTrain]
	}
	train, val = d.Subset(ti), d.Subset(vi)
	train.Name, val.Name = d.Name+"/train", d.Name+"/val"
	return train, val, nil
}

// WithLabelNoise returns a dataset like d (sharing its inputs) in which
// exactly round(frac*N) rows, chosen at random, have their label replaced by a label drawn uniformly from
// all Classes classes. The new label may equal the old one (with probability
// 1/Classes), as in Zhang et al. (2017), so the fraction of labels actually
// changed is about frac*(1-1/Classes); Y != CleanY tells which changed.
//
// Noisy marks the chosen rows and CleanY keeps the labels from before the
// noise, so claims can measure clean and noisy rows apart. Applying noise to
// an already noisy dataset keeps the original CleanY and marks the union of
// both choices. Both the choice of rows and the new labels come from the
// stream (seed, "label-noise").
func (d *Dataset) WithLabelNoise(frac float64, seed uint64) (*Dataset, error) {
	if d.Y == nil || d.Classes < 2 {
		return nil, fmt.Errorf("data: %s: label noise needs a classification dataset with at least 2 classes", d.Name)
	}
	if !(frac >= 0 && frac <= 1) { // also rejects NaN
		return nil, fmt.Errorf("data: %s: label-noise fraction %v not in [0, 1]", d.Name, frac)
	}
	// X and Source are shared: the noise changes labels only.
	nd := *d
	nd.Name = fmt.Sprintf("%s/noise%g", d.Name, frac)
	nd.Y = slices.Clone(d.Y)
	if d.CleanY == nil {
		nd.CleanY = slices.Clone(d.Y)
	}
	if d.Noisy == nil {
		nd.Noisy = make([]bool, d.N)
	} else {
		nd.Noisy = slices.Clone(d.Noisy)
	}

	k := int(math.Round(frac * float64(d.N)))
	s := rng.New(seed, "label-noise", 0)
	chosen := s.Perm(d.N)[:k]
	// Labels are drawn in row order, not choice order, so that the label a
	// row gets does not depend on where it fell in the permutation.
	slices.Sort(chosen)
	for _, i := range chosen {
		nd.Y[i] = int32(s.IntN(d.Classes))
		nd.Noisy[i] = true
	}
	return &nd, nil
}
