package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2 checks every implementation's MaxPool2 and MaxPool2Backward
// against generic's bit for bit, on odd and even sizes and on values with
// many ties (+0 and -0 among them) and NaNs, where the first largest and
// the first NaN must win.
func TestMaxPool2(t *testing.T) {
	defer func(name string) { _ = Use(name) }(Active().Name())
	r := rand.New(rand.NewPCG(9, 10))
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for it := 0; it < 500; it++ {
		h, w := 1+r.IntN(40), 1+r.IntN(70)
		x := make([]float32, h*w)
		for i := range x {
			if r.IntN(2) == 0 {
				x[i] = vals[r.IntN(len(vals))]
			} else {
				x[i] = float32(r.NormFloat64())
			}
		}
		// A quiet NaN with a payload, to see which NaN is picked.
		if len(x) > 3 {
			x[r.IntN(len(x))] = math.Float32frombits(0x7fc00123)
		}
		oh, ow := h/2, w/2
		g := make([]float32, oh*ow)
		for i := range g {
			g[i] = float32(r.NormFloat64())
		}
		run := func(name string) ([]float32, []float32) {
			if err := Use(name); err != nil {
				t.Fatal(err)
			}
			y := make([]float32, oh*ow+4)
			for i := range y {
				y[i] = 7
			}
			MaxPool2(h, w, x, y[:oh*ow])
			d := make([]float32, h*w+4)
			for i := range d {
				d[i] = 7
			}
			MaxPool2Backward(h, w, x, g, d[:h*w])
			return y, d
		}
		wy, wd := run("generic")
		for i := 0; i < h*w; i++ {
			inBlock := i/w < 2*oh && i%w < 2*ow
			if !inBlock && wd[i] != 7 {
				t.Fatalf("%dx%d: MaxPool2Backward wrote outside the pooled block at %d", h, w, i)
			}
		}
		for _, impl := range All() {
			gy, gd := run(impl.Name())
			for i := range wy {
				if math.Float32bits(gy[i]) != math.Float32bits(wy[i]) {
					t.Fatalf("%s %dx%d: MaxPool2 output %d = %v, generic %v", impl.Name(), h, w, i, gy[i], wy[i])
				}
			}
			for i := range wd {
				if math.Float32bits(gd[i]) != math.Float32bits(wd[i]) {
					t.Fatalf("%s %dx%d: MaxPool2Backward element %d = %v, generic %v", impl.Name(), h, w, i, gd[i], wd[i])
				}
			}
		}
	}
}
