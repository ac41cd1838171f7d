package main

import (
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// genAVX2 emits every AVX2+FMA kernel. Only Y0-Y15 exist without AVX-512,
// and there are no mask registers: partial vectors use VMASKMOVPS with lane
// masks read from a table (loads) and exact-width stores, and GEMM edge tiles
// go through a small buffer in Go.
func genAVX2() {
	laneMaskTable()
	laneIotaTable()
	gemmKernel256(6, 2, 4)
	gemmKernel256s(6, 2)
	for _, w := range []int{6, 16} {
		packCopy256(w)
		packTrans256(w)
	}
	elem256()
	addBiasRelu256()
	col2imChan(256)
	im2colChan(256)
	maxPool2AVX2(false)
	maxPool2AVX2(true)
}

func ymm(i int) reg.VecPhysical {
	ys := []reg.VecPhysical{
		reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15,
	}
	return ys[i]
}

var laneMask operand.Mem

// laneMaskTable emits eight all-ones dwords followed by eight zeros: the 8
// dwords at byte offset 4*(8-r) are a VMASKMOVPS mask selecting lanes 0..r-1.
func laneMaskTable() {
	laneMask = c.StaticGlobal("laneMask")
	c.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		c.AddDatum(4*i, operand.U32(v))
	}
}

// laneMaskAddr returns a register pointing at the mask for the first r lanes,
// r in [0, 8] (r is left unchanged).
func laneMaskAddr(r reg.Register) reg.GPVirtual {
	base, t := c.GP64(), c.GP64()
	c.LEAQ(laneMask, base)
	c.MOVQ(operand.U32(8), t)
	c.SUBQ(r, t)
	c.LEAQ(memi(base, t, 4, 0), base)
	return base
}

// clampLanes returns min(max(x-off, 0), 8) in a new register.
func clampLanes(x reg.Register, off int) reg.GPVirtual {
	t, z := c.GP64(), c.GP64()
	c.MOVQ(x, t)
	c.SUBQ(operand.U32(off), t)
	c.XORQ(z, z)
	c.CMPQ(t, z)
	c.CMOVQLT(z, t)
	c.MOVQ(operand.U32(8), z)
	c.CMPQ(t, z)
	c.CMOVQGT(z, t)
	return t
}

// storeExact256 stores the first width (8, 6 or 4) floats of y to m.
func storeExact256(y reg.VecPhysical, m operand.Mem, width int, tmp reg.VecPhysical) {
	switch width {
	case 8:
		c.VMOVUPS(y, m)
	case 6:
		c.VMOVUPS(y.AsX(), m)
		c.VEXTRACTF128(operand.U8(1), y, tmp.AsX())
		c.VMOVSD(tmp.AsX(), m.Offset(16))
	case 4:
		c.VMOVUPS(y.AsX(), m)
	default:
		panic("unsupported width")
	}
}
