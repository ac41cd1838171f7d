package kernels

import "fmt"

// MaxPool2 is 2x2 max pooling with stride 2 (floor mode) of one h x w
// channel x into its (h/2) x (w/2) output y: y[r, k] is the first largest
// of the window's x[2r, 2k], x[2r, 2k+1], x[2r+1, 2k], x[2r+1, 2k+1], a NaN
// beating any number and the first NaN winning (the value PyTorch's
// MaxPool2d returns, and the element its gradient goes to). Every
// implementation gives the same bits: it only picks values.
func MaxPool2(h, w int, x, y []float32) {
	oh, ow := checkPool2("MaxPool2", h, w, len(x), len(y))
	if oh == 0 || ow == 0 {
		return
	}
	if p, ok := Active().(pooler); ok && p.hasPool2() {
		p.maxPool2(oh, ow, x, w, y)
		return
	}
	maxPool2Go(oh, ow, x, w, y)
}

// MaxPool2Backward routes the gradient g of MaxPool2's output (h/2 x w/2)
// to the winners of x's windows: it sets the top-left 2(h/2) x 2(w/2) block
// of dst (h x w, as x) to g at each window's winner and to 0 elsewhere, and
// leaves the rest of dst (an odd last row or column) alone.
func MaxPool2Backward(h, w int, x, g, dst []float32) {
	oh, ow := checkPool2("MaxPool2Backward", h, w, len(x), len(g))
	if len(dst) < h*w {
		panic(fmt.Sprintf("kernels.MaxPool2Backward: dst has length %d, want %d", len(dst), h*w))
	}
	if oh == 0 || ow == 0 {
		return
	}
	if p, ok := Active().(pooler); ok && p.hasPool2() {
		p.maxPool2Backward(oh, ow, x, w, g, dst)
		return
	}
	maxPool2BackwardGo(oh, ow, x, w, g, dst)
}

func checkPool2(what string, h, w, nx, ny int) (oh, ow int) {
	if h < 0 || w < 0 {
		panic(fmt.Sprintf("kernels.%s: negative size %d x %d", what, h, w))
	}
	oh, ow = h/2, w/2
	if nx < h*w || ny < oh*ow {
		panic(fmt.Sprintf("kernels.%s: lengths %d and %d below %d x %d and its pooled %d x %d", what, nx, ny, h, w, oh, ow))
	}
	return oh, ow
}

// pooler is implemented by implementations with vector pooling kernels.
type pooler interface {
	hasPool2() bool
	maxPool2(oh, ow int, x []float32, w int, y []float32)
	maxPool2Backward(oh, ow int, x []float32, w int, g, dst []float32)
}

// Pool2Winner returns which of a 2x2 window's values a, b, c, d (row-major)
// MaxPool2 picks, 0-3, and that value.
func Pool2Winner(a, b, c, d float32) (int, float32) {
	i, m := 0, a
	if b > m || (b != b && m == m) {
		i, m = 1, b
	}
	if c > m || (c != c && m == m) {
		i, m = 2, c
	}
	if d > m || (d != d && m == m) {
		i, m = 3, d
	}
	return i, m
}

func maxPool2Go(oh, ow int, x []float32, w int, y []float32) {
	for r := 0; r < oh; r++ {
		r0, r1 := x[2*r*w:][:2*ow], x[(2*r+1)*w:][:2*ow]
		o := y[r*ow : (r+1)*ow]
		for k := range o {
			_, o[k] = Pool2Winner(r0[2*k], r0[2*k+1], r1[2*k], r1[2*k+1])
		}
	}
}

func maxPool2BackwardGo(oh, ow int, x []float32, w int, g, dst []float32) {
	for r := 0; r < oh; r++ {
		r0, r1 := x[2*r*w:][:2*ow], x[(2*r+1)*w:][:2*ow]
		d0, d1 := dst[2*r*w:][:2*ow], dst[(2*r+1)*w:][:2*ow]
		for k, v := range g[r*ow : (r+1)*ow] {
			d0[2*k], d0[2*k+1], d1[2*k], d1[2*k+1] = 0, 0, 0, 0
			switch i, _ := Pool2Winner(r0[2*k], r0[2*k+1], r1[2*k], r1[2*k+1]); i {
			case 0:
				d0[2*k] = v
			case 1:
				d0[2*k+1] = v
			case 2:
				d1[2*k] = v
			default:
				d1[2*k+1] = v
			}
		}
	}
}
