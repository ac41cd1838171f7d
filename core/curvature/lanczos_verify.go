package curvature

import "math"

// verifyResiduals applies op to every wanted Ritz vector as one block and
// records ||H y - theta y||. It returns the applications spent.
func verifyResiduals(op Operator, res *Eigenpairs) int {
	var ps []*Eigenpair
	for i := range res.Top {
		ps = append(ps, &res.Top[i])
	}
	for i := range res.Bottom {
		ps = append(ps, &res.Bottom[i])
	}
	n := op.Dim()
	in := make([]float64, len(ps)*n)
	out := make([]float64, len(ps)*n)
	for i, p := range ps {
		copy(in[i*n:], p.Vector)
	}
	op.ApplyBlock(in, len(ps), out)
	for i, p := range ps {
		hy := out[i*n : (i+1)*n]
		axpy(-p.Value, p.Vector, hy)
		p.TrueResidual = nrm2(hy)
	}
	return len(ps)
}

// maxRelResidual is the largest Residual/|Value| over the wanted pairs.
func maxRelResidual(res *Eigenpairs) float64 {
	m := 0.0
	for _, ps := range [][]Eigenpair{res.Top, res.Bottom} {
		for _, p := range ps {
			if p.Value != 0 {
				m = math.Max(m, p.Residual/math.Abs(p.Value))
			} else if p.Residual > 0 {
				m = math.Inf(1)
			}
		}
	}
	return m
}
