package train

import (
	"errors"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// Nudged SGD with gamma = 1 is plain SGD bit for bit (momentum, weight decay
// and dropout on), although its projector is computed and refreshed; and
// another gamma does change the run.
func TestNudgeGammaOneIsSGD(t *testing.T) {
	plain := config(t, "mlp:16-32-4", 0.05)
	plain.Model.Dropout = 0.25
	if _, err := Run(plain); err != nil {
		t.Fatal(err)
	}
	nudged := func(gamma float64) (Config, *curvature.Nudger) {
		c := config(t, "mlp:16-32-4", 0.05)
		c.Model.Dropout = 0.25
		hb, err := c.Train.Head(128)
		if err != nil {
			t.Fatal(err)
		}
		nd, err := curvature.NewNudger(curvature.NudgeConfig{Gamma: gamma, K: 2, M: 10, Seed: 1}, hb.All(), "")
		if err != nil {
			t.Fatal(err)
		}
		c.Transform = nd
		if _, err := Run(c); err != nil {
			t.Fatal(err)
		}
		return c, nd
	}
	one, nd := nudged(1)
	if len(nd.Refreshes()) == 0 || nd.Refreshes()[0].Eigenvalues[0] <= 0 {
		t.Fatalf("gamma 1 computed no projector: %+v", nd.Refreshes())
	}
	if !sameBits(params(plain), params(one)) {
		t.Fatal("gamma = 1 differs from plain SGD")
	}
	if other, _ := nudged(0.1); sameBits(params(plain), params(other)) {
		t.Fatal("gamma = 0.1 changed nothing")
	}
}

type failing struct{ at int }

func (f failing) TransformGrad(step int, _ *nn.Model, _ data.Batch, _ []float32) error {
	if step == f.at {
		return errBoom
	}
	return nil
}

var errBoom = errors.New("boom")

// A transform's error aborts the run at that step, before the step is taken.
func TestTransformErrorAborts(t *testing.T) {
	c := config(t, "mlp:16-8-4", 0.05)
	c.Transform = failing{at: 3}
	res, err := Run(c)
	if !errors.Is(err, errBoom) || res == nil || res.Steps != 3 {
		t.Fatalf("res %+v err %v", res, err)
	}
}

// A TransformFunc that leaves the gradient alone sees theta_t (before the
// step) and changes nothing in the run.
func TestTransformFuncSeesParamsBeforeStep(t *testing.T) {
	plain := config(t, "mlp:16-8-4", 0.05)
	if _, err := Run(plain); err != nil {
		t.Fatal(err)
	}
	c := config(t, "mlp:16-8-4", 0.05)
	var before []float32
	c.Transform = TransformFunc(func(step int, m *nn.Model, _ data.Batch, _ []float32) error {
		if step == 2 {
			before = append([]float32(nil), m.Params()...)
		}
		return nil
	})
	var after1 []float32
	c.OnStep = func(s *StepInfo) error {
		if s.Step == 1 {
			after1 = append([]float32(nil), s.Model.Params()...)
		}
		return nil
	}
	if _, err := Run(c); err != nil {
		t.Fatal(err)
	}
	if !sameBits(before, after1) || !sameBits(params(plain), params(c)) {
		t.Fatal("the hook did not see theta after step 1 before step 2, or changed the run")
	}
}
