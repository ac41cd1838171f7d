package kernels

import "fmt"

// ConvGeom is the geometry of a 2-d convolution on one example: C input
// channels of H x W pixels, a KH x KW kernel moved by strides SH, SW over
// the input zero-padded by PH rows and PW columns on each side. It is
// PyTorch's Conv2d (and MaxPool2d) geometry, floor mode.
type ConvGeom struct {
	C, H, W        int
	KH, KW, SH, SW int
	PH, PW         int
}

// OutH is the number of output rows, (H + 2 PH - KH) / SH + 1.
func (g ConvGeom) OutH() int { return (g.H+2*g.PH-g.KH)/g.SH + 1 }

// OutW is the number of output columns.
func (g ConvGeom) OutW() int { return (g.W+2*g.PW-g.KW)/g.SW + 1 }

// Rows is the row count of the column matrix, C*KH*KW.
func (g ConvGeom) Rows() int { return g.C * g.KH * g.KW }

// Cols is the column count of the column matrix, OutH*OutW.
func (g ConvGeom) Cols() int { return g.OutH() * g.OutW() }

func (g ConvGeom) check(what string, x, col, ld int) {
	switch {
	case g.C < 1 || g.H < 1 || g.W < 1 || g.KH < 1 || g.KW < 1 || g.SH < 1 || g.SW < 1 || g.PH < 0 || g.PW < 0:
		panic(fmt.Sprintf("kernels.%s: bad geometry %+v", what, g))
	case g.H+2*g.PH < g.KH || g.W+2*g.PW < g.KW:
		panic(fmt.Sprintf("kernels.%s: kernel larger than the padded input in %+v", what, g))
	case x < g.C*g.H*g.W:
		panic(fmt.Sprintf("kernels.%s: image has length %d, want %d", what, x, g.C*g.H*g.W))
	case ld < g.Cols():
		panic(fmt.Sprintf("kernels.%s: leading dimension %d below the %d columns", what, ld, g.Cols()))
	case col < (g.Rows()-1)*ld+g.Cols():
		panic(fmt.Sprintf("kernels.%s: column matrix has length %d, want %d", what, col, (g.Rows()-1)*ld+g.Cols()))
	}
}

// Im2col unfolds the C x H x W image x (CHW order) into the column matrix
// col, Rows() x Cols() with leading dimension ld: row (c*KH + i)*KW + j,
// column oy*OutW + ox holds x[c, oy*SH - PH + i, ox*SW - PW + j], or 0 where that falls in the
// padding. A convolution is then one GEMM, W [out, C*KH*KW] times col,
// whose result is the output in CHW order; PyTorch's weight layout
// [out, in, kh, kw] is that matrix as it is. With ld = g*Cols(), the column
// matrices of g examples can sit side by side (the j-th at col[j*Cols():])
// so that one GEMM convolves all of them.
//
// Im2col and Col2im are plain Go shared by every implementation: they only
// move values (Col2im adds, in a fixed order), so the convolutions of every
// Impl differ only in their GEMMs.
func Im2col(g ConvGeom, x, col []float32, ld int) {
	g.check("Im2col", len(x), len(col), ld)
	oh, ow := g.OutH(), g.OutW()
	p := oh * ow
	for c := 0; c < g.C; c++ {
		img := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[((c*g.KH+i)*g.KW+j)*ld:][:p]
				for oy := 0; oy < oh; oy++ {
					y := oy*g.SH - g.PH + i
					dst := row[oy*ow : (oy+1)*ow]
					if y < 0 || y >= g.H {
						clear(dst)
						continue
					}
					src := img[y*g.W : (y+1)*g.W]
					if g.SW == 1 {
						// Contiguous: copy the in-range span, zero the rest.
						lo := max(0, g.PW-j)      // first ox with x >= 0
						hi := min(ow, g.W+g.PW-j) // ox < hi keeps x < W
						// The padding spans are at most PW long: plain
						// loops, not calls to memclr.
						for q := range dst[:lo] {
							dst[q] = 0
						}
						if hi > lo {
							copy(dst[lo:hi], src[lo-g.PW+j:hi-g.PW+j])
						}
						tail := dst[max(hi, lo):]
						for q := range tail {
							tail[q] = 0
						}
						continue
					}
					for ox := range dst {
						xx := ox*g.SW - g.PW + j
						if xx < 0 || xx >= g.W {
							dst[ox] = 0
						} else {
							dst[ox] = src[xx]
						}
					}
				}
			}
		}
	}
}

// Col2im is the adjoint of Im2col: it folds the column matrix col
// (leading dimension ld) back
// onto the C x H x W image x, adding every column entry to the pixel it was
// read from (padding entries are dropped). With beta 0 x is overwritten
// (not read), with beta 1 the sums are added to it; other betas panic.
// Entries are added in a fixed order (channel, kernel row, kernel column,
// output row, output column), so results do not depend on anything but the
// inputs.
func Col2im(g ConvGeom, col []float32, ld int, beta float32, x []float32) {
	g.check("Col2im", len(x), len(col), ld)
	switch beta {
	case 0:
		clear(x[:g.C*g.H*g.W])
	case 1:
	default:
		panic(fmt.Sprintf("kernels.Col2im: beta = %v, want 0 or 1", beta))
	}
	oh, ow := g.OutH(), g.OutW()
	p := oh * ow
	for c := 0; c < g.C; c++ {
		img := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[((c*g.KH+i)*g.KW+j)*ld:][:p]
				for oy := 0; oy < oh; oy++ {
					y := oy*g.SH - g.PH + i
					if y < 0 || y >= g.H {
						continue
					}
					dst := img[y*g.W : (y+1)*g.W]
					src := row[oy*ow : (oy+1)*ow]
					if g.SW == 1 {
						lo := min(ow, max(0, g.PW-j))
						hi := min(ow, g.W+g.PW-j)
						if hi > lo {
							s := src[lo:hi]
							d := dst[lo-g.PW+j:][:len(s)] // same length: no bounds checks
							for q, v := range s {
								d[q] += v
							}
						}
						continue
					}
					for ox, v := range src {
						xx := ox*g.SW - g.PW + j
						if xx >= 0 && xx < g.W {
							dst[xx] += v
						}
					}
				}
			}
		}
	}
}
