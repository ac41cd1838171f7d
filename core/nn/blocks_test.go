package nn

import (
	"fmt"
	"math"
	"runtime"
	"testing"
)

// TraceBlocks records h_i, F_i(h_i) with h_{i+1} = h_i + F_i(h_i), and the
// loss it reports is Evaluate's.
func TestTraceBlocksForward(t *testing.T) {
	m := newTestModel(t, "resmlp:12-10x3-4", CrossEntropy, 2)
	b := testBatch(m, 9, 1)
	tr, err := m.TraceBlocks(b)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Blocks != 3 || m.ResidualBlocks() != 3 || len(tr.H) != 4 || len(tr.F) != 3 || len(tr.G) != 4 {
		t.Fatalf("trace shape: %d blocks, %d H, %d F, %d G", tr.Blocks, len(tr.H), len(tr.F), len(tr.G))
	}
	for i := 0; i < 3; i++ {
		for j := range tr.F[i] {
			if d := tr.H[i][j] + tr.F[i][j] - tr.H[i+1][j]; math.Abs(float64(d)) > 1e-5*(1+math.Abs(float64(tr.H[i+1][j]))) {
				t.Fatalf("block %d: h + F != next h at %d (off by %v)", i, j, d)
			}
		}
	}
	loss, hits := m.Evaluate(b)
	if tr.Loss != loss || tr.Correct != hits {
		t.Fatalf("trace loss %v/%d, Evaluate %v/%d", tr.Loss, tr.Correct, loss, hits)
	}
	if m2, _ := New("mlp:12-10-4", 1); m2.ResidualBlocks() != 0 {
		t.Fatal("an mlp has residual blocks")
	} else if _, err := m2.TraceBlocks(b); err == nil {
		t.Fatal("TraceBlocks accepted an mlp")
	}
}

// dL/dh_i against central finite differences of EvaluateFromBlock, for
// every block input and the last block's output, with both losses.
func TestTraceBlocksGradFiniteDifferences(t *testing.T) {
	for _, loss := range []LossKind{CrossEntropy, SquaredError} {
		m := newTestModel(t, "resmlp:8-6x3-3", loss, 4)
		b := testBatch(m, 7, 2)
		tr, err := m.TraceBlocks(b)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i <= tr.Blocks; i++ {
			v := randVectors(1, len(tr.H[i]), uint64(10+i))
			// Analytic: the mean loss's directional derivative is
			// (1/N) sum_n <G_i[n], v[n]>.
			want := 0.0
			for j, g := range tr.G[i] {
				want += float64(g) * float64(v[j])
			}
			want /= float64(b.N)
			// Central differences are exact up to O(eps^2) (the head's
			// curvature) as long as no ReLU changes state between the two
			// points: halve eps until the activation patterns agree.
			at := func(eps float64) (float64, []bool) {
				h := make([]float32, len(v))
				for j := range h {
					h[j] = tr.H[i][j] + float32(eps)*v[j]
				}
				l, _, err := m.EvaluateFromBlock(i, h, b)
				if err != nil {
					t.Fatal(err)
				}
				return l, reluPattern(m, b.N, 1+2*i)
			}
			eps := 1e-2
			var fd float64
			for ; eps > 1e-5; eps /= 2 {
				lp, pp := at(eps)
				lm, pm := at(-eps)
				fd = (lp - lm) / (2 * eps)
				if samePattern(pp, pm) {
					break
				}
			}
			if math.Abs(fd-want) > 3e-3*math.Abs(want)+1e-4 {
				t.Errorf("%v block %d: finite difference %v, dL/dh . v = %v", loss, i, fd, want)
			}
			if l0, _, _ := m.EvaluateFromBlock(i, tr.H[i], b); math.Abs(l0-tr.Loss) > 1e-6*(1+tr.Loss) {
				t.Errorf("%v block %d: loss from h_i %v, full %v", loss, i, l0, tr.Loss)
			}
		}
	}
}

// Dropping blocks is bitwise the network built without them; dropping none
// is Evaluate.
func TestDropBlocksEqualsSmallerModel(t *testing.T) {
	m := newTestModel(t, "resmlp:12-10x4-4", CrossEntropy, 3)
	m.Chunk = 5 // several chunks
	b := testBatch(m, 13, 3)
	for _, drop := range [][]int{{0}, {3}, {1, 2}, {0, 1, 3}} {
		l, c, err := m.EvaluateWithoutBlocks(b, drop...)
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.WithoutBlocks(drop...)
		if err != nil {
			t.Fatal(err)
		}
		if r.ResidualBlocks() != 4-len(drop) {
			t.Fatalf("drop %v: %d blocks left", drop, r.ResidualBlocks())
		}
		rl, rc := r.Evaluate(b)
		if math.Float64bits(l) != math.Float64bits(rl) || c != rc {
			t.Fatalf("drop %v: %v/%d, smaller model %v/%d", drop, l, c, rl, rc)
		}
		if full, _ := m.Evaluate(b); l == full {
			t.Fatalf("drop %v changed nothing", drop)
		}
	}
	l, c, _ := m.EvaluateWithoutBlocks(b)
	if fl, fc := m.Evaluate(b); math.Float64bits(l) != math.Float64bits(fl) || c != fc {
		t.Fatalf("no drop %v/%d, Evaluate %v/%d", l, c, fl, fc)
	}
	for _, bad := range [][]int{{4}, {-1}} {
		if _, _, err := m.EvaluateWithoutBlocks(b, bad...); err == nil {
			t.Fatalf("drop %v accepted", bad)
		}
	}
	if _, err := m.WithoutBlocks(0, 1, 2, 3); err == nil {
		t.Fatal("dropping every block accepted")
	}
}

// Per-example cosines and relative norms, and their summaries, are
// deterministic across GOMAXPROCS and consistent with each other.
func TestBlockStats(t *testing.T) {
	run := func(procs int) (*BlockTrace, []BlockStats) {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		m := newTestModel(t, "resmlp:16-32x3-5", CrossEntropy, 6)
		tr, err := m.TraceBlocks(testBatch(m, 40, 4))
		if err != nil {
			t.Fatal(err)
		}
		return tr, tr.Stats()
	}
	tr, st := run(2)
	_, st1 := run(1)
	for i := range st {
		if st[i] != st1[i] {
			t.Fatalf("block %d stats differ across GOMAXPROCS: %+v vs %+v", i, st[i], st1[i])
		}
		c := tr.Cosines(i)
		for _, v := range c {
			if !(v >= -1-1e-12 && v <= 1+1e-12) {
				t.Fatalf("cosine %v", v)
			}
		}
		if math.Abs(st[i].Cos-mean(c)) > 1e-15 || st[i].RelNorm <= 0 {
			t.Fatalf("stats %+v", st[i])
		}
	}
	if v := cosine([]float32{1, 0}, []float32{-2, 0}); v != -1 {
		t.Fatalf("cos of opposite vectors %v", v)
	}
	if v := cosine([]float32{0, 0}, []float32{1, 0}); v != 0 {
		t.Fatalf("cos with zero %v", v)
	}
}

// reluPattern is the on/off state of every ReLU unit after buffer from
// in the last evaluation pass of m over n rows (one chunk).
func reluPattern(m *Model, n, from int) []bool {
	var p []bool
	for s, st := range m.a.steps {
		if !st.relu || s+1 <= from {
			continue
		}
		for _, x := range m.ws.view.act[s+1][:n*m.a.widths[s+1]] {
			p = append(p, x > 0)
		}
	}
	return p
}

func samePattern(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestBlockFiguresMatchTrace: the chunk-by-chunk figures are bitwise the
// full trace's per-example figures and statistics, with the batch split
// over several chunks (the last one short), for a resmlp and a CNN ResNet
// with downsampling blocks; and they refuse what TraceBlocks refuses.
func TestBlockFiguresMatchTrace(t *testing.T) {
	for _, tc := range []struct {
		m     *Model
		n, ch int
	}{
		{newTestModel(t, "resmlp:16-32x3-5", CrossEntropy, 6), 40, 16},
		{newTestCNN(t, "resnet20:3x8x8-3", 31), 11, 4},
	} {
		m := tc.m
		m.Chunk = tc.ch
		b := testBatch(m, tc.n, 7)
		tr, err := m.TraceBlocks(b)
		if err != nil {
			t.Fatal(err)
		}
		f, err := m.BlockFigures(b)
		if err != nil {
			t.Fatal(err)
		}
		same := func(what string, i int, got, want []float64) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s %s block %d: %d values, want %d", m.Spec(), what, i, len(got), len(want))
			}
			for n := range want {
				if math.Float64bits(got[n]) != math.Float64bits(want[n]) {
					t.Fatalf("%s %s block %d example %d: %v, trace %v", m.Spec(), what, i, n, got[n], want[n])
				}
			}
		}
		if f.N != tr.N || f.Blocks != tr.Blocks || f.Correct != tr.Correct || math.Float64bits(f.Loss) != math.Float64bits(tr.Loss) {
			t.Fatalf("%s: figures %d/%d/%d/%v, trace %d/%d/%d/%v", m.Spec(), f.N, f.Blocks, f.Correct, f.Loss, tr.N, tr.Blocks, tr.Correct, tr.Loss)
		}
		for i := 0; i < tr.Blocks; i++ {
			same("cos", i, f.Cos[i], tr.Cosines(i))
			same("cos next", i, f.CosNext[i], tr.CosinesNext(i))
			same("relnorm", i, f.RelNorm[i], tr.RelativeNorms(i))
			fn, hn := make([]float64, tr.N), make([]float64, tr.N)
			for n := range tr.N {
				fn[n] = norm32(tr.F[i][n*tr.Sizes[i+1] : (n+1)*tr.Sizes[i+1]])
				hn[n] = norm32(tr.H[i][n*tr.Sizes[i] : (n+1)*tr.Sizes[i]])
			}
			same("||F||", i, f.FNorm[i], fn)
			same("||h||", i, f.HNorm[i], hn)
			if f.Identity[i] != tr.Identity[i] {
				t.Fatalf("block %d identity %v, trace %v", i, f.Identity[i], tr.Identity[i])
			}
		}
		st, ft := tr.Stats(), f.Stats()
		for i := range st {
			if fmt.Sprint(st[i]) != fmt.Sprint(ft[i]) {
				t.Fatalf("%s block %d stats %+v, trace %+v", m.Spec(), i, ft[i], st[i])
			}
		}
	}
	mlp := newTestModel(t, "mlp:4-3-2", CrossEntropy, 1)
	if _, err := mlp.BlockFigures(testBatch(mlp, 3, 1)); err == nil {
		t.Error("BlockFigures of an MLP without blocks: no error")
	}
}
