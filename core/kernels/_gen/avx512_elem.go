package main

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Elementwise AVX-512 kernels. They are memory-bound: the point is to move
// 64 bytes per load and store, keep four vectors in flight, and finish the
// n mod 16 tail with one masked vector instead of a scalar loop. Masked
// loads and stores suppress faults on the masked-off lanes, so the tail
// never touches memory past n.

// stream512 emits the loop skeleton over n floats: four vectors per
// iteration, then single vectors, then one masked vector (K1). step(u,
// masked) emits the work for vector u (byte offset 64*u from every
// pointer), masked by K1 in the tail. The pointers advance together.
func stream512(l *labels, n reg.GPVirtual, ptrs []reg.Register, step func(u int, masked bool)) {
	streamN512(l, n, ptrs, 4, step)
}

// streamN512 is stream512 with unroll vectors per iteration.
func streamN512(l *labels, n reg.GPVirtual, ptrs []reg.Register, unroll int, step func(u int, masked bool)) {
	loop4, loop1, tail, done := l.new("loop4"), l.new("loop1"), l.new("tail"), l.new("done")
	advance := func(bytes int) {
		for _, p := range ptrs {
			c.ADDQ(operand.U32(bytes), p)
		}
	}
	c.CMPQ(n, operand.U32(16*unroll))
	c.JL(operand.LabelRef(loop1))
	c.Label(loop4)
	for u := 0; u < unroll; u++ {
		step(u, false)
	}
	advance(64 * unroll)
	c.SUBQ(operand.U32(16*unroll), n)
	c.CMPQ(n, operand.U32(16*unroll))
	c.JGE(operand.LabelRef(loop4))

	c.Label(loop1)
	c.CMPQ(n, operand.U8(16))
	c.JL(operand.LabelRef(tail))
	step(0, false)
	advance(64)
	c.SUBQ(operand.U8(16), n)
	c.JMP(operand.LabelRef(loop1))

	c.Label(tail)
	c.TESTQ(n, n)
	c.JZ(operand.LabelRef(done))
	t := c.GP32()
	c.MOVL(operand.U32(0xffff), t)
	c.BZHIL(n.As32(), t, t)
	c.KMOVW(t, reg.K1)
	step(0, true)
	c.Label(done)
}

// vload loads vector u of p into z (zero-masked by K1 in the tail).
func vload(p reg.Register, u int, masked bool, z reg.VecPhysical) {
	if masked {
		c.VMOVUPS_Z(mem(p, 64*u), reg.K1, z)
	} else {
		c.VMOVUPS(mem(p, 64*u), z)
	}
}

// vstore stores z to vector u of p (masked by K1 in the tail).
func vstore(z reg.VecPhysical, p reg.Register, u int, masked bool) {
	if masked {
		c.VMOVUPS(z, reg.K1, mem(p, 64*u))
	} else {
		c.VMOVUPS(z, mem(p, 64*u))
	}
}

func elem512() {
	// y += alpha*x, one FMA per element.
	function("axpy512", "func(n int, alpha float32, x, y *float32)",
		"axpy512 computes y[i] += alpha*x[i] (fused multiply-add) for i < n.")
	{
		l := &labels{fn: "axpy512"}
		n, x, y := load("n"), load("x"), load("y")
		za := reg.Z31
		c.VBROADCASTSS(param("alpha"), za)
		stream512(l, n, []reg.Register{x, y}, func(u int, m bool) {
			zx, zy := zmm(u), zmm(4+u)
			vload(x, u, m, zx)
			vload(y, u, m, zy)
			c.VFMADD231PS(zx, za, zy)
			vstore(zy, y, u, m)
		})
		ret()
	}

	function("scale512", "func(n int, alpha float32, x *float32)",
		"scale512 computes x[i] *= alpha for i < n.")
	{
		l := &labels{fn: "scale512"}
		n, x := load("n"), load("x")
		za := reg.Z31
		c.VBROADCASTSS(param("alpha"), za)
		stream512(l, n, []reg.Register{x}, func(u int, m bool) {
			z := zmm(u)
			vload(x, u, m, z)
			c.VMULPS(za, z, z)
			vstore(z, x, u, m)
		})
		ret()
	}

	function("mul512", "func(n int, x, y, z *float32)",
		"mul512 computes z[i] = x[i]*y[i] for i < n.")
	{
		l := &labels{fn: "mul512"}
		n, x, y, z := load("n"), load("x"), load("y"), load("z")
		stream512(l, n, []reg.Register{x, y, z}, func(u int, m bool) {
			zx, zy := zmm(u), zmm(4+u)
			vload(x, u, m, zx)
			vload(y, u, m, zy)
			c.VMULPS(zy, zx, zx)
			vstore(zx, z, u, m)
		})
		ret()
	}

	// max(x, 0) with Go's semantics: VMAXPS returns its second (Intel)
	// source when either is NaN or both are zero, so x goes there (NaN
	// propagates), and adding +0 turns the -0 that max(-0, +0) then gives
	// into +0 without changing any other value.
	function("relu512", "func(n int, x, y *float32)",
		"relu512 computes y[i] = max(x[i], 0) for i < n (NaN propagates, -0 becomes +0).")
	{
		l := &labels{fn: "relu512"}
		n, x, y := load("n"), load("x"), load("y")
		zero := reg.Z31
		c.VPXORD(zero, zero, zero)
		stream512(l, n, []reg.Register{x, y}, func(u int, m bool) {
			z := zmm(u)
			vload(x, u, m, z)
			c.VMAXPS(z, zero, z)
			c.VADDPS(zero, z, z)
			vstore(z, y, u, m)
		})
		ret()
	}

	// dx = dy where x > 0 (ordered: NaN x gives 0), else +0: a compare into
	// a mask register and a zero-masking move.
	function("reluBackward512", "func(n int, x, dy, dx *float32)",
		"reluBackward512 computes dx[i] = dy[i] if x[i] > 0 else 0 for i < n.")
	{
		l := &labels{fn: "reluBackward512"}
		n, x, dy, dx := load("n"), load("x"), load("dy"), load("dx")
		zero := reg.Z31
		c.VPXORD(zero, zero, zero)
		kmask := []reg.OpmaskPhysical{reg.K2, reg.K3, reg.K4, reg.K5}
		stream512(l, n, []reg.Register{x, dy, dx}, func(u int, m bool) {
			zx, zd := zmm(u), zmm(4+u)
			vload(x, u, m, zx)
			vload(dy, u, m, zd)
			c.VCMPPS(operand.U8(0x1e), zero, zx, kmask[u]) // GT_OQ: x > 0
			c.VMOVAPS_Z(zd, kmask[u], zd)
			vstore(zd, dx, u, m)
		})
		ret()
	}

	// Dot: element i goes to lane i%16 of accumulator (i/16)%8 in the
	// unrolled loop; leftover whole vectors and the masked tail go to
	// accumulator 0. Eight accumulators keep 8 FMAs in flight (latency 4,
	// two pipes), so the loop is not bound by the add chain while the data
	// comes from L1 or L2. They are combined as ((a0+a1)+(a2+a3)) +
	// ((a4+a5)+(a6+a7)) and the lanes by halving (256, 128, 64, 32 bits).
	// Every step depends on n alone, so the result is reproducible.
	function("dot512", "func(n int, x, y *float32) float32",
		"dot512 returns sum x[i]*y[i] for i < n, in an order fixed by n.")
	{
		l := &labels{fn: "dot512"}
		n, x, y := load("n"), load("x"), load("y")
		acc := func(u int) reg.VecPhysical { return zmm(16 + u) }
		for u := 0; u < 8; u++ {
			c.VPXORD(acc(u), acc(u), acc(u))
		}
		streamN512(l, n, []reg.Register{x, y}, 8, func(u int, m bool) {
			zx, zy := zmm(u), zmm(8+u)
			vload(x, u, m, zx)
			vload(y, u, m, zy)
			c.VFMADD231PS(zx, zy, acc(u))
		})
		for u := 0; u < 8; u += 2 {
			c.VADDPS(acc(u+1), acc(u), acc(u))
		}
		c.VADDPS(acc(2), acc(0), acc(0))
		c.VADDPS(acc(6), acc(4), acc(4))
		c.VADDPS(acc(4), acc(0), acc(0))
		// The VEX instructions of the reduction reach only registers 0-15.
		c.VMOVAPS(acc(0), zmm(0))
		hsum512(zmm(0), zmm(1))
		c.Store(reg.X0, c.ReturnIndex(0))
		ret()
	}

	addBias512()
	sumRows512()
}

// hsum512 reduces the 16 lanes of z into lane 0 of its XMM alias, by
// halving: z[0:8]+z[8:16], then 4, 2, 1.
func hsum512(z, t reg.VecPhysical) {
	x := z.AsX()
	y := z.AsY()
	c.VEXTRACTF32X8(operand.U8(1), z, t.AsY())
	c.VADDPS(t.AsY(), y, y)
	c.VEXTRACTF128(operand.U8(1), y, t.AsX())
	c.VADDPS(t.AsX(), x, x)
	c.VMOVHLPS(x, x, t.AsX())
	c.VADDPS(t.AsX(), x, x)
	c.VMOVSHDUP(x, t.AsX())
	c.VADDSS(t.AsX(), x, x)
}

// addBias512: C[i, j] += bias[j] row by row. The bias row stays in L1.
func addBias512() {
	name := "addBias512"
	function(name, "func(m, n int, bias, c *float32, ldc int)",
		"addBias512 computes c[i*ldc+j] += bias[j] for i < m, j < n.")
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
	stream512(l, n, []reg.Register{b, p}, func(u int, msk bool) {
		zb, zc := zmm(u), zmm(4+u)
		vload(b, u, msk, zb)
		vload(p, u, msk, zc)
		c.VADDPS(zb, zc, zc)
		vstore(zc, p, u, msk)
	})
	c.ADDQ(ldc, pc)
	c.DECQ(m)
	c.JNZ(operand.LabelRef(rowLoop))
	c.Label(done)
	ret()
}

// sumRows512: out[j] = beta*out[j] + sum_i a[i, j], the rows added in order
// i = 0..m-1 starting from +0 (the same order as the generic kernel). Columns
// go in strips of 128 (eight ZMM accumulators, so eight independent add
// chains), then 16, then one masked strip. flags bit 0: read out (beta != 0);
// bit 1: beta == 1 (plain add).
func sumRows512() {
	name := "sumRows512"
	function(name, "func(m, n int, a *float32, lda int, beta float32, out *float32, flags int)",
		"sumRows512 computes out[j] = beta*out[j] + sum_i a[i*lda+j] for j < n, rows in order.")
	l := &labels{fn: name}
	m, n, pa, lda, out, flags := load("m"), load("n"), load("a"), load("lda"), load("out"), load("flags")
	c.SHLQ(operand.U8(2), lda)
	zbeta := reg.Z31
	c.VBROADCASTSS(param("beta"), zbeta)

	strip := func(width int, masked bool) {
		nv := (width + 15) / 16
		for v := 0; v < nv; v++ {
			c.VPXORD(zmm(v), zmm(v), zmm(v))
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
				c.VADDPS_Z(mem(p, 64*v), zmm(v), reg.K1, zmm(v))
			} else {
				c.VADDPS(mem(p, 64*v), zmm(v), zmm(v))
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
		for v := 0; v < nv; v++ { // out = beta*out + s
			vload(out, v, masked, zmm(16+v))
			c.VFMADD231PS(zmm(16+v), zbeta, zmm(v))
		}
		c.JMP(operand.LabelRef(store))
		c.Label(one)
		for v := 0; v < nv; v++ { // out = out + s
			vload(out, v, masked, zmm(16+v))
			c.VADDPS(zmm(16+v), zmm(v), zmm(v))
		}
		c.Label(store)
		for v := 0; v < nv; v++ {
			vstore(zmm(v), out, v, masked)
		}
	}

	loop8, loop1, tail, done := l.new("loop8"), l.new("loop1"), l.new("tail"), l.new("done")
	c.Label(loop8)
	c.CMPQ(n, operand.U32(128))
	c.JL(operand.LabelRef(loop1))
	strip(128, false)
	c.ADDQ(operand.U32(512), pa)
	c.ADDQ(operand.U32(512), out)
	c.SUBQ(operand.U32(128), n)
	c.JMP(operand.LabelRef(loop8))
	c.Label(loop1)
	c.CMPQ(n, operand.U8(16))
	c.JL(operand.LabelRef(tail))
	strip(16, false)
	c.ADDQ(operand.U32(64), pa)
	c.ADDQ(operand.U32(64), out)
	c.SUBQ(operand.U8(16), n)
	c.JMP(operand.LabelRef(loop1))
	c.Label(tail)
	c.TESTQ(n, n)
	c.JZ(operand.LabelRef(done))
	t := c.GP32()
	c.MOVL(operand.U32(0xffff), t)
	c.BZHIL(n.As32(), t, t)
	c.KMOVW(t, reg.K1)
	strip(16, true)
	c.Label(done)
	ret()
}
