package curvature

import (
	"fmt"
	"strings"
)

// Stamp records how a curvature figure was measured (DESIGN.md, "measurement
// stamp"). Every result of this package carries one: two numbers are only
// comparable when their stamps agree on the operator, the examples, the loss
// and the weight decay, and a figure without its estimator, budget and error
// bar cannot be judged. The operator fills in the first half when it is
// built; the estimator fills in the second.
type Stamp struct {
	// Operator names the matrix: "Hessian", "generalized Gauss-Newton",
	// "gradient covariance", "dense symmetric matrix".
	Operator string `json:"operator"`
	// Model is the network spec the operator was built from, if any.
	Model string `json:"model,omitempty"`
	// Params is the dimension of the operator.
	Params int `json:"params"`
	// Block names the parameter block when the operator is restricted to one.
	Block string `json:"block,omitempty"`
	// Examples is how many examples the loss averages over, and Selection
	// says which ones ("first 1024 training images in file order").
	Examples  int    `json:"examples,omitempty"`
	Selection string `json:"selection,omitempty"`
	// Mode is the network mode the products were taken in: always
	// "eval (dropout off)" here, since a random dropout mask would make the
	// operator random.
	Mode string `json:"mode,omitempty"`
	// Loss is the objective whose curvature this is, e.g. "mean cross-entropy".
	Loss string `json:"loss,omitempty"`
	// WeightDecay is the L2 coefficient included in the operator (the
	// Hessian of loss + wd/2 ||theta||^2 is H + wd I); 0 means excluded.
	WeightDecay float64 `json:"weight_decay"`
	// Dtype says in which precision products are computed and accumulated.
	Dtype string `json:"dtype"`
	// Estimator names the algorithm and its settings.
	Estimator string `json:"estimator,omitempty"`
	// Seed is the root seed of the estimator's random vectors.
	Seed uint64 `json:"seed"`
	// Budget is the number of operator applications (HVPs) spent.
	Budget int `json:"budget"`
	// ErrorBarKind says what ErrorBar is ("standard error", "max relative
	// Ritz residual", ...), and ErrorBar is its value for the headline
	// number (per-item error bars are in the result itself).
	ErrorBarKind string  `json:"error_bar_kind,omitempty"`
	ErrorBar     float64 `json:"error_bar"`
}

// String renders the stamp on one line, for logs and table footers.
func (s Stamp) String() string {
	var b strings.Builder
	b.WriteString(s.Operator)
	if s.Block != "" {
		fmt.Fprintf(&b, " [%s]", s.Block)
	}
	if s.Model != "" {
		fmt.Fprintf(&b, " of %s", s.Model)
	}
	if s.Examples > 0 {
		fmt.Fprintf(&b, "; %d examples", s.Examples)
		if s.Selection != "" {
			fmt.Fprintf(&b, " (%s)", s.Selection)
		}
	}
	if s.Mode != "" {
		fmt.Fprintf(&b, "; %s", s.Mode)
	}
	if s.Loss != "" {
		fmt.Fprintf(&b, "; %s", s.Loss)
		if s.WeightDecay != 0 {
			fmt.Fprintf(&b, " + weight decay %g", s.WeightDecay)
		} else {
			b.WriteString(", weight decay excluded")
		}
	}
	fmt.Fprintf(&b, "; %s", s.Dtype)
	if s.Estimator != "" {
		fmt.Fprintf(&b, "; %s, seed %d, %d applications", s.Estimator, s.Seed, s.Budget)
	}
	if s.ErrorBarKind != "" {
		fmt.Fprintf(&b, "; %s %.3g", s.ErrorBarKind, s.ErrorBar)
	}
	return b.String()
}

// stampFor starts an estimator's stamp from the operator's.
func stampFor(op Operator, estimator string, seed uint64) Stamp {
	s := describe(op)
	s.Params = op.Dim()
	s.Estimator = estimator
	s.Seed = seed
	return s
}
