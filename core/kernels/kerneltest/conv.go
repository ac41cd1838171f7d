package kerneltest

import (
	"testing"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// convGeoms are the geometries the convolution checks run: same and valid
// padding, strides, 1x1 shortcuts, non-square kernels and images, and a
// padding wider than the kernel reach.
var convGeoms = []kernels.ConvGeom{
	{C: 1, H: 5, W: 5, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1},
	{C: 3, H: 7, W: 6, KH: 3, KW: 3, SH: 1, SW: 1},
	{C: 2, H: 8, W: 8, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1},
	{C: 4, H: 6, W: 6, KH: 1, KW: 1, SH: 2, SW: 2},
	{C: 2, H: 4, W: 9, KH: 2, KW: 3, SH: 1, SW: 2, PH: 0, PW: 2},
	{C: 1, H: 3, W: 3, KH: 3, KW: 3, SH: 1, SW: 1, PH: 3, PW: 3},
}

// testConv checks a convolution built from kernels.Im2col and impl's Gemm
// (the way package nn runs Conv2d) against a direct loop, and Col2im (the
// input gradient) against the direct transposed convolution. On
// small-integer data every sum is exact, so results must match bit for bit:
// any implementation gives the same convolutions.
func testConv(t *testing.T, impl kernels.Impl) {
	for gi, g := range convGeoms {
		r := newRand(7, gi)
		oh, ow := g.OutH(), g.OutW()
		out := 3
		x := make([]float32, g.C*g.H*g.W)
		w := make([]float32, out*g.Rows())
		for i := range x {
			x[i] = integers.value(r)
		}
		for i := range w {
			w[i] = integers.value(r)
		}
		// A padded leading dimension: the padding must stay untouched.
		ld := g.Cols() + 3
		colBuf := newBuffer((g.Rows()-1)*ld + g.Cols())
		col := colBuf.data()
		for i := range col {
			col[i] = sentinel // Im2col must write every entry of the window
		}
		xs := append([]float32(nil), x...)
		kernels.Im2col(g, x, col, ld)
		colBuf.checkGuards(t, describe("Im2col %+v", g))
		checkUnchanged(t, "Im2col input", xs, x)
		for r := 0; r < g.Rows(); r++ {
			for q := g.Cols(); q < ld && r*ld+q < len(col); q++ {
				if !sameBits(col[r*ld+q], sentinel) {
					t.Errorf("Im2col %+v wrote padding at row %d column %d", g, r, q)
					return
				}
			}
		}
		packed := make([]float32, g.Rows()*g.Cols())
		for r := 0; r < g.Rows(); r++ {
			copy(packed[r*g.Cols():(r+1)*g.Cols()], col[r*ld:r*ld+g.Cols()])
		}
		col = packed
		y := make([]float32, out*oh*ow)
		impl.Gemm(false, false, out, oh*ow, g.Rows(), 1, w, g.Rows(), col, oh*ow, 0, y, oh*ow)
		// Direct convolution and its transpose on a gradient dy.
		dy := make([]float32, out*oh*ow)
		for i := range dy {
			dy[i] = integers.value(r)
		}
		dx := make([]float32, len(x))
		for o := 0; o < out; o++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var s float64
					for c := 0; c < g.C; c++ {
						for i := 0; i < g.KH; i++ {
							for j := 0; j < g.KW; j++ {
								yy, xx := oy*g.SH-g.PH+i, ox*g.SW-g.PW+j
								if yy < 0 || yy >= g.H || xx < 0 || xx >= g.W {
									continue
								}
								wv := w[((o*g.C+c)*g.KH+i)*g.KW+j]
								s += float64(wv) * float64(x[(c*g.H+yy)*g.W+xx])
								dx[(c*g.H+yy)*g.W+xx] += wv * dy[(o*oh+oy)*ow+ox]
							}
						}
					}
					if got := y[(o*oh+oy)*ow+ox]; float64(got) != s {
						t.Errorf("%s: conv %+v: out[%d,%d,%d] = %v, direct %v", impl.Name(), g, o, oy, ox, got, s)
						return
					}
				}
			}
		}
		dcol := make([]float32, g.Rows()*g.Cols())
		impl.Gemm(true, false, g.Rows(), oh*ow, out, 1, w, g.Rows(), dy, oh*ow, 0, dcol, oh*ow)
		gxBuf := newBuffer(len(x))
		gx := gxBuf.data()
		for i := range gx {
			gx[i] = sentinel // beta 0 must not read x
		}
		kernels.Col2im(g, dcol, oh*ow, 0, gx)
		gxBuf.checkGuards(t, describe("Col2im %+v", g))
		for i := range gx {
			if gx[i] != dx[i] {
				t.Errorf("%s: Col2im %+v: dx[%d] = %v, direct %v", impl.Name(), g, i, gx[i], dx[i])
				return
			}
		}
		// beta 1 adds.
		kernels.Col2im(g, dcol, oh*ow, 1, gx)
		for i := range gx {
			if gx[i] != 2*dx[i] {
				t.Errorf("%s: Col2im beta 1 %+v: dx[%d] = %v, want %v", impl.Name(), g, i, gx[i], 2*dx[i])
				return
			}
		}
	}
	mustPanic(t, "Im2col short image", func() {
		g := convGeoms[0]
		kernels.Im2col(g, make([]float32, g.C*g.H*g.W-1), make([]float32, g.Rows()*g.Cols()), g.Cols())
	})
	mustPanic(t, "Col2im short columns", func() {
		g := convGeoms[0]
		kernels.Col2im(g, make([]float32, g.Rows()*g.Cols()-1), g.Cols(), 0, make([]float32, g.C*g.H*g.W))
	})
	mustPanic(t, "Im2col small leading dimension", func() {
		g := convGeoms[0]
		kernels.Im2col(g, make([]float32, g.C*g.H*g.W), make([]float32, g.Rows()*g.Cols()), g.Cols()-1)
	})
}
