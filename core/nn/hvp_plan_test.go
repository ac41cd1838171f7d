package nn

import (
	"fmt"
	"reflect"
	"runtime"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// withPlan runs f with the tangent planner's knobs set for m: passRows
// (small values stack no vectors and split single ones, large values stack
// them), parallelWork (0 runs every job's tasks on several goroutines) and,
// when stacked is not 0, the tangent budget of stacked rows (vectors times
// rows) in one pass, which cuts the rows into tiles.
func withPlan(m *Model, pc planCase, f func()) {
	r, w, b := passRows, parallelWork, tangentBudget
	passRows, parallelWork = pc.rows, pc.work
	if pc.stacked > 0 {
		sum := 0
		for _, w := range m.a.widths[1:] {
			sum += w
		}
		tangentBudget = 2 * sum * pc.stacked
	}
	defer func() { passRows, parallelWork, tangentBudget = r, w, b }()
	f()
}

type planCase struct {
	name                string
	rows, work, stacked int
}

// planCases covers every shape of plan on a batch of 70 examples: stacked
// groups, one vector per task, split single (and odd last) vectors, tiles,
// in order and on several goroutines.
var planCases = []planCase{
	{"stacked", 1 << 20, 1 << 40, 0},
	{"stacked tiles", 1 << 20, 1 << 40, 80},
	{"per vector", 64, 1 << 40, 0},
	{"split", 8, 1 << 40, 0},
	{"split tiles", 8, 1 << 40, 20},
	{"split parallel", 8, 0, 0},
	{"per vector parallel tiles", 64, 0, 30},
}

// products returns the Hessian, GGN and Fisher products of vs, uncached
// and cached.
func products(m *Model, b data.Batch, vs []float32, k int) [][]float32 {
	p := m.NumParams()
	var res [][]float32
	c := m.NewHVP(b)
	for _, f := range []func([]float32, int, []float32){
		func(v []float32, k int, o []float32) { m.HVP(b, v, k, o) },
		func(v []float32, k int, o []float32) { m.GGNVP(b, v, k, o) },
		func(v []float32, k int, o []float32) { m.FisherVP(b, v, k, o) },
		c.Apply, c.ApplyGGN, c.ApplyFisher,
	} {
		out := make([]float32, k*p)
		for i := range out {
			out[i] = float32(i) // must be overwritten
		}
		f(vs, k, out)
		res = append(res, out)
	}
	return res
}

var productNames = []string{"HVP", "GGNVP", "FisherVP", "cached HVP", "cached GGN", "cached Fisher"}

// TestTangentPlans: every plan gives the products of the first (vectors
// stacked in one pass) up to rounding, for 1 to 4 vectors, and every plan
// is bitwise identical with GOMAXPROCS 1 and 2.
func TestTangentPlans(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	m := newTestModel(t, "resmlp:9-10x2-4", CrossEntropy, 150)
	b := testBatch(m, 70, 151)
	p := m.NumParams()
	for _, k := range []int{1, 2, 3, 4} {
		vs := randVectors(k, p, uint64(152+k))
		var ref [][]float32
		for ci, pc := range planCases {
			var one, two [][]float32
			withPlan(m, pc, func() {
				runtime.GOMAXPROCS(1)
				one = products(m, b, vs, k)
				runtime.GOMAXPROCS(2)
				two = products(m, b, vs, k)
			})
			if !reflect.DeepEqual(one, two) {
				t.Errorf("k=%d %s: results differ between GOMAXPROCS 1 and 2", k, pc.name)
			}
			if ci == 0 {
				ref = one
				continue
			}
			for i := range one {
				if j, ok := closeTo(one[i], f64(ref[i]), 0, 1e-5); !ok {
					t.Errorf("k=%d %s %s: entry %d = %v, stacked plan %v", k, pc.name, productNames[i], j, one[i][j], ref[i][j])
				}
			}
		}
	}
}

// TestTangentPlanShapes: the planner does what the cases above rely on.
func TestTangentPlanShapes(t *testing.T) {
	m := newTestModel(t, "resmlp:9-10x2-4", CrossEntropy, 150)
	check := func(pc planCase, n, k int, want tangentPlan) {
		t.Helper()
		var got tangentPlan
		withPlan(m, pc, func() { got = m.planTangents(n, k) })
		if runtime.GOMAXPROCS(0) < 2 || want.workers <= 1 {
			got.workers, want.workers = min(got.workers, 2), min(want.workers, 2)
		}
		if got != want {
			t.Errorf("%s n=%d k=%d: plan %+v, want %+v", pc.name, n, k, got, want)
		}
	}
	w2 := min(2, runtime.GOMAXPROCS(0))
	check(planCases[0], 70, 4, tangentPlan{group: 4, groups: 1, tile: 70, workers: 1})
	check(planCases[1], 70, 4, tangentPlan{group: 4, groups: 1, tile: 18, workers: 1})
	check(planCases[2], 70, 3, tangentPlan{group: 1, groups: 3, tile: 70, workers: 1})
	check(planCases[3], 70, 3, tangentPlan{group: 1, groups: 2, tile: 35, workers: 1, split: true})
	check(planCases[4], 70, 1, tangentPlan{group: 1, groups: 0, tile: 18, workers: 1, split: true})
	check(planCases[5], 70, 1, tangentPlan{group: 1, groups: 0, tile: 35, workers: w2, split: true})
	check(planCases[6], 70, 4, tangentPlan{group: 1, groups: 4, tile: 24, workers: w2})
	// The reference problem: a vector per task, single vectors split.
	big, err := New("mlp:784-512-512-10", 1)
	if err != nil {
		t.Fatal(err)
	}
	var p1, p16 tangentPlan
	p1, p16 = big.planTangents(1024, 1), big.planTangents(1024, 16)
	if !p1.split || p1.tile != 512 || p16.group != 1 || p16.groups != 16 || p16.split || p16.tile != 1024 {
		t.Errorf("mlp:784-512-512-10 on 1024 examples: plans %+v (k=1), %+v (k=16)", p1, p16)
	}
	if runtime.GOMAXPROCS(0) >= 2 && (p1.workers != 2 || p16.workers < 2) {
		t.Errorf("mlp:784-512-512-10: %d and %d workers for k=1 and 16", p1.workers, p16.workers)
	}
}

// TestLiveInputs: on inputs with columns that are zero in every example,
// the cache multiplies at the live columns only; its products match the
// uncached ones (which use every column) under every plan, and the rows
// of the dead columns' weights are exactly zero.
func TestLiveInputs(t *testing.T) {
	for _, spec := range []string{"mlp:12-7-5-3", "resmlp:12-6x2-3"} {
		m := newTestModel(t, spec, CrossEntropy, 160)
		b := testBatch(m, 40, 161)
		in := m.InputDim()
		dead := map[int]bool{0: true, 1: true, 5: true, 11: true}
		for i := 0; i < b.N; i++ {
			for j := range dead {
				b.X[i*in+j] = 0
			}
		}
		b.X[3*in+2] = 0 // zero in one example only: stays live
		c := m.NewHVP(b)
		if c.live == nil || len(c.live.cols) != in-len(dead) {
			t.Fatalf("%s: live columns %+v, want all but %v", spec, c.live, dead)
		}
		p := m.NumParams()
		first := m.Blocks()[0]
		for _, k := range []int{1, 3} {
			vs := randVectors(k, p, 162)
			for _, pc := range planCases {
				withPlan(m, pc, func() {
					res := products(m, b, vs, k)
					for i := 0; i < 3; i++ {
						name := fmt.Sprintf("%s k=%d %s %s", spec, k, pc.name, productNames[i+3])
						if j, ok := closeTo(res[i+3], f64(res[i]), 0, 1e-5); !ok {
							t.Errorf("%s: entry %d = %v, uncached %v", name, j, res[i+3][j], res[i][j])
						}
						for v := 0; v < k; v++ {
							w := res[i+3][v*p+first.Offset : v*p+first.Offset+first.Size()]
							for e, x := range w {
								if dead[e%in] && x != 0 {
									t.Errorf("%s: vector %d weight %d of a dead column = %v", name, v, e, x)
									break
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestLiveInputsNotWorthIt: with no (or few) dead columns the cache keeps
// the full input.
func TestLiveInputsNotWorthIt(t *testing.T) {
	m := newTestModel(t, "mlp:32-4-2", CrossEntropy, 170)
	b := testBatch(m, 10, 171)
	if m.NewHVP(b).live != nil {
		t.Error("compacted an input without dead columns")
	}
	for i := 0; i < b.N; i++ {
		b.X[i*32] = 0 // 1 of 32 dead: below the threshold
	}
	if m.NewHVP(b).live != nil {
		t.Error("compacted an input with 1 dead column of 32")
	}
}
