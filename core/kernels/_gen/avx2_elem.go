package main

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Elementwise AVX2 kernels: the AVX-512 ones with 8-wide vectors; the tail
// of n mod 8 elements is one VMASKMOVPS load and store (mask in Y15), which
// touch no memory in the masked-off lanes.

// stream256 is stream512 for YMM: step(u, masked) handles vector u (byte
// offset 32*u); the masked step is given its lane mask in Y15.
func stream256(l *labels, n reg.GPVirtual, ptrs []reg.Register, step func(u int, masked bool)) {
	const unroll = 4
	loop4, loop1, tail, done := l.new("loop4"), l.new("loop1"), l.new("tail"), l.new("done")
	advance := func(bytes int) {
		for _, p := range ptrs {
			c.ADDQ(operand.U32(bytes), p)
		}
	}
	c.CMPQ(n, operand.U32(8*unroll))
	c.JL(operand.LabelRef(loop1))
	c.Label(loop4)
	for u := 0; u < unroll; u++ {
		step(u, false)
	}
	advance(32 * unroll)
	c.SUBQ(operand.U32(8*unroll), n)
	c.CMPQ(n, operand.U32(8*unroll))
	c.JGE(operand.LabelRef(loop4))

	c.Label(loop1)
	c.CMPQ(n, operand.U8(8))
	c.JL(operand.LabelRef(tail))
	step(0, false)
	advance(32)
	c.SUBQ(operand.U8(8), n)
	c.JMP(operand.LabelRef(loop1))

	c.Label(tail)
	c.TESTQ(n, n)
	c.JZ(operand.LabelRef(done))
	c.VMOVUPS(mem(laneMaskAddr(n), 0), reg.Y15)
	step(0, true)
	c.Label(done)
}

func yload(p reg.Register, u int, masked bool, y reg.VecPhysical) {
	if masked {
		c.VMASKMOVPS(mem(p, 32*u), reg.Y15, y)
	} else {
		c.VMOVUPS(mem(p, 32*u), y)
	}
}

func ystore(y reg.VecPhysical, p reg.Register, u int, masked bool) {
	if masked {
		c.VMASKMOVPS(y, reg.Y15, mem(p, 32*u))
	} else {
		c.VMOVUPS(y, mem(p, 32*u))
	}
}

func elem256() {
	function("axpy256", "func(n int, alpha float32, x, y *float32)",
		"axpy256 computes y[i] += alpha*x[i] (fused multiply-add) for i < n.")
	{
		l := &labels{fn: "axpy256"}
		n, x, y := load("n"), load("x"), load("y")
		ya := reg.Y14
		c.VBROADCASTSS(param("alpha"), ya)
		stream256(l, n, []reg.Register{x, y}, func(u int, m bool) {
			yx, yy := ymm(u), ymm(4+u)
			yload(x, u, m, yx)
			yload(y, u, m, yy)
			c.VFMADD231PS(yx, ya, yy)
			ystore(yy, y, u, m)
		})
		ret()
	}

	function("scale256", "func(n int, alpha float32, x *float32)",
		"scale256 computes x[i] *= alpha for i < n.")
	{
		l := &labels{fn: "scale256"}
		n, x := load("n"), load("x")
		ya := reg.Y14
		c.VBROADCASTSS(param("alpha"), ya)
		stream256(l, n, []reg.Register{x}, func(u int, m bool) {
			y := ymm(u)
			yload(x, u, m, y)
			c.VMULPS(ya, y, y)
			ystore(y, x, u, m)
		})
		ret()
	}

	function("mul256", "func(n int, x, y, z *float32)",
		"mul256 computes z[i] = x[i]*y[i] for i < n.")
	{
		l := &labels{fn: "mul256"}
		n, x, y, z := load("n"), load("x"), load("y"), load("z")
		stream256(l, n, []reg.Register{x, y, z}, func(u int, m bool) {
			yx, yy := ymm(u), ymm(4+u)
			yload(x, u, m, yx)
			yload(y, u, m, yy)
			c.VMULPS(yy, yx, yx)
			ystore(yx, z, u, m)
		})
		ret()
	}

	// See relu512 for the VMAXPS operand order and the +0.
	function("relu256", "func(n int, x, y *float32)",
		"relu256 computes y[i] = max(x[i], 0) for i < n (NaN propagates, -0 becomes +0).")
	{
		l := &labels{fn: "relu256"}
		n, x, y := load("n"), load("x"), load("y")
		zero := reg.Y14
		c.VXORPS(zero, zero, zero)
		stream256(l, n, []reg.Register{x, y}, func(u int, m bool) {
			v := ymm(u)
			yload(x, u, m, v)
			c.VMAXPS(v, zero, v)
			c.VADDPS(zero, v, v)
			ystore(v, y, u, m)
		})
		ret()
	}

	// dx = dy AND (x > 0 ? all ones : 0), ordered compare (NaN x gives 0).
	function("reluBackward256", "func(n int, x, dy, dx *float32)",
		"reluBackward256 computes dx[i] = dy[i] if x[i] > 0 else 0 for i < n.")
	{
		l := &labels{fn: "reluBackward256"}
		n, x, dy, dx := load("n"), load("x"), load("dy"), load("dx")
		zero := reg.Y14
		c.VXORPS(zero, zero, zero)
		stream256(l, n, []reg.Register{x, dy, dx}, func(u int, m bool) {
			yx, yd := ymm(u), ymm(4+u)
			yload(x, u, m, yx)
			yload(dy, u, m, yd)
			c.VCMPPS(operand.U8(0x1e), zero, yx, yx) // GT_OQ: x > 0
			c.VANDPS(yx, yd, yd)
			ystore(yd, dx, u, m)
		})
		ret()
	}

	// See dot512: four accumulators, leftovers and the tail into the first,
	// then a fixed reduction.
	function("dot256", "func(n int, x, y *float32) float32",
		"dot256 returns sum x[i]*y[i] for i < n, in an order fixed by n.")
	{
		l := &labels{fn: "dot256"}
		n, x, y := load("n"), load("x"), load("y")
		acc := func(u int) reg.VecPhysical { return ymm(8 + u) }
		for u := 0; u < 4; u++ {
			c.VXORPS(acc(u), acc(u), acc(u))
		}
		stream256(l, n, []reg.Register{x, y}, func(u int, m bool) {
			yx, yy := ymm(u), ymm(4+u)
			yload(x, u, m, yx)
			yload(y, u, m, yy)
			c.VFMADD231PS(yx, yy, acc(u))
		})
		c.VADDPS(acc(1), acc(0), acc(0))
		c.VADDPS(acc(3), acc(2), acc(2))
		c.VADDPS(acc(2), acc(0), acc(0))
		hsum256(acc(0), ymm(1))
		c.Store(acc(0).AsX(), c.ReturnIndex(0))
		ret()
	}

	addBias256()
	sumRows256()
}

// hsum256 reduces the 8 lanes of y into lane 0 of its XMM alias by halving.
func hsum256(y, t reg.VecPhysical) {
	x := y.AsX()
	c.VEXTRACTF128(operand.U8(1), y, t.AsX())
	c.VADDPS(t.AsX(), x, x)
	c.VMOVHLPS(x, x, t.AsX())
	c.VADDPS(t.AsX(), x, x)
	c.VMOVSHDUP(x, t.AsX())
	c.VADDSS(t.AsX(), x, x)
}

func addBias256() {
	name := "addBias256"
	function(name, "func(m, n int, bias, c *float32, ldc int)",
		"addBias256 computes c[i*ldc+j] += bias[j] for i < m, j < n.")
	l := &labels{fn: name}
	m, bias, pc, ldc := load("m"), load("bias"), load("c"), load("ldc")
	c.SHLQ(operand.U8(2), ldc)
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
		ystore(yc, p, u, msk)
	})
	c.ADDQ(ldc, pc)
	c.DECQ(m)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}

// sumRows256 is sumRows512 with strips of 64 columns (eight YMM chains),
// then 8, then one masked strip.
func sumRows256() {
	name := "sumRows256"
	function(name, "func(m, n int, a *float32, lda int, beta float32, out *float32, flags int)",
		"sumRows256 computes out[j] = beta*out[j] + sum_i a[i*lda+j] for j < n, rows in order.")
	l := &labels{fn: name}
	m, n, pa, lda, out, flags := load("m"), load("n"), load("a"), load("lda"), load("out"), load("flags")
	c.SHLQ(operand.U8(2), lda)
	ybeta := reg.Y14

	strip := func(width int, masked bool) {
		nv := (width + 7) / 8
		for v := 0; v < nv; v++ {
			c.VXORPS(ymm(v), ymm(v), ymm(v))
		}
		i, p := c.GP64(), c.GP64()
		c.MOVQ(m, i)
		c.MOVQ(pa, p)
		rows, merge := l.new("rows"), l.new("merge")
		c.TESTQ(i, i)
		c.JZ(operand.LabelRef(merge))
		c.Label(rows)
		for v := 0; v < nv; v++ {
			if masked {
				c.VMASKMOVPS(mem(p, 32*v), reg.Y15, ymm(8+v))
				c.VADDPS(ymm(8+v), ymm(v), ymm(v))
			} else {
				c.VADDPS(mem(p, 32*v), ymm(v), ymm(v))
			}
		}
		c.ADDQ(lda, p)
		c.DECQ(i)
		c.JNZ(operand.LabelRef(rows))
		c.Label(merge)
		store, one := l.new("store"), l.new("one")
		c.TESTQ(operand.U32(1), flags)
		c.JZ(operand.LabelRef(store))
		c.TESTQ(operand.U32(2), flags)
		c.JNZ(operand.LabelRef(one))
		c.VBROADCASTSS(param("beta"), ybeta)
		t := reg.Y13              // Y14 holds beta, Y15 the tail mask
		for v := 0; v < nv; v++ { // out = beta*out + s
			yload(out, v, masked, t)
			c.VFMADD231PS(t, ybeta, ymm(v))
		}
		c.JMP(operand.LabelRef(store))
		c.Label(one)
		for v := 0; v < nv; v++ { // out = out + s
			yload(out, v, masked, t)
			c.VADDPS(t, ymm(v), ymm(v))
		}
		c.Label(store)
		for v := 0; v < nv; v++ {
			ystore(ymm(v), out, v, masked)
		}
	}

	loop8, loop1, tail, done := l.new("loop8"), l.new("loop1"), l.new("tail"), l.new("done")
	c.Label(loop8)
	c.CMPQ(n, operand.U8(64))
	c.JL(operand.LabelRef(loop1))
	strip(64, false)
	c.ADDQ(operand.U32(256), pa)
	c.ADDQ(operand.U32(256), out)
	c.SUBQ(operand.U8(64), n)
	c.JMP(operand.LabelRef(loop8))
	c.Label(loop1)
	c.CMPQ(n, operand.U8(8))
	c.JL(operand.LabelRef(tail))
	strip(8, false)
	c.ADDQ(operand.U32(32), pa)
	c.ADDQ(operand.U32(32), out)
	c.SUBQ(operand.U8(8), n)
	c.JMP(operand.LabelRef(loop1))
	c.Label(tail)
	c.TESTQ(n, n)
	c.JZ(operand.LabelRef(done))
	c.VMOVUPS(mem(laneMaskAddr(n), 0), reg.Y15)
	strip(8, true)
	c.Label(done)
	ret()
}
