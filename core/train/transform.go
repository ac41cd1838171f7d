package train

import (
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// GradTransform changes the mini-batch gradient before the optimiser sees
// it: the update-direction hook of methods that are SGD on another
// direction, such as Nudged SGD (P3: g <- (I - P_K) g + gamma P_K g, see
// curvature.Nudger, which implements this interface).
//
// Run calls TransformGrad once per step, after the mini-batch gradient is
// computed and its loss found finite, and before optim.SGD.Step: so momentum
// accumulates the transformed direction and weight decay is added to it
// afterwards (the transform sees the gradient of the data loss alone). step
// counts from 1 over the run, as StepInfo.Step; m is the model at the
// parameters the gradient was taken at (read it, do not train it); b is the
// step's batch as the model saw it (augmented and normalised). grad may be
// modified in place; what it holds on return is what the optimiser uses and
// what OnStep sees as StepInfo.Grad. A non-nil error aborts the run with
// that error.
//
// Transforms must be deterministic functions of their inputs (and their own
// seeded state) for runs to stay bitwise reproducible across GOMAXPROCS.
type GradTransform interface {
	TransformGrad(step int, m *nn.Model, b data.Batch, grad []float32) error
}

// TransformFunc adapts a function to GradTransform. A function that leaves
// grad as it is makes a "before the step" hook: it sees the parameters
// theta_t the gradient was taken at, the batch and the gradient, which is
// what measurements of the step itself need (curvature.SplitStep with
// d = -lr*grad for plain SGD), while OnStep sees theta_{t+1}.
type TransformFunc func(step int, m *nn.Model, b data.Batch, grad []float32) error

// TransformGrad calls f.
func (f TransformFunc) TransformGrad(step int, m *nn.Model, b data.Batch, grad []float32) error {
	return f(step, m, b, grad)
}
