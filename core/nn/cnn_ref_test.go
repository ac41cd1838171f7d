package nn

import (
	"math"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// cnnRef is the float64 ground truth for convolutional models: every layer
// written from its definition with direct loops (no im2col, no GEMM), over
// the whole batch at once so that training-mode BatchNorm can use batch
// statistics. It shares the node list (kinds, sizes, parameter offsets)
// with the code under test and nothing else.
type cnnRef struct {
	m     *Model
	train bool // BatchNorm with batch statistics
	// from > 0 starts the program at buffer from, given per example as h
	// (the nodes before it are not run; the batch's inputs are not read).
	from int
	h    [][]float64
}

// outputs returns the logits of every example at parameters theta.
func (r cnnRef) outputs(theta []float64, b data.Batch) [][]float64 {
	c := r.m.a.cnn
	in := c.in.size()
	bufs := make([][][]float64, len(c.shapes))
	bufs[0] = make([][]float64, b.N)
	for e := range bufs[0] {
		bufs[0][e] = f64(b.X[e*in : (e+1)*in])
	}
	if r.from > 0 {
		bufs[r.from] = r.h
	}
	for i := r.from; i < len(c.nodes); i++ {
		nd := &c.nodes[i]
		x := bufs[nd.src]
		y := make([][]float64, b.N)
		for e := range y {
			y[e] = make([]float64, nd.out.size())
		}
		switch nd.kind {
		case nodeConv:
			g := nd.geom
			for e := range y {
				for o := 0; o < nd.out.c; o++ {
					for oy := 0; oy < nd.out.h; oy++ {
						for ox := 0; ox < nd.out.w; ox++ {
							s := 0.0
							if nd.b >= 0 {
								s = theta[nd.b+o]
							}
							for ci := 0; ci < g.C; ci++ {
								for ki := 0; ki < g.KH; ki++ {
									for kj := 0; kj < g.KW; kj++ {
										yy, xx := oy*g.SH-g.PH+ki, ox*g.SW-g.PW+kj
										if yy >= 0 && yy < g.H && xx >= 0 && xx < g.W {
											s += theta[nd.w+((o*g.C+ci)*g.KH+ki)*g.KW+kj] * x[e][(ci*g.H+yy)*g.W+xx]
										}
									}
								}
							}
							y[e][(o*nd.out.h+oy)*nd.out.w+ox] = s
						}
					}
				}
			}
		case nodeDense:
			k := nd.in.size()
			for e := range y {
				for o := range y[e] {
					s := theta[nd.b+o]
					for q := 0; q < k; q++ {
						s += theta[nd.w+o*k+q] * x[e][q]
					}
					y[e][o] = s
				}
			}
		case nodeBN:
			hw := nd.in.h * nd.in.w
			for ch := 0; ch < nd.in.c; ch++ {
				mu := float64(r.m.cs.state[nd.stat+ch])
				vr := float64(r.m.cs.state[nd.stat+nd.in.c+ch])
				if r.train {
					mu, vr = 0, 0
					for e := range x {
						for q := 0; q < hw; q++ {
							mu += x[e][ch*hw+q]
						}
					}
					mu /= float64(b.N * hw)
					for e := range x {
						for q := 0; q < hw; q++ {
							d := x[e][ch*hw+q] - mu
							vr += d * d
						}
					}
					vr /= float64(b.N * hw)
				}
				for e := range x {
					for q := 0; q < hw; q++ {
						y[e][ch*hw+q] = (x[e][ch*hw+q]-mu)/math.Sqrt(vr+bnEps)*theta[nd.w+ch] + theta[nd.b+ch]
					}
				}
			}
		case nodeMaxPool:
			k := nd.pool
			for e := range y {
				for ch := 0; ch < nd.out.c; ch++ {
					for oy := 0; oy < nd.out.h; oy++ {
						for ox := 0; ox < nd.out.w; ox++ {
							best := math.Inf(-1)
							for ki := 0; ki < k; ki++ {
								for kj := 0; kj < k; kj++ {
									best = math.Max(best, x[e][(ch*nd.in.h+oy*k+ki)*nd.in.w+ox*k+kj])
								}
							}
							y[e][(ch*nd.out.h+oy)*nd.out.w+ox] = best
						}
					}
				}
			}
		case nodeGAP:
			hw := nd.in.h * nd.in.w
			for e := range y {
				for ch := 0; ch < nd.in.c; ch++ {
					for q := 0; q < hw; q++ {
						y[e][ch] += x[e][ch*hw+q] / float64(hw)
					}
				}
			}
		case nodeAdd:
			for e := range y {
				for q := range y[e] {
					y[e][q] = x[e][q] + bufs[nd.skip][e][q]
				}
			}
		}
		if nd.relu {
			for e := range y {
				for q := range y[e] {
					y[e][q] = math.Max(y[e][q], 0)
				}
			}
		}
		bufs[i+1] = y
	}
	return bufs[len(bufs)-1]
}

// loss is the mean loss over the batch at theta.
func (r cnnRef) loss(theta []float64, b data.Batch) float64 {
	ref := &refModel{m: r.m}
	var s float64
	for i, f := range r.outputs(theta, b) {
		s += ref.exampleLoss(f, b, i)
	}
	return s / float64(b.N)
}

// fdGrad is the gradient of the reference loss by central differences.
func (r cnnRef) fdGrad(theta []float64, b data.Batch, h float64) []float64 {
	g := make([]float64, len(theta))
	for i := range theta {
		t := theta[i]
		theta[i] = t + h
		lp := r.loss(theta, b)
		theta[i] = t - h
		lm := r.loss(theta, b)
		theta[i] = t
		g[i] = (lp - lm) / (2 * h)
	}
	return g
}

// fdHessian is the Hessian of the reference loss by central differences
// of fdGrad (column j from gradients at theta +- h e_j).
func (r cnnRef) fdHessian(theta []float64, b data.Batch) []float64 {
	p := len(theta)
	H := make([]float64, p*p)
	const h = 1e-4
	for j := 0; j < p; j++ {
		t := theta[j]
		theta[j] = t + h
		gp := r.fdGrad(theta, b, 1e-5)
		theta[j] = t - h
		gm := r.fdGrad(theta, b, 1e-5)
		theta[j] = t
		for i := 0; i < p; i++ {
			H[i*p+j] = (gp[i] - gm[i]) / (2 * h)
		}
	}
	return H
}

// fdDirectional is u^T H v of the reference loss by finite differences,
// (L(+u+v) - L(+u-v) - L(-u+v) + L(-u-v)) / (4 h^2).
func (r cnnRef) fdDirectional(theta, u, v []float64, b data.Batch, h float64) float64 {
	at := func(su, sv float64) float64 {
		t := make([]float64, len(theta))
		for i := range t {
			t[i] = theta[i] + h*(su*u[i]+sv*v[i])
		}
		return r.loss(t, b)
	}
	return (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h)
}
