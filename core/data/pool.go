package data

import "fmt"

// AvgPool returns a copy of the image dataset d with every channel
// averaged over non-overlapping k x k blocks: an H x W image becomes
// H/k x W/k (H and W must be multiples of k). It shrinks an image's input
// dimension k^2-fold for models that must stay small enough for dense
// curvature (a 28 x 28 digit pooled by 4 is a 7 x 7 one, 49 inputs).
// Labels, noise marks and Source follow their rows. Each output value is the
// float64 mean of its block, rounded once to float32, in block order, so the
// result does not depend on anything but d and k.
func (d *Dataset) AvgPool(k int) (*Dataset, error) {
	s := d.Shape
	if !s.IsImage() {
		return nil, fmt.Errorf("data: %s: average pooling needs image data (shape none)", d.Name)
	}
	if k < 1 || s.H%k != 0 || s.W%k != 0 {
		return nil, fmt.Errorf("data: %s: cannot pool %s images by %d", d.Name, s, k)
	}
	out := Shape{C: s.C, H: s.H / k, W: s.W / k}
	p := &Dataset{
		Name: fmt.Sprintf("%s pooled %dx%d", d.Name, k, k), N: d.N, Dim: out.Size(), Shape: out,
		Classes: d.Classes, TargetDim: d.TargetDim, Y: d.Y, T: d.T,
		Noisy: d.Noisy, CleanY: d.CleanY, Source: d.Source,
		X: make([]float32, d.N*out.Size()),
	}
	inv := 1 / float64(k*k)
	for i := range d.N {
		src, dst := d.Row(i), p.X[i*p.Dim:(i+1)*p.Dim]
		for c := range s.C {
			for y := range out.H {
				for x := range out.W {
					var sum float64
					for dy := range k {
						row := src[(c*s.H+y*k+dy)*s.W+x*k:]
						for dx := range k {
							sum += float64(row[dx])
						}
					}
					dst[(c*out.H+y)*out.W+x] = float32(sum * inv)
				}
			}
		}
	}
	return p, nil
}
