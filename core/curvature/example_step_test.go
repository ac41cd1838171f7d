package curvature_test

import (
	"context"
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/train"
)

// The projector on the top-2 eigenspace of a matrix with a known spectrum
// splits a vector into its top part and the rest.
func ExampleTopEigenspace() {
	eig := []float64{10, 8}
	for i := 0; i < 48; i++ {
		eig = append(eig, float64(i%4)/4) // a bulk in [0, 1)
	}
	op, _ := curvature.NewDenseSpectrum(eig, 1)
	p, res, err := curvature.TopEigenspace(context.Background(), op, 2, curvature.LanczosConfig{Tol: 1e-8})
	if err != nil {
		panic(err)
	}
	g := make([]float64, op.Dim())
	op.Apply(p.Vectors()[0], g) // g = 10 e_1
	g[0] += 1                   // plus a little of everything
	in, out := p.Norms(g)
	fmt.Printf("eigenvalues %.4f %.4f, converged %v\n", p.Values()[0], p.Values()[1], res.Converged)
	fmt.Printf("||P g|| > ||(I-P) g||: %v\n", in > out)
	// Output:
	// eigenvalues 10.0000 8.0000, converged true
	// ||P g|| > ||(I-P) g||: true
}

// Nudged SGD as a training option: gamma 0.5 on the top 2 Hessian
// eigenvectors, refreshed every 10 steps on 256 fixed examples. The
// refreshes record the top eigenvalues along the way.
func ExampleNudger() {
	d := data.GaussianMixture(1000, 16, 4, 3, 1)
	m, _ := nn.New("mlp:16-32-4", 1)
	hb, _ := d.Head(256)
	cfg, err := curvature.ParseNudge("0.5,2,10") // GAMMA,K,M
	if err != nil {
		panic(err)
	}
	cfg.Seed = 1
	nd, err := curvature.NewNudger(cfg, hb.All(), "first 256 examples")
	if err != nil {
		panic(err)
	}
	res, err := train.Run(train.Config{Model: m, Train: d, Epochs: 1, LR: optim.ConstantLR(0.1),
		Batch: optim.ConstantBatch(32), Seed: 1, Transform: nd})
	if err != nil {
		panic(err)
	}
	r := nd.Refreshes()
	fmt.Printf("%d steps, %d refreshes at steps %d, %d, %d, %d\n", res.Steps, len(r), r[0].Step, r[1].Step, r[2].Step, r[3].Step)
	fmt.Printf("lambda_1 >= lambda_2 > 0 at every refresh: %v\n", func() bool {
		for _, x := range r {
			if !(x.Eigenvalues[0] >= x.Eigenvalues[1] && x.Eigenvalues[1] > 0) {
				return false
			}
		}
		return true
	}())
	// Output:
	// 31 steps, 4 refreshes at steps 1, 11, 21, 31
	// lambda_1 >= lambda_2 > 0 at every refresh: true
}

// The decomposition of a gradient step on a quadratic (least squares) with
// eta lambda_1 = 4: along the sharpest direction the loss-minimising
// fraction of the step is 1/(eta lambda_1) = 0.25 (the step overshoots),
// the top part of the step raises the loss and the rest lowers it.
func ExampleSplitStep() {
	ls := data.LinearLeastSquares(256, 4, 0.1, 1, data.WithSpectrum([]float64{16, 2, 1, 0.5}))
	m, _ := nn.New("mlp:4-1", 1)
	m.Loss = nn.SquaredError
	b := ls.Data.All()
	op, _ := curvature.NewHessian(m, b, curvature.NetworkConfig{})
	p, _, err := curvature.TopEigenspace(context.Background(), op, 1, curvature.LanczosConfig{Tol: 1e-6})
	if err != nil {
		panic(err)
	}
	grad := make([]float32, m.NumParams())
	m.LossGrad(b, false, grad)
	eta := 4 / p.Values()[0]
	s, err := curvature.SplitStep(context.Background(), m, b, curvature.SGDStep(grad, eta), p, curvature.StepSplitConfig{Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("fraction along e1: %.2f\n", s.Eigen[0].BestAlpha)
	fmt.Printf("top part raises the loss: %v; the rest lowers it: %v\n", s.DeltaTop > 0, s.DeltaBulk < 0)
	// Output:
	// fraction along e1: 0.25
	// top part raises the loss: true; the rest lowers it: true
}
