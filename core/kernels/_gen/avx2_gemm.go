package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmKernel256 emits the AVX2 micro-kernel for an mr x (8*nv) tile: the
// same scheme as gemmKernel512 (B vectors, broadcasts of A, one FMA chain
// per element in k order) with 6x16 = 12 YMM accumulators, two B vectors and
// two broadcast registers filling the 16 YMM registers. It always writes a
// full tile; the Go driver points c at a buffer for edge tiles. The rows and
// mask arguments are unused (the signature is shared with gemmKernel512).
func gemmKernel256(mr, nv, unroll int) {
	nr := 8 * nv
	name := fmt.Sprintf("gemmKernel256x%dx%d", mr, nr)
	function(name,
		"func(kc int, a, b, c *float32, ldc int, alpha, beta float32, rows int, mask uint64, flags int)",
		fmt.Sprintf("%s computes one full %dx%d tile of C from packed panels (AVX2, FMA).", name, mr, nr))
	l := &labels{fn: name}
	nacc := mr * nv
	if nacc+nv+1 > 16 {
		panic("tile does not fit the register file")
	}
	acc := func(r, v int) reg.VecPhysical { return ymm(r*nv + v) }
	breg := func(v int) reg.VecPhysical { return ymm(nacc + v) }
	ntmp := 16 - nacc - nv
	tmp := func(i int) reg.VecPhysical { return ymm(nacc + nv + i%ntmp) }

	kc, pa, pb := load("kc"), load("a"), load("b")
	for i := 0; i < nacc; i++ {
		c.VXORPS(ymm(i), ymm(i), ymm(i))
	}
	step := func(u int) {
		for v := 0; v < nv; v++ {
			c.VMOVUPS(mem(pb, (u*nr+8*v)*4), breg(v))
		}
		for r := 0; r < mr; r++ {
			t := tmp(u*mr + r)
			c.VBROADCASTSS(mem(pa, (u*mr+r)*4), t)
			for v := 0; v < nv; v++ {
				c.VFMADD231PS(breg(v), t, acc(r, v))
			}
		}
	}
	n := c.GP64()
	c.MOVQ(kc, n)
	c.SHRQ(operand.U8(log2(unroll)), n)
	tail := l.new("tail")
	c.JZ(operand.LabelRef(tail))
	loop := l.new("loop")
	c.Label(loop)
	for u := 0; u < unroll; u++ {
		step(u)
	}
	c.ADDQ(operand.U32(unroll*mr*4), pa)
	c.ADDQ(operand.U32(unroll*nr*4), pb)
	c.DECQ(n)
	c.JNZ(operand.LabelRef(loop))
	c.Label(tail)
	c.ANDQ(operand.U8(unroll-1), kc)
	epi := l.new("epilogue")
	c.JZ(operand.LabelRef(epi))
	tloop := l.new("tailloop")
	c.Label(tloop)
	step(0)
	c.ADDQ(operand.U32(mr*4), pa)
	c.ADDQ(operand.U32(nr*4), pb)
	c.DECQ(kc)
	c.JNZ(operand.LabelRef(tloop))

	c.Label(epi)
	zalpha, zbeta := ymm(nacc), ymm(nacc+1)
	c.VBROADCASTSS(param("alpha"), zalpha)
	for i := 0; i < nacc; i++ {
		c.VMULPS(zalpha, ymm(i), ymm(i))
	}
	pc, ldc, flags := load("c"), load("ldc"), load("flags")
	c.SHLQ(operand.U8(2), ldc)
	storeOnly := l.new("store")
	c.TESTQ(operand.U32(1), flags)
	c.JZ(operand.LabelRef(storeOnly))
	c.VBROADCASTSS(param("beta"), zbeta)
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			c.VFMADD231PS(mem(pc, 32*v), zbeta, acc(r, v))
			c.VMOVUPS(acc(r, v), mem(pc, 32*v))
		}
		if r < mr-1 {
			c.ADDQ(ldc, pc)
		}
	}
	ret()
	c.Label(storeOnly)
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			c.VMOVUPS(acc(r, v), mem(pc, 32*v))
		}
		if r < mr-1 {
			c.ADDQ(ldc, pc)
		}
	}
	ret()
}

// packCopy256 is packCopy512 for AVX2: the kc x (full*W+rem) block at src
// is copied row by row into W-wide panels (panel j at dst+j*pstride), the last
// partial panel read with VMASKMOVPS (no access past rem) and zero-padded.
func packCopy256(w int) {
	name := fmt.Sprintf("packCopy256W%d", w)
	function(name, "func(dst, src *float32, ld, kc, full, rem, pstride int)",
		fmt.Sprintf("%s packs a kc x (full*%d+rem) block (stride ld) into %d-wide panels, zero-padding the last.", name, w, w))
	l := &labels{fn: name}
	dst, src, ld, kc := load("dst"), load("src"), load("ld"), load("kc")
	full, rem := load("full"), load("rem")
	c.SHLQ(operand.U8(2), ld)
	pstride := load("pstride") // floats from one panel to the next
	c.SHLQ(operand.U8(2), pstride)
	ng := (w + 7) / 8
	width := func(g int) int { return min(8, w-8*g) }
	// Masks of the partial panel's 8-lane groups in Y14, Y15.
	for g := 0; g < ng; g++ {
		c.VMOVUPS(mem(laneMaskAddr(clampLanes(rem, 8*g)), 0), ymm(14+g))
	}

	rowLoop, done := l.new("row"), l.new("done")
	c.TESTQ(kc, kc)
	c.JZ(operand.LabelRef(done))
	c.Label(rowLoop)
	s, d, j := c.GP64(), c.GP64(), c.GP64()
	c.MOVQ(src, s)
	c.MOVQ(dst, d)
	c.MOVQ(full, j)
	panelLoop, partial, next := l.new("panel"), l.new("partial"), l.new("next")
	c.TESTQ(j, j)
	c.JZ(operand.LabelRef(partial))
	c.Label(panelLoop)
	for g := 0; g < ng; g++ {
		switch width(g) {
		case 8:
			c.VMOVUPS(mem(s, 32*g), ymm(g))
			c.VMOVUPS(ymm(g), mem(d, 32*g))
		case 6:
			c.VMOVUPS(mem(s, 32*g), ymm(g).AsX())
			c.VMOVSD(mem(s, 32*g+16), ymm(8+g).AsX())
			c.VMOVUPS(ymm(g).AsX(), mem(d, 32*g))
			c.VMOVSD(ymm(8+g).AsX(), mem(d, 32*g+16))
		default:
			panic("unsupported width")
		}
	}
	c.ADDQ(operand.U32(4*w), s)
	c.ADDQ(pstride, d)
	c.DECQ(j)
	c.JNZ(operand.LabelRef(panelLoop))
	c.Label(partial)
	c.TESTQ(rem, rem)
	c.JZ(operand.LabelRef(next))
	for g := 0; g < ng; g++ {
		c.VMASKMOVPS(mem(s, 32*g), ymm(14+g), ymm(g))
		storeExact256(ymm(g), mem(d, 32*g), width(g), ymm(8+g))
	}
	c.Label(next)
	c.ADDQ(ld, src)
	c.ADDQ(operand.U32(4*w), dst)
	c.DECQ(kc)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}

// packTrans256 is packTrans512 for AVX2 with 8x8 transposes: dst[p*W+r] =
// src[offs[r]/4 + p] for the first popcount(lanes) rows r (rows past the
// edge repeat a valid row through offs and are cleared here by a lane mask),
// zeros for the other rows.
func packTrans256(w int) {
	name := fmt.Sprintf("packTrans256W%d", w)
	function(name, "func(dst, src *float32, ld, kc int, offs *int, lanes uint64)",
		fmt.Sprintf("%s packs the transpose of %d rows x kc columns into a contiguous panel; rows not in lanes become zeros.", name, w))
	l := &labels{fn: name}
	ng := (w + 7) / 8
	dst, src, kc, offs, lanes := load("dst"), load("src"), load("kc"), load("offs"), load("lanes")
	valid := c.GP64()
	c.POPCNTQ(lanes, valid)
	// Row-validity masks of each group, used as memory operands of VANDPS.
	var rowMask []reg.GPVirtual
	for g := 0; g < ng; g++ {
		rowMask = append(rowMask, laneMaskAddr(clampLanes(valid, 8*g)))
	}
	rowOff := c.GP64()
	rowStride := 4 * w

	block := func(tail bool, rem reg.Register, tailMask reg.Register, done string) {
		for g := 0; g < ng; g++ {
			rg := min(8, w-8*g)
			if tail {
				c.VMOVUPS(mem(tailMask, 0), reg.Y15)
			}
			for r := 0; r < 8; r++ {
				if r >= rg {
					c.VXORPS(ymm(r), ymm(r), ymm(r))
					continue
				}
				c.MOVQ(mem(offs, 8*(8*g+r)), rowOff)
				if tail {
					c.VMASKMOVPS(memi(src, rowOff, 1, 0), reg.Y15, ymm(r))
				} else {
					c.VMOVUPS(memi(src, rowOff, 1, 0), ymm(r))
				}
			}
			out := transpose8()
			for j := 0; j < 8; j++ {
				if tail && j > 0 {
					c.CMPQ(rem, operand.U8(j))
					c.JLE(operand.LabelRef(fmt.Sprintf("%s_g%d", done, g)))
				}
				o := out[j]
				c.VANDPS(mem(rowMask[g], 0), o, o)
				storeExact256(o, mem(dst, j*rowStride+32*g), rg, ymm(0))
			}
			if tail {
				c.Label(fmt.Sprintf("%s_g%d", done, g))
			}
		}
	}

	n := c.GP64()
	c.MOVQ(kc, n)
	c.SHRQ(operand.U8(3), n)
	tail, done := l.new("tail"), l.new("done")
	c.JZ(operand.LabelRef(tail))
	loop := l.new("loop")
	c.Label(loop)
	block(false, nil, nil, "")
	c.ADDQ(operand.U32(32), src)
	c.ADDQ(operand.U32(8*rowStride), dst)
	c.DECQ(n)
	c.JNZ(operand.LabelRef(loop))

	c.Label(tail)
	c.ANDQ(operand.U8(7), kc)
	c.JZ(operand.LabelRef(done))
	block(true, kc, laneMaskAddr(kc), l.new("tailg"))
	c.Label(done)
	ret()
}

// transpose8 transposes the 8x8 block in Y0..Y7 (row r in Yr) with Y8..Y15
// as scratch and returns the registers holding its columns: interleave row
// pairs (unpck), gather quads (shufps), swap 128-bit halves (perm2f128).
// The output avoids Y0, which storeExact256 may use as scratch.
func transpose8() [8]reg.VecPhysical {
	R := func(i int) reg.VecPhysical { return ymm(i) }
	T := func(i int) reg.VecPhysical { return ymm(8 + i) }
	for i := 0; i < 4; i++ {
		c.VUNPCKLPS(R(2*i+1), R(2*i), T(2*i))
		c.VUNPCKHPS(R(2*i+1), R(2*i), T(2*i+1))
	}
	for i := 0; i < 2; i++ {
		c.VSHUFPS(operand.U8(0x44), T(4*i+2), T(4*i), R(4*i))
		c.VSHUFPS(operand.U8(0xEE), T(4*i+2), T(4*i), R(4*i+1))
		c.VSHUFPS(operand.U8(0x44), T(4*i+3), T(4*i+1), R(4*i+2))
		c.VSHUFPS(operand.U8(0xEE), T(4*i+3), T(4*i+1), R(4*i+3))
	}
	// R(q) holds rows 0-3 of columns q (low half) and q+4 (high half);
	// R(4+q) the same for rows 4-7.
	var out [8]reg.VecPhysical
	for q := 0; q < 4; q++ {
		c.VPERM2F128(operand.U8(0x20), R(4+q), R(q), T(q))
		c.VPERM2F128(operand.U8(0x31), R(4+q), R(q), T(4+q))
		out[q], out[4+q] = T(q), T(4+q)
	}
	return out
}
