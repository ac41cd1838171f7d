package optim

import (
	"math"
	"strings"
	"testing"
)

// sgdReference is torch.optim.SGD's update written out in float64, one
// parameter at a time, as the oracle for SGD.Step.
type sgdReference struct {
	mu, wd   float64
	nesterov bool
	v        []float64
	started  bool
}

func (r *sgdReference) step(p, g []float64, lr float64) {
	if r.v == nil {
		r.v = make([]float64, len(p))
	}
	for i := range p {
		d := g[i] + r.wd*p[i]
		if r.mu != 0 {
			if !r.started {
				r.v[i] = d
			} else {
				r.v[i] = r.mu*r.v[i] + d
			}
			if r.nesterov {
				d = d + r.mu*r.v[i]
			} else {
				d = r.v[i]
			}
		}
		p[i] -= lr * d
	}
	r.started = true
}

func TestSGDMatchesTorchSemantics(t *testing.T) {
	cases := []SGD{
		{},
		{Momentum: 0.9},
		{Momentum: 0.9, WeightDecay: 5e-4},
		{Momentum: 0.5, Nesterov: true, WeightDecay: 1e-2},
		{WeightDecay: 0.1},
	}
	for _, c := range cases {
		o := c
		ref := sgdReference{mu: c.Momentum, wd: c.WeightDecay, nesterov: c.Nesterov}
		const n = 37
		p32 := make([]float32, n)
		p64 := make([]float64, n)
		for i := range p32 {
			p32[i] = float32(math.Sin(float64(i)))
			p64[i] = float64(p32[i])
		}
		for step := 0; step < 5; step++ {
			g32 := make([]float32, n)
			g64 := make([]float64, n)
			for i := range g32 {
				g32[i] = float32(math.Cos(float64(i*(step+1)))) * 0.5
				g64[i] = float64(g32[i])
			}
			lr := 0.1 / float64(step+1)
			o.Step(p32, g32, lr)
			ref.step(p64, g64, lr)
			// Gradient must not be modified by weight decay.
			if g32[3] != float32(math.Cos(float64(3*(step+1))))*0.5 {
				t.Fatalf("%+v: Step modified the gradient", c)
			}
		}
		for i := range p32 {
			if d := math.Abs(float64(p32[i]) - p64[i]); d > 1e-5 {
				t.Fatalf("%+v: param %d = %v, torch semantics give %v", c, i, p32[i], p64[i])
			}
		}
	}
}

func TestSGDValidate(t *testing.T) {
	bad := []SGD{{Momentum: -0.1}, {Momentum: 1}, {WeightDecay: -1}, {Nesterov: true}}
	for _, o := range bad {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if err := (&SGD{Momentum: 0.9, Nesterov: true}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestSchedules(t *testing.T) {
	s, err := ParseLR(0.1, "step:0.1@2,4")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		epoch int
		want  float64
	}{{0, 0.1}, {1, 0.1}, {2, 0.01}, {3, 0.01}, {4, 0.001}} {
		if got := s.LR(0, c.epoch, 100); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("step lr at epoch %d = %g, want %g", c.epoch, got, c.want)
		}
	}
	b, err := ParseBatch(32, "step:10@2,4")
	if err != nil {
		t.Fatal(err)
	}
	// Growing the batch by 10 at the milestones where the rate falls by 10
	// keeps eta/S identical: P1's substitution.
	for e := 0; e < 6; e++ {
		ratioLR := s.LR(0, e, 100) / 32
		ratioB := 0.1 / float64(b.Batch(e))
		if math.Abs(ratioLR-ratioB)/ratioLR > 1e-12 {
			t.Errorf("epoch %d: decayed eta/S %g != grown-batch eta/S %g", e, ratioLR, ratioB)
		}
	}
	c, _ := ParseLR(1, "cosine")
	if c.LR(0, 0, 11) != 1 || math.Abs(c.LR(10, 0, 11)) > 1e-12 || math.Abs(c.LR(5, 0, 11)-0.5) > 1e-12 {
		t.Errorf("cosine endpoints/midpoint wrong: %g %g %g", c.LR(0, 0, 11), c.LR(10, 0, 11), c.LR(5, 0, 11))
	}
	cl, _ := ParseLR(1, "cyclic:0.1@2")
	cyc := cl.(CyclicLR)
	cyc.StepsPerEpoch = 10
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0.1}, {10, 0.55}, {20, 1}, {30, 0.55}, {40, 0.1}} {
		if got := cyc.LR(c.step, c.step/10, 100); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("cyclic lr at step %d = %g, want %g", c.step, got, c.want)
		}
	}
	cb, _ := ParseBatch(50, "cyclic:10@2")
	if cb.Batch(0) != 500 || cb.Batch(2) != 50 || cb.Batch(4) != 500 {
		t.Errorf("cyclic batch: %d %d %d, want 500 50 500", cb.Batch(0), cb.Batch(2), cb.Batch(4))
	}
}

func TestParseErrors(t *testing.T) {
	lrBad := map[string]string{
		"step:0.1":      "want step",
		"step:x@1":      "factor",
		"step:0.1@3,2":  "increasing",
		"cyclic:2@3":    "< 1",
		"cosine:2":      "fraction",
		"bogus":         "unknown kind",
		"const:1":       "no argument",
		"cyclic:0.1@0":  "half period",
		"step:-1@1":     "positive",
		"cyclic:0.1@-2": "half period",
	}
	for s, want := range lrBad {
		_, err := ParseLR(0.1, s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLR(%q) = %v, want error containing %q", s, err, want)
		}
	}
	for _, lr := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := ParseLR(lr, ""); err == nil {
			t.Errorf("ParseLR(%g) accepted", lr)
		}
	}
	if _, err := ParseBatch(0, ""); err == nil {
		t.Error("batch 0 accepted")
	}
	if _, err := ParseBatch(8, "cyclic:0.5@2"); err == nil {
		t.Error("cyclic batch factor < 1 accepted")
	}
}
