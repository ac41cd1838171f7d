package optim

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/kernels"
)

// SGD is stochastic gradient descent with momentum and weight decay, with
// torch.optim.SGD's semantics (see the package documentation).
type SGD struct {
	Momentum    float64
	Nesterov    bool
	WeightDecay float64

	velocity []float32
	buf      []float32
	started  bool
}

// Validate reports an impossible setting as a one-line error.
func (o *SGD) Validate() error {
	switch {
	case o.Momentum < 0 || o.Momentum >= 1:
		return fmt.Errorf("momentum %g: must be in [0, 1)", o.Momentum)
	case o.WeightDecay < 0:
		return fmt.Errorf("weight decay %g: must be >= 0", o.WeightDecay)
	case o.Nesterov && o.Momentum == 0:
		return fmt.Errorf("nesterov needs momentum > 0")
	}
	return nil
}

// Reset forgets the momentum buffer.
func (o *SGD) Reset() { o.started = false }

// Step updates params in place from grad at learning rate lr. grad is not
// modified.
func (o *SGD) Step(params, grad []float32, lr float64) {
	n := len(params)
	if len(grad) != n {
		panic(fmt.Sprintf("optim: %d params, %d gradients", n, len(grad)))
	}
	g := grad
	if o.WeightDecay != 0 {
		if len(o.buf) != n {
			o.buf = make([]float32, n)
		}
		copy(o.buf, grad)
		kernels.Axpy(n, float32(o.WeightDecay), params, o.buf)
		g = o.buf
	}
	if o.Momentum == 0 {
		kernels.Axpy(n, float32(-lr), g, params)
		return
	}
	if len(o.velocity) != n {
		o.velocity = make([]float32, n)
		o.started = false
	}
	if !o.started {
		copy(o.velocity, g)
		o.started = true
	} else {
		kernels.Scale(n, float32(o.Momentum), o.velocity)
		kernels.Axpy(n, 1, g, o.velocity)
	}
	if o.Nesterov {
		kernels.Axpy(n, float32(-lr), g, params)
		kernels.Axpy(n, float32(-lr*o.Momentum), o.velocity, params)
		return
	}
	kernels.Axpy(n, float32(-lr), o.velocity, params)
}
