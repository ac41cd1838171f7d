package data

import "fmt"

// Shape is the (channels, height, width) of an image example, stored in
// Dataset.X channel-major (NCHW, PyTorch's order): row i's element
// (c, y, x) is X[i*Dim + (c*H+y)*W + x]. The zero Shape means the rows are
// plain feature vectors (synthetic data), which models read as such.
type Shape struct {
	C, H, W int
}

// IsImage reports whether s describes an image, as opposed to the zero
// Shape of feature-vector data.
func (s Shape) IsImage() bool { return s != Shape{} }

// Size is the number of values of one example, C*H*W.
func (s Shape) Size() int { return s.C * s.H * s.W }

// String is "CxHxW", or "none" for the zero Shape.
func (s Shape) String() string {
	if !s.IsImage() {
		return "none"
	}
	return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W)
}

// check reports whether s is a valid shape for rows of dim values.
func (s Shape) check(dim int) error {
	if !s.IsImage() {
		return nil
	}
	if s.C < 1 || s.H < 1 || s.W < 1 || s.Size() != dim {
		return fmt.Errorf("image shape %s does not hold the %d values of a row", s, dim)
	}
	return nil
}
