package stationaryloss

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// quadModel is the quadratic model of the loss around a minimum that C2's
// predictions come from: H's eigenvalues and eigenvectors, and the gradient
// noise covariance C seen in H's eigenbasis.
//
// For SGD with step eta on L = L* + 1/2 d^T H d and mini-batch gradient noise
// of covariance kappa*C (kappa = (N-S)/(S(N-1)) for a batch of S distinct
// examples drawn uniformly, 1/S with replacement), the stationary covariance
// Sigma of d solves the discrete Lyapunov equation
//
//	H Sigma + Sigma H - eta H Sigma H = eta kappa C,
//
// and E[L - L*] = 1/2 Tr(H Sigma). In H's eigenbasis (H = Q diag(lambda) Q^T,
// c_j = q_j^T C q_j) the diagonal of Sigma decouples:
//
//	E[L - L*] = eta kappa / 4 * sum_j c_j / (1 - eta lambda_j / 2),
//
// which tends to the thesis's eta kappa / 4 * Tr(C) as eta lambda -> 0
// (the continuous-time limit), and to eta/(4S) Tr(H) if moreover C = H and
// kappa = 1/S. Directions with lambda_j = 0 (symmetries of the network) carry
// no loss and are left out; so is any part of C there (reported as nullC).
type quadModel struct {
	P      int
	Lambda []float64  // eigenvalues of H, ascending
	Q      *mat.Dense // eigenvectors as columns
	CDiag  []float64  // q_j^T C q_j
	TrH    float64
	TrC    float64
	// Tol is the eigenvalue below which a direction counts as flat:
	// 1e-6 * lambda_max, about float32 resolution of the Hessian products.
	Tol float64
}

// newQuadModel eigendecomposes h and projects c, both P x P row-major.
func newQuadModel(h, c []float64, p int) (*quadModel, error) {
	if len(h) != p*p || len(c) != p*p {
		return nil, fmt.Errorf("c2: quadratic model: want %d x %d matrices", p, p)
	}
	hs := mat.NewSymDense(p, nil)
	cs := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			hs.SetSym(i, j, (h[i*p+j]+h[j*p+i])/2)
			cs.SetSym(i, j, (c[i*p+j]+c[j*p+i])/2)
		}
	}
	return newQuadModelSym(hs, cs)
}

func newQuadModelSym(hs, cs *mat.SymDense) (*quadModel, error) {
	p := hs.SymmetricDim()
	var eig mat.EigenSym
	if !eig.Factorize(hs, true) {
		return nil, errors.New("c2: eigendecomposition of H did not converge")
	}
	q := &quadModel{P: p, Lambda: eig.Values(nil), Q: &mat.Dense{}}
	eig.VectorsTo(q.Q)
	q.CDiag = make([]float64, p)
	col := mat.NewVecDense(p, nil)
	var cv mat.VecDense
	for j := range p {
		mat.Col(col.RawVector().Data, j, q.Q)
		cv.MulVec(cs, col)
		q.CDiag[j] = mat.Dot(col, &cv)
	}
	for i := range p {
		q.TrH += hs.At(i, i)
		q.TrC += cs.At(i, i)
	}
	q.Tol = 1e-6 * math.Abs(q.Lambda[p-1])
	return q, nil
}

// LambdaMax is the largest eigenvalue of H.
func (q *quadModel) LambdaMax() float64 { return q.Lambda[q.P-1] }

// Rank counts eigenvalues above Tol; Negative those below -Tol.
func (q *quadModel) Rank() (rank, negative int) {
	for _, l := range q.Lambda {
		if l > q.Tol {
			rank++
		} else if l < -q.Tol {
			negative++
		}
	}
	return
}

// NullC is the fraction of Tr(C) in directions H treats as flat or negative.
func (q *quadModel) NullC() float64 {
	var s float64
	for j, l := range q.Lambda {
		if l <= q.Tol {
			s += q.CDiag[j]
		}
	}
	return s / q.TrC
}

// FirstOrder is the thesis's prediction with C: eta kappa / 4 * Tr(C).
func (q *quadModel) FirstOrder(eta, kappa float64) float64 { return eta * kappa / 4 * q.TrC }

// HessianForm is the prediction with C replaced by H: eta kappa / 4 * Tr(H).
func (q *quadModel) HessianForm(eta, kappa float64) float64 { return eta * kappa / 4 * q.TrH }

// Discrete is the prediction of the discrete Lyapunov equation (additive
// noise). It is +Inf when eta lambda_max >= 2: SGD is then unstable.
func (q *quadModel) Discrete(eta, kappa float64) float64 {
	var s float64
	for j, l := range q.Lambda {
		if l <= q.Tol {
			continue
		}
		if eta*l >= 2 {
			return math.Inf(1)
		}
		s += q.CDiag[j] / (1 - eta*l/2)
	}
	return eta * kappa / 4 * s
}

// components returns, per curved direction, the stationary excess e_j, the
// per-step contraction of its variance rho_j = (1 - eta lambda_j)^2, and
// lambda_j itself.
func (q *quadModel) components(eta, kappa float64) (e, rho, lambda []float64) {
	for j, l := range q.Lambda {
		if l <= q.Tol || eta*l >= 2 {
			continue
		}
		e = append(e, eta*kappa/4*q.CDiag[j]/(1-eta*l/2))
		r := 1 - eta*l
		rho = append(rho, r*r)
		lambda = append(lambda, l)
	}
	return
}

// RelaxationSteps is the number of steps over which the excess loss
// decorrelates, 1/(2 eta lambda_w), with lambda_w the curvature weighted by
// each direction's share of the stationary excess (flat directions carry
// little excess and do not set the time scale). It is 1 when nothing is
// curved.
func (q *quadModel) RelaxationSteps(eta, kappa float64) float64 {
	e, _, lambda := q.components(eta, kappa)
	var num, den float64
	for j := range e {
		num += e[j] * lambda[j]
		den += e[j]
	}
	if den <= 0 || num <= 0 {
		return 1
	}
	return 1 / (2 * eta * num / den)
}

// BurnIn returns the number of steps after which SGD started at the minimum
// has, by the quadratic model, reached all but frac of its stationary excess
// loss (variance in direction j grows as 1 - rho_j^t), capped at max.
func (q *quadModel) BurnIn(eta, kappa, frac float64, max int) int {
	e, rho, _ := q.components(eta, kappa)
	var tot float64
	for _, v := range e {
		tot += v
	}
	deficit := func(t int) float64 {
		var s float64
		for j := range e {
			s += e[j] * math.Pow(rho[j], float64(t))
		}
		return s / tot
	}
	if tot <= 0 || deficit(max) > frac {
		return max
	}
	lo, hi := 0, max // deficit(lo) > frac >= deficit(hi)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if deficit(mid) > frac {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// Transient returns the quadratic model's mean excess over steps
// [burn, burn+window) of a run started at the minimum, as a fraction of the
// stationary excess: how much of a shortfall the finite run alone explains.
func (q *quadModel) Transient(eta, kappa float64, burn, window int) float64 {
	e, rho, _ := q.components(eta, kappa)
	var num, den float64
	for j := range e {
		r := rho[j]
		var miss float64 // (1/W) sum_{t=burn}^{burn+W-1} r^t
		if r < 1 {
			miss = math.Pow(r, float64(burn)) * (1 - math.Pow(r, float64(window))) / ((1 - r) * float64(window))
		} else {
			miss = 1
		}
		num += e[j] * (1 - miss)
		den += e[j]
	}
	if den == 0 {
		return math.NaN()
	}
	return num / den
}

// lsExact solves, for least squares, the stationary second moment including
// the state-dependent part of the noise. With per-example gradients
// g_i = z_i z_i^T d - r_i z_i around the minimiser (mean_i r_i z_i = 0), the
// batch-gradient covariance at d is kappa (C + M4(d d^T) - H d d^T H),
// M4(S) = mean_i (z_i^T S z_i) z_i z_i^T, and E[d] = 0, so Sigma solves
//
//	H Sigma + Sigma H - eta H Sigma H = eta kappa (C + M4(Sigma) - H Sigma H)
//
// exactly (no small-eta approximation). It is solved by fixed-point
// iteration on the right-hand side, each step a diagonal solve in H's
// eigenbasis; the iteration contracts at rate about eta kappa Tr(H), small
// in the stable regime. z holds the rows z_i = [x_i, 1] (N x P). It returns
// E[L - L*] = 1/2 Tr(H Sigma).
func lsExact(q *quadModel, h, c []float64, z *mat.Dense, eta, kappa float64) (float64, error) {
	n, p := z.Dims()
	if p != q.P {
		return 0, fmt.Errorf("c2: lsExact: design has %d columns, model %d", p, q.P)
	}
	for _, l := range q.Lambda {
		if l <= q.Tol {
			return 0, errors.New("c2: lsExact: H is singular")
		}
		if eta*l >= 2 {
			return math.Inf(1), nil
		}
	}
	H := mat.NewDense(p, p, h)
	C := mat.NewDense(p, p, c)
	sigma := mat.NewDense(p, p, nil)
	var rhs, tmp, hs, hsh, qr, rot, m4 mat.Dense
	zs := mat.NewDense(n, p, nil)
	w := make([]float64, n)
	prev := math.Inf(1)
	for iter := 0; iter < 500; iter++ {
		// M4(Sigma) = Z^T diag(w) Z / N with w_i = z_i^T Sigma z_i.
		tmp.Mul(z, sigma)
		for i := range n {
			w[i] = mat.Dot(tmp.RowView(i), z.RowView(i))
		}
		zs.Apply(func(i, j int, v float64) float64 { return w[i] * v }, z)
		m4.Mul(z.T(), zs)
		m4.Scale(1/float64(n), &m4)
		hs.Mul(H, sigma)
		hsh.Mul(&hs, H)
		rhs.Sub(&m4, &hsh)
		rhs.Add(&rhs, C)
		rhs.Scale(eta*kappa, &rhs)
		// Solve in the eigenbasis: Sigma'_ab (l_a + l_b - eta l_a l_b) = R'_ab.
		qr.Mul(q.Q.T(), &rhs)
		rot.Mul(&qr, q.Q)
		for a := range p {
			for b := range p {
				la, lb := q.Lambda[a], q.Lambda[b]
				rot.Set(a, b, rot.At(a, b)/(la+lb-eta*la*lb))
			}
		}
		qr.Mul(q.Q, &rot)
		sigma.Mul(&qr, q.Q.T())
		var ex float64
		for a := range p {
			for b := range p {
				ex += H.At(a, b) * sigma.At(b, a)
			}
		}
		ex /= 2
		if math.Abs(ex-prev) <= 1e-13*math.Abs(ex) {
			return ex, nil
		}
		prev = ex
	}
	return 0, errors.New("c2: lsExact: fixed point did not converge (eta too large for the state-dependent noise)")
}
