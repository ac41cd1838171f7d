package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Packing routines for the AVX-512 GEMM. A packed panel of width W holds kc
// rows of W floats: row p is column p of the MR x kc block of op(A) (W = MR)
// or row p of the kc x NR block of op(B) (W = NR). Rows or columns beyond the
// matrix edge are written as zeros, so the micro-kernel always computes a
// full tile and only the write-back is masked.

// packCopy512 emits packCopy512W<W>(dst, src, ld, kc, n): the panel rows
// are contiguous in memory (op(B) = B, or op(A) = A^T). It packs the kc x n
// block at src (stride ld), n = full*W + rem with rem < W, into ceil(n/W)
// panels, panel j at dst+j*pstride:
// dst[j*pstride + p*W + q] = src[p*ld + j*W + q], zero where j*W+q >= n. The
// block is read row by row, so the loads stream through memory in order
// (walking one narrow panel at a time would read with a stride of ld and
// defeat the prefetchers).
func packCopy512(w int) {
	name := fmt.Sprintf("packCopy512W%d", w)
	function(name, "func(dst, src *float32, ld, kc, full, rem, pstride int)",
		fmt.Sprintf("%s packs a kc x (full*%d+rem) block (stride ld) into %d-wide panels, zero-padding the last.", name, w, w))
	l := &labels{fn: name}
	dst, src, ld, kc := load("dst"), load("src"), load("ld"), load("kc")
	full, rem := load("full"), load("rem")
	c.SHLQ(operand.U8(2), ld)
	pstride := load("pstride") // floats from one panel to the next
	c.SHLQ(operand.U8(2), pstride)

	// Pieces of a panel row: 16-float ZMM moves, then an 8-float YMM move
	// when W mod 16 = 8 (W = 8 uses one YMM).
	type piece struct{ off, width int }
	var pieces []piece
	for off := 0; off < w; off += 16 {
		pieces = append(pieces, piece{off, min(16, w-off)})
	}
	for _, pc := range pieces {
		if pc.width != 16 && pc.width != 8 {
			panic("panel width must be a multiple of 8")
		}
	}
	vec := func(pc piece) reg.VecPhysical {
		if pc.width == 8 {
			return reg.Y0
		}
		return zmm(1 + pc.off/16)
	}

	// K1.. hold the masks of the last, partial panel's pieces:
	// clamp(rem-off, 0, width) low bits each.
	for i, pc := range pieces {
		t, z := c.GP64(), c.GP64()
		c.MOVQ(rem, t)
		c.SUBQ(operand.U32(pc.off), t)
		c.XORQ(z, z)
		c.CMPQ(t, z)
		c.CMOVQLT(z, t)
		c.MOVL(operand.U32(0xffff), z.As32())
		c.BZHIL(t.As32(), z.As32(), z.As32())
		c.KMOVW(z.As32(), kregs[i])
	}

	rowLoop, done := l.new("row"), l.new("done")
	c.TESTQ(kc, kc)
	c.JZ(operand.LabelRef(done))
	c.Label(rowLoop)
	s, d, j := c.GP64(), c.GP64(), c.GP64()
	c.MOVQ(src, s)
	c.MOVQ(dst, d)
	c.MOVQ(full, j)
	panelLoop, partial := l.new("panel"), l.new("partial")
	c.TESTQ(j, j)
	c.JZ(operand.LabelRef(partial))
	c.Label(panelLoop)
	for _, pc := range pieces {
		c.VMOVUPS(mem(s, 4*pc.off), vec(pc))
		c.VMOVUPS(vec(pc), mem(d, 4*pc.off))
	}
	c.ADDQ(operand.U32(4*w), s)
	c.ADDQ(pstride, d)
	c.DECQ(j)
	c.JNZ(operand.LabelRef(panelLoop))
	c.Label(partial)
	next := l.new("next")
	c.TESTQ(rem, rem)
	c.JZ(operand.LabelRef(next))
	for i, pc := range pieces {
		c.VMOVUPS_Z(mem(s, 4*pc.off), kregs[i], vec(pc))
		c.VMOVUPS(vec(pc), mem(d, 4*pc.off))
	}
	c.Label(next)
	c.ADDQ(ld, src)
	c.ADDQ(operand.U32(4*w), dst)
	c.DECQ(kc)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}

// packTrans512 emits packTrans512W<W>(dst, src, ld, kc, offs, lanes): the
// panel rows are strided in memory (op(A) = A, or op(B) = B^T), so blocks of
// 16x16 are transposed in registers: dst[p*W+r] = src[offs[r]/4 + p] where
// bit r of lanes is set, else 0. offs[r] is the byte offset of source row r;
// the caller points rows past the matrix edge at a valid row (their lanes are
// cleared), so every load stays inside the matrix.
func packTrans512(w int) {
	if w == 8 {
		packTrans512W8()
		return
	}
	name := fmt.Sprintf("packTrans512W%d", w)
	function(name, "func(dst, src *float32, ld, kc int, offs *int, lanes uint64)",
		fmt.Sprintf("%s packs the transpose of %d rows x kc columns into a contiguous panel; rows not in lanes become zeros.", name, w))
	l := &labels{fn: name}
	ng := (w + 15) / 16
	dst, src, kc, offs, lanes := load("dst"), load("src"), load("kc"), load("offs"), load("lanes")
	// K1..K(ng): valid-row lanes of each group; K6: column tail mask; K7:
	// width mask of a partial last group.
	for g := 0; g < ng; g++ {
		t := c.GP64()
		c.MOVQ(lanes, t)
		if g > 0 {
			c.SHRQ(operand.U8(16*g), t)
		}
		c.KMOVW(t.As32(), kregs[g])
	}
	if w%16 != 0 {
		t := c.GP32()
		c.MOVL(operand.U32(1<<(w%16)-1), t)
		c.KMOVW(t, reg.K7)
	}
	rowOff := c.GP64()
	rowStride := 4 * w

	// block transposes one 16-column block (tail: masked loads with K6,
	// stores of the first rem rows only) for all groups.
	block := func(tail bool, rem reg.Register, done string) {
		for g := 0; g < ng; g++ {
			rg := min(16, w-16*g)
			for r := 0; r < 16; r++ {
				if r >= rg {
					c.VPXORD(zmm(r), zmm(r), zmm(r))
					continue
				}
				c.MOVQ(mem(offs, 8*(16*g+r)), rowOff)
				if tail {
					c.VMOVUPS_Z(memi(src, rowOff, 1, 0), reg.K6, zmm(r))
				} else {
					c.VMOVUPS(memi(src, rowOff, 1, 0), zmm(r))
				}
			}
			out := transpose16()
			for j := 0; j < 16; j++ {
				if tail && j > 0 {
					c.CMPQ(rem, operand.U8(j))
					c.JLE(operand.LabelRef(fmt.Sprintf("%s_g%d", done, g)))
				}
				o := out[j]
				c.VMOVAPS_Z(o, kregs[g], o)
				if rg == 16 {
					c.VMOVUPS(o, mem(dst, j*rowStride+64*g))
				} else {
					c.VMOVUPS(o, reg.K7, mem(dst, j*rowStride+64*g))
				}
			}
			if tail {
				c.Label(fmt.Sprintf("%s_g%d", done, g))
			}
		}
	}

	n := c.GP64()
	c.MOVQ(kc, n)
	c.SHRQ(operand.U8(4), n)
	tail, done := l.new("tail"), l.new("done")
	c.JZ(operand.LabelRef(tail))
	loop := l.new("loop")
	c.Label(loop)
	block(false, nil, "")
	c.ADDQ(operand.U32(64), src)
	c.ADDQ(operand.U32(16*rowStride), dst)
	c.DECQ(n)
	c.JNZ(operand.LabelRef(loop))

	c.Label(tail)
	c.ANDQ(operand.U8(15), kc)
	c.JZ(operand.LabelRef(done))
	t := c.GP32()
	c.MOVL(operand.U32(0xffff), t)
	c.BZHIL(kc.As32(), t, t)
	c.KMOVW(t, reg.K6)
	block(true, kc, l.new("tailg"))
	c.Label(done)
	ret()
}

// transpose16 transposes the 16x16 block held in Z0..Z15 (row r in Zr) using
// Z16..Z31 as scratch, and returns the registers holding its columns.
// Three stages of 16 shuffles each: interleave pairs of rows within 128-bit
// lanes (unpck), gather quads (shufps), then move 128-bit lanes across
// registers (shuff32x4, twice).
func transpose16() [16]reg.VecPhysical {
	R := func(i int) reg.VecPhysical { return zmm(i) }
	T := func(i int) reg.VecPhysical { return zmm(16 + i) }
	for i := 0; i < 8; i++ {
		c.VUNPCKLPS(R(2*i+1), R(2*i), T(2*i))   // a0 b0 a1 b1 per lane
		c.VUNPCKHPS(R(2*i+1), R(2*i), T(2*i+1)) // a2 b2 a3 b3
	}
	// S[4i+q] (in R) holds, in lane L, rows 4i..4i+3 of column 4L+q.
	for i := 0; i < 4; i++ {
		c.VSHUFPS(operand.U8(0x44), T(4*i+2), T(4*i), R(4*i))
		c.VSHUFPS(operand.U8(0xEE), T(4*i+2), T(4*i), R(4*i+1))
		c.VSHUFPS(operand.U8(0x44), T(4*i+3), T(4*i+1), R(4*i+2))
		c.VSHUFPS(operand.U8(0xEE), T(4*i+3), T(4*i+1), R(4*i+3))
	}
	// For each q: X0/X1 from S[q], S[4+q] (rows 0-7), Y0/Y1 from S[8+q],
	// S[12+q] (rows 8-15), even and odd lanes.
	for q := 0; q < 4; q++ {
		c.VSHUFF32X4(operand.U8(0x88), R(4+q), R(q), T(4*q))
		c.VSHUFF32X4(operand.U8(0xDD), R(4+q), R(q), T(4*q+1))
		c.VSHUFF32X4(operand.U8(0x88), R(12+q), R(8+q), T(4*q+2))
		c.VSHUFF32X4(operand.U8(0xDD), R(12+q), R(8+q), T(4*q+3))
	}
	// Column 4L+q: L=0 from (X0,Y0) even, L=2 (X0,Y0) odd, L=1 (X1,Y1) even,
	// L=3 (X1,Y1) odd.
	var out [16]reg.VecPhysical
	for q := 0; q < 4; q++ {
		x0, x1, y0, y1 := T(4*q), T(4*q+1), T(4*q+2), T(4*q+3)
		c.VSHUFF32X4(operand.U8(0x88), y0, x0, R(q))
		out[q] = R(q)
		c.VSHUFF32X4(operand.U8(0xDD), y0, x0, R(8+q))
		out[8+q] = R(8 + q)
		c.VSHUFF32X4(operand.U8(0x88), y1, x1, R(4+q))
		out[4+q] = R(4 + q)
		c.VSHUFF32X4(operand.U8(0xDD), y1, x1, R(12+q))
		out[12+q] = R(12 + q)
	}
	return out
}

// packTrans512W8 is packTrans512 for panels of 8 rows (the A panels of the
// 8x32 micro-kernel): blocks of 8 rows x 16 columns go through
// transpose8x16, 24 shuffles where a 16x16 transpose with 8 rows of zeros
// takes 64 (packing A took 8% of a 512x512x128 GEMM with the latter).
func packTrans512W8() {
	const w = 8
	name := "packTrans512W8"
	function(name, "func(dst, src *float32, ld, kc int, offs *int, lanes uint64)",
		name+" packs the transpose of 8 rows x kc columns into a contiguous panel; rows not in lanes become zeros.")
	l := &labels{fn: name}
	dst, src, kc, offs, lanes := load("dst"), load("src"), load("kc"), load("offs"), load("lanes")
	// K1: the valid-row lanes of both columns in a transposed register.
	t := c.GP64()
	c.MOVQ(lanes, t)
	c.ANDQ(operand.U32(0xff), t)
	c.MOVQ(t, lanes)
	c.SHLQ(operand.U8(8), t)
	c.ORQ(lanes, t)
	c.KMOVW(t.As32(), reg.K1)
	lo, hi := perm128Tables()
	idxLo, idxHi := zmm(30), zmm(31)
	c.VMOVUPS(lo, idxLo)
	c.VMOVUPS(hi, idxHi)
	var rows, tmp [8]reg.VecPhysical
	for i := 0; i < 8; i++ {
		rows[i], tmp[i] = zmm(i), zmm(8+i)
	}
	rowOff := c.GP64()

	block := func(tail bool, rem reg.Register, done string) {
		for r := 0; r < w; r++ {
			c.MOVQ(mem(offs, 8*r), rowOff)
			if tail {
				c.VMOVUPS_Z(memi(src, rowOff, 1, 0), reg.K6, rows[r])
			} else {
				c.VMOVUPS(memi(src, rowOff, 1, 0), rows[r])
			}
		}
		u := transpose8x16(rows, tmp, idxLo, idxHi)
		for i := range u {
			c.VMOVAPS_Z(u[i], reg.K1, u[i])
		}
		for col := 0; col < 16; col++ {
			if tail && col > 0 {
				c.CMPQ(rem, operand.U8(col))
				c.JLE(operand.LabelRef(done))
			}
			ui, high := column8(col)
			if high {
				c.VEXTRACTF32X8(operand.U8(1), u[ui], mem(dst, 4*w*col))
			} else {
				c.VMOVUPS(u[ui].AsY(), mem(dst, 4*w*col))
			}
		}
	}

	n := c.GP64()
	c.MOVQ(kc, n)
	c.SHRQ(operand.U8(4), n)
	tail, done := l.new("tail"), l.new("done")
	c.JZ(operand.LabelRef(tail))
	loop := l.new("loop")
	c.Label(loop)
	block(false, nil, "")
	c.ADDQ(operand.U32(64), src)
	c.ADDQ(operand.U32(16*4*w), dst)
	c.DECQ(n)
	c.JNZ(operand.LabelRef(loop))

	c.Label(tail)
	c.ANDQ(operand.U8(15), kc)
	c.JZ(operand.LabelRef(done))
	m := c.GP32()
	c.MOVL(operand.U32(0xffff), m)
	c.BZHIL(kc.As32(), m, m)
	c.KMOVW(m, reg.K6)
	block(true, kc, done)
	c.Label(done)
	ret()
}
