package nn

import (
	"math"
	"runtime"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// tinyCNNs cover every node kind: convolutions with and without bias,
// padding and stride, max and average pooling, BatchNorm 2d and 1d,
// Flatten, Linear, and (in the ResNet) residual sums with identity and
// downsampling shortcuts.
var tinyCNNs = []string{
	"cnn:1x5x5:c2k3p1-relu-m2-c3k2nb-bn-relu-f-d3",
	"cnn:2x6x6:c3k3s2p1-relu-gap-f-d4-bn-relu-d3",
	"cnn:1x4x4:c2k2-bn-relu-f-d2-relu-d2",
}

// newTestCNN is newTestModel plus random BatchNorm running statistics, so
// that evaluation mode is not the identity.
func newTestCNN(t *testing.T, spec string, seed uint64) *Model {
	t.Helper()
	m := newTestModel(t, spec, CrossEntropy, seed)
	if m.NumParams() > 2000 {
		// Deep: small jitter, and running statistics calibrated by
		// training-mode passes (40 steps of momentum 0.1 leave 1.5% of
		// the initial ones), so that evaluation mode keeps activations
		// of order one.
		m2, _ := New(spec, seed)
		s := rng.New(seed, "test-jitter-small", 0)
		for i := range m2.Params() {
			m2.Params()[i] += float32(0.02 * s.Normal())
		}
		b := testBatch(m2, 8, seed)
		g := make([]float32, m2.NumParams())
		for i := 0; i < 40; i++ {
			m2.LossGrad(b, true, g)
		}
		return m2
	}
	s := rng.New(seed, "test-bn-stats", 0)
	for _, n := range m.a.cnn.nodes {
		if n.kind == nodeBN {
			for ch := 0; ch < n.in.c; ch++ {
				m.cs.state[n.stat+ch] = float32(0.3 * s.Normal())
				m.cs.state[n.stat+n.in.c+ch] = float32(0.5 + s.Float64())
			}
		}
	}
	return m
}

func TestCNNGradientMatchesFiniteDifferences(t *testing.T) {
	specs := append(tinyCNNs, "resnet20:3x8x8-3")
	for _, spec := range specs {
		for _, train := range []bool{false, true} {
			m := newTestCNN(t, spec, 3)
			b := testBatch(m, 4, 5)
			grad := make([]float32, m.NumParams())
			saved := append([]float32(nil), m.cs.state...)
			loss, _ := m.LossGrad(b, train, grad)
			r := cnnRef{m: m, train: train}
			copy(m.cs.state, saved) // the reference reads the running statistics of before the call
			theta := f64(m.Params())
			if want := r.loss(theta, b); math.Abs(loss-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("%s train=%v: loss %v, reference %v", spec, train, loss, want)
			}
			var want []float64
			if m.NumParams() < 2000 {
				want = r.fdGrad(theta, b, 1e-4)
			} else {
				// Large: compare directional derivatives along random vectors.
				for j := 0; j < 3; j++ {
					v := unit(f64(randVectors(1, m.NumParams(), uint64(10+j))))
					var got float64
					for i, g := range grad {
						got += float64(g) * v[i]
					}
					tp, tm := make([]float64, len(theta)), make([]float64, len(theta))
					const h = 1e-3
					for i := range theta {
						tp[i], tm[i] = theta[i]+h*v[i], theta[i]-h*v[i]
					}
					fd := (r.loss(tp, b) - r.loss(tm, b)) / (2 * h)
					if math.Abs(got-fd) > 1e-3*math.Max(1, math.Abs(fd)) {
						t.Errorf("%s train=%v: g.v = %v, finite differences %v", spec, train, got, fd)
					}
				}
				continue
			}
			if i, ok := closeTo(grad, want, 1e-4, 1e-3); !ok {
				t.Errorf("%s train=%v: grad[%d] (%s) = %v, finite differences %v", spec, train, i, blockOf(m, i), grad[i], want[i])
			}
		}
	}
}

// blockOf names the tensor holding parameter i.
func blockOf(m *Model, i int) string {
	for _, b := range m.Blocks() {
		if i >= b.Offset && i < b.Offset+b.Size() {
			return b.Name + formatIndex(b.Shape, i-b.Offset)
		}
	}
	return "?"
}

func TestCNNBatchNormRunningStatistics(t *testing.T) {
	m := newTestCNN(t, "cnn:2x3x3:c2k1-bn-relu-f-d2", 1)
	b := testBatch(m, 5, 2)
	nd := m.a.cnn.nodes[1]
	before := append([]float32(nil), m.cs.state...)
	m.LossGrad(b, true, make([]float32, m.NumParams()))
	// The conv output for the batch.
	p := m.pass(b.N)
	p.act[0] = b.X
	m.forward(p, b.N, nil)
	x := p.act[1]
	hw := 9
	for ch := 0; ch < 2; ch++ {
		var mu, ss float64
		for e := 0; e < b.N; e++ {
			for q := 0; q < hw; q++ {
				mu += float64(x[(e*2+ch)*hw+q])
			}
		}
		mu /= float64(b.N * hw)
		for e := 0; e < b.N; e++ {
			for q := 0; q < hw; q++ {
				d := float64(x[(e*2+ch)*hw+q]) - mu
				ss += d * d
			}
		}
		unb := ss / float64(b.N*hw-1)
		wantM := 0.9*float64(before[nd.stat+ch]) + 0.1*mu
		wantV := 0.9*float64(before[nd.stat+2+ch]) + 0.1*unb
		if got := float64(m.cs.state[nd.stat+ch]); math.Abs(got-wantM) > 1e-6 {
			t.Errorf("running_mean[%d] = %v, want %v", ch, got, wantM)
		}
		if got := float64(m.cs.state[nd.stat+2+ch]); math.Abs(got-wantV) > 1e-5 {
			t.Errorf("running_var[%d] = %v, want %v", ch, got, wantV)
		}
	}
	if m.cs.nbt[0] != 1 {
		t.Errorf("num_batches_tracked = %d, want 1", m.cs.nbt[0])
	}
	// Evaluation-mode calls leave the statistics alone.
	s := append([]float32(nil), m.cs.state...)
	m.LossGrad(b, false, make([]float32, m.NumParams()))
	m.Evaluate(b)
	for i := range s {
		if s[i] != m.cs.state[i] {
			t.Fatalf("evaluation mode changed the running statistics")
		}
	}
}

func TestCNNInputGradients(t *testing.T) {
	for _, spec := range tinyCNNs {
		m := newTestCNN(t, spec, 4)
		b := testBatch(m, 3, 6)
		in := m.InputDim()
		got := make([]float32, b.N*in)
		m.InputGrad(b, got)
		r := cnnRef{m: m}
		theta := f64(m.Params())
		const h = 1e-3
		for i := range b.X {
			x0 := b.X[i]
			xp, xm := x0+h, x0-h
			b.X[i] = xp
			lp := r.loss(theta, b)
			b.X[i] = xm
			lm := r.loss(theta, b)
			b.X[i] = x0
			// InputGrad is per example, not divided by N.
			fd := (lp - lm) / float64(xp-xm) * float64(b.N)
			if math.Abs(float64(got[i])-fd) > 2e-3*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: input grad[%d] = %v, finite differences %v", spec, i, got[i], fd)
				break
			}
		}
	}
}

func TestCNNHessianDense(t *testing.T) {
	for _, spec := range tinyCNNs {
		m := newTestCNN(t, spec, 7)
		b := testBatch(m, 3, 8)
		p := m.NumParams()
		H := denseOp(m, func(vs []float32, k int, out []float32) { m.HVP(b, vs, k, out) })
		r := cnnRef{m: m}
		want := r.fdHessian(f64(m.Params()), b)
		if i, ok := closeTo(H, want, 1e-4, 2e-3); !ok {
			t.Errorf("%s: H[%d,%d] (%s, %s) = %v, finite differences %v", spec, i/p, i%p,
				blockOf(m, i/p), blockOf(m, i%p), H[i], want[i])
		}
		var asym, norm float64
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				asym = math.Max(asym, math.Abs(float64(H[i*p+j]-H[j*p+i])))
				norm = math.Max(norm, math.Abs(float64(H[i*p+j])))
			}
		}
		if asym > 1e-5*norm {
			t.Errorf("%s: Hessian asymmetric by %g (max |H| %g)", spec, asym, norm)
		}
		// The cache gives the same products, bit for bit.
		c := m.NewHVP(b)
		H2 := denseOp(m, c.Apply)
		for i := range H {
			if math.Float32bits(H[i]) != math.Float32bits(H2[i]) {
				t.Fatalf("%s: HVPCache.Apply differs from HVP at %d: %v vs %v", spec, i, H2[i], H[i])
			}
		}
	}
}

func TestCNNGGNAndFisher(t *testing.T) {
	for _, spec := range tinyCNNs {
		m := newTestCNN(t, spec, 9)
		b := testBatch(m, 3, 10)
		p := m.NumParams()
		// GGN: J^T H_loss J from the reference outputs' Jacobian.
		r := cnnRef{m: m}
		theta := f64(m.Params())
		c := m.OutputDim()
		want := make([]float64, p*p)
		const h = 1e-6
		J := make([][]float64, b.N) // [example][o*p+j]
		for e := range J {
			J[e] = make([]float64, c*p)
		}
		for j := range theta {
			t0 := theta[j]
			theta[j] = t0 + h
			fp := r.outputs(theta, b)
			theta[j] = t0 - h
			fm := r.outputs(theta, b)
			theta[j] = t0
			for e := range J {
				for o := 0; o < c; o++ {
					J[e][o*p+j] = (fp[e][o] - fm[e][o]) / (2 * h)
				}
			}
		}
		f := r.outputs(theta, b)
		for e := range J {
			Hl := lossHessian(m, f[e])
			for a := 0; a < p; a++ {
				for q := 0; q < p; q++ {
					var s float64
					for o := 0; o < c; o++ {
						for o2 := 0; o2 < c; o2++ {
							s += J[e][o*p+a] * Hl[o*c+o2] * J[e][o2*p+q]
						}
					}
					want[a*p+q] += s / float64(b.N)
				}
			}
		}
		G := denseOp(m, func(vs []float32, k int, out []float32) { m.GGNVP(b, vs, k, out) })
		if i, ok := closeTo(G, want, 1e-5, 1e-3); !ok {
			t.Errorf("%s: G[%d,%d] = %v, J^T H J %v", spec, i/p, i%p, G[i], want[i])
		}
		// Fisher: mean of per-example gradient outer products.
		F := denseOp(m, func(vs []float32, k int, out []float32) { m.FisherVP(b, vs, k, out) })
		wantF := make([]float64, p*p)
		g := make([]float32, p)
		for e := 0; e < b.N; e++ {
			one := rowsOf(b, m, e)
			m.LossGrad(one, false, g)
			for a := 0; a < p; a++ {
				for q := 0; q < p; q++ {
					wantF[a*p+q] += float64(g[a]) * float64(g[q]) / float64(b.N)
				}
			}
		}
		if i, ok := closeTo(F, wantF, 1e-6, 1e-4); !ok {
			t.Errorf("%s: F[%d,%d] = %v, mean g g^T %v", spec, i/p, i%p, F[i], wantF[i])
		}
	}
}

// TestCNNHVPLarge checks u^T H v on full-size architectures (too many
// parameters for a dense Hessian) against finite differences of the
// reference loss.
func TestCNNHVPLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("slow reference")
	}
	// h: resnet20's calibrated BatchNorms have channels of near-zero
	// variance (ReLUs that never fire on the calibration batch), which
	// amplify by up to 1/sqrt(eps) and put ReLU kinks within 1e-5 of the
	// parameters along v; finite differences need a smaller step there.
	for _, c := range []struct {
		spec string
		h    float64
	}{{"simplecnn:1x12x12-4", 1e-4}, {"resnet20:3x8x8-3", 1e-6}} {
		m := newTestCNN(t, c.spec, 11)
		b := testBatch(m, 3, 12)
		p := m.NumParams()
		vs := randVectors(2, p, 13)
		u, v := unit(f64(vs[:p])), unit(f64(vs[p:]))
		for i := range u {
			vs[i], vs[p+i] = float32(u[i]), float32(v[i])
		}
		out := make([]float32, 2*p)
		m.HVP(b, vs, 2, out)
		r := cnnRef{m: m}
		theta := f64(m.Params())
		var uhv, vhv, norm float64
		for i := range u {
			uhv += u[i] * float64(out[p+i])
			vhv += v[i] * float64(out[p+i])
			norm += float64(out[p+i]) * float64(out[p+i])
		}
		norm = math.Sqrt(norm)
		for _, q := range []struct {
			what    string
			got, fd float64
		}{{"u.Hv", uhv, r.fdDirectional(theta, u, v, b, c.h)}, {"v.Hv", vhv, r.fdDirectional(theta, v, v, b, c.h)}} {
			if math.Abs(q.got-q.fd) > 1e-3*norm {
				t.Errorf("%s: %s = %v, finite differences %v (|Hv| = %v)", c.spec, q.what, q.got, q.fd, norm)
			}
		}
	}
}

func TestCNNDeterminism(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer kernels.Use(kernels.Active().Name())
	defer func(w int) { parallelWork = w }(parallelWork)
	parallelWork = 1 // vectors on several workers even for these small nets
	models := map[string]func() *Model{
		"sequential": func() *Model {
			return newTestCNN(t, "cnn:1x10x10:c8k3p1-bn-relu-m2-c8k3-relu-drop-f-d32-relu-drop-d3", 14)
		},
		"residual": func() *Model { return tinyResNet(t, 14) },
	}
	for name, mk := range models {
		for _, impl := range kernels.All() {
			if err := kernels.Use(impl.Name()); err != nil {
				t.Fatal(err)
			}
			var ref []float32
			for _, procs := range []int{1, 2, 5} {
				runtime.GOMAXPROCS(procs)
				m := mk()
				m.Dropout = 0.25
				m.Chunk = 16
				b := testBatch(m, 40, 15)
				p := m.NumParams()
				g := make([]float32, p)
				m.LossGrad(b, true, g) // three chunks: BN statistics per chunk
				res := append([]float32(nil), g...)
				res = append(res, m.cs.state...)
				vs := randVectors(3, p, 16)
				out := make([]float32, 3*p)
				m.HVP(b, vs, 3, out)
				res = append(res, out...)
				m.NewHVP(b).ApplyFisher(vs, 3, out)
				res = append(res, out...)
				if ref == nil {
					ref = res
					continue
				}
				for i := range ref {
					if math.Float32bits(ref[i]) != math.Float32bits(res[i]) {
						t.Fatalf("%s on %s: GOMAXPROCS %d differs from 1 at %d: %v vs %v", name, impl.Name(), procs, i, res[i], ref[i])
					}
				}
			}
		}
	}
}

// rowsOf returns example e of b as a batch of one.
func rowsOf(b data.Batch, m *Model, e int) data.Batch {
	in := m.InputDim()
	return data.Batch{N: 1, X: b.X[e*in : (e+1)*in], Y: b.Y[e : e+1]}
}

// unit scales v to norm 1.
func unit(v []float64) []float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	s = math.Sqrt(s)
	for i := range v {
		v[i] /= s
	}
	return v
}

// tinyResNet is a residual network small enough for a dense Hessian: a
// stem, one identity block and one downsampling block, as buildResNet
// makes them, at widths 2 and 3.
func tinyResNet(t *testing.T, seed uint64) *Model {
	b := newCNNBuilder(cshape{1, 4, 4})
	b.conv("conv1", 2, 3, 1, 1, false)
	b.batchNorm("bn1")
	b.relu("bn1")
	for i, width := range []int{2, 3} {
		name := []string{"a", "b"}[i]
		x, stride := b.cur, 1+i
		b.conv(name+".conv1", width, 3, stride, 1, false)
		b.batchNorm(name + ".bn1")
		b.relu(name)
		b.conv(name+".conv2", width, 3, 1, 1, false)
		main := b.batchNorm(name + ".bn2")
		short := x
		if i == 1 {
			b.cur = x
			b.conv(name+".downsample.0", width, 1, stride, 0, false)
			short = b.batchNorm(name + ".downsample.1")
			b.cur = main
		}
		b.add(name, short)
		b.relu(name)
	}
	b.gap("pool")
	b.flatten()
	b.dense("fc", 2, false)
	a, err := b.finish("tiny-resnet")
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(a)
	m.cnnInit(rng.New(seed, "init", 0).Normal)
	s := rng.New(seed, "test-jitter", 0)
	for i := range m.Params() {
		m.Params()[i] += float32(0.2 * s.Normal())
	}
	return m
}

func TestCNNResidualHessianDense(t *testing.T) {
	m := tinyResNet(t, 21)
	b := testBatch(m, 3, 22)
	p := m.NumParams()
	r := cnnRef{m: m}
	theta := f64(m.Params())
	g := make([]float32, p)
	m.LossGrad(b, false, g)
	if i, ok := closeTo(g, r.fdGrad(theta, b, 1e-4), 1e-4, 1e-3); !ok {
		t.Errorf("grad[%d] (%s) = %v", i, blockOf(m, i), g[i])
	}
	H := denseOp(m, func(vs []float32, k int, out []float32) { m.HVP(b, vs, k, out) })
	want := r.fdHessian(theta, b)
	if i, ok := closeTo(H, want, 1e-4, 2e-3); !ok {
		t.Errorf("H[%d,%d] (%s, %s) = %v, finite differences %v", i/p, i%p, blockOf(m, i/p), blockOf(m, i%p), H[i], want[i])
	}
}

// TestCNNConvGroups: convolutions by groups of examples (one GEMM per
// group) agree with one example per GEMM.
func TestCNNConvGroups(t *testing.T) {
	m := newTestCNN(t, "cnn:2x6x6:c3k3p1-relu-c4k3s2-bn-relu-f-d3", 17)
	b := testBatch(m, 7, 18)
	p := m.NumParams()
	run := func() []float32 {
		g := make([]float32, p)
		m.LossGrad(b, false, g)
		out := make([]float32, 2*p)
		m.HVP(b, randVectors(2, p, 19), 2, out)
		ig := make([]float32, b.N*m.InputDim())
		m.InputGrad(b, ig)
		return append(append(g, out...), ig...)
	}
	want := run()
	defer func(v int) { convColBudget = v }(convColBudget)
	convColBudget = 1
	got := run()
	if i, ok := closeTo(got, f64(want), 1e-6, 1e-5); !ok {
		t.Errorf("one example per GEMM: value %d = %v, groups %v", i, got[i], want[i])
	}
}

// TestCNNSplitLastVector: splitting the last of an odd number of vectors
// into two halves of rows (cnnTangents) gives the unsplit products up to
// float32 rounding, for the Hessian, GGN and Fisher, from scratch and on
// kept passes, accumulating across chunks included.
func TestCNNSplitLastVector(t *testing.T) {
	defer func(w, r int) { parallelWork, cnnSplitRows = w, r }(parallelWork, cnnSplitRows)
	parallelWork = 1
	m := newTestCNN(t, "cnn:1x10x10:c8k3p1-bn-relu-m2-c8k3-relu-f-d32-relu-d3", 21)
	m.Chunk = 24 // two chunks of 40 rows: the second job accumulates
	b := testBatch(m, 40, 5)
	p := m.NumParams()
	for _, k := range []int{1, 3} {
		vs := randVectors(k, p, 9)
		products := func() [][]float32 {
			var res [][]float32
			for _, f := range []func(out []float32){
				func(out []float32) { m.HVP(b, vs, k, out) },
				func(out []float32) { m.GGNVP(b, vs, k, out) },
				func(out []float32) { m.FisherVP(b, vs, k, out) },
				func(out []float32) { m.NewHVP(b).Apply(vs, k, out) },
			} {
				out := make([]float32, k*p)
				f(out)
				res = append(res, out)
			}
			return res
		}
		cnnSplitRows = 1 << 30
		want := products()
		cnnSplitRows = 4
		got := products()
		for i := range want {
			var diff, norm float64
			for j := range want[i] {
				d := float64(got[i][j] - want[i][j])
				diff += d * d
				norm += float64(want[i][j]) * float64(want[i][j])
			}
			if !(norm > 0) || math.Sqrt(diff/norm) > 1e-5 {
				t.Errorf("k=%d product %d: split differs from unsplit by %.2g relative (norm %g)", k, i, math.Sqrt(diff/norm), math.Sqrt(norm))
			}
		}
	}
}
