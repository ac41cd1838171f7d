package main

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Row movers of Im2col and Col2im (see core/kernels/im2col.go). A stride-1
// convolution's column matrix is made of short rows (an output row of a few
// dozen pixels) copied from, or added back onto, rows of the image; these
// kernels move all the rows of one kernel tap in one call, a vector at a
// time with one masked vector per row, instead of a memmove call (or a
// scalar loop of adds) per row. They only copy values or add one value to
// another, so every implementation gives the same bits.

// im2colRows emits im2colRows<bits>: for each of rows rows, dst[0:ow] = 0
// when zero != 0, then dst[lo:lo+n] = src[0:n]; src advances by ss floats
// and dst by ow floats per row.
func im2colRows(bits int) {
	name := map[int]string{512: "im2colRows512", 256: "im2colRows256"}[bits]
	function(name, "func(rows, ow, lo, n int, src *float32, ss int, dst *float32, zero int)",
		name+" copies rows rows of n floats, src advancing by ss floats and dst by ow,",
		"to dst[lo:lo+n] of each row, after zeroing dst[0:ow] of the row when zero != 0.")
	l := &labels{fn: name}
	rows, ss, src, dst := load("rows"), load("ss"), load("src"), load("dst")
	owb, lob, zero := load("ow"), load("lo"), load("zero")
	c.SHLQ(operand.U8(2), ss)
	c.SHLQ(operand.U8(2), owb)
	c.SHLQ(operand.U8(2), lob)
	var zr reg.VecPhysical
	if bits == 512 {
		zr = reg.Z8
		c.VPXORD(zr, zr, zr)
	} else {
		zr = ymm(8)
		c.VXORPS(zr, zr, zr)
	}
	rowLoop, copyRow, done := l.new("row"), l.new("copy"), l.new("done")
	c.TESTQ(rows, rows)
	c.JZ(operand.LabelRef(done))
	c.Label(rowLoop)
	c.TESTQ(zero, zero)
	c.JZ(operand.LabelRef(copyRow))
	{
		n, p := c.GP64(), c.GP64()
		c.MOVQ(owb, n)
		c.SHRQ(operand.U8(2), n)
		c.MOVQ(dst, p)
		if bits == 512 {
			stream512(l, n, []reg.Register{p}, func(u int, m bool) { vstore(zr, p, u, m) })
		} else {
			stream256(l, n, []reg.Register{p}, func(u int, m bool) { ystore(zr, p, u, m) })
		}
	}
	c.Label(copyRow)
	{
		n, s, d := c.GP64(), c.GP64(), c.GP64()
		c.Load(c.Param("n"), n)
		c.MOVQ(src, s)
		c.LEAQ(memi(dst, lob, 1, 0), d)
		if bits == 512 {
			stream512(l, n, []reg.Register{s, d}, func(u int, m bool) {
				vload(s, u, m, zmm(u))
				vstore(zmm(u), d, u, m)
			})
		} else {
			stream256(l, n, []reg.Register{s, d}, func(u int, m bool) {
				yload(s, u, m, ymm(u))
				ystore(ymm(u), d, u, m)
			})
		}
	}
	c.ADDQ(ss, src)
	c.ADDQ(owb, dst)
	c.DECQ(rows)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}

// addRows emits addRows<bits>: for each of rows rows, dst[0:n] += src[0:n]
// (dst = dst + src, the operand order of Go's scalar d += s); src advances
// by ss floats and dst by ds floats per row.
func addRows(bits int) {
	name := map[int]string{512: "addRows512", 256: "addRows256"}[bits]
	function(name, "func(rows, n int, src *float32, ss int, dst *float32, ds int)",
		name+" computes dst[r*ds+q] += src[r*ss+q] for r < rows, q < n.")
	l := &labels{fn: name}
	rows, ss, src, dst, ds := load("rows"), load("ss"), load("src"), load("dst"), load("ds")
	c.SHLQ(operand.U8(2), ss)
	c.SHLQ(operand.U8(2), ds)
	rowLoop, done := l.new("row"), l.new("done")
	c.TESTQ(rows, rows)
	c.JZ(operand.LabelRef(done))
	c.Label(rowLoop)
	n, s, d := c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("n"), n)
	c.MOVQ(src, s)
	c.MOVQ(dst, d)
	if bits == 512 {
		stream512(l, n, []reg.Register{s, d}, func(u int, m bool) {
			zs, zd := zmm(u), zmm(4+u)
			vload(s, u, m, zs)
			vload(d, u, m, zd)
			c.VADDPS(zs, zd, zd)
			vstore(zd, d, u, m)
		})
	} else {
		stream256(l, n, []reg.Register{s, d}, func(u int, m bool) {
			ys, yd := ymm(u), ymm(4+u)
			yload(s, u, m, ys)
			yload(d, u, m, yd)
			c.VADDPS(ys, yd, yd)
			ystore(yd, d, u, m)
		})
	}
	c.ADDQ(ss, src)
	c.ADDQ(ds, dst)
	c.DECQ(rows)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}
