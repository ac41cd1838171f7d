package nn

import (
	"math"

	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/internal/par"
)

// cnnState is what a convolutional model holds beyond its parameters: the
// BatchNorm running statistics (non-trainable state, outside Params) and
// scratch space.
type cnnState struct {
	state []float32 // running_mean, running_var of every BN node (see cnnArch.buffers)
	nbt   []int64   // num_batches_tracked of every BN node
	train bool      // the pass under way is in training mode (BN batch statistics)

	col, dcol     []float32   // im2col scratch of one group of examples
	cw            []convWork  // per-goroutine scratch of groups run in parallel
	ybuf          []float32   // a convolution's output (or signal) for one group, channel-major
	bnMean, bnInv [][]float32 // per BN node: the mean and 1/std the pass normalised with
	tw            []*cnnTangentWork
}

func newCNNState(c *cnnArch) *cnnState {
	s := &cnnState{state: make([]float32, c.nstate), nbt: make([]int64, c.nbn)}
	for _, n := range c.nodes {
		if n.kind == nodeBN {
			v := s.state[n.stat+n.in.c : n.stat+2*n.in.c]
			for i := range v {
				v[i] = 1 // PyTorch starts running_var at 1
			}
		}
	}
	return s
}

// clone copies the running statistics; scratch space is not shared.
func (s *cnnState) clone() *cnnState {
	if s == nil {
		return nil
	}
	return &cnnState{state: append([]float32(nil), s.state...), nbt: append([]int64(nil), s.nbt...)}
}

// scratch makes sure the per-example im2col buffers and BN statistics exist.
func (m *Model) cnnScratch() *cnnState {
	c, s := m.a.cnn, m.cs
	if len(s.col) < c.maxCol {
		s.col, s.dcol = make([]float32, c.maxCol), make([]float32, c.maxCol)
	}
	if len(s.ybuf) < c.maxOut {
		s.ybuf = make([]float32, c.maxOut)
	}
	if s.bnMean == nil {
		s.bnMean, s.bnInv = make([][]float32, c.nbn), make([][]float32, c.nbn)
		for _, n := range c.nodes {
			if n.kind == nodeBN {
				s.bnMean[n.bn], s.bnInv[n.bn] = make([]float32, n.in.c), make([]float32, n.in.c)
			}
		}
	}
	return s
}

// cnnInit draws the initial weights in state_dict order: He normal for
// convolutions and the Linear layers that feed a ReLU, Glorot normal for the
// output layer, biases 0, BatchNorm weight 1 and bias 0.
func (m *Model) cnnInit(normal func() float64) {
	for _, n := range m.a.cnn.nodes {
		switch n.kind {
		case nodeConv, nodeDense:
			fanIn, fanOut := n.in.size(), n.out.c
			if n.kind == nodeConv {
				fanIn, fanOut = n.geom.Rows(), n.out.c*n.geom.KH*n.geom.KW
			}
			std := math.Sqrt(2 / float64(fanIn+fanOut))
			if n.he {
				std = math.Sqrt(2 / float64(fanIn))
			}
			w := m.params[n.w : n.w+n.out.c*fanIn]
			for i := range w {
				w[i] = float32(std * normal())
			}
		case nodeBN:
			g := m.params[n.w : n.w+n.in.c]
			for i := range g {
				g[i] = 1
			}
		}
	}
}

// cnnForward runs the node program on the n rows of b.act[0]. Training
// mode (m.cs.train) normalises with batch statistics and updates the
// running ones; drop is nil in evaluation mode.
func (m *Model) cnnForward(b *bufs, n int, drop *dropout) {
	s := m.cnnScratch()
	for i := range m.a.cnn.nodes {
		m.cnnNode(b, i, n, drop, s)
	}
}

// cnnNode runs node i of the program on n rows: it writes buffer i+1 from
// the buffers the node reads.
func (m *Model) cnnNode(b *bufs, i, n int, drop *dropout, s *cnnState) {
	nd := &m.a.cnn.nodes[i]
	x, y := b.act[nd.src], b.act[i+1][:n*nd.out.size()]
	fused := false
	switch nd.kind {
	case nodeConv:
		var bias []float32
		if nd.b >= 0 {
			bias = m.params[nd.b:]
		}
		// The ReLU is applied example by example while the output is
		// in cache, unless dropout follows it.
		fused = nd.relu && !(nd.drop && drop != nil)
		convForwardPar(nd, m.params[nd.w:], x, y, n, s.works(m.a.cnn), bias, fused)
	case nodeDense:
		kernels.Gemm(false, true, n, nd.out.c, nd.in.size(), 1, x, nd.in.size(),
			m.params[nd.w:nd.b], nd.in.size(), 0, y, nd.out.c)
		kernels.AddBias(n, nd.out.c, m.params[nd.b:nd.b+nd.out.c], y, nd.out.c)
	case nodeBN:
		m.bnForward(nd, x, y, n, s)
	case nodeMaxPool:
		maxPoolForward(nd, x, y, n)
	case nodeGAP:
		gapForward(nd, x, y, n)
	case nodeAdd:
		copy(y, x[:len(y)])
		kernels.Axpy(len(y), 1, b.act[nd.skip], y)
	}
	if nd.relu && !fused {
		kernels.Relu(len(y), y, y)
		if nd.drop && drop != nil {
			drop.apply(y)
		}
	}
}

// convForward sets (beta 0) or adds to (beta 1) y the convolution of the n
// examples of x with the weight w, plus bias (per output channel) when bias
// is set and beta is 0 (with beta 1 the caller adds it): per group of
// examples (see convGroup), their im2col matrices side by side, one GEMM,
// and the channel-major result copied back to each example's NCHW rows. A
// group of one example is already in NCHW order: the GEMM writes y
// directly (beta 0). With relu (and beta 0) each example's output is then
// passed through a ReLU in place.
func convForward(nd *cnode, w, x, y []float32, n int, col, ybuf, bias []float32, beta float32, relu bool) {
	g := nd.geom
	k, p, co := g.Rows(), g.Cols(), nd.out.c
	is, os := nd.in.size(), nd.out.size()
	gr := convGroup(g, n)
	if beta != 0 {
		bias, relu = nil, false
	}
	for e0 := 0; e0 < n; e0 += gr {
		gn := min(gr, n-e0)
		ld := gn * p
		im2colGroup(g, x[e0*is:], is, gn, col, ld)
		if gn == 1 && beta == 0 {
			ye := y[e0*os : (e0+1)*os]
			kernels.Gemm(false, false, co, ld, k, 1, w, k, col, ld, 0, ye, ld)
			if bias != nil {
				addChannelBias(1, nd.out, bias, ye)
			}
			if relu {
				kernels.Relu(len(ye), ye, ye)
			}
			continue
		}
		kernels.Gemm(false, false, co, ld, k, 1, w, k, col, ld, 0, ybuf, ld)
		perExample(gn, co*p, func(j int) {
			convCopyBack(co, p, ybuf[j*p:], ld, y[(e0+j)*os:(e0+j+1)*os], bias, beta, relu)
		})
	}
}

// convCopyBack sets (beta 0, plus bias when set, then a ReLU with relu) or
// adds to (beta 1) one example's NCHW output ye its co channels of p pixels
// from the channel-major group result src (leading dimension ld).
func convCopyBack(co, p int, src []float32, ld int, ye, bias []float32, beta float32, relu bool) {
	for c := 0; c < co; c++ {
		s, dst := src[c*ld:][:p], ye[c*p:(c+1)*p]
		switch {
		case beta != 0:
			for i, v := range s {
				dst[i] += v
			}
		case bias != nil:
			// The same rounding as copying, then adding the bias.
			b := bias[c]
			for i, v := range s {
				dst[i] = v + b
			}
		default:
			copy(dst, s)
		}
	}
	if relu {
		kernels.Relu(len(ye), ye, ye)
	}
}

// convWork is one goroutine's scratch for the convolution groups it runs.
type convWork struct{ col, dcol, ybuf []float32 }

// works returns scratch for par.Procs() goroutines.
func (s *cnnState) works(c *cnnArch) []convWork {
	p := par.Procs()
	for len(s.cw) < p {
		s.cw = append(s.cw, convWork{})
	}
	for i := range s.cw[:p] {
		w := &s.cw[i]
		if len(w.col) < c.maxCol {
			w.col, w.dcol = make([]float32, c.maxCol), make([]float32, c.maxCol)
		}
		if len(w.ybuf) < c.maxOut {
			w.ybuf = make([]float32, c.maxOut)
		}
	}
	return s.cw[:p]
}

// convForwardPar is convForward (beta 0) with its groups of examples run in
// parallel, each on one goroutine (its im2col, GemmSerial and copy-back),
// when there are several: every group's output is computed as convForward
// computes it, so the result is the same for any GOMAXPROCS.
func convForwardPar(nd *cnode, w, x, y []float32, n int, works []convWork, bias []float32, relu bool) {
	g := nd.geom
	k, p, co := g.Rows(), g.Cols(), nd.out.c
	is, os := nd.in.size(), nd.out.size()
	gr := convGroup(g, n)
	groups := (n + gr - 1) / gr
	if groups < 2 || len(works) < 2 {
		convForward(nd, w, x, y, n, works[0].col, works[0].ybuf, bias, 0, relu)
		return
	}
	par.Tasks(groups, len(works), func(wk, gi int) {
		cw := &works[wk]
		e0 := gi * gr
		gn := min(gr, n-e0)
		ld := gn * p
		for j := 0; j < gn; j++ {
			kernels.Im2col(g, x[(e0+j)*is:(e0+j+1)*is], cw.col[j*p:], ld)
		}
		if gn == 1 {
			ye := y[e0*os : (e0+1)*os]
			kernels.GemmSerial(false, false, co, ld, k, 1, w, k, cw.col, ld, 0, ye, ld)
			if bias != nil {
				addChannelBias(1, nd.out, bias, ye)
			}
			if relu {
				kernels.Relu(len(ye), ye, ye)
			}
			return
		}
		kernels.GemmSerial(false, false, co, ld, k, 1, w, k, cw.col, ld, 0, cw.ybuf, ld)
		for j := 0; j < gn; j++ {
			convCopyBack(co, p, cw.ybuf[j*p:], ld, y[(e0+j)*os:(e0+j+1)*os], bias, 0, relu)
		}
	})
}

// convChannels is the number of input channels per task of im2colGroup and
// col2imGroup: the column rows of that many channels of one example hold
// about perExampleGrain floats.
func convChannels(g kernels.ConvGeom) int {
	return max(1, min(g.C, perExampleGrain/max(1, g.KH*g.KW*g.Cols())))
}

// im2colGroup writes the column matrices of gn examples (x holds them, is
// floats apart) side by side into col (leading dimension ld), in parallel
// over examples and over chunks of input channels: the tasks write disjoint
// rows and columns, so the result is the same for any split.
func im2colGroup(g kernels.ConvGeom, x []float32, is, gn int, col []float32, ld int) {
	p, chw, rows := g.Cols(), g.H*g.W, g.KH*g.KW
	cs := convChannels(g)
	chunks := (g.C + cs - 1) / cs
	par.For(gn*chunks, perExampleGrain/max(1, cs*rows*p), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			e, c0 := t/chunks, t%chunks*cs
			gc := g
			gc.C = min(cs, g.C-c0)
			kernels.Im2col(gc, x[e*is+c0*chw:][:gc.C*chw], col[c0*rows*ld+e*p:], ld)
		}
	})
}

// col2imGroup folds the column matrices of gn examples (side by side in
// dcol, leading dimension ld) onto their input gradients in dst (is floats
// apart), overwriting (beta 0) or adding, in parallel as im2colGroup: each
// pixel's sum is made by one Col2im call in its one order.
func col2imGroup(g kernels.ConvGeom, dcol []float32, ld, gn int, beta float32, dst []float32, is int) {
	p, chw, rows := g.Cols(), g.H*g.W, g.KH*g.KW
	cs := convChannels(g)
	chunks := (g.C + cs - 1) / cs
	par.For(gn*chunks, perExampleGrain/max(1, cs*rows*p), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			e, c0 := t/chunks, t%chunks*cs
			gc := g
			gc.C = min(cs, g.C-c0)
			kernels.Col2im(gc, dcol[c0*rows*ld+e*p:], ld, beta, dst[e*is+c0*chw:][:gc.C*chw])
		}
	})
}

// perExampleGrain is about how many floats one task of perExample moves:
// enough to amortise handing out the task, small enough to split a group
// of small images over the cores.
const perExampleGrain = 1 << 15

// perExample calls fn(j) for every example j in [0, gn) of a convolution
// group, in parallel through internal/par; work is the number of floats one
// call moves. The calls must touch disjoint memory (each example's own
// columns of the im2col matrix, its own rows of the output or its own input
// gradient), so the results are the same for any split and any GOMAXPROCS.
func perExample(gn, work int, fn func(j int)) {
	par.For(gn, perExampleGrain/max(work, 1), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			fn(j)
		}
	})
}

// addChannelBias adds bias[c] to every pixel of channel c of n examples.
func addChannelBias(n int, s cshape, bias, y []float32) {
	hw := s.h * s.w
	perExample(n, s.c*hw, func(e int) {
		for c := 0; c < s.c; c++ {
			v, row := bias[c], y[(e*s.c+c)*hw:][:hw]
			for i := range row {
				row[i] += v
			}
		}
	})
}

// channelSums sets (beta 0) or adds to out[c] the sum over n examples and
// all pixels of channel c of g, in float64, in index order.
func channelSums(n int, s cshape, g []float32, beta float32, out []float32) {
	hw := s.h * s.w
	put := func(c int, t float64) {
		if beta == 0 {
			out[c] = float32(t)
		} else {
			out[c] += float32(t)
		}
	}
	// Split by channel: each channel's sum keeps its one order. A float64
	// add chain is latency-bound, so four channels' chains run side by side.
	par.For(s.c, max(4, perExampleGrain/max(n*hw, 1)), func(lo, hi int) {
		c := lo
		for ; c+4 <= hi; c += 4 {
			var t0, t1, t2, t3 float64
			for e := 0; e < n; e++ {
				r0 := g[(e*s.c+c)*hw:][:hw]
				r1 := g[(e*s.c+c+1)*hw:][:len(r0)]
				r2 := g[(e*s.c+c+2)*hw:][:len(r0)]
				r3 := g[(e*s.c+c+3)*hw:][:len(r0)]
				for i, v := range r0 {
					t0 += float64(v)
					t1 += float64(r1[i])
					t2 += float64(r2[i])
					t3 += float64(r3[i])
				}
			}
			put(c, t0)
			put(c+1, t1)
			put(c+2, t2)
			put(c+3, t3)
		}
		for ; c < hi; c++ {
			var t float64
			for e := 0; e < n; e++ {
				for _, v := range g[(e*s.c+c)*hw:][:hw] {
					t += float64(v)
				}
			}
			put(c, t)
		}
	})
}

// bnForward normalises each channel: with the running statistics in
// evaluation mode; in training mode with the batch's (the chunk's) mean and
// biased variance, updating the running statistics as PyTorch does
// (momentum 0.1, the unbiased variance into running_var).
func (m *Model) bnForward(nd *cnode, x, y []float32, n int, s *cnnState) {
	c, hw := nd.in.c, nd.in.h*nd.in.w
	mean, inv := s.bnMean[nd.bn], s.bnInv[nd.bn]
	rm, rv := s.state[nd.stat:nd.stat+c], s.state[nd.stat+c:nd.stat+2*c]
	cnt := float64(n * hw)
	// finish sets channel ch's normalisation from its sum and sum of
	// squared deviations and updates its running statistics.
	finish := func(ch int, sum, ss float64) {
		mu := sum / cnt
		vr := ss / cnt
		mean[ch], inv[ch] = float32(mu), float32(1/math.Sqrt(vr+bnEps))
		unb := vr
		if cnt > 1 {
			unb = ss / (cnt - 1)
		}
		rm[ch] = float32((1-bnMomentum)*float64(rm[ch]) + bnMomentum*mu)
		rv[ch] = float32((1-bnMomentum)*float64(rv[ch]) + bnMomentum*unb)
	}
	// By channel: each channel's sums keep their one order. A float64 add
	// chain is latency-bound, so four channels' chains run side by side.
	par.For(c, max(4, perExampleGrain/max(n*hw, 1)), func(lo, hi int) {
		ch := lo
		if !s.train {
			for ; ch < hi; ch++ {
				mean[ch], inv[ch] = rm[ch], float32(1/math.Sqrt(float64(rv[ch])+bnEps))
			}
			return
		}
		for ; ch+4 <= hi; ch += 4 {
			var s0, s1, s2, s3 float64
			for e := 0; e < n; e++ {
				r0 := x[(e*c+ch)*hw:][:hw]
				r1, r2, r3 := x[(e*c+ch+1)*hw:][:len(r0)], x[(e*c+ch+2)*hw:][:len(r0)], x[(e*c+ch+3)*hw:][:len(r0)]
				for i, v := range r0 {
					s0 += float64(v)
					s1 += float64(r1[i])
					s2 += float64(r2[i])
					s3 += float64(r3[i])
				}
			}
			m0, m1, m2, m3 := s0/cnt, s1/cnt, s2/cnt, s3/cnt
			var q0, q1, q2, q3 float64
			for e := 0; e < n; e++ {
				r0 := x[(e*c+ch)*hw:][:hw]
				r1, r2, r3 := x[(e*c+ch+1)*hw:][:len(r0)], x[(e*c+ch+2)*hw:][:len(r0)], x[(e*c+ch+3)*hw:][:len(r0)]
				for i, v := range r0 {
					d0, d1 := float64(v)-m0, float64(r1[i])-m1
					d2, d3 := float64(r2[i])-m2, float64(r3[i])-m3
					q0 += d0 * d0
					q1 += d1 * d1
					q2 += d2 * d2
					q3 += d3 * d3
				}
			}
			finish(ch, s0, q0)
			finish(ch+1, s1, q1)
			finish(ch+2, s2, q2)
			finish(ch+3, s3, q3)
		}
		for ; ch < hi; ch++ {
			var sum float64
			for e := 0; e < n; e++ {
				for _, v := range x[(e*c+ch)*hw:][:hw] {
					sum += float64(v)
				}
			}
			mu := sum / cnt
			var ss float64
			for e := 0; e < n; e++ {
				for _, v := range x[(e*c+ch)*hw:][:hw] {
					d := float64(v) - mu
					ss += d * d
				}
			}
			finish(ch, sum, ss)
		}
	})
	if s.train {
		s.nbt[nd.bn]++
	}
	gamma, beta := m.params[nd.w:nd.w+c], m.params[nd.b:nd.b+c]
	perExample(n, c*hw, func(e int) {
		for ch := 0; ch < c; ch++ {
			sc := gamma[ch] * inv[ch]
			mu, bb := mean[ch], beta[ch]
			xr, yr := x[(e*c+ch)*hw:][:hw], y[(e*c+ch)*hw:][:hw]
			for i, v := range xr {
				yr[i] = (v-mu)*sc + bb
			}
		}
	})
}

// poolArg returns the flat index (within the example's channel) of the
// first largest element of the pooling window of output (oy, ox); a NaN
// wins, so that it propagates.
func poolArg(img []float32, w, k, oy, ox int) int {
	best := oy*k*w + ox*k
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			q := (oy*k+i)*w + ox*k + j
			if v := img[q]; v > img[best] || (v != v && img[best] == img[best]) {
				best = q
			}
		}
	}
	return best
}

func maxPoolForward(nd *cnode, x, y []float32, n int) {
	in, out := nd.in, nd.out
	perExample(n, in.size(), func(e int) {
		for c := 0; c < in.c; c++ {
			img := x[(e*in.c+c)*in.h*in.w:][:in.h*in.w]
			o := y[(e*out.c+c)*out.h*out.w:][:out.h*out.w]
			if nd.pool == 2 {
				kernels.MaxPool2(in.h, in.w, img, o)
				continue
			}
			for oy := 0; oy < out.h; oy++ {
				for ox := 0; ox < out.w; ox++ {
					o[oy*out.w+ox] = img[poolArg(img, in.w, nd.pool, oy, ox)]
				}
			}
		}
	})
}

// maxPoolBackward routes g (the output's gradient or tangent) to the window
// maxima of x, overwriting (beta 0) or adding to dst. With mask (and beta
// 0), each channel of dst is then passed through ReluBackward with x as the
// mask, while it is in cache (x is a ReLU's output: see premasked).
func maxPoolBackward(nd *cnode, x, g []float32, n int, beta float32, dst []float32, mask bool) {
	in, out := nd.in, nd.out
	// MaxPool2Backward sets every pixel of an even-sized channel.
	covered := nd.pool == 2 && in.h%2 == 0 && in.w%2 == 0
	perExample(n, in.size(), func(e int) {
		if beta == 0 && !covered {
			clear(dst[e*in.size() : (e+1)*in.size()])
		}
		for c := 0; c < in.c; c++ {
			off := (e*in.c + c) * in.h * in.w
			img := x[off:][:in.h*in.w]
			d := dst[off:][:in.h*in.w]
			o := g[(e*out.c+c)*out.h*out.w:][:out.h*out.w]
			if nd.pool == 2 && beta == 0 {
				kernels.MaxPool2Backward(in.h, in.w, img, o, d)
				if mask {
					kernels.ReluBackward(len(d), img, d, d)
				}
				continue
			}
			if nd.pool == 2 {
				for oy := 0; oy < out.h; oy++ {
					r0, r1 := img[2*oy*in.w:][:2*out.w], img[(2*oy+1)*in.w:][:2*out.w]
					d0, d1 := d[2*oy*in.w:][:2*out.w], d[(2*oy+1)*in.w:][:2*out.w]
					for ox, v := range o[oy*out.w : (oy+1)*out.w] {
						i, _ := kernels.Pool2Winner(r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1])
						switch i {
						case 0:
							d0[2*ox] += v
						case 1:
							d0[2*ox+1] += v
						case 2:
							d1[2*ox] += v
						default:
							d1[2*ox+1] += v
						}
					}
				}
				continue
			}
			for oy := 0; oy < out.h; oy++ {
				for ox := 0; ox < out.w; ox++ {
					d[poolArg(img, in.w, nd.pool, oy, ox)] += o[oy*out.w+ox]
				}
			}
		}
		if mask && nd.pool != 2 {
			d := dst[e*in.size() : (e+1)*in.size()]
			kernels.ReluBackward(len(d), x[e*in.size():], d, d)
		}
	})
}

// maxPoolTangent picks the tangent rx at the window maxima of x.
func maxPoolTangent(nd *cnode, x, rx, ry []float32, n int) {
	in, out := nd.in, nd.out
	for e := 0; e < n; e++ {
		for c := 0; c < in.c; c++ {
			off := (e*in.c + c) * in.h * in.w
			img, r := x[off:][:in.h*in.w], rx[off:][:in.h*in.w]
			o := ry[(e*out.c+c)*out.h*out.w:][:out.h*out.w]
			for oy := 0; oy < out.h; oy++ {
				for ox := 0; ox < out.w; ox++ {
					o[oy*out.w+ox] = r[poolArg(img, in.w, nd.pool, oy, ox)]
				}
			}
		}
	}
}

func gapForward(nd *cnode, x, y []float32, n int) {
	hw := nd.in.h * nd.in.w
	for e := 0; e < n; e++ {
		for c := 0; c < nd.in.c; c++ {
			var s float64
			for _, v := range x[(e*nd.in.c+c)*hw:][:hw] {
				s += float64(v)
			}
			y[e*nd.in.c+c] = float32(s / float64(hw))
		}
	}
}

// gapBackward spreads g[e, c] / hw over channel c's pixels.
func gapBackward(nd *cnode, g []float32, n int, beta float32, dst []float32) {
	hw := nd.in.h * nd.in.w
	inv := float32(1 / float64(hw))
	for e := 0; e < n; e++ {
		for c := 0; c < nd.in.c; c++ {
			v := g[e*nd.in.c+c] * inv
			d := dst[(e*nd.in.c+c)*hw:][:hw]
			for i := range d {
				if beta == 0 {
					d[i] = v
				} else {
					d[i] += v
				}
			}
		}
	}
}
