package main

import (
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// 2x2 max pooling (stride 2, floor mode) of one channel, AVX-512. A chunk
// of 16 outputs reads 32 floats of each of the window's two input rows and
// splits them into the windows' four values a, b (row 0, even and odd
// columns) and c, d (row 1) with VPERMT2PS. The winner is poolArg's: the
// first largest in the order a, b, c, d, a NaN beating any number and the
// first NaN winning: a value v replaces the current m where v > m or (v is
// NaN and m is not), exactly the generic Go code's test, so equal values
// (+0 and -0 included) keep the earlier one.

var poolIdx [4]operand.Mem // even, odd, interleave low half, interleave high half

func poolTables() {
	names := []string{"poolEven", "poolOdd", "poolLo", "poolHi"}
	for t := range poolIdx {
		poolIdx[t] = c.StaticGlobal(names[t])
		c.DataAttributes(attr.RODATA | attr.NOPTR)
		for l := 0; l < 16; l++ {
			var v int
			switch t {
			case 0:
				v = 2 * l
			case 1:
				v = 2*l + 1
			case 2:
				v = l/2 + 16*(l%2)
			case 3:
				v = 8 + l/2 + 16*(l%2)
			}
			c.AddDatum(4*l, operand.U32(uint32(v)))
		}
	}
}

// kmask sets k to the low n bits (n in [0, 16]) of a 16-bit mask.
func kmask(n reg.GPVirtual, k reg.Physical) {
	t := c.GP32()
	c.MOVL(operand.U32(0xffff), t)
	c.BZHIL(n.As32(), t, t)
	c.KMOVW(t, k)
}

// poolReplace emits m{cond} = v with cond = v > m | (isNaN(v) &^ isNaN(m)),
// leaving cond in k; t1 and t2 are scratch masks.
func poolReplace(v, m reg.VecPhysical, k, t1, t2 reg.Physical) {
	c.VCMPPS(operand.U8(0x1e), m, v, k)  // v > m, ordered (false on NaN)
	c.VCMPPS(operand.U8(0x03), v, v, t1) // v is NaN
	c.VCMPPS(operand.U8(0x03), m, m, t2) // m is NaN
	c.KANDNW(t1, t2, t1)                 // v NaN, m not
	c.KORW(t1, k, k)
	c.VMOVAPS(v, k, m)
}

// maxPool2 emits maxPool2Fwd512 (bwd false) or maxPool2Bwd512.
func maxPool2(bwd bool) {
	name := "maxPool2Fwd512"
	sig := "func(oh, ow int, x *float32, w int, y *float32)"
	doc := []string{name + " sets y[r*ow+k] to the max of the 2x2 window of x (row stride w) at (2r, 2k),",
		"for r < oh, k < ow, as poolArg picks it."}
	if bwd {
		name = "maxPool2Bwd512"
		sig = "func(oh, ow int, x *float32, w int, gy *float32, dst *float32)"
		doc = []string{name + " sets, for r < oh, k < ow, the 2x2 window at (2r, 2k) of dst (row stride w)",
			"to gy[r*ow+k] at the position poolArg picks in x and 0 elsewhere."}
	}
	function(name, sig, doc...)
	l := &labels{fn: name}
	oh, x, w := load("oh"), load("x"), load("w")
	var out, dst reg.GPVirtual
	if bwd {
		out, dst = load("gy"), load("dst")
	} else {
		out = load("y")
	}
	c.SHLQ(operand.U8(2), w)
	even, odd, ilo, ihi := reg.Z20, reg.Z21, reg.Z22, reg.Z23
	c.VMOVDQU32(poolIdx[0], even)
	c.VMOVDQU32(poolIdx[1], odd)
	if bwd {
		c.VMOVDQU32(poolIdx[2], ilo)
		c.VMOVDQU32(poolIdx[3], ihi)
	}
	rowLoop, chunkLoop, chunkDone, done := l.new("row"), l.new("chunk"), l.new("chunkdone"), l.new("done")
	c.TESTQ(oh, oh)
	c.JZ(operand.LabelRef(done))
	c.Label(rowLoop)
	k0 := c.GP64()
	c.XORQ(k0, k0)
	c.Label(chunkLoop)
	// rem = min(16, ow - k0) outputs; 2*rem inputs per row: na = min(16,
	// 2*rem) in the first vector, nb = 2*rem - na in the second.
	rem, t, na, nb := c.GP64(), c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("ow"), rem)
	c.SUBQ(k0, rem)
	c.MOVQ(operand.U32(16), t)
	c.CMPQ(rem, t)
	c.CMOVQGT(t, rem)
	c.LEAQ(memi(rem, rem, 1, 0), na)
	c.MOVQ(na, nb)
	c.CMPQ(na, t)
	c.CMOVQGT(t, na)
	c.SUBQ(na, nb)
	p0, p1 := c.GP64(), c.GP64()
	c.LEAQ(memi(x, k0, 8, 0), p0) // x + 2*k0 floats
	c.LEAQ(memi(p0, w, 1, 0), p1)
	a, b, cc, d := reg.Z0, reg.Z1, reg.Z2, reg.Z3
	lo0, hi0, lo1, hi1 := reg.Z4, reg.Z5, reg.Z6, reg.Z7
	kmask(na, reg.K1)
	c.VMOVUPS_Z(mem(p0, 0), reg.K1, lo0)
	c.VMOVUPS_Z(mem(p1, 0), reg.K1, lo1)
	kmask(nb, reg.K1)
	c.VMOVUPS_Z(mem(p0, 64), reg.K1, hi0)
	c.VMOVUPS_Z(mem(p1, 64), reg.K1, hi1)
	c.VMOVAPS(lo0, a)
	c.VPERMT2PS(hi0, even, a)
	c.VMOVAPS(lo0, b)
	c.VPERMT2PS(hi0, odd, b)
	c.VMOVAPS(lo1, cc)
	c.VPERMT2PS(hi1, even, cc)
	c.VMOVAPS(lo1, d)
	c.VPERMT2PS(hi1, odd, d)
	m := reg.Z8
	c.VMOVAPS(a, m)
	poolReplace(b, m, reg.K2, reg.K5, reg.K6)
	poolReplace(cc, m, reg.K3, reg.K5, reg.K6)
	poolReplace(d, m, reg.K4, reg.K5, reg.K6)
	po := c.GP64()
	c.LEAQ(memi(out, k0, 4, 0), po)
	if !bwd {
		kmask(rem, reg.K1)
		c.VMOVUPS(m, reg.K1, mem(po, 0))
	} else {
		// Winners: d where K4; c where K3 &^ K4; b where K2 &^ (K3|K4);
		// a elsewhere.
		kmask(rem, reg.K1)
		gv := reg.Z9
		c.VMOVUPS_Z(mem(po, 0), reg.K1, gv)
		c.VMOVAPS_Z(gv, reg.K4, d)
		c.KANDNW(reg.K3, reg.K4, reg.K5) // K3 &^ K4
		c.VMOVAPS_Z(gv, reg.K5, cc)
		c.KORW(reg.K3, reg.K4, reg.K6)
		c.KANDNW(reg.K2, reg.K6, reg.K5) // K2 &^ (K3|K4)
		c.VMOVAPS_Z(gv, reg.K5, b)
		c.KORW(reg.K2, reg.K6, reg.K6)
		c.KNOTW(reg.K6, reg.K6)
		c.VMOVAPS_Z(gv, reg.K6, a)
		// Interleave back: row 0 = a0 b0 a1 b1 ..., row 1 = c0 d0 ...
		c.VMOVAPS(a, lo0)
		c.VPERMT2PS(b, ilo, lo0)
		c.VMOVAPS(a, hi0)
		c.VPERMT2PS(b, ihi, hi0)
		c.VMOVAPS(cc, lo1)
		c.VPERMT2PS(d, ilo, lo1)
		c.VMOVAPS(cc, hi1)
		c.VPERMT2PS(d, ihi, hi1)
		q0, q1 := c.GP64(), c.GP64()
		c.LEAQ(memi(dst, k0, 8, 0), q0)
		c.LEAQ(memi(q0, w, 1, 0), q1)
		kmask(na, reg.K1)
		c.VMOVUPS(lo0, reg.K1, mem(q0, 0))
		c.VMOVUPS(lo1, reg.K1, mem(q1, 0))
		kmask(nb, reg.K1)
		c.VMOVUPS(hi0, reg.K1, mem(q0, 64))
		c.VMOVUPS(hi1, reg.K1, mem(q1, 64))
	}
	c.ADDQ(operand.U8(16), k0)
	c.CMPQ(k0, param("ow"))
	c.JL(operand.LabelRef(chunkLoop))
	c.Label(chunkDone)
	// Next row pair of the input (and dst), next output row.
	c.LEAQ(memi(x, w, 2, 0), x)
	if bwd {
		c.LEAQ(memi(dst, w, 2, 0), dst)
	}
	ob := c.GP64()
	c.Load(c.Param("ow"), ob)
	c.LEAQ(memi(out, ob, 4, 0), out)
	c.DECQ(oh)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}

// maxPool2AVX2 emits maxPool2Fwd256 or maxPool2Bwd256: maxPool2 with
// 8-wide vectors, VSHUFPS and VPERMPD to split the rows into the windows'
// values, vector masks and VBLENDVPS for the replacement, and VMASKMOVPS
// (lane masks from laneMask) for the partial chunks.
func maxPool2AVX2(bwd bool) {
	name := "maxPool2Fwd256"
	sig := "func(oh, ow int, x *float32, w int, y *float32)"
	doc := []string{name + " is maxPool2Fwd512 with AVX2."}
	if bwd {
		name = "maxPool2Bwd256"
		sig = "func(oh, ow int, x *float32, w int, gy *float32, dst *float32)"
		doc = []string{name + " is maxPool2Bwd512 with AVX2."}
	}
	function(name, sig, doc...)
	l := &labels{fn: name}
	oh, x, w := load("oh"), load("x"), load("w")
	var out, dst reg.GPVirtual
	if bwd {
		out, dst = load("gy"), load("dst")
	} else {
		out = load("y")
	}
	c.SHLQ(operand.U8(2), w)
	rowLoop, chunkLoop, done := l.new("row"), l.new("chunk"), l.new("done")
	c.TESTQ(oh, oh)
	c.JZ(operand.LabelRef(done))
	c.Label(rowLoop)
	k0 := c.GP64()
	c.XORQ(k0, k0)
	c.Label(chunkLoop)
	// rem = min(8, ow - k0) outputs; na = min(8, 2*rem), nb = 2*rem - na.
	rem, t, na, nb := c.GP64(), c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("ow"), rem)
	c.SUBQ(k0, rem)
	c.MOVQ(operand.U32(8), t)
	c.CMPQ(rem, t)
	c.CMOVQGT(t, rem)
	c.LEAQ(memi(rem, rem, 1, 0), na)
	c.MOVQ(na, nb)
	c.CMPQ(na, t)
	c.CMOVQGT(t, na)
	c.SUBQ(na, nb)
	p0, p1 := c.GP64(), c.GP64()
	c.LEAQ(memi(x, k0, 8, 0), p0)
	c.LEAQ(memi(p0, w, 1, 0), p1)
	ma, mb := ymm(12), ymm(13)
	c.VMOVUPS(mem(laneMaskAddr(na), 0), ma)
	c.VMOVUPS(mem(laneMaskAddr(nb), 0), mb)
	lo0, hi0, lo1, hi1 := ymm(4), ymm(5), ymm(6), ymm(7)
	c.VMASKMOVPS(mem(p0, 0), ma, lo0)
	c.VMASKMOVPS(mem(p1, 0), ma, lo1)
	c.VMASKMOVPS(mem(p0, 32), mb, hi0)
	c.VMASKMOVPS(mem(p1, 32), mb, hi1)
	a, b, cc, d := ymm(0), ymm(1), ymm(2), ymm(3)
	split := func(lo, hi, even, odd reg.VecPhysical) {
		c.VSHUFPS(operand.U8(0x88), hi, lo, even)
		c.VPERMPD(operand.U8(0xd8), even, even)
		c.VSHUFPS(operand.U8(0xdd), hi, lo, odd)
		c.VPERMPD(operand.U8(0xd8), odd, odd)
	}
	split(lo0, hi0, a, b)
	split(lo1, hi1, cc, d)
	m := ymm(8)
	c.VMOVAPS(a, m)
	replace := func(v, k reg.VecPhysical) {
		t1, t2 := ymm(14), ymm(15)
		c.VCMPPS(operand.U8(0x1e), m, v, k)  // v > m, ordered
		c.VCMPPS(operand.U8(0x03), v, v, t1) // v is NaN
		c.VCMPPS(operand.U8(0x03), m, m, t2) // m is NaN
		c.VANDNPS(t1, t2, t1)                // v NaN, m not
		c.VORPS(t1, k, k)
		c.VBLENDVPS(k, v, m, m)
	}
	kb, kc, kd := ymm(9), ymm(10), ymm(11)
	replace(b, kb)
	replace(cc, kc)
	replace(d, kd)
	po := c.GP64()
	c.LEAQ(memi(out, k0, 4, 0), po)
	mr := ymm(15)
	c.VMOVUPS(mem(laneMaskAddr(rem), 0), mr)
	if !bwd {
		c.VMASKMOVPS(m, mr, mem(po, 0))
	} else {
		gv, any := ymm(14), ymm(8)
		c.VMASKMOVPS(mem(po, 0), mr, gv)
		c.VANDPS(gv, kd, d)   // d wins where kd
		c.VANDNPS(kc, kd, cc) // kc &^ kd
		c.VANDPS(gv, cc, cc)  // c wins there
		c.VORPS(kc, kd, any)  // kc | kd
		c.VANDNPS(kb, any, b) // kb &^ (kc|kd)
		c.VANDPS(gv, b, b)    // b wins there
		c.VORPS(kb, any, any) // kb | kc | kd
		c.VANDNPS(gv, any, a) // a wins elsewhere
		il := func(p, q, lo, hi reg.VecPhysical) {
			t1, t2 := ymm(14), ymm(15)
			c.VUNPCKLPS(q, p, t1)
			c.VUNPCKHPS(q, p, t2)
			c.VPERM2F128(operand.U8(0x20), t2, t1, lo)
			c.VPERM2F128(operand.U8(0x31), t2, t1, hi)
		}
		il(a, b, lo0, hi0)
		il(cc, d, lo1, hi1)
		q0, q1 := c.GP64(), c.GP64()
		c.LEAQ(memi(dst, k0, 8, 0), q0)
		c.LEAQ(memi(q0, w, 1, 0), q1)
		c.VMASKMOVPS(lo0, ma, mem(q0, 0))
		c.VMASKMOVPS(lo1, ma, mem(q1, 0))
		c.VMASKMOVPS(hi0, mb, mem(q0, 32))
		c.VMASKMOVPS(hi1, mb, mem(q1, 32))
	}
	c.ADDQ(operand.U8(8), k0)
	c.CMPQ(k0, param("ow"))
	c.JL(operand.LabelRef(chunkLoop))
	c.LEAQ(memi(x, w, 2, 0), x)
	if bwd {
		c.LEAQ(memi(dst, w, 2, 0), dst)
	}
	ob := c.GP64()
	c.Load(c.Param("ow"), ob)
	c.LEAQ(memi(out, ob, 4, 0), out)
	c.DECQ(oh)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}
