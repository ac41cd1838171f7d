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
// Im2col and Col2im are Go shared by every implementation: they only move
// values (Col2im adds, in a fixed order), so the convolutions of every Impl
// differ only in their GEMMs. With a column stride of 1 they move the rows
// of one kernel tap (one output row each) through the active
// implementation's row movers: vector kernels in avx2 and avx512, plain
// loops in generic, the same values in the same order in every one.
func Im2col(g ConvGeom, x, col []float32, ld int) {
	g.check("Im2col", len(x), len(col), ld)
	if g.SH == 1 && g.SW == 1 {
		movers().im2col(g, x, col, ld)
		return
	}
	im2colGo(g, x, col, ld)
}

// im2colGo is Im2col in Go, tap by tap.
func im2colGo(g ConvGeom, x, col []float32, ld int) {
	oh, ow := g.OutH(), g.OutW()
	p := oh * ow
	for c := 0; c < g.C; c++ {
		img := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for i := 0; i < g.KH; i++ {
			oy0, oy1 := g.validRows(i)
			for j := 0; j < g.KW; j++ {
				row := col[((c*g.KH+i)*g.KW+j)*ld:][:p]
				// Output rows whose input row is padding.
				clear(row[:oy0*ow])
				clear(row[oy1*ow:])
				if oy1 == oy0 {
					continue
				}
				if g.SW == 1 {
					// Contiguous: copy the in-range span, zero the rest.
					lo := min(ow, max(0, g.PW-j))      // first ox with x >= 0
					hi := max(lo, min(ow, g.W+g.PW-j)) // ox < hi keeps x < W
					dst := row[oy0*ow : oy1*ow]
					if hi == lo {
						clear(dst)
						continue
					}
					y0 := oy0*g.SH - g.PH + i
					im2colRows(oy1-oy0, ow, lo, hi-lo, img[y0*g.W+lo-g.PW+j:], g.SH*g.W, dst, lo > 0 || hi < ow)
					continue
				}
				for oy := oy0; oy < oy1; oy++ {
					y := oy*g.SH - g.PH + i
					dst := row[oy*ow : (oy+1)*ow]
					src := img[y*g.W : (y+1)*g.W]
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

// validRows returns the range [oy0, oy1) of output rows whose input row
// oy*SH - PH + i, for kernel row i, lies inside the image.
func (g ConvGeom) validRows(i int) (oy0, oy1 int) {
	oh := g.OutH()
	if d := g.PH - i; d > 0 {
		oy0 = min(oh, (d+g.SH-1)/g.SH)
	}
	if e := g.H + g.PH - i; e > 0 {
		oy1 = min(oh, (e+g.SH-1)/g.SH)
	}
	return oy0, max(oy0, oy1)
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
	if g.SH == 1 && g.SW == 1 {
		movers().col2im(g, col, ld, x)
		return
	}
	for c := 0; c < g.C; c++ {
		col2imChanGo(g, col[c*g.KH*g.KW*ld:], ld, x[c*g.H*g.W:(c+1)*g.H*g.W])
	}
}

// col2imChanGo is Col2im of one channel: rows holds its KH*KW column rows.
func col2imChanGo(g ConvGeom, rows []float32, ld int, img []float32) {
	oh, ow := g.OutH(), g.OutW()
	p := oh * ow
	for i := 0; i < g.KH; i++ {
		oy0, oy1 := g.validRows(i)
		for j := 0; j < g.KW; j++ {
			row := rows[(i*g.KW+j)*ld:][:p]
			if g.SW == 1 {
				lo := min(ow, max(0, g.PW-j))
				hi := min(ow, g.W+g.PW-j)
				if hi <= lo {
					continue
				}
				for oy := oy0; oy < oy1; oy++ {
					y := oy*g.SH - g.PH + i
					s := row[oy*ow+lo : oy*ow+hi]
					d := img[y*g.W+lo-g.PW+j:][:len(s)] // same length: no bounds checks
					for q, v := range s {
						d[q] += v
					}
				}
				continue
			}
			for oy := oy0; oy < oy1; oy++ {
				y := oy*g.SH - g.PH + i
				dst := img[y*g.W : (y+1)*g.W]
				src := row[oy*ow : (oy+1)*ow]
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

// rowMover runs Im2col and Col2im for strides of 1 (after Col2im's beta).
// Implementations must give generic's bits: copies and zeros, and one
// float32 add per column entry, for each pixel in the order of the kernel
// rows, then taps.
type rowMover interface {
	im2col(g ConvGeom, x, col []float32, ld int)
	col2im(g ConvGeom, col []float32, ld int, x []float32)
}

// movers returns the active implementation's row movers, generic's when it
// has none of its own.
func movers() rowMover {
	if mv, ok := Active().(rowMover); ok {
		return mv
	}
	return generic{}
}

func (generic) im2col(g ConvGeom, x, col []float32, ld int) { im2colGo(g, x, col, ld) }

// im2colRows copies, for r < rows, src[r*ss : r*ss+n] to dst[r*ow+lo :
// r*ow+lo+n], first zeroing dst[r*ow : (r+1)*ow] when zero is set (the
// rows of one kernel tap).
func im2colRows(rows, ow, lo, n int, src []float32, ss int, dst []float32, zero bool) {
	for r := 0; r < rows; r++ {
		d := dst[r*ow : (r+1)*ow]
		if zero {
			// The padding spans are at most PW long: plain loops, not
			// calls to memclr.
			for q := range d[:lo] {
				d[q] = 0
			}
			tail := d[lo+n:]
			for q := range tail {
				tail[q] = 0
			}
		}
		copy(d[lo:lo+n], src[r*ss:r*ss+n])
	}
}

func (generic) col2im(g ConvGeom, col []float32, ld int, x []float32) {
	for c := 0; c < g.C; c++ {
		col2imChanGo(g, col[c*g.KH*g.KW*ld:], ld, x[c*g.H*g.W:(c+1)*g.H*g.W])
	}
}
