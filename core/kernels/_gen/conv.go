package main

import (
	"github.com/mmcloughlin/avo/attr"
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

// col2imChan emits col2imChan<bits>, Col2im of one channel for strides of
// 1: for every image row y and pixel x < w, the pixel is loaded once, the
// entries of every kernel row i (output row oy = y+ph-i, 0 <= oy < oh) and
// tap j (column x+pw-j, 0 <= x+pw-j < ow) are added to it in the order of
// Col2im's loops, i then j, and it is stored once. Adding tap by tap (a
// vector row add per tap and output row) instead, each load overlapped
// recent stores one float or one row off, which the store buffer cannot
// forward, and col2im ran at a third of im2col's speed. Lanes a tap does
// not reach are left alone (a masked add or a blend, never + 0, which
// would turn -0 into +0).
func col2imChan(bits int) {
	name := map[int]string{512: "col2imChan512", 256: "col2imChan256"}[bits]
	lanes := bits / 32
	function(name, "func(h, w, kh, kw, ph, oh, ow int, src *float32, ld int, dst *float32, taps *int64)",
		name+" adds the column rows src (kh*kw rows of oh x ow, ld apart) of one channel",
		"onto its h x w image dst, strides 1, padding ph, in Col2im's order; taps[chunk*kw+j]",
		"is tap j's lane mask and byte offset for the chunk of pixels chunk*lanes...")
	l := &labels{fn: name}
	rowLoop, chunkLoop, iLoop, iNext, jLoop, store, done := l.new("row"), l.new("chunk"), l.new("i"),
		l.new("inext"), l.new("j"), l.new("store"), l.new("done")
	var iota reg.VecPhysical
	if bits == 256 {
		iota = ymm(14)
		c.VMOVDQU(laneIota, iota)
	}
	y, pdRow := c.GP64(), c.GP64()
	c.XORQ(y, y)
	c.Load(c.Param("dst"), pdRow)
	c.CMPQ(y, param("h"))
	c.JGE(operand.LabelRef(done))
	c.Label(rowLoop)
	x0, tc := c.GP64(), c.GP64()
	c.XORQ(x0, x0)
	c.Load(c.Param("taps"), tc)
	c.Label(chunkLoop)
	// rem = min(w - x0, lanes): the pixels of this chunk.
	rem, t := c.GP64(), c.GP64()
	c.Load(c.Param("w"), rem)
	c.SUBQ(x0, rem)
	c.MOVQ(operand.U32(lanes), t)
	c.CMPQ(rem, t)
	c.CMOVQGT(t, rem)
	pd := c.GP64()
	c.LEAQ(memi(pdRow, x0, 4, 0), pd)
	acc, tmp := vec(bits, 0), vec(bits, 1)
	var kd, km reg.VecPhysical // AVX2 lane masks; kd: the chunk's pixels
	if bits == 512 {
		m := c.GP32()
		c.MOVL(operand.U32(0xffff), m)
		c.BZHIL(rem.As32(), m, m)
		c.KMOVW(m, reg.K2)
		c.VMOVUPS_Z(mem(pd, 0), reg.K2, acc)
	} else {
		kd, km = ymm(2), ymm(3)
		rangeMask256(iota, nil, rem, kd, ymm(4))
		c.VMASKMOVPS(mem(pd, 0), kd, acc)
	}
	i := c.GP64()
	c.XORQ(i, i)
	c.Label(iLoop)
	{
		// oy = y + ph - i; below 0 it stays below for larger i.
		oy := c.GP64()
		c.MOVQ(y, oy)
		c.ADDQ(param("ph"), oy)
		c.SUBQ(i, oy)
		c.JL(operand.LabelRef(store))
		c.CMPQ(oy, param("oh"))
		c.JGE(operand.LabelRef(iNext))
		// sj = src + 4*(i*kw*ld + oy*ow): tap 0 of kernel row i, output row oy.
		sj, t2 := c.GP64(), c.GP64()
		c.MOVQ(i, sj)
		c.IMULQ(param("kw"), sj)
		c.IMULQ(param("ld"), sj)
		c.MOVQ(oy, t2)
		c.IMULQ(param("ow"), t2)
		c.ADDQ(t2, sj)
		c.SHLQ(operand.U8(2), sj)
		c.ADDQ(param("src"), sj)
		j, tp, ldb := c.GP64(), c.GP64(), c.GP64()
		c.XORQ(j, j)
		c.MOVQ(tc, tp)
		c.Load(c.Param("ld"), ldb)
		c.SHLQ(operand.U8(2), ldb)
		c.Label(jLoop)
		off := c.GP64()
		c.MOVQ(mem(tp, 32), off)
		if bits == 512 {
			c.KMOVW(mem(tp, 40), reg.K3)
			c.VMOVUPS_Z(memi(sj, off, 1, 0), reg.K3, tmp)
			c.VADDPS(tmp, acc, reg.K3, acc)
		} else {
			c.VMOVUPS(mem(tp, 0), km)
			c.VMASKMOVPS(memi(sj, off, 1, 0), km, tmp)
			c.VADDPS(tmp, acc, tmp)
			c.VBLENDVPS(km, tmp, acc, acc)
		}
		c.ADDQ(ldb, sj)
		c.ADDQ(operand.U8(48), tp)
		c.INCQ(j)
		c.CMPQ(j, param("kw"))
		c.JL(operand.LabelRef(jLoop))
	}
	c.Label(iNext)
	c.INCQ(i)
	c.CMPQ(i, param("kh"))
	c.JL(operand.LabelRef(iLoop))
	c.Label(store)
	if bits == 512 {
		c.VMOVUPS(acc, reg.K2, mem(pd, 0))
	} else {
		c.VMASKMOVPS(acc, kd, mem(pd, 0))
	}
	c.ADDQ(operand.U32(lanes), x0)
	{
		st := c.GP64()
		c.Load(c.Param("kw"), st)
		c.IMUL3Q(operand.U8(48), st, st)
		c.ADDQ(st, tc)
	}
	c.CMPQ(x0, param("w"))
	c.JL(operand.LabelRef(chunkLoop))
	{
		st := c.GP64()
		c.Load(c.Param("w"), st)
		c.SHLQ(operand.U8(2), st)
		c.ADDQ(st, pdRow)
	}
	c.INCQ(y)
	c.CMPQ(y, param("h"))
	c.JL(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}

func vec(bits, i int) reg.VecPhysical {
	if bits == 512 {
		return zmm(i)
	}
	return ymm(i)
}

var laneIota operand.Mem

// laneIotaTable emits the dwords 0, 1, ..., 7 (lane indices of a YMM).
func laneIotaTable() {
	laneIota = c.StaticGlobal("laneIota")
	c.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := 0; i < 8; i++ {
		c.AddDatum(4*i, operand.U32(uint32(i)))
	}
}

// rangeMask256 sets mask to the VMASKMOVPS lane mask of lanes [lo, hi)
// (lo nil: 0), from the lane indices in iota; t is a scratch register.
func rangeMask256(iota reg.VecPhysical, lo, hi reg.Register, mask, t reg.VecPhysical) {
	// hi > lane
	c.VMOVQ(hi, reg.X15)
	c.VPBROADCASTD(reg.X15, mask)
	c.VPCMPGTD(iota, mask, mask)
	if lo == nil {
		return
	}
	// lane > lo-1, i.e. lane >= lo
	c.VMOVQ(lo, reg.X15)
	c.VPBROADCASTD(reg.X15, t)
	c.VPCMPGTD(iota, t, t)  // lo > lane
	c.VPANDN(mask, t, mask) // mask &^ (lo > lane)
}
