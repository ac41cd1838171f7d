package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmKernel256s is gemmKernel256 reading B in place (the small-batch
// shortcut gemmKernel512 has with stridedB): row p of the tile's kc x 16
// block of B at b + p*ldb. It has no masked loads, so the Go driver calls it
// for tiles of full width only (stridedTile packs the one partial panel of
// an edge) and, like gemmKernel256, points c at a buffer for tiles of fewer
// rows. The same FMA chain per element in k order as the packed kernel, so
// the bits do not depend on which one ran.
func gemmKernel256s(mr, nv int) {
	const unroll = 4
	nr := 8 * nv
	name := fmt.Sprintf("gemmKernel256x%dx%ds", mr, nr)
	function(name,
		"func(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows int, mask uint64, flags int)",
		fmt.Sprintf("%s computes one full %dx%d tile of C from a packed A panel and B in place (AVX2, FMA).", name, mr, nr))
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
	ldb := load("ldb")
	c.SHLQ(operand.U8(2), ldb)
	ldb3 := c.GP64()
	c.LEAQ(memi(ldb, ldb, 2, 0), ldb3)
	brow := func(u, v int) operand.Mem {
		switch u {
		case 0:
			return mem(pb, 32*v)
		case 1:
			return memi(pb, ldb, 1, 32*v)
		case 2:
			return memi(pb, ldb, 2, 32*v)
		}
		return memi(pb, ldb3, 1, 32*v)
	}
	for i := 0; i < nacc; i++ {
		c.VXORPS(ymm(i), ymm(i), ymm(i))
	}
	step := func(u int) {
		for v := 0; v < nv; v++ {
			c.VMOVUPS(brow(u, v), breg(v))
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
	c.LEAQ(memi(pb, ldb, 4, 0), pb)
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
	c.ADDQ(ldb, pb)
	c.DECQ(kc)
	c.JNZ(operand.LabelRef(tloop))

	// The write-back is gemmKernel256's: alpha*acc, then beta*C by FMA.
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
