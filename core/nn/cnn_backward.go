package nn

import (
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/internal/par"
)

// cnnBackward propagates b.grad[last] (set by head) back through the node
// program, with the contract of backward: ReLU (and dropout) masks are
// applied in place, so that afterwards b.grad[i+1] holds the gradient at
// node i's output before its ReLU; the parameter gradient goes to grad
// (beta 0 overwrites, 1 adds) when grad is set; the input gradient to input
// when set.
func (m *Model) cnnBackward(b *bufs, n int, dropScale float32, grad []float32, beta float32, input []float32) {
	m.cnnBackwardHook(b, n, dropScale, grad, beta, input, nil)
}

// cnnBackwardHook is cnnBackward calling hook(i+1, g), when hook is set,
// with buffer i+1's complete gradient g (the gradient with respect to node
// i's output after its ReLU, before any mask is applied) just before node
// i is differentiated: every reader of buffer i+1 comes later in the
// program, so its contributions are all in by then.
func (m *Model) cnnBackwardHook(b *bufs, n int, dropScale float32, grad []float32, beta float32, input []float32, hook func(buf int, g []float32)) {
	c := m.a.cnn
	s := m.cnnScratch()
	for i := len(c.nodes) - 1; i >= 0; i-- {
		nd := &c.nodes[i]
		g := b.grad[i+1][:n*nd.out.size()]
		if hook != nil {
			hook(i+1, g)
		}
		// A convolution masks its signal group by group while it is in
		// cache (the same values: the mask is elementwise), unless the
		// node that reads its output did so while writing it (premask).
		var mask []float32
		if nd.kind == nodeConv && nd.relu && !(nd.drop && dropScale != 1) {
			if !premasked(c, i+1, dropScale) {
				mask = b.act[i+1]
			}
		} else if nd.relu {
			kernels.ReluBackward(len(g), b.act[i+1], g, g)
			if nd.drop && dropScale != 1 {
				kernels.Scale(len(g), dropScale, g)
			}
		}
		x := b.act[nd.src]
		dst := m.gradBuf(b, nd.src, input)
		// maskDst: apply the source's ReLU mask (its output x) to dst.
		maskDst := dst != nil && premasked(c, nd.src, dropScale)
		switch nd.kind {
		case nodeConv:
			var dw []float32
			if grad != nil {
				dw = grad[nd.w:]
			}
			var db []float32
			if grad != nil && nd.b >= 0 {
				db = grad[nd.b:]
			}
			convBackwardPar(nd, m.params[nd.w:], x, g, n, dw, db, beta, dst, nd.srcBeta, s.works(c), mask, maskDst)
		case nodeDense:
			in, out := nd.in.size(), nd.out.c
			if grad != nil {
				kernels.Gemm(true, false, out, in, n, 1, g, out, x, in, beta, grad[nd.w:nd.b], in)
				kernels.SumRows(n, out, g, out, beta, grad[nd.b:nd.b+out])
			}
			if dst != nil {
				kernels.Gemm(false, false, n, in, out, 1, g, out, m.params[nd.w:nd.b], in,
					nd.srcBeta, dst[:n*in], in)
			}
		case nodeBN:
			m.bnBackward(nd, x, g, n, grad, beta, dst, s)
		case nodeMaxPool:
			if dst != nil {
				maxPoolBackward(nd, x, g, n, nd.srcBeta, dst, maskDst)
			}
		case nodeGAP:
			if dst != nil {
				gapBackward(nd, g, n, nd.srcBeta, dst)
			}
		case nodeAdd:
			if dst != nil {
				accumulateInto(dst[:len(g)], g, nd.srcBeta)
			}
			if d := m.gradBuf(b, nd.skip, input); d != nil {
				accumulateInto(d[:len(g)], g, nd.skipBeta)
			}
		}
	}
}

// premasked reports whether the gradient of buffer buf (buf >= 1, the output
// of node buf-1) gets its ReLU mask from its one reader's backward pass
// (cnode.maskSrc) rather than from its producer's: so when the producer
// is a convolution with a ReLU that no dropout follows in this pass, and
// the reader writes the gradient with beta 0.
func premasked(c *cnnArch, buf int, dropScale float32) bool {
	if buf < 1 || !cnnPremask {
		return false
	}
	p := &c.nodes[buf-1]
	if !p.relu || p.kind != nodeConv || (p.drop && dropScale != 1) {
		return false
	}
	for i := buf; i < len(c.nodes); i++ {
		if r := &c.nodes[i]; r.src == buf {
			return r.maskSrc && r.srcBeta == 0
		}
	}
	return false
}

// cnnPremask switches premasked on; tests turn it off to compare.
var cnnPremask = true

// convBackward, for the n examples of input x and output signal g, sets
// (wbeta 0) or adds to dw the weight gradient sum_e g_e col(x_e)^T when dw
// is set, and sets (dbeta 0) or adds to dst the input gradient
// col2im(w^T g_e) when dst is set; by groups of examples as convForward,
// with g gathered channel-major into gbuf. With mask set, g is first passed
// through ReluBackward with the ReLU output mask, in place, group by group.
func convBackward(nd *cnode, w, x, g []float32, n int, dw []float32, wbeta float32,
	dst []float32, dbeta float32, col, dcol, gbuf, mask []float32) {
	if dw == nil && dst == nil {
		if mask != nil {
			kernels.ReluBackward(len(g), mask, g, g)
		}
		return
	}
	geo := nd.geom
	k, p, co := geo.Rows(), geo.Cols(), nd.out.c
	is, os := nd.in.size(), nd.out.size()
	gr := convGroup(geo, n)
	for e0 := 0; e0 < n; e0 += gr {
		gn := min(gr, n-e0)
		ld := gn * p
		if mask != nil {
			ge := g[e0*os : (e0+gn)*os]
			kernels.ReluBackward(len(ge), mask[e0*os:], ge, ge)
		}
		gb := gbuf
		if gn == 1 {
			// One example's signal is already channel-major.
			gb = g[e0*os : (e0+1)*os]
		} else {
			perExample(gn, co*p, func(j int) {
				ge := g[(e0+j)*os : (e0+j+1)*os]
				for c := 0; c < co; c++ {
					copy(gbuf[c*ld+j*p:][:p], ge[c*p:(c+1)*p])
				}
			})
		}
		if dw != nil {
			im2colGroup(geo, x[e0*is:], is, gn, col, ld)
			bt := wbeta
			if e0 > 0 {
				bt = 1
			}
			kernels.Gemm(false, true, co, k, ld, 1, gb, ld, col, ld, bt, dw[:co*k], k)
		}
		if dst != nil {
			kernels.Gemm(true, false, k, ld, co, 1, w, k, gb, ld, 0, dcol, ld)
			col2imGroup(geo, dcol, ld, gn, dbeta, dst[e0*is:], is)
		}
	}
}

// convBackwardPar is convBackward with the groups' ReLU masks and input
// gradients (dcol GEMM and col2im) run in parallel, each group on one
// goroutine, when there are several; the weight gradient, a sum over the
// groups in order, then runs by chunks of input channels (convWeightGrad)
// or, for layers with few input channels, group by group as in
// convBackward. Every value is computed as convBackward computes it, so the
// result is the same for any GOMAXPROCS. With db set, it also sets (wbeta
// 0) or adds to db the bias gradient, channelSums of the masked g. With
// maskDst, the input gradient gets the ReLU mask of x (see premasked).
func convBackwardPar(nd *cnode, w, x, g []float32, n int, dw, db []float32, wbeta float32,
	dst []float32, dbeta float32, works []convWork, mask []float32, maskDst bool) {
	if !(dw != nil && convWeightGradChunked && nd.geom.C >= weightGradChannels) {
		convBackwardGroups(nd, w, x, g, n, dw, wbeta, dst, dbeta, works, mask, maskDst)
		if db != nil {
			channelSums(n, nd.out, g, wbeta, db) // g is masked now
		}
		return
	}
	// The masks and the input gradient by groups, then the weight and bias
	// gradients by channel chunks.
	convBackwardGroups(nd, w, x, g, n, nil, 0, dst, dbeta, works, mask, maskDst)
	convWeightGrad(nd, x, g, n, dw, db, wbeta, works)
}

// convBackwardGroups is convBackwardPar without the bias gradient, by
// groups of examples. With maskDst (and dbeta 0) each example's input
// gradient is passed through ReluBackward with x as the mask right after
// its col2im.
func convBackwardGroups(nd *cnode, w, x, g []float32, n int, dw []float32, wbeta float32,
	dst []float32, dbeta float32, works []convWork, mask []float32, maskDst bool) {
	geo := nd.geom
	k, p, co := geo.Rows(), geo.Cols(), nd.out.c
	is, os := nd.in.size(), nd.out.size()
	gr := convGroup(geo, n)
	groups := (n + gr - 1) / gr
	if groups < 2 || len(works) < 2 || (dw == nil && dst == nil) {
		convBackward(nd, w, x, g, n, dw, wbeta, dst, dbeta, works[0].col, works[0].dcol, works[0].ybuf, mask)
		if maskDst && dst != nil {
			d := dst[:n*is]
			kernels.ReluBackward(len(d), x, d, d)
		}
		return
	}
	// gather returns group e0's signal channel-major, in buf unless it is
	// one example (already channel-major).
	gather := func(e0, gn int, buf []float32) []float32 {
		if gn == 1 {
			return g[e0*os : (e0+1)*os]
		}
		ld := gn * p
		for j := 0; j < gn; j++ {
			ge := g[(e0+j)*os : (e0+j+1)*os]
			for c := 0; c < co; c++ {
				copy(buf[c*ld+j*p:][:p], ge[c*p:(c+1)*p])
			}
		}
		return buf
	}
	par.Tasks(groups, len(works), func(wk, gi int) {
		cw := &works[wk]
		e0 := gi * gr
		gn := min(gr, n-e0)
		ld := gn * p
		if mask != nil {
			ge := g[e0*os : (e0+gn)*os]
			kernels.ReluBackward(len(ge), mask[e0*os:], ge, ge)
		}
		if dst == nil {
			return
		}
		gb := gather(e0, gn, cw.ybuf)
		kernels.GemmSerial(true, false, k, ld, co, 1, w, k, gb, ld, 0, cw.dcol, ld)
		for j := 0; j < gn; j++ {
			d := dst[(e0+j)*is : (e0+j+1)*is]
			kernels.Col2im(geo, cw.dcol[j*p:], ld, dbeta, d)
			if maskDst {
				kernels.ReluBackward(len(d), x[(e0+j)*is:], d, d)
			}
		}
	})
	if dw == nil {
		return
	}
	for e0 := 0; e0 < n; e0 += gr {
		gn := min(gr, n-e0)
		ld := gn * p
		var gb []float32
		if gn == 1 {
			gb = gather(e0, 1, nil)
		} else {
			gb = works[0].ybuf
			perExample(gn, co*p, func(j int) {
				ge := g[(e0+j)*os : (e0+j+1)*os]
				for c := 0; c < co; c++ {
					copy(gb[c*ld+j*p:][:p], ge[c*p:(c+1)*p])
				}
			})
		}
		im2colGroup(geo, x[e0*is:], is, gn, works[0].col, ld)
		bt := wbeta
		if e0 > 0 {
			bt = 1
		}
		kernels.Gemm(false, true, co, k, ld, 1, gb, ld, works[0].col, ld, bt, dw[:co*k], k)
	}
}

// convWeightGradChunked switches convBackwardPar's weight gradient to
// convWeightGrad (by chunks of input channels) where a layer has at least
// weightGradChannels input channels; tests turn it off to compare with the
// group-by-group loop.
var convWeightGradChunked = true

// weightGradChannels is the fewest input channels per task of
// convWeightGrad (8 channels of a 3x3 kernel are 72 columns of dw, nine
// 8-row tiles of the transposed-C GEMM); layers with fewer input channels
// keep the group-by-group loop, whose GEMMs are parallel inside.
const weightGradChannels = 8

// weightGradChunks is the number of channel chunks of convWeightGrad on
// workers goroutines: one per worker (at least weightGradChannels channels
// each), because every chunk's GEMMs pack the whole signal (the
// transposed-C path packs g^T), so more chunks cost more packing. The
// chunks decide which goroutine computes which columns of dw, never a
// value, so they may depend on GOMAXPROCS.
func weightGradChunks(g kernels.ConvGeom, workers int) int {
	return max(1, min(workers, g.C/weightGradChannels))
}

// convWeightGrad sets (wbeta 0) or adds to dw the weight gradient sum_e g_e
// col(x_e)^T of the n examples (g already masked), and to db (when set) the
// bias gradient (channelSums of g), in parallel over chunks
// of input channels: a task owns the columns of dw of its channels and
// runs, for every group of examples in order, the im2col of just those
// channels and the group's GEMM into its columns (beta 1 after the first
// group), on its own goroutine. Each element of dw is thus the sum the
// group-by-group loop of convBackward makes: the same groups in the same
// order, each GEMM with the same k (the group's columns), and the GEMM's
// value of an element does not depend on the tile that computes it (see
// package kernels). One fork and join per layer replaces three per group.
// Task t also sums its share of the output channels, group by group while
// the group's signal is in cache, each channel's float64 sum in
// channelSums' order (examples, then pixels).
func convWeightGrad(nd *cnode, x, g []float32, n int, dw, db []float32, wbeta float32, works []convWork) {
	geo := nd.geom
	k, p, co := geo.Rows(), geo.Cols(), nd.out.c
	is, os := nd.in.size(), nd.out.size()
	rows, chw := geo.KH*geo.KW, geo.H*geo.W
	gr := convGroup(geo, n)
	chunks := weightGradChunks(geo, len(works))
	cs := (geo.C + chunks - 1) / chunks // input channels per chunk
	chunks = (geo.C + cs - 1) / cs
	cb := (co + chunks - 1) / chunks // output channels per task for db
	par.Tasks(chunks, len(works), func(wk, t int) {
		cw := &works[wk]
		b0, b1 := min(co, t*cb), min(co, (t+1)*cb)
		var sums []float64
		if db != nil {
			sums = make([]float64, b1-b0)
		}
		c0 := t * cs
		gc := geo
		gc.C = min(cs, geo.C-c0)
		nk := gc.C * rows
		for e0 := 0; e0 < n; e0 += gr {
			gn := min(gr, n-e0)
			ld := gn * p
			gb := g[e0*os : (e0+1)*os]
			if gn > 1 {
				gb = cw.ybuf[:co*ld]
				for j := 0; j < gn; j++ {
					ge := g[(e0+j)*os : (e0+j+1)*os]
					for c := 0; c < co; c++ {
						copy(gb[c*ld+j*p:][:p], ge[c*p:(c+1)*p])
					}
				}
			}
			for j := 0; j < gn; j++ {
				xe := x[(e0+j)*is:]
				kernels.Im2col(gc, xe[c0*chw:][:gc.C*chw], cw.col[j*p:], ld)
			}
			bt := wbeta
			if e0 > 0 {
				bt = 1
			}
			kernels.GemmSerial(false, true, co, nk, ld, 1, gb, ld, cw.col, ld, bt, dw[c0*rows:co*k], k)
			for j := 0; j < gn && sums != nil; j++ {
				addChannelRows(sums, g[(e0+j)*os:(e0+j+1)*os], b0, b1, p)
			}
		}
		for i, t := range sums {
			if wbeta == 0 {
				db[b0+i] = float32(t)
			} else {
				db[b0+i] += float32(t)
			}
		}
	})
}

// addChannelRows adds to acc[c-c0], in float64 and in index order, the p
// pixels of channel c of one example's signal ge, for c in [c0, c1): four
// channels' add chains side by side, as channelSums.
func addChannelRows(acc []float64, ge []float32, c0, c1, p int) {
	c := c0
	for ; c+4 <= c1; c += 4 {
		a := acc[c-c0 : c-c0+4]
		t0, t1, t2, t3 := a[0], a[1], a[2], a[3]
		r0 := ge[c*p:][:p]
		r1 := ge[(c+1)*p:][:len(r0)]
		r2 := ge[(c+2)*p:][:len(r0)]
		r3 := ge[(c+3)*p:][:len(r0)]
		for i, v := range r0 {
			t0 += float64(v)
			t1 += float64(r1[i])
			t2 += float64(r2[i])
			t3 += float64(r3[i])
		}
		a[0], a[1], a[2], a[3] = t0, t1, t2, t3
	}
	for ; c < c1; c++ {
		t := acc[c-c0]
		for _, v := range ge[c*p:][:p] {
			t += float64(v)
		}
		acc[c-c0] = t
	}
}

// bnBackward is the gradient of y = (x - mean) inv gamma + beta. In
// evaluation mode mean and inv are constants; in training mode they are the
// batch's, and the input gradient carries their derivatives:
// dx = gamma inv (g - mean(g) - xhat mean(g xhat)) per channel.
func (m *Model) bnBackward(nd *cnode, x, g []float32, n int, grad []float32, beta float32, dst []float32, s *cnnState) {
	c, hw := nd.in.c, nd.in.h*nd.in.w
	mean, inv := s.bnMean[nd.bn], s.bnInv[nd.bn]
	gamma := m.params[nd.w : nd.w+c]
	cnt := float64(n * hw)
	// By channel: each channel's sums keep their one order, and the
	// channels' gradient entries and input-gradient rows are disjoint.
	par.For(c, max(4, perExampleGrain/max(2*n*hw, 1)), func(lo, hi int) {
		// The sums of four channels at a time (float64 add chains are
		// latency-bound), each in its one order; then channel by channel.
		var sgs, sgxs [4]float64
		blk := -4 // first channel of the block in sgs, sgxs
		for ch := lo; ch < hi; ch++ {
			var sg, sgx float64
			mu, iv := mean[ch], inv[ch]
			if ch < blk+4 {
				sg, sgx = sgs[ch-blk], sgxs[ch-blk]
			} else if ch+4 <= hi {
				blk = ch
				var a0, a1, a2, a3, b0, b1, b2, b3 float64
				mu1, mu2, mu3 := mean[ch+1], mean[ch+2], mean[ch+3]
				iv1, iv2, iv3 := inv[ch+1], inv[ch+2], inv[ch+3]
				for e := 0; e < n; e++ {
					o := (e*c + ch) * hw
					g0 := g[o:][:hw]
					g1, g2, g3 := g[o+hw:][:len(g0)], g[o+2*hw:][:len(g0)], g[o+3*hw:][:len(g0)]
					x0 := x[o:][:len(g0)]
					x1, x2, x3 := x[o+hw:][:len(g0)], x[o+2*hw:][:len(g0)], x[o+3*hw:][:len(g0)]
					for i, v := range g0 {
						a0 += float64(v)
						b0 += float64(v) * float64((x0[i]-mu)*iv)
						a1 += float64(g1[i])
						b1 += float64(g1[i]) * float64((x1[i]-mu1)*iv1)
						a2 += float64(g2[i])
						b2 += float64(g2[i]) * float64((x2[i]-mu2)*iv2)
						a3 += float64(g3[i])
						b3 += float64(g3[i]) * float64((x3[i]-mu3)*iv3)
					}
				}
				sgs, sgxs = [4]float64{a0, a1, a2, a3}, [4]float64{b0, b1, b2, b3}
				sg, sgx = a0, b0
			} else {
				for e := 0; e < n; e++ {
					xr, gr := x[(e*c+ch)*hw:][:hw], g[(e*c+ch)*hw:][:hw]
					for i, v := range gr {
						sg += float64(v)
						sgx += float64(v) * float64((xr[i]-mu)*iv)
					}
				}
			}
			if grad != nil {
				if beta == 0 {
					grad[nd.w+ch], grad[nd.b+ch] = float32(sgx), float32(sg)
				} else {
					grad[nd.w+ch] += float32(sgx)
					grad[nd.b+ch] += float32(sg)
				}
			}
			if dst == nil {
				continue
			}
			sc := gamma[ch] * iv
			mg, mgx := float32(0), float32(0)
			if s.train {
				mg, mgx = float32(sg/cnt), float32(sgx/cnt)
			}
			for e := 0; e < n; e++ {
				xr, gr := x[(e*c+ch)*hw:][:hw], g[(e*c+ch)*hw:][:hw]
				d := dst[(e*c+ch)*hw:][:hw]
				for i, v := range gr {
					r := sc * (v - mg - (xr[i]-mu)*iv*mgx)
					if nd.srcBeta == 0 {
						d[i] = r
					} else {
						d[i] += r
					}
				}
			}
		}
	})
}
