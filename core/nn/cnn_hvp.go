package nn

import (
	"math"

	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/internal/par"
)

// cnnTangentWork is one worker's scratch space for the tangent passes of a
// convolutional model: tangent activations ta and backward signals tg of
// rows examples for every buffer (ta[0], the input's tangent, stays zero),
// im2col scratch, and row views into the primal passes.
type cnnTangentWork struct {
	rows      int
	ta, tg    [][]float32
	col, dcol []float32
	ybuf      []float32
	view      bufs
}

func (m *Model) cnnWork(w, rows int) *cnnTangentWork {
	s := m.cs
	for len(s.tw) <= w {
		s.tw = append(s.tw, &cnnTangentWork{})
	}
	t := s.tw[w]
	if t.rows < rows {
		nb := len(m.a.widths)
		t.ta, t.tg = make([][]float32, nb), make([][]float32, nb)
		t.ta[0] = make([]float32, rows*m.a.widths[0])
		for i := 1; i < nb; i++ {
			t.ta[i] = make([]float32, rows*m.a.widths[i])
			t.tg[i] = make([]float32, rows*m.a.widths[i])
		}
		t.view = bufs{act: make([][]float32, nb), grad: make([][]float32, nb)}
		t.rows = rows
	}
	if len(t.col) < m.a.cnn.maxCol {
		t.col, t.dcol = make([]float32, m.a.cnn.maxCol), make([]float32, m.a.cnn.maxCol)
	}
	if len(t.ybuf) < m.a.cnn.maxOut {
		t.ybuf = make([]float32, m.a.cnn.maxOut)
	}
	return t
}

// cnnTangents runs a tangent job on a convolutional model. Every vector is
// one task, run over the job's examples in tiles of rows that bound the
// scratch space (tangentBudget floats per worker); its product sums the
// tiles in order. When the number of vectors is odd (a single product, as
// Lanczos and power iteration ask for), the last vector's rows are split
// in two halves, run as two tasks, and the second half's product is added
// to the first's: otherwise one core of two would idle on it (measured on
// simplecnn, 1024 images, 2 cores: 2.3 s per product unsplit against 2.0 s
// on one core). Tasks go to up to GOMAXPROCS workers; the split depends on
// k and n only, and a task's arithmetic does not depend on the worker, so
// results are the same for any GOMAXPROCS.
func (m *Model) cnnTangents(job tangentJob) {
	sum := 0
	for _, w := range m.a.widths {
		sum += w
	}
	tile := max(1, min(job.n, tangentBudget/(2*sum)))
	split := job.k%2 == 1 && job.n >= 2*cnnSplitRows
	tasks, half := job.k, (job.n+1)/2
	if split {
		tasks++
	}
	workers := 1
	if m.a.nparams*job.n >= parallelWork {
		workers = min(par.Procs(), tasks, maxTangentWorkers)
	}
	for w := 0; w < workers; w++ {
		m.cnnWork(w, tile)
	}
	np := m.a.nparams
	if split && len(m.ws.partial) < np {
		m.ws.partial = make([]float32, np)
	}
	// rows runs vector v over rows [lo, hi) into out, tile by tile.
	rows := func(tw *cnnTangentWork, v, out []float32, lo, hi int, accumulate bool) {
		for r := lo; r < hi; r += tile {
			n := min(tile, hi-r)
			job.p.rowsInto(m.a, r, n, &tw.view)
			tw.view.act[0] = job.p.act[0][r*m.a.widths[0] : (r+n)*m.a.widths[0]]
			m.cnnTangent(tw, n, v, out, accumulate || r > lo, job.inv, job.kind)
		}
	}
	task := func(w, i int) {
		tw := m.cs.tw[w]
		j := min(i, job.k-1)
		v, out := job.vs[j*np:(j+1)*np], job.out[j*np:(j+1)*np]
		switch {
		case !split || i < job.k-1:
			rows(tw, v, out, 0, job.n, job.accumulate)
		case i == job.k-1: // the last vector's first half
			rows(tw, v, out, 0, half, job.accumulate)
		default: // its second half, into the partial product
			rows(tw, v, m.ws.partial[:np], half, job.n, false)
		}
	}
	if workers <= 1 {
		for i := 0; i < tasks; i++ {
			task(0, i)
		}
	} else {
		par.Tasks(tasks, workers, task)
	}
	if split {
		kernels.Axpy(np, 1, m.ws.partial[:np], job.out[(job.k-1)*np:job.k*np])
	}
}

// cnnSplitRows is the fewest rows per half for which a CNN job splits its
// last vector (see cnnTangents). A variable for the tests.
var cnnSplitRows = 8

// bnEval returns the evaluation-mode mean and 1/std of channel ch of BN
// node nd.
func (m *Model) bnEval(nd *cnode, ch int) (mean, inv float32) {
	c := nd.in.c
	return m.cs.state[nd.stat+ch], float32(1 / math.Sqrt(float64(m.cs.state[nd.stat+c+ch])+bnEps))
}

// cnnTangent is one vector's R-operator pass over the n rows of tw.view
// (see tangent in hvp.go for the equations; conv and Linear layers are
// bilinear in their input and weights, evaluation-mode BatchNorm in its
// input and gamma, max pooling and ReLU piecewise linear with zero second
// derivatives, average pooling and residual sums linear).
func (m *Model) cnnTangent(tw *cnnTangentWork, n int, v, out []float32, accumulate bool, inv float32, kind curvKind) {
	c := m.a.cnn
	p := &tw.view
	ta, tg := tw.ta, tw.tg
	beta := float32(0)
	if accumulate {
		beta = 1
	}
	for i := range c.nodes {
		nd := &c.nodes[i]
		x, rx := p.act[nd.src], ta[nd.src]
		rz := ta[i+1][:n*nd.out.size()]
		switch nd.kind {
		case nodeConv:
			tb := float32(0)
			if nd.src > 0 {
				convForward(nd, m.params[nd.w:], rx, rz, n, tw.col, tw.ybuf, nil, 0, false)
				tb = 1
			}
			convForward(nd, v[nd.w:], x, rz, n, tw.col, tw.ybuf, nil, tb, false)
			if nd.b >= 0 {
				addChannelBias(n, nd.out, v[nd.b:], rz)
			}
		case nodeDense:
			in, o := nd.in.size(), nd.out.c
			tb := float32(0)
			if nd.src > 0 {
				kernels.Gemm(false, true, n, o, in, 1, rx, in, m.params[nd.w:nd.b], in, 0, rz, o)
				tb = 1
			}
			kernels.Gemm(false, true, n, o, in, 1, x, in, v[nd.w:nd.b], in, tb, rz, o)
			kernels.AddBias(n, o, v[nd.b:nd.b+o], rz, o)
		case nodeBN:
			hw := nd.in.h * nd.in.w
			for ch := 0; ch < nd.in.c; ch++ {
				mu, iv := m.bnEval(nd, ch)
				sc, vg, vb := m.params[nd.w+ch]*iv, v[nd.w+ch]*iv, v[nd.b+ch]
				for e := 0; e < n; e++ {
					o := (e*nd.in.c + ch) * hw
					xr, rr, zr := x[o:o+hw], rx[o:o+hw], rz[o:o+hw]
					for q := range zr {
						zr[q] = rr[q]*sc + (xr[q]-mu)*vg + vb
					}
				}
			}
		case nodeMaxPool:
			maxPoolTangent(nd, x, rx, rz, n)
		case nodeGAP:
			gapForward(nd, rx, rz, n)
		case nodeAdd:
			copy(rz, rx[:len(rz)])
			kernels.Axpy(len(rz), 1, ta[nd.skip], rz)
		}
		if nd.relu {
			kernels.ReluBackward(len(rz), p.act[i+1], rz, rz)
		}
	}

	last := len(m.a.widths) - 1
	m.tangentHead(p, n, ta[last], tg[last], inv, kind)
	hess := kind == hessian

	for i := len(c.nodes) - 1; i >= 0; i-- {
		nd := &c.nodes[i]
		rg := tg[i+1][:n*nd.out.size()]
		gz := p.grad[i+1]
		if nd.relu {
			kernels.ReluBackward(len(rg), p.act[i+1], rg, rg)
		}
		x, rx := p.act[nd.src], ta[nd.src]
		var dst []float32
		if nd.src > 0 {
			dst = tg[nd.src]
		}
		second := hess && nd.src > 0 // terms with the primal signal and a non-zero input tangent
		switch nd.kind {
		case nodeConv:
			convBackward(nd, m.params[nd.w:], x, rg, n, out[nd.w:], beta, dst, nd.srcBeta, tw.col, tw.dcol, tw.ybuf, nil)
			if second {
				convBackward(nd, v[nd.w:], rx, gz, n, out[nd.w:], 1, dst, 1, tw.col, tw.dcol, tw.ybuf, nil)
			}
			if nd.b >= 0 {
				channelSums(n, nd.out, rg, beta, out[nd.b:])
			}
		case nodeDense:
			in, o := nd.in.size(), nd.out.c
			kernels.Gemm(true, false, o, in, n, 1, rg, o, x, in, beta, out[nd.w:nd.b], in)
			if second {
				kernels.Gemm(true, false, o, in, n, 1, gz, o, rx, in, 1, out[nd.w:nd.b], in)
			}
			kernels.SumRows(n, o, rg, o, beta, out[nd.b:nd.b+o])
			if dst != nil {
				kernels.Gemm(false, false, n, in, o, 1, rg, o, m.params[nd.w:nd.b], in, nd.srcBeta, dst[:n*in], in)
				if hess {
					kernels.Gemm(false, false, n, in, o, 1, gz, o, v[nd.w:nd.b], in, 1, dst[:n*in], in)
				}
			}
		case nodeBN:
			m.bnTangentBackward(nd, n, x, rx, rg, gz, v, out, beta, dst, hess)
		case nodeMaxPool:
			if dst != nil {
				maxPoolBackward(nd, x, rg, n, nd.srcBeta, dst, false)
			}
		case nodeGAP:
			if dst != nil {
				gapBackward(nd, rg, n, nd.srcBeta, dst)
			}
		case nodeAdd:
			if dst != nil {
				accumulateInto(dst[:len(rg)], rg, nd.srcBeta)
			}
			if nd.skip > 0 {
				accumulateInto(tg[nd.skip][:len(rg)], rg, nd.skipBeta)
			}
		}
	}
}

// bnTangentBackward is the R-operator of evaluation-mode BatchNorm's
// backward pass, z = (x - mean) inv gamma + beta:
//
//	R(dgamma) = sum R(g) xhat + sum g R(x) inv,   R(dbeta) = sum R(g)
//	R(dx)     = R(g) gamma inv + g vgamma inv
//
// (the terms with g only for the Hessian).
func (m *Model) bnTangentBackward(nd *cnode, n int, x, rx, rg, gz, v, out []float32, beta float32, dst []float32, hess bool) {
	hw := nd.in.h * nd.in.w
	for ch := 0; ch < nd.in.c; ch++ {
		mu, iv := m.bnEval(nd, ch)
		var sg, sgx float64
		for e := 0; e < n; e++ {
			o := (e*nd.in.c + ch) * hw
			for q, r := range rg[o : o+hw] {
				sg += float64(r)
				sgx += float64(r) * float64((x[o+q]-mu)*iv)
				if hess && nd.src > 0 {
					sgx += float64(gz[o+q]) * float64(rx[o+q]*iv)
				}
			}
		}
		if beta == 0 {
			out[nd.w+ch], out[nd.b+ch] = float32(sgx), float32(sg)
		} else {
			out[nd.w+ch] += float32(sgx)
			out[nd.b+ch] += float32(sg)
		}
		if dst == nil {
			continue
		}
		sc, vg := m.params[nd.w+ch]*iv, v[nd.w+ch]*iv
		for e := 0; e < n; e++ {
			o := (e*nd.in.c + ch) * hw
			d := dst[o : o+hw]
			for q, r := range rg[o : o+hw] {
				t := r * sc
				if hess {
					t += gz[o+q] * vg
				}
				if nd.srcBeta == 0 {
					d[q] = t
				} else {
					d[q] += t
				}
			}
		}
	}
}

// tangentHead sets rg = H_loss rz (Hessian and GGN) or d (d . rz) (Fisher)
// for the n rows' logit tangents rz, as in tangent.
func (m *Model) tangentHead(p *bufs, n int, rz, rg []float32, inv float32, kind curvKind) {
	last := len(m.a.widths) - 1
	c := m.a.widths[last]
	rz, rg = rz[:n*c], rg[:n*c]
	switch {
	case kind == fisher:
		s := p.grad[last][:n*c]
		for i := 0; i < n; i++ {
			di, u, d := s[i*c:(i+1)*c], rz[i*c:(i+1)*c], rg[i*c:(i+1)*c]
			var dot float64
			for q, dq := range di {
				dot += float64(dq) * float64(u[q])
			}
			f := float32(dot / float64(inv))
			for q, dq := range di {
				d[q] = dq * f
			}
		}
	case m.Loss == CrossEntropy:
		for i := 0; i < n; i++ {
			pr, u, d := p.probs[i*c:(i+1)*c], rz[i*c:(i+1)*c], rg[i*c:(i+1)*c]
			var dot float64
			for q, pq := range pr {
				dot += float64(pq) * float64(u[q])
			}
			for q, pq := range pr {
				d[q] = pq * (u[q] - float32(dot)) * inv
			}
		}
	default:
		copy(rg, rz)
		kernels.Scale(n*c, inv, rg)
	}
}
