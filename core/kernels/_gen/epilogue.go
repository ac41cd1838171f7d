package main

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The fused GEMM epilogue (the dense layers' forward pass): after the last
// k-block of a tile, the Go driver adds the bias row and applies the ReLU
// while the tile is still in L1. The arithmetic is AddBias's add followed by
// Relu's max and +0, in that order, so the bits are those of the unfused
// Gemm, AddBias, Relu sequence (generic's definition).

// addBiasRelu512 is addBias512 followed by relu512 on each element.
func addBiasRelu512() {
	name := "addBiasRelu512"
	function(name, "func(m, n int, bias, c *float32, ldc int)",
		"addBiasRelu512 computes c[i*ldc+j] = max(c[i*ldc+j]+bias[j], 0) for i < m, j < n (as relu512).")
	l := &labels{fn: name}
	m, bias, pc, ldc := load("m"), load("bias"), load("c"), load("ldc")
	c.SHLQ(operand.U8(2), ldc)
	zero := reg.Z31
	c.VPXORD(zero, zero, zero)
	rowLoop, done := l.new("row"), l.new("done")
	c.TESTQ(m, m)
	c.JZ(operand.LabelRef(done))
	c.Label(rowLoop)
	n, b, p := c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("n"), n)
	c.MOVQ(bias, b)
	c.MOVQ(pc, p)
	stream512(l, n, []reg.Register{b, p}, func(u int, msk bool) {
		zb, zc := zmm(u), zmm(4+u)
		vload(b, u, msk, zb)
		vload(p, u, msk, zc)
		c.VADDPS(zb, zc, zc)
		c.VMAXPS(zc, zero, zc)
		c.VADDPS(zero, zc, zc)
		vstore(zc, p, u, msk)
	})
	c.ADDQ(ldc, pc)
	c.DECQ(m)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}

// addBiasRelu256 is addBias256 followed by relu256 on each element.
func addBiasRelu256() {
	name := "addBiasRelu256"
	function(name, "func(m, n int, bias, c *float32, ldc int)",
		"addBiasRelu256 computes c[i*ldc+j] = max(c[i*ldc+j]+bias[j], 0) for i < m, j < n (as relu256).")
	l := &labels{fn: name}
	m, bias, pc, ldc := load("m"), load("bias"), load("c"), load("ldc")
	c.SHLQ(operand.U8(2), ldc)
	zero := reg.Y14
	c.VXORPS(zero, zero, zero)
	rowLoop, done := l.new("row"), l.new("done")
	c.TESTQ(m, m)
	c.JZ(operand.LabelRef(done))
	c.Label(rowLoop)
	n, b, p := c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("n"), n)
	c.MOVQ(bias, b)
	c.MOVQ(pc, p)
	stream256(l, n, []reg.Register{b, p}, func(u int, msk bool) {
		yb, yc := ymm(u), ymm(4+u)
		yload(b, u, msk, yb)
		yload(p, u, msk, yc)
		c.VADDPS(yb, yc, yc)
		c.VMAXPS(yc, zero, yc)
		c.VADDPS(zero, yc, yc)
		ystore(yc, p, u, msk)
	})
	c.ADDQ(ldc, pc)
	c.DECQ(m)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}
