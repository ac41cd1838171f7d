package main

import (
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmKernel512T emits gemmKernel512x8x32t, the micro-kernel of the
// transposed-C path used for op(A) = A, op(B) = B^T with few rows of A (the
// forward pass x W^T of a layer at small batch). It computes a tile of
// D = C^T = B * A^T:
//
//	D[0:8, 0:32] = alpha * W * Xp + beta * D,   written to C as C[i, j] = D[j, i]
//
// W is 8 rows of the stored B (k contiguous), read in place: every k step
// broadcasts one value of each row. Xp is a packed kc x 32 panel of A^T
// (32 rows of A, transposed by packTrans512W32). So the large operand, B,
// is never packed; only the few rows of A are. D[j, i] is the same FMA chain
// in the same k order as C[i, j] in gemmKernel512x8x32 (a*b = b*a exactly),
// so both paths give identical bits.
//
// The epilogue transposes each 8x16 half of the accumulator tile in
// registers (unpck, shufps, then vpermt2ps across two registers) into 16 rows
// of 8 floats, and writes row i of C only for i < rows, the 8 columns masked
// by mask (bit j: column j valid). flags bit 0: read C (beta != 0).
func gemmKernel512T() {
	const mr, nv, nr, unroll = 8, 2, 32, 4
	name := "gemmKernel512x8x32t"
	function(name,
		"func(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32, rows int, mask uint64, flags int)",
		name+" computes C[0:rows, 0:8] (masked) = alpha*(a * Bp)^T + beta*C from 8 rows of a (stride lda) and a packed 32-wide panel (AVX-512F).")
	l := &labels{fn: name}

	permLo, permHi := perm128Tables()

	acc := func(r, v int) reg.VecPhysical { return zmm(r*nv + v) }
	breg := func(v int) reg.VecPhysical { return zmm(16 + v) }
	tmp := func(i int) reg.VecPhysical { return zmm(18 + i%14) }

	kc, pa, lda, pb := load("kc"), load("a"), load("lda"), load("b")
	c.SHLQ(operand.U8(2), lda)
	lda3, lda5, lda7 := c.GP64(), c.GP64(), c.GP64()
	c.LEAQ(memi(lda, lda, 2, 0), lda3)
	c.LEAQ(memi(lda, lda, 4, 0), lda5)
	c.LEAQ(memi(lda3, lda, 4, 0), lda7)
	// Row r of A at pa + r*lda, as base+index*scale.
	arow := func(r, disp int) operand.Mem {
		switch r {
		case 0:
			return mem(pa, disp)
		case 1:
			return memi(pa, lda, 1, disp)
		case 2:
			return memi(pa, lda, 2, disp)
		case 3:
			return memi(pa, lda3, 1, disp)
		case 4:
			return memi(pa, lda, 4, disp)
		case 5:
			return memi(pa, lda5, 1, disp)
		case 6:
			return memi(pa, lda3, 2, disp)
		}
		return memi(pa, lda7, 1, disp)
	}

	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			c.VPXORD(acc(r, v), acc(r, v), acc(r, v))
		}
	}
	step := func(u int) {
		for v := 0; v < nv; v++ {
			c.VMOVUPS(mem(pb, (u*nr+16*v)*4), breg(v))
		}
		for r := 0; r < mr; r++ {
			t := tmp(u*mr + r)
			c.VBROADCASTSS(arow(r, 4*u), t)
			for v := 0; v < nv; v++ {
				c.VFMADD231PS(breg(v), t, acc(r, v))
			}
		}
	}
	n := c.GP64()
	c.MOVQ(kc, n)
	c.SHRQ(operand.U8(log2(unroll)), n)
	tail, loop := l.new("tail"), l.new("loop")
	c.JZ(operand.LabelRef(tail))
	c.Label(loop)
	for u := 0; u < unroll; u++ {
		step(u)
	}
	c.ADDQ(operand.U32(unroll*4), pa)
	c.ADDQ(operand.U32(unroll*nr*4), pb)
	c.DECQ(n)
	c.JNZ(operand.LabelRef(loop))
	c.Label(tail)
	c.ANDQ(operand.U8(unroll-1), kc)
	epi, tloop := l.new("epilogue"), l.new("tailloop")
	c.JZ(operand.LabelRef(epi))
	c.Label(tloop)
	step(0)
	c.ADDQ(operand.U32(4), pa)
	c.ADDQ(operand.U32(nr*4), pb)
	c.DECQ(kc)
	c.JNZ(operand.LabelRef(tloop))

	c.Label(epi)
	zalpha, zbeta := zmm(16), zmm(17)
	idxLo, idxHi := zmm(30), zmm(31)
	c.VBROADCASTSS(param("alpha"), zalpha)
	for i := 0; i < mr*nv; i++ {
		c.VMULPS(zalpha, zmm(i), zmm(i))
	}
	c.VBROADCASTSS(param("beta"), zbeta)
	c.VMOVUPS(permLo, idxLo)
	c.VMOVUPS(permHi, idxHi)
	pc, ldc, rows, flags, mask := load("c"), load("ldc"), load("rows"), load("flags"), load("mask")
	c.SHLQ(operand.U8(2), ldc)
	c.KMOVW(mask.As32(), reg.K1)
	done := l.new("done")

	T := func(i int) reg.VecPhysical { return zmm(18 + i) } // 18..25
	ylo, yhi, yc := zmm(26).AsY(), zmm(27).AsY(), zmm(28).AsY()
	for v := 0; v < nv; v++ {
		var rowsR, tR [8]reg.VecPhysical
		for i := 0; i < 8; i++ {
			rowsR[i], tR[i] = acc(i, v), T(i)
		}
		U := transpose8x16(rowsR, tR, idxLo, idxHi)
		// Column i of the half is row 16v+i of C.
		for i := 0; i < 16; i++ {
			row := 16*v + i
			if row > 0 {
				c.CMPQ(rows, operand.U8(row))
				c.JLE(operand.LabelRef(done))
			}
			ui, high := column8(i)
			u := U[ui]
			y := ylo
			if !high {
				c.VMOVAPS(u.AsY(), ylo)
			} else {
				c.VEXTRACTF32X8(operand.U8(1), u, yhi)
				y = yhi
			}
			skip := l.new("noload")
			c.TESTQ(operand.U32(1), flags)
			c.JZ(operand.LabelRef(skip))
			c.VMOVUPS_Z(mem(pc, 0), reg.K1, yc)
			c.VFMADD231PS(yc, zbeta.AsY(), y)
			c.Label(skip)
			c.VMOVUPS(y, reg.K1, mem(pc, 0))
			c.ADDQ(ldc, pc)
		}
	}
	c.Label(done)
	ret()
}

var permLo, permHi operand.Mem

// perm128Tables returns (emitting them on first use) the VPERMT2PS index
// vectors that interleave the 128-bit lanes of two registers a and b:
// permLo gives a.0 b.0 a.1 b.1, permHi a.2 b.2 a.3 b.3. They finish the
// transposes of 8-row blocks: lane L of a and of b hold rows 0-3 and 4-7 of
// one column, so each 256-bit half of the result is a whole column.
func perm128Tables() (lo, hi operand.Mem) {
	if permLo.Symbol.Name != "" {
		return permLo, permHi
	}
	permLo = c.StaticGlobal("permLo512")
	c.DataAttributes(attr.RODATA | attr.NOPTR)
	for i, v := range []uint32{0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23} {
		c.AddDatum(4*i, operand.U32(v))
	}
	permHi = c.StaticGlobal("permHi512")
	c.DataAttributes(attr.RODATA | attr.NOPTR)
	for i, v := range []uint32{8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31} {
		c.AddDatum(4*i, operand.U32(v))
	}
	return permLo, permHi
}

// transpose8x16 transposes the 8 x 16 block in rows[0..7] (16 columns each)
// using t[0..7] as scratch and idxLo/idxHi (perm128Tables) as permutation
// indexes. Column c of the block (8 floats) ends up in the low (c mod 8 < 4)
// or high 256 bits of the returned register: see column8.
func transpose8x16(rows, t [8]reg.VecPhysical, idxLo, idxHi reg.VecPhysical) [8]reg.VecPhysical {
	S, T := rows, t
	// Stage 1: interleave row pairs within 128-bit lanes.
	for i := 0; i < 4; i++ {
		c.VUNPCKLPS(S[2*i+1], S[2*i], T[2*i])
		c.VUNPCKHPS(S[2*i+1], S[2*i], T[2*i+1])
	}
	// Stage 2: S[q], q < 4, lane L = rows 0-3 of column 4L+q; S[4+q] the
	// same for rows 4-7.
	for h := 0; h < 2; h++ {
		c.VSHUFPS(operand.U8(0x44), T[4*h+2], T[4*h], S[4*h])
		c.VSHUFPS(operand.U8(0xEE), T[4*h+2], T[4*h], S[4*h+1])
		c.VSHUFPS(operand.U8(0x44), T[4*h+3], T[4*h+1], S[4*h+2])
		c.VSHUFPS(operand.U8(0xEE), T[4*h+3], T[4*h+1], S[4*h+3])
	}
	// Stage 3: U[2q] holds columns q (low 256 bits) and 4+q (high); U[2q+1]
	// columns 8+q and 12+q.
	U := T
	for q := 0; q < 4; q++ {
		c.VMOVAPS(S[q], U[2*q])
		c.VPERMT2PS(S[4+q], idxLo, U[2*q])
		c.VMOVAPS(S[q], U[2*q+1])
		c.VPERMT2PS(S[4+q], idxHi, U[2*q+1])
	}
	return U
}

// column8 says where transpose8x16 left column col: in u[reg], high half
// or not.
func column8(col int) (reg int, high bool) {
	return 2*(col%4) + col/8, (col/4)%2 == 1
}
