package main

import (
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Im2col and Col2im of one channel for strides of 1 (see
// core/kernels/im2col.go). A stride-1 convolution's column matrix is made
// of short rows (an output row of a few dozen pixels) copied from, or added
// back onto, rows of the image; these kernels do all the rows of a channel
// in one call, a masked vector at a time, instead of a memmove call (or a
// scalar loop of adds) per row. They only copy values or add one value to
// another, so every implementation gives the same bits.

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

// im2colChan emits im2colChan<bits>, Im2col of one channel for strides of
// 1: for every kernel tap (i, j) and output row oy, the column row's pixels
// are one masked load per vector from the image row y = oy+i-ph (zero
// outside the image: the masked-off lanes read as 0) and one masked store,
// or zero stores where y is outside the image. taps[j*chunks+ci] (11 int64
// each) holds, for tap column j and the chunk ci of lanes output pixels:
// the AVX2 load mask (eight int32 lanes), the byte offset of the chunk's
// first pixel in the image row, the AVX-512 load mask, the AVX2 store mask
// (lanes below ow) and the AVX-512 store mask.
func im2colChan(bits int) {
	name := map[int]string{512: "im2colChan512", 256: "im2colChan256"}[bits]
	lanes := bits / 32
	function(name, "func(h, w, kh, kw, ph, oh, ow, chunks int, src *float32, dst *float32, ld int, taps *int64)",
		name+" writes the kh*kw column rows (oh x ow, ld apart) of one h x w channel src",
		"to dst, strides 1, padding ph (rows; the columns' padding is in taps), as Im2col.")
	l := &labels{fn: name}
	iLoop, jLoop, oyLoop, zeroRow, chunkLoop, zchunk, rowDone, done := l.new("i"), l.new("j"), l.new("oy"),
		l.new("zero"), l.new("chunk"), l.new("zchunk"), l.new("rowdone"), l.new("done")
	v, zr := vec(bits, 0), vec(bits, 1)
	if bits == 512 {
		c.VPXORD(zr, zr, zr)
	} else {
		c.VXORPS(zr, zr, zr)
	}
	i := c.GP64()
	c.XORQ(i, i)
	c.CMPQ(i, param("kh"))
	c.JGE(operand.LabelRef(done))
	c.Label(iLoop)
	j := c.GP64()
	c.XORQ(j, j)
	c.Label(jLoop)
	// Per tap: dRow = dst + 4*(i*kw + j)*ld (its column row), tpJ = taps +
	// 88*j*chunks (its chunks), y = i - ph and sRow = src + 4*y*w for oy = 0.
	dRow, tpJ, y, sRow := c.GP64(), c.GP64(), c.GP64(), c.GP64()
	c.MOVQ(i, dRow)
	c.IMULQ(param("kw"), dRow)
	c.ADDQ(j, dRow)
	c.IMULQ(param("ld"), dRow)
	c.SHLQ(operand.U8(2), dRow)
	c.ADDQ(param("dst"), dRow)
	c.MOVQ(j, tpJ)
	c.IMULQ(param("chunks"), tpJ)
	c.IMUL3Q(operand.U8(88), tpJ, tpJ)
	c.ADDQ(param("taps"), tpJ)
	c.MOVQ(i, y)
	c.SUBQ(param("ph"), y)
	c.MOVQ(y, sRow)
	c.IMULQ(param("w"), sRow)
	c.SHLQ(operand.U8(2), sRow)
	c.ADDQ(param("src"), sRow)
	oy := c.GP64()
	c.XORQ(oy, oy)
	c.Label(oyLoop)
	{
		d, tp, ci := c.GP64(), c.GP64(), c.GP64()
		c.MOVQ(dRow, d)
		c.MOVQ(tpJ, tp)
		c.XORQ(ci, ci)
		c.CMPQ(y, operand.U8(0))
		c.JL(operand.LabelRef(zeroRow))
		c.CMPQ(y, param("h"))
		c.JGE(operand.LabelRef(zeroRow))
		c.Label(chunkLoop)
		{
			off := c.GP64()
			c.MOVQ(mem(tp, 32), off)
			if bits == 512 {
				c.KMOVW(mem(tp, 40), reg.K1)
				c.KMOVW(mem(tp, 80), reg.K2)
				c.VMOVUPS_Z(memi(sRow, off, 1, 0), reg.K1, v)
				c.VMOVUPS(v, reg.K2, mem(d, 0))
			} else {
				lm, sm := ymm(2), ymm(3)
				c.VMOVUPS(mem(tp, 0), lm)
				c.VMOVUPS(mem(tp, 48), sm)
				c.VMASKMOVPS(memi(sRow, off, 1, 0), lm, v)
				c.VMASKMOVPS(v, sm, mem(d, 0))
			}
			c.ADDQ(operand.U8(88), tp)
			c.ADDQ(operand.U8(4*lanes), d)
			c.INCQ(ci)
			c.CMPQ(ci, param("chunks"))
			c.JL(operand.LabelRef(chunkLoop))
		}
		c.JMP(operand.LabelRef(rowDone))
		c.Label(zeroRow)
		c.Label(zchunk)
		if bits == 512 {
			c.KMOVW(mem(tp, 80), reg.K2)
			c.VMOVUPS(zr, reg.K2, mem(d, 0))
		} else {
			sm := ymm(3)
			c.VMOVUPS(mem(tp, 48), sm)
			c.VMASKMOVPS(zr, sm, mem(d, 0))
		}
		c.ADDQ(operand.U8(88), tp)
		c.ADDQ(operand.U8(4*lanes), d)
		c.INCQ(ci)
		c.CMPQ(ci, param("chunks"))
		c.JL(operand.LabelRef(zchunk))
	}
	c.Label(rowDone)
	{
		t := c.GP64()
		c.Load(c.Param("ow"), t)
		c.SHLQ(operand.U8(2), t)
		c.ADDQ(t, dRow)
		c.Load(c.Param("w"), t)
		c.SHLQ(operand.U8(2), t)
		c.ADDQ(t, sRow)
		c.INCQ(y)
	}
	c.INCQ(oy)
	c.CMPQ(oy, param("oh"))
	c.JL(operand.LabelRef(oyLoop))
	c.INCQ(j)
	c.CMPQ(j, param("kw"))
	c.JL(operand.LabelRef(jLoop))
	c.INCQ(i)
	c.CMPQ(i, param("kh"))
	c.JL(operand.LabelRef(iLoop))
	c.Label(done)
	ret()
}
