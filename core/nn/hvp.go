package nn

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/internal/par"
)

// tangentBudget bounds the tangent workspace of one worker, in float32s
// (128 MiB): tiles shrink when a group's vectors at full tile size would
// not fit. Tangent activations and their backward signals take
// 2*group*rows*sum(hidden and output widths) values. A variable so that
// tests can force small tiles.
var tangentBudget = 1 << 25

// HVP writes H v_j for j < k to out (k x NumParams row-major, overwritten),
// where H is the Hessian of the mean loss over the batch in evaluation mode
// (no dropout, no weight decay) and v_j is row j of vs (k x NumParams).
//
// The products are exact (up to float32 rounding): the R-operator
// (Pearlmutter 1994) differentiates the backward pass along v, one forward
// and one backward tangent pass after the ordinary forward and backward
// passes. Examples are processed in chunks whose contributions are
// accumulated in a fixed order; see tangentPlan for how the vectors and
// examples are spread over goroutines.
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
// C v = F v - gbar (gbar . v) with gbar from LossGrad. Each product costs
// what a GGN product does: F is the GGN with the loss Hessian H_i replaced
// by d_i d_i^T, d_i the gradient of example i's loss with respect to its
// outputs, since g_i = J_i^T d_i.
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
	in, rows := m.InputDim(), m.chunk()
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
		m.tangents(tangentJob{p: p, n: n, vs: vs, k: k, out: out, accumulate: r0 > 0, inv: inv, kind: kind})
	}
}

// tangentJob is the tangent work of one call on n examples whose primal
// passes p holds (see tangent).
type tangentJob struct {
	p          *bufs
	n          int
	vs, out    []float32 // k x NumParams
	k          int
	accumulate bool    // add to out instead of overwriting it
	inv        float32 // 1/N: every example's weight in the mean loss
	kind       curvKind
	live       *liveInputs // the input at its non-zero columns, or nil
}

// liveInputs is the input of n examples restricted to its live columns,
// those non-zero in at least one example. Input columns that are zero in
// every example (the border pixels of MNIST: 174 of 784 in the first 1024
// images) contribute nothing to the forward tangent a_0 V^T, and the
// Hessian's rows for their weights are zero, so the products of the step
// that reads the input can skip them: 22% of that layer's work, which in
// an MLP is most of the work.
type liveInputs struct {
	step int       // the step that reads the input
	cols []int     // live columns, increasing
	runs []colRun  // cols as runs of adjacent columns
	x    []float32 // n x len(cols)
}

// colRun is n adjacent live columns from col, at live index at.
type colRun struct{ col, at, n int }

// findLiveInputs returns the live columns of the n x in matrix x, or nil
// when compacting would not pay (fewer than 1 in 16 columns dead) or the
// network reads its input in more than one step.
func (m *Model) findLiveInputs(x []float32, n int) *liveInputs {
	a := m.a
	step := -1
	for s, st := range a.steps {
		if st.src == 0 {
			if step >= 0 {
				return nil
			}
			step = s
		}
	}
	in := a.widths[0]
	nz := make([]bool, in)
	for i := 0; i < n; i++ {
		for j, v := range x[i*in : (i+1)*in] {
			if v != 0 {
				nz[j] = true
			}
		}
	}
	var cols []int
	for j, z := range nz {
		if z {
			cols = append(cols, j)
		}
	}
	if step < 0 || 16*len(cols) > 15*in {
		return nil
	}
	li := &liveInputs{step: step, cols: cols, x: make([]float32, n*len(cols))}
	for q, j := range cols {
		if r := len(li.runs) - 1; r >= 0 && li.runs[r].col+li.runs[r].n == j {
			li.runs[r].n++
		} else {
			li.runs = append(li.runs, colRun{col: j, at: q, n: 1})
		}
	}
	w := len(cols)
	for i := 0; i < n; i++ {
		row := x[i*in : (i+1)*in]
		for q, j := range cols {
			li.x[i*w+q] = row[j]
		}
	}
	return li
}

// tangentWork is one worker's scratch space: the tangent activations (ta)
// and backward signals (tg) of rows stacked rows for every buffer (index 0
// unused: inputs are constants), row views into the primal passes, and for
// a compacted input step the group's directions and weight products at the
// live columns.
type tangentWork struct {
	rows   int
	ta, tg [][]float32
	view   bufs
	vc, gc []float32 // group x out x live
}

// work returns worker w's scratch space with room for rows stacked rows and
// live floats of compacted directions and products.
func (m *Model) work(w, rows, live int) *tangentWork {
	ws := &m.ws
	for len(ws.tangent) <= w {
		ws.tangent = append(ws.tangent, &tangentWork{})
	}
	t := ws.tangent[w]
	if t.rows < rows {
		nb := len(m.a.widths)
		t.ta, t.tg = make([][]float32, nb), make([][]float32, nb)
		for i := 1; i < nb; i++ {
			t.ta[i] = make([]float32, rows*m.a.widths[i])
			t.tg[i] = make([]float32, rows*m.a.widths[i])
		}
		t.view = bufs{act: make([][]float32, nb), grad: make([][]float32, nb)}
		t.rows = rows
	}
	if len(t.vc) < live {
		t.vc, t.gc = make([]float32, live), make([]float32, live)
	}
	return t
}

// passRows is the number of stacked rows a tangent pass should have for
// its GEMMs to run at full speed; jobs on fewer examples stack several
// vectors per pass. A variable so that tests can exercise every plan on
// small batches.
var passRows = 512

// parallelWork is the work of one task, in parameters times rows, above
// which tasks run on several goroutines; smaller tasks (small models, few
// examples) run in order on the caller's. A variable for the tests.
var parallelWork = 1 << 22

// maxTangentWorkers caps the goroutines of one job: each holds its own
// tangent workspace (8.5 MB for mlp:784-512-512-10 on 1024 examples), and
// the kernels split every GEMM between the cores anyway.
const maxTangentWorkers = 8

// tangentPlan is how a job of k vectors on n rows is cut into tasks. Each
// of the first groups tasks takes group vectors (stacked in one pass, see
// tangent) over all n rows, in tiles of tile rows. With split, the last
// vector is left to two more tasks, one for each half of the rows: the
// first writes its product to out, the second to a partial product that is
// added to it at the end. Tasks run on workers goroutines, which take the
// next task when they finish one.
//
// Why: a tangent pass is a chain of about twenty GEMMs, each of which
// core/kernels splits between goroutines; every split is a fork and a
// join, and where the halves are uneven (or a core is busy with something
// else) one core idles. Two independent chains, one per core, keep both
// busy. Measured for mlp:784-512-512-10 on 1024 examples on two cores, side
// by side with the previous design (all k vectors stacked in one chain):
// 19.2 / 19.4 / 19.0 / 20.4 ms per vector at k = 1 / 2 / 4 / 16 became
// 15.1 / 14.3 / 14.2 / 14.4 (CPU time per vector 33.6 -> 28.5 ms).
// Stacking vectors does not pay once a pass has about 1024 rows: the GEMMs
// already run at full speed, 4096-row ones measured 5-15% slower per flop
// (their operands fall out of the caches), and the tangent budget used to
// leave a 10-row remainder chunk at k = 16. So vectors are stacked only
// where there are few examples (passRows).
//
// The plan depends on n and k only, and a task's arithmetic does not depend
// on the goroutine that runs it, so results are bitwise identical for any
// GOMAXPROCS.
type tangentPlan struct {
	group, groups, tile, workers int
	split                        bool
}

func (m *Model) planTangents(n, k int) tangentPlan {
	sum := 0
	for _, w := range m.a.widths[1:] {
		sum += w
	}
	g := min(k, max(1, (passRows+n-1)/n))
	split := k%2 == 1 && n >= 2*passRows
	rows := n
	if split {
		rows = (n + 1) / 2
	}
	maxRows := max(1, tangentBudget/(2*g*sum))
	tiles := (rows + maxRows - 1) / maxRows
	pl := tangentPlan{group: g, tile: (rows + tiles - 1) / tiles, split: split}
	tasks := (k + g - 1) / g
	if split {
		pl.groups = k - 1
		tasks = k + 1
	} else {
		pl.groups = tasks
	}
	pl.workers = 1
	if m.a.nparams*g*rows >= parallelWork {
		pl.workers = min(par.Procs(), tasks, maxTangentWorkers)
	}
	return pl
}

// tasks is the number of tasks of the plan.
func (pl tangentPlan) tasks() int {
	if pl.split {
		return pl.groups + 2
	}
	return pl.groups
}

// tangentRows is the number of rows per tangent pass for k vectors on a
// full chunk.
func (m *Model) tangentRows(k int) int { return m.planTangents(m.chunk(), k).tile }

// tangents runs job's tangent passes.
func (m *Model) tangents(job tangentJob) {
	if m.a.cnn != nil {
		m.cnnTangents(job)
		return
	}
	pl := m.planTangents(job.n, job.k)
	np := m.a.nparams
	if pl.split && len(m.ws.partial) < np {
		m.ws.partial = make([]float32, np)
	}
	live := 0
	if job.live != nil {
		if job.accumulate {
			// The cache's jobs cover all its rows at once; scatterCols
			// overwrites.
			panic("nn: compacted input in an accumulating tangent job")
		}
		l := &m.a.lins[m.a.steps[job.live.step].lin]
		live = pl.group * l.out * len(job.live.cols)
	}
	for w := 0; w < pl.workers; w++ {
		m.work(w, pl.group*pl.tile, live)
	}
	m.ws.job = job // not on the stack: the workers' closure would move it to the heap
	jp := &m.ws.job
	defer func() { m.ws.job = tangentJob{} }() // drop the references to the caller's slices
	if pl.workers <= 1 {
		for i := 0; i < pl.tasks(); i++ {
			m.tangentTask(m.ws.tangent[0], pl, i, jp)
		}
	} else {
		m.parallelTangents(pl, jp)
	}
	if pl.split {
		kernels.Axpy(np, 1, m.ws.partial[:np], job.out[(job.k-1)*np:job.k*np])
	}
}

// parallelTangents runs the tasks of plan pl on pl.workers goroutines.
func (m *Model) parallelTangents(pl tangentPlan, job *tangentJob) {
	par.Tasks(pl.tasks(), pl.workers, func(w, i int) {
		m.tangentTask(m.ws.tangent[w], pl, i, job)
	})
}

// tangentTask runs task i of plan pl on scratch space tw.
func (m *Model) tangentTask(tw *tangentWork, pl tangentPlan, i int, job *tangentJob) {
	a := m.a
	np := a.nparams
	var j0, j1, r0, r1 int // vectors j0..j1-1 on rows r0..r1-1
	var out []float32
	accumulate := job.accumulate
	switch h := (job.n + 1) / 2; {
	case i < pl.groups:
		j0, j1, r0, r1 = i*pl.group, min(job.k, (i+1)*pl.group), 0, job.n
		out = job.out[j0*np : j1*np]
	case i == pl.groups: // the first half of the split vector
		j0, j1, r0, r1 = job.k-1, job.k, 0, h
		out = job.out[j0*np : j1*np]
	default: // its second half, into the partial product
		j0, j1, r0, r1 = job.k-1, job.k, h, job.n
		out, accumulate = m.ws.partial[:np], false
	}
	g := j1 - j0
	t := tangentPass{
		tw:   tw,
		vs:   job.vs[j0*np : j1*np],
		out:  out,
		k:    g,
		inv:  job.inv,
		kind: job.kind,
		live: job.live,
	}
	var l *linear
	var nl int
	if li := job.live; li != nil {
		l, nl = &a.lins[a.steps[li.step].lin], len(li.cols)
		for j := 0; j < g; j++ {
			li.gatherCols(t.vs[j*np+l.w:j*np+l.b], l.out, a.widths[0], tw.vc[j*l.out*nl:(j+1)*l.out*nl])
		}
	}
	in := a.widths[0]
	for r := r0; r < r1; r += pl.tile {
		n := min(pl.tile, r1-r)
		job.p.rowsInto(a, r, n, &tw.view)
		tw.view.act[0] = job.p.act[0][r*in : (r+n)*in]
		t.p, t.n, t.first = &tw.view, n, r == r0
		t.accumulate = accumulate || r > r0
		if li := job.live; li != nil {
			t.x = li.x[r*nl : (r+n)*nl]
		}
		m.tangent(&t)
	}
	if l != nil {
		for j := 0; j < g; j++ {
			job.live.scatterCols(tw.gc[j*l.out*nl:(j+1)*l.out*nl], l.out, in, out[j*np+l.w:j*np+l.b])
		}
	}
}

// gatherCols copies the live columns of the rows x in matrix v to the
// rows x len(li.cols) matrix dst, a run of adjacent columns at a time.
func (li *liveInputs) gatherCols(v []float32, rows, in int, dst []float32) {
	w := len(li.cols)
	for r := 0; r < rows; r++ {
		src, d := v[r*in:(r+1)*in], dst[r*w:(r+1)*w]
		for _, run := range li.runs {
			copy(d[run.at:run.at+run.n], src[run.col:run.col+run.n])
		}
	}
}

// scatterCols writes the rows x len(li.cols) matrix src into the live
// columns of the rows x in matrix dst and zeroes its other columns.
func (li *liveInputs) scatterCols(src []float32, rows, in int, dst []float32) {
	w := len(li.cols)
	for r := 0; r < rows; r++ {
		s, d := src[r*w:(r+1)*w], dst[r*in:(r+1)*in]
		clear(d)
		for _, run := range li.runs {
			copy(d[run.col:run.col+run.n], s[run.at:run.at+run.n])
		}
	}
}

// tangentPass is one tangent pass: k vectors over the n rows of one tile.
type tangentPass struct {
	tw         *tangentWork
	p          *bufs // the tile's primal passes
	n          int
	vs, out    []float32 // the group's k vectors and products
	k          int
	first      bool // first tile of the group: compacted products are overwritten
	accumulate bool // add to out instead of overwriting it
	inv        float32
	kind       curvKind
	live       *liveInputs
	x          []float32 // the tile's rows of live.x
}

// tangent runs the R-operator passes of t. The primal state t.p holds the
// activations, the softmax probabilities for cross-entropy, the output
// gradient (p.grad[last], scaled by inv = 1/N) for the Hessian and the
// Fisher, and for the Hessian the backward signals at every pre-activation
// (p.grad[s+1]).
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
//
// The k tangents are stacked as k blocks of n rows, so each product with a
// weight matrix is one GEMM for all k vectors; the products with the
// directions are one GEMM per vector.
func (m *Model) tangent(t *tangentPass) {
	a := m.a
	np := a.nparams
	n, k, p, vs, out := t.n, t.k, t.p, t.vs, t.out
	kn := k * n
	ta, tg := t.tw.ta, t.tw.tg
	beta := float32(0)
	if t.accumulate {
		beta = 1
	}
	// The step reading the input at its live columns, if any.
	liveStep, nl := -1, 0
	if t.live != nil {
		liveStep, nl = t.live.step, len(t.live.cols)
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
			if s == liveStep {
				kernels.Gemm(false, true, n, l.out, nl, 1, t.x, nl,
					t.tw.vc[j*l.out*nl:(j+1)*l.out*nl], nl, tb, rj, l.out)
			} else {
				kernels.Gemm(false, true, n, l.out, l.in, 1, p.act[st.src], l.in,
					v[l.w:l.b], l.in, tb, rj, l.out)
			}
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
	case t.kind == fisher:
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
				f := float32(dot / float64(t.inv))
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
					d[q] = pq * (u[q] - float32(dot)) * t.inv
				}
			}
		}
	default: // SquaredError: H_loss = I
		copy(rg, rz)
		kernels.Scale(kn*c, t.inv, rg)
	}
	linear := t.kind != hessian

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
			if s == liveStep {
				// Compacted: into the group's scratch, scattered into out
				// after the last tile.
				gb := float32(1)
				if t.first {
					gb = 0
				}
				kernels.Gemm(true, false, l.out, nl, n, 1, rj, l.out, t.x, nl,
					gb, t.tw.gc[j*l.out*nl:(j+1)*l.out*nl], nl)
			} else {
				kernels.Gemm(true, false, l.out, l.in, n, 1, rj, l.out, p.act[st.src], l.in,
					beta, o[l.w:l.b], l.in)
			}
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
// every example, about 8 * N * (sum of hidden and output widths) bytes,
// plus the input at its live columns (see liveInputs); the tangent passes
// use the model's workspaces (see tangentPlan).
type HVPCache struct {
	m    *Model
	b    data.Batch
	full bufs
	view bufs
	live *liveInputs
	loss float64
	hits int
}

// NewHVP runs the forward and backward passes on b and keeps them.
func (m *Model) NewHVP(b data.Batch) *HVPCache {
	m.mustBatch(b, "NewHVP")
	c := &HVPCache{m: m, b: b, full: newBufs(m.a, b.N)}
	c.view = bufs{act: make([][]float32, len(m.a.widths)), grad: make([][]float32, len(m.a.widths))}
	c.full.act[0] = b.X[:b.N*m.InputDim()]
	c.live = m.findLiveInputs(b.X, b.N)
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
	m.tangents(tangentJob{p: &c.full, n: b.N, vs: vs, k: k, out: out, inv: float32(1 / float64(b.N)), kind: kind, live: c.live})
}
