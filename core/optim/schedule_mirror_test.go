package optim

import (
	"math"
	"testing"
)

// C5's second comparison: a cyclic batch size against the cyclic rate.
// With HighFactor = 1/LowFraction, eta/S of the cyclic-batch run (fixed
// rate, batch CyclicBatch) equals eta/S of the cyclic-rate run (batch fixed
// at Base, rate CyclicLR) at the start of every epoch, up to the rounding
// of S to an integer (relative error at most 0.5/S); CyclicBatch holds S
// for a whole epoch while CyclicLR moves the rate every step.
func TestCyclicBatchMirrorsCyclicRate(t *testing.T) {
	const base, eta, spe = 64, 0.1, 50
	lrs, err := ParseLR(eta, "cyclic:0.125@3")
	if err != nil {
		t.Fatal(err)
	}
	cl := lrs.(CyclicLR)
	cl.StepsPerEpoch = spe
	bs, err := ParseBatch(base, "cyclic:8@3")
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 13; e++ {
		rate := cl.LR(e*spe, e, 13*spe) / base
		batch := eta / float64(bs.Batch(e))
		if s := bs.Batch(e); math.Abs(rate-batch)/rate > 0.5/float64(s) {
			t.Errorf("epoch %d: cyclic-rate eta/S %g, cyclic-batch eta/S %g (S %d)", e, rate, batch, s)
		}
	}
	// The ends of the cycle: S = 8*Base at epochs 0, 6, 12 and Base at 3, 9.
	for e, want := range map[int]int{0: 512, 3: 64, 6: 512, 9: 64, 12: 512} {
		if got := bs.Batch(e); got != want {
			t.Errorf("cyclic batch at epoch %d = %d, want %d", e, got, want)
		}
	}
}

// C5's first comparison: decaying the rate by k at milestones against
// growing the batch by k at the same milestones keeps eta/S equal at every
// epoch, for k = 2, 5 and 10 and several milestones.
func TestStepBatchMirrorsStepRate(t *testing.T) {
	for _, k := range []string{"2", "5", "10"} {
		lr, err := ParseLR(0.2, "step:"+invert(k)+"@2,5,7")
		if err != nil {
			t.Fatal(err)
		}
		bs, err := ParseBatch(32, "step:"+k+"@2,5,7")
		if err != nil {
			t.Fatal(err)
		}
		for e := 0; e < 9; e++ {
			a := lr.LR(0, e, 100) / 32
			b := 0.2 / float64(bs.Batch(e))
			if math.Abs(a-b)/a > 1e-12 {
				t.Errorf("k %s epoch %d: decayed-rate eta/S %g, grown-batch eta/S %g", k, e, a, b)
			}
		}
	}
}

func invert(k string) string {
	return map[string]string{"2": "0.5", "5": "0.2", "10": "0.1"}[k]
}
