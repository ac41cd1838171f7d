package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvRowMovers checks Im2col and Col2im with every implementation's
// row movers against generic's, bit for bit, on random geometries (padding
// wider and narrower than the kernel reach, strides, images narrower than a
// vector and wider than four), with a padded leading dimension whose
// padding must stay untouched. A quarter of the pixels and a third of the
// column entries are -0, so that an add of +0 to a lane a tap does not
// reach would show.
func TestConvRowMovers(t *testing.T) {
	defer func(name string) { _ = Use(name) }(Active().Name())
	r := rand.New(rand.NewPCG(5, 6))
	const sentinel = -12345.5
	for it := 0; it < 2000; it++ {
		g := ConvGeom{C: 1 + r.IntN(3), H: 1 + r.IntN(40), W: 1 + r.IntN(70),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), SH: 1 + r.IntN(2), SW: 1, PH: r.IntN(4), PW: r.IntN(4)}
		if it%5 == 0 {
			g.SW = 2
		}
		if g.H+2*g.PH < g.KH || g.W+2*g.PW < g.KW {
			continue
		}
		x := make([]float32, g.C*g.H*g.W)
		negZero := float32(math.Copysign(0, -1))
		for i := range x {
			x[i] = float32(r.NormFloat64())
			if r.IntN(4) == 0 {
				x[i] = negZero // -0 + -0 stays -0; an add of +0 would show
			}
		}
		ld := g.Cols() + r.IntN(3)
		n := (g.Rows()-1)*ld + g.Cols()
		dcol := make([]float32, n)
		for i := range dcol {
			dcol[i] = float32(r.NormFloat64())
			if r.IntN(3) == 0 {
				dcol[i] = negZero
			}
		}
		type result struct{ col, dx0, dx1 []float32 }
		run := func(name string) result {
			if err := Use(name); err != nil {
				t.Fatal(err)
			}
			col := make([]float32, n+5)
			for i := range col {
				col[i] = sentinel
			}
			Im2col(g, x, col[:n], ld)
			dx0 := make([]float32, len(x)+3)
			for i := range dx0 {
				dx0[i] = float32(math.NaN())
			}
			Col2im(g, dcol, ld, 0, dx0[:len(x)])
			dx1 := append([]float32(nil), x...)
			Col2im(g, dcol, ld, 1, dx1)
			return result{col, dx0, dx1}
		}
		want := run("generic")
		for i := len(x); i < len(want.dx0); i++ {
			if !math.IsNaN(float64(want.dx0[i])) {
				t.Fatalf("%+v: Col2im wrote past the image", g)
			}
		}
		for r := 0; r < g.Rows(); r++ {
			for q := g.Cols(); q < ld && r*ld+q < len(want.col); q++ {
				if want.col[r*ld+q] != sentinel {
					t.Fatalf("%+v: Im2col wrote padding at row %d column %d", g, r, q)
				}
			}
		}
		for _, impl := range All() {
			got := run(impl.Name())
			for _, c := range []struct {
				what      string
				got, want []float32
			}{{"Im2col", got.col, want.col}, {"Col2im beta 0", got.dx0, want.dx0}, {"Col2im beta 1", got.dx1, want.dx1}} {
				for i := range c.want {
					if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
						t.Fatalf("%s %s %+v: element %d = %v, generic %v", impl.Name(), c.what, g, i, c.got[i], c.want[i])
					}
				}
			}
		}
	}
}
