package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// zmm returns physical register Zi. The GEMM micro-kernel assigns the vector
// registers by hand: accumulators first, then the B row, then broadcast
// temporaries, so that the whole register file is used and nothing spills.
func zmm(i int) reg.VecPhysical {
	zs := []reg.VecPhysical{
		reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
		reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
		reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
		reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31,
	}
	return zs[i]
}

var kregs = []reg.OpmaskPhysical{reg.K1, reg.K2, reg.K3, reg.K4, reg.K5, reg.K6, reg.K7}

// gemmKernel512 emits the AVX-512 micro-kernel for an mr x (16*nv) tile of C:
//
//	C[0:rows, 0:NR] (masked by mask) = alpha * Ap*Bp + beta*C
//
// Ap is a packed MR x kc panel (kc groups of MR consecutive values of one
// column of op(A)), Bp a packed kc x NR panel (kc rows of NR values). Every
// k step loads NR/16 vectors of B and broadcasts MR values of A, each
// broadcast feeding NR/16 FMAs into its own accumulators; the k order is
// fixed, so each element of C is one fixed FMA chain whatever the tiling.
// flags bit 0: read C (beta != 0; beta == 0 never reads C, so NaNs in C do
// not propagate); bit 1: edge tile (rows < MR or some columns masked off),
// which takes the masked write-back.
//
// With stridedB the kernel (suffix "s") reads B in place instead of from a
// packed panel: row p of the tile's kc x NR block of B at b + p*ldb, its
// loads masked by the column mask (zeros past the matrix edge). When A has
// few rows, every B panel is used by few micro-tiles, and packing B would
// cost a large fraction of the GEMM.
func gemmKernel512(mr, nv, unroll int, stridedB bool) {
	nr := 16 * nv
	name := fmt.Sprintf("gemmKernel512x%dx%d", mr, nr)
	sig := "func(kc int, a, b, c *float32, ldc int, alpha, beta float32, rows int, mask uint64, flags int)"
	doc := fmt.Sprintf("%s computes one %dx%d tile of C from packed panels (AVX-512F).", name, mr, nr)
	if stridedB {
		name += "s"
		sig = "func(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows int, mask uint64, flags int)"
		doc = fmt.Sprintf("%s computes one %dx%d tile of C from a packed A panel and B in place (AVX-512F).", name, mr, nr)
	}
	function(name, sig, doc)
	l := &labels{fn: name}

	nacc := mr * nv
	if nacc+nv+1 > 32 {
		panic("tile does not fit the register file")
	}
	acc := func(r, v int) reg.VecPhysical { return zmm(r*nv + v) }
	breg := func(v int) reg.VecPhysical { return zmm(nacc + v) }
	ntmp := 32 - nacc - nv
	tmp := func(i int) reg.VecPhysical { return zmm(nacc + nv + i%ntmp) }

	kc := load("kc")
	pa := load("a")
	pb := load("b")

	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			c.VPXORD(acc(r, v), acc(r, v), acc(r, v))
		}
	}

	// Vector v of B row u of an unrolled step: packed, at a constant
	// offset; in place, at b + u*ldb (u < 4: base+index addressing with ldb
	// and 3*ldb).
	var ldb, ldb3 reg.GPVirtual
	brow := func(u, v int) operand.Mem { return mem(pb, (u*nr+16*v)*4) }
	if stridedB {
		if unroll != 4 {
			panic("stridedB needs unroll 4")
		}
		ldb = load("ldb")
		c.SHLQ(operand.U8(2), ldb)
		ldb3 = c.GP64()
		c.LEAQ(memi(ldb, ldb, 2, 0), ldb3)
		mask := load("mask")
		for v := 0; v < nv; v++ {
			t := c.GP64()
			c.MOVQ(mask, t)
			if v > 0 {
				c.SHRQ(operand.U8(16*v), t)
			}
			c.KMOVW(t.As32(), kregs[v])
		}
		brow = func(u, v int) operand.Mem {
			switch u {
			case 0:
				return mem(pb, 64*v)
			case 1:
				return memi(pb, ldb, 1, 64*v)
			case 2:
				return memi(pb, ldb, 2, 64*v)
			}
			return memi(pb, ldb3, 1, 64*v)
		}
	}
	step := func(u int) {
		for v := 0; v < nv; v++ {
			if stridedB {
				c.VMOVUPS_Z(brow(u, v), kregs[v], breg(v))
			} else {
				c.VMOVUPS(brow(u, v), breg(v))
			}
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
	if stridedB {
		c.LEAQ(memi(pb, ldb, 4, 0), pb)
	} else {
		c.ADDQ(operand.U32(unroll*nr*4), pb)
	}
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
	if stridedB {
		c.ADDQ(ldb, pb)
	} else {
		c.ADDQ(operand.U32(nr*4), pb)
	}
	c.DECQ(kc)
	c.JNZ(operand.LabelRef(tloop))

	c.Label(epi)
	// The B and broadcast registers are free now.
	if nacc+3 > 32 {
		panic("the epilogue needs three free registers")
	}
	zalpha, zbeta, zc := zmm(nacc), zmm(nacc+1), zmm(nacc+2)
	c.VBROADCASTSS(param("alpha"), zalpha)
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			c.VMULPS(zalpha, acc(r, v), acc(r, v))
		}
	}
	c.VBROADCASTSS(param("beta"), zbeta)
	pc := load("c")
	ldc := load("ldc")
	c.SHLQ(operand.U8(2), ldc)
	flags := load("flags")

	edge := l.new("edge")
	c.TESTQ(operand.U32(2), flags)
	c.JNZ(operand.LabelRef(edge))

	// Full tile: plain stores.
	storeOnly := l.new("store")
	c.TESTQ(operand.U32(1), flags)
	c.JZ(operand.LabelRef(storeOnly))
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			c.VFMADD231PS(mem(pc, 64*v), zbeta, acc(r, v))
			c.VMOVUPS(acc(r, v), mem(pc, 64*v))
		}
		if r < mr-1 {
			c.ADDQ(ldc, pc)
		}
	}
	ret()
	c.Label(storeOnly)
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			c.VMOVUPS(acc(r, v), mem(pc, 64*v))
		}
		if r < mr-1 {
			c.ADDQ(ldc, pc)
		}
	}
	ret()

	// Edge tile: rows < MR and/or masked columns. Masked loads and stores
	// suppress faults, so nothing outside the valid window is touched.
	c.Label(edge)
	rows := load("rows")
	mask := load("mask")
	for v := 0; v < nv; v++ {
		t := c.GP64()
		c.MOVQ(mask, t)
		if v > 0 {
			c.SHRQ(operand.U8(16*v), t)
		}
		c.KMOVW(t.As32(), kregs[v])
	}
	done := l.new("done")
	edgeStore := l.new("edgestore")
	c.TESTQ(operand.U32(1), flags)
	c.JZ(operand.LabelRef(edgeStore))
	for r := 0; r < mr; r++ {
		if r > 0 {
			c.CMPQ(rows, operand.U8(r))
			c.JLE(operand.LabelRef(done))
		}
		for v := 0; v < nv; v++ {
			c.VMOVUPS_Z(mem(pc, 64*v), kregs[v], zc)
			c.VFMADD231PS(zc, zbeta, acc(r, v))
			c.VMOVUPS(acc(r, v), kregs[v], mem(pc, 64*v))
		}
		c.ADDQ(ldc, pc)
	}
	c.JMP(operand.LabelRef(done))
	c.Label(edgeStore)
	for r := 0; r < mr; r++ {
		if r > 0 {
			c.CMPQ(rows, operand.U8(r))
			c.JLE(operand.LabelRef(done))
		}
		for v := 0; v < nv; v++ {
			c.VMOVUPS(acc(r, v), kregs[v], mem(pc, 64*v))
		}
		c.ADDQ(ldc, pc)
	}
	c.Label(done)
	ret()
}

func log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	if 1<<k != n {
		panic("not a power of two")
	}
	return k
}
