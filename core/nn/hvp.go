package nn

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// tangentBudget bounds the R-operator's tangent workspace, in float32s
// (128 MiB): the chunk shrinks when k vectors at full chunk size would not
// fit. Tangent activations and their backward signals take
// 2*k*rows*sum(hidden and output widths) values. A variable so that tests
// can force small tangent chunks.
var tangentBudget = 1 << 25

// tangentRows is the number of examples per tangent pass for k vectors.
func (m *Model) tangentRows(k int) int {
	sum := 0
	for _, w := range m.a.widths[1:] {
		sum += w
	}
	return min(m.chunk(), max(1, tangentBudget/(2*k*sum)))
}

// HVP writes H v_j for j < k to out (k x NumParams row-major, overwritten),
// where H is the Hessian of the mean loss over the batch in evaluation mode
// (no dropout, no weight decay) and v_j is row j of vs (k x NumParams).
//
// The products are exact (up to float32 rounding): the R-operator
// (Pearlmutter 1994) differentiates the backward pass along v, one forward
// and one backward tangent pass after the ordinary forward and backward
// passes. The k tangents are stacked as k blocks of rows, so each product
// with a weight matrix is one GEMM for all k vectors (the products with the
// directions themselves are one GEMM per vector); examples are processed in
// chunks whose contributions are accumulated in a fixed order.
//
// Cost: about 2 to 2.5 gradients for k = 1, and each further vector adds
// about 1.5 gradients. For repeated products on the same examples, NewHVP
// keeps the forward and backward passes.
func (m *Model) HVP(b data.Batch, vs []float32, k int, out []float32) {
	m.curvature("HVP", b, vs, k, out, hessian)
}

// GGNVP writes G v_j for j < k to out, with the same layout as HVP, where
// G = mean_i J_i^T H_i J_i is the generalised Gauss-Newton matrix: J_i the
// Jacobian of example i's outputs with respect to the parameters and H_i
// the Hessian of its loss with respect to the outputs (diag(p) - p p^T for
// cross-entropy, the identity for squared error). G is positive
// semidefinite, and equals H for models linear in their parameters.
func (m *Model) GGNVP(b data.Batch, vs []float32, k int, out []float32) {
	m.curvature("GGNVP", b, vs, k, out, ggn)
}

// FisherVP writes F v_j for j < k to out, with the same layout as HVP,
// where F = mean_i g_i g_i^T is the uncentred second moment of the
// per-example loss gradients g_i (the "empirical Fisher"), in evaluation
// mode. The covariance of the per-example gradients (the gradient noise of
// SGD at batch size 1) is C = F - gbar gbar^T, with gbar their mean, so
// C v = F v - gbar (gbar . v) with gbar from LossGrad. Each product costs what a GGN product does: F is the GGN with
// the loss Hessian H_i replaced by d_i d_i^T, d_i the gradient of example
// i's loss with respect to its outputs, since g_i = J_i^T d_i.
func (m *Model) FisherVP(b data.Batch, vs []float32, k int, out []float32) {
	m.curvature("FisherVP", b, vs, k, out, fisher)
}

// curvKind selects the matrix a tangent pass multiplies by.
type curvKind int

const (
	hessian curvKind = iota
	ggn
	fisher
)

func (m *Model) checkVectors(method string, vs []float32, k int, out []float32) {
	if k < 0 {
		panic(fmt.Sprintf("nn.%s: k = %d", method, k))
	}
	mustLen(method, "vs", len(vs), k*m.a.nparams)
	mustLen(method, "out", len(out), k*m.a.nparams)
}

func (m *Model) curvature(method string, b data.Batch, vs []float32, k int, out []float32, kind curvKind) {
	m.mustBatch(b, method)
	m.checkVectors(method, vs, k, out)
	if k == 0 {
		return
	}
	if b.N == 0 {
		clear(out[:k*m.a.nparams])
		return
	}
	in, rows := m.InputDim(), m.tangentRows(k)
	inv := float32(1 / float64(b.N))
	for r0 := 0; r0 < b.N; r0 += rows {
		n := min(rows, b.N-r0)
		p := m.pass(n)
		p.act[0] = b.X[r0*in : (r0+n)*in]
		m.forward(p, n, nil)
		m.head(b, r0, n, p, inv, kind != ggn)
		if kind == hessian {
			m.backward(p, n, 1, nil, 0, nil)
		}
		m.tangent(p, n, vs, k, out, r0 > 0, inv, kind)
	}
}

// tangentBufs returns the tangent activations and backward signals for
// trows = k*n rows of every buffer (index 0 unused: inputs are constants).
func (m *Model) tangentBufs(trows int) (ta, tg [][]float32) {
	w := &m.ws
	if w.trows < trows {
		w.tact = make([][]float32, len(m.a.widths))
		w.tgrad = make([][]float32, len(m.a.widths))
		for i := 1; i < len(m.a.widths); i++ {
			w.tact[i] = make([]float32, trows*m.a.widths[i])
			w.tgrad[i] = make([]float32, trows*m.a.widths[i])
		}
		w.trows = trows
	}
	return w.tact, w.tgrad
}

// tangent runs the R-operator passes for k directions over n examples whose
// primal state p holds the activations, the softmax probabilities for
// cross-entropy, the output gradient (p.grad[last], scaled by inv = 1/N)
// for the Hessian and the Fisher, and for the Hessian the backward signals
// at every pre-activation (p.grad[s+1]). It writes (accumulate false) or
// adds its contribution to out.
//
// For a step z = a_src W^T + b (+ a_skip), a_dst = relu(z) or z, and a
// direction (V, c) for (W, b), the forward tangent is
//
//	Rz = R(a_src) W^T + a_src V^T + c (+ R(a_skip)),   R(a_dst) = relu'(z) . Rz
//
// The loss head gives R(g) = H_loss Rz. Going back, with g_z the primal
// signal at z and R(g_z) = relu'(z) . R(g_dst) (relu” = 0),
//
//	R(dW)    = R(g_z)^T a_src + g_z^T R(a_src)      (the HVP's W rows)
//	R(db)    = sum over examples of R(g_z)
//	R(g_src) = R(g_z) W + g_z V,   R(g_skip) += R(g_z)
//
// The generalised Gauss-Newton product drops the terms with g_z: it is the
// plain backward pass of H_loss J v through the linearised network. The
// Fisher product is the same with d d^T (d the output gradient) in place of
// H_loss.
func (m *Model) tangent(p *bufs, n int, vs []float32, k int, out []float32, accumulate bool, inv float32, kind curvKind) {
	a := m.a
	np := a.nparams
	kn := k * n
	ta, tg := m.tangentBufs(kn)
	beta := float32(0)
	if accumulate {
		beta = 1
	}

	for s, st := range a.steps {
		l := &a.lins[st.lin]
		rz := ta[s+1][:kn*l.out]
		tb := float32(0)
		if st.skip > 0 {
			copy(rz, ta[st.skip][:kn*l.out])
			tb = 1
		}
		if st.src > 0 {
			kernels.Gemm(false, true, kn, l.out, l.in, 1, ta[st.src], l.in,
				m.params[l.w:l.b], l.in, tb, rz, l.out)
			tb = 1
		}
		for j := 0; j < k; j++ {
			v := vs[j*np : (j+1)*np]
			rj := rz[j*n*l.out : (j+1)*n*l.out]
			kernels.Gemm(false, true, n, l.out, l.in, 1, p.act[st.src], l.in,
				v[l.w:l.b], l.in, tb, rj, l.out)
			kernels.AddBias(n, l.out, v[l.b:l.b+l.out], rj, l.out)
			if st.relu {
				kernels.ReluBackward(n*l.out, p.act[s+1], rj, rj)
			}
		}
	}

	last := len(a.widths) - 1
	c := a.widths[last]
	rz, rg := ta[last][:kn*c], tg[last][:kn*c]
	switch {
	case kind == fisher:
		// d (d . u) per example; p.grad[last] holds d/N, so the product
		// carries a factor 1/N^2 and is multiplied back by N once.
		s := p.grad[last][:n*c]
		for j := 0; j < k; j++ {
			for i := 0; i < n; i++ {
				di := s[i*c : (i+1)*c]
				u := rz[(j*n+i)*c : (j*n+i+1)*c]
				d := rg[(j*n+i)*c : (j*n+i+1)*c]
				var dot float64
				for q, dq := range di {
					dot += float64(dq) * float64(u[q])
				}
				f := float32(dot / float64(inv))
				for q, dq := range di {
					d[q] = dq * f
				}
			}
		}
	case m.Loss == CrossEntropy:
		// H_loss u = p . (u - <p, u>) per example, the softmax Jacobian.
		for j := 0; j < k; j++ {
			for i := 0; i < n; i++ {
				pr := p.probs[i*c : (i+1)*c]
				u := rz[(j*n+i)*c : (j*n+i+1)*c]
				d := rg[(j*n+i)*c : (j*n+i+1)*c]
				var dot float64
				for q, pq := range pr {
					dot += float64(pq) * float64(u[q])
				}
				for q, pq := range pr {
					d[q] = pq * (u[q] - float32(dot)) * inv
				}
			}
		}
	default: // SquaredError: H_loss = I
		copy(rg, rz)
		kernels.Scale(kn*c, inv, rg)
	}
	linear := kind != hessian

	for s := len(a.steps) - 1; s >= 0; s-- {
		st := a.steps[s]
		l := &a.lins[st.lin]
		rg := tg[s+1][:kn*l.out]
		gz := p.grad[s+1][:n*l.out]
		for j := 0; j < k; j++ {
			rj := rg[j*n*l.out : (j+1)*n*l.out]
			if st.relu {
				kernels.ReluBackward(n*l.out, p.act[s+1], rj, rj)
			}
			o := out[j*np : (j+1)*np]
			kernels.Gemm(true, false, l.out, l.in, n, 1, rj, l.out, p.act[st.src], l.in,
				beta, o[l.w:l.b], l.in)
			if !linear && st.src > 0 {
				kernels.Gemm(true, false, l.out, l.in, n, 1, gz, l.out,
					ta[st.src][j*n*l.in:(j+1)*n*l.in], l.in, 1, o[l.w:l.b], l.in)
			}
			kernels.SumRows(n, l.out, rj, l.out, beta, o[l.b:l.b+l.out])
		}
		if st.src > 0 {
			dst := tg[st.src][:kn*l.in]
			kernels.Gemm(false, false, kn, l.in, l.out, 1, rg, l.out, m.params[l.w:l.b], l.in,
				st.srcBeta, dst, l.in)
			if !linear {
				for j := 0; j < k; j++ {
					kernels.Gemm(false, false, n, l.in, l.out, 1, gz, l.out,
						vs[j*np+l.w:j*np+l.b], l.in, 1, dst[j*n*l.in:(j+1)*n*l.in], l.in)
				}
			}
		}
		if st.skip > 0 {
			accumulateInto(tg[st.skip][:kn*l.out], rg, st.skipBeta)
		}
	}
}

// HVPCache holds the forward and backward passes of a model on fixed
// examples, so that repeated curvature products (Lanczos, Hutchinson) pay
// only for the tangent passes: about 1.5 gradients per vector instead of
// 2 to 2.5. It snapshots the activations at the parameters of the time of
// NewHVP; after the parameters change, call Refresh. It uses the model's
// tangent workspace, so like the model it is not safe for concurrent use.
//
// It keeps a reference to the batch's slices, which must not change while
// the cache is in use. Memory: the activations and backward signals of
// every example, about 8 * N * (sum of hidden and output widths) bytes.
type HVPCache struct {
	m    *Model
	b    data.Batch
	full bufs
	view bufs
	loss float64
	hits int
}

// NewHVP runs the forward and backward passes on b and keeps them.
func (m *Model) NewHVP(b data.Batch) *HVPCache {
	m.mustBatch(b, "NewHVP")
	c := &HVPCache{m: m, b: b, full: newBufs(m.a, b.N)}
	c.view = bufs{act: make([][]float32, len(m.a.widths)), grad: make([][]float32, len(m.a.widths))}
	c.Refresh()
	return c
}

// Refresh recomputes the cached passes at the model's current parameters.
func (c *HVPCache) Refresh() {
	m, b := c.m, c.b
	in, ch := m.InputDim(), m.chunk()
	inv := float32(1 / float64(max(b.N, 1)))
	var sum float64
	c.hits = 0
	for r0 := 0; r0 < b.N; r0 += ch {
		n := min(ch, b.N-r0)
		c.full.rowsInto(m.a, r0, n, &c.view)
		c.view.act[0] = b.X[r0*in : (r0+n)*in]
		m.forward(&c.view, n, nil)
		s, h := m.head(b, r0, n, &c.view, inv, true)
		sum += s
		c.hits += h
		m.backward(&c.view, n, 1, nil, 0, nil)
	}
	c.loss = 0
	if b.N > 0 {
		c.loss = sum / float64(b.N)
	}
}

// Loss returns the mean loss and argmax hits on the cached examples, as
// Evaluate would.
func (c *HVPCache) Loss() (float64, int) { return c.loss, c.hits }

// N is the number of cached examples.
func (c *HVPCache) N() int { return c.b.N }

// Apply is Model.HVP on the cached examples.
func (c *HVPCache) Apply(vs []float32, k int, out []float32) {
	c.apply("HVPCache.Apply", vs, k, out, hessian)
}

// ApplyGGN is Model.GGNVP on the cached examples.
func (c *HVPCache) ApplyGGN(vs []float32, k int, out []float32) {
	c.apply("HVPCache.ApplyGGN", vs, k, out, ggn)
}

// ApplyFisher is Model.FisherVP on the cached examples.
func (c *HVPCache) ApplyFisher(vs []float32, k int, out []float32) {
	c.apply("HVPCache.ApplyFisher", vs, k, out, fisher)
}

func (c *HVPCache) apply(method string, vs []float32, k int, out []float32, kind curvKind) {
	m, b := c.m, c.b
	m.checkVectors(method, vs, k, out)
	if k == 0 {
		return
	}
	if b.N == 0 {
		clear(out[:k*m.a.nparams])
		return
	}
	in, rows := m.InputDim(), m.tangentRows(k)
	inv := float32(1 / float64(b.N))
	for r0 := 0; r0 < b.N; r0 += rows {
		n := min(rows, b.N-r0)
		c.full.rowsInto(m.a, r0, n, &c.view)
		c.view.act[0] = b.X[r0*in : (r0+n)*in]
		m.tangent(&c.view, n, vs, k, out, r0 > 0, inv, kind)
	}
}
