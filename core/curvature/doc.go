// Package curvature measures the curvature of a network's loss: the top and
// bottom eigenvalues of its Hessian, its trace, its spectral density, the
// gradient-noise covariance, the loss along a direction, and the critical
// sample ratio of the input space. Every figure comes with an error bar, the
// number of operator applications it cost, and a Stamp saying how it was
// measured.
//
// # Operators
//
// An estimator sees a curvature matrix only through Operator: its dimension
// and its product with one vector (Apply) or with a block of k vectors
// (ApplyBlock). The implementations:
//
//	NewHessian(m, b, cfg)             Hessian of m's mean loss on the examples b
//	NewGGN(m, b, cfg)                 generalised Gauss-Newton matrix, same examples
//	NewEmpiricalFisher(m, b, cfg)     F = mean_i g_i g_i^T, products by core/nn's FisherVP
//	NewGradientCovariance(m, b, cfg)  C = mean_i (g_i - g)(g_i - g)^T = F - g g^T
//	Restrict(op, lo, hi, name)        the block H[lo:hi, lo:hi]; Layers(m) lists each layer's range
//	NewDense(n, a), NewDenseSpectrum  a symmetric matrix in memory (tests, closed forms)
//
// The network operators are measured in evaluation mode (dropout off), with
// weight decay excluded unless NetworkConfig.WeightDecay asks for it. They
// snapshot the model's parameters when built, process the examples in chunks
// (NetworkConfig.Chunk) so memory stays bounded, and by default keep the
// forward and backward passes between products (core/nn's HVPCache), so a
// product on fixed examples costs about 1.5 gradients. Each operator counts
// its applications (a block of k counts k): that count is the "HVP" budget
// that all results report, comparable with PyHessian's.
//
// # Precision
//
// Vectors are float64 at the Operator interface and every estimator
// accumulates in float64 (dot products, orthogonalisation, the tridiagonal
// eigenproblems, sums over probes). The network products themselves are
// float32: the adapter rounds v to float32, core/nn computes H v by the
// R-operator in float32, and the result is widened back; chunk results are
// summed in float64. A product therefore carries a relative error near
// 1e-6 of ||H|| ||v||, and the operator is symmetric only to that level. In
// practice: eigenvalues are good to about 1e-6 lambda_max in absolute terms;
// a Lanczos tolerance below about 1e-5 cannot be met (the residuals stall at
// the float32 floor, and LanczosConfig.Verify shows the true residual);
// trace estimates are limited by their standard error, never by rounding.
// Operators that compute in lower precision say so (Inexact), and Lanczos
// floors its residual bounds at that level instead of reporting the 1e-18
// the recurrence would. The Dense operator is float64 throughout, which is
// what the ground-truth tests use to check the estimators to 1e-8.
//
// # Estimators
//
//	Lanczos(op, LanczosConfig)            top-k and bottom-k eigenpairs
//	PowerIteration(op, PowerConfig)       PyHessian's eigenvalue method, the baseline
//	Hutchinson(op, TraceConfig)           trace, Rademacher probes
//	HutchPlusPlus(op, TraceConfig)        trace, low-rank sketch plus Hutchinson on the rest
//	SpectralDensity(op, SLQConfig)        stochastic Lanczos quadrature
//	LossSlice(m, b, d, alphas, sel)       L(theta + alpha d)
//	FilterNormalizedDirection(m, seed, _) Li et al.'s random direction
//	CriticalSampleRatio(m, b, CSRConfig)  LASS search of the decision boundary
//
// Lanczos keeps its whole Krylov basis and reorthogonalises every new vector
// against it (a blocked classical Gram-Schmidt pass, repeated when the first
// removes more than 30% of the vector), so no spurious copies of converged
// eigenvalues appear, and stops when the Ritz residual ||H y - theta y|| of
// every wanted pair is at most Tol |theta| (StopResidual: an eigenvalue of
// H lies within the residual of theta) or when the eigenvalue error estimate
// min(r, r^2/gap) is (StopValue: about half the iterations, since eigenvalues
// converge quadratically in the residual). Each eigenpair reports its
// residual and error estimate. Memory: MaxIter vectors of Dim float64s.
//
// Tracking lambda_max along a trajectory, pass the previous measurement's
// Ritz vectors as LanczosConfig.Start (with Vectors set to get them back):
// Lanczos then starts from them (a block of K costs K applications and
// starts from its Rayleigh-Ritz combination, with a 1e-3 pinch of the
// random start vector so that no start is exactly invariant), and nearby
// operators need a few applications instead of a random start's ten or
// more (BenchmarkLambdaMaxTracking). The result is an ordinary Lanczos run
// from that start: its residuals and error estimates mean what they always
// do. A start (nearly) orthogonal to the top eigenvector finds it late or,
// with a loose tolerance, not at all: that is what a block of the previous
// top K vectors guards against when the top eigenvalues are close.
//
// PowerIteration reproduces PyHessian's hessian.eigenvalues: stop when the
// Rayleigh quotient changes by less than 1e-3 relative, at most 100
// iterations, deflation by re-orthonormalisation for top-k. That rule
// measures progress, not accuracy: on a spectrum whose top two eigenvalues
// are close it stops while the estimate is still several tolerances off (the
// tests show a 0.35% error at tolerance 0.1%). StopResidual gives the same
// iteration a rigorous stop at no extra cost.
//
// Hutchinson and HutchPlusPlus spend a fixed budget of applications, in
// blocks of TraceConfig.Block probes (by default the operator's
// PreferredBlock: an operator may compute a block as one GEMM-shaped pass),
// and report the standard error of the mean over probes. PyHessian's trace stops when the running mean changes by less
// than 1e-3, which can happen after two probes and makes its error bar
// meaningless; a fixed budget keeps the estimate unbiased and the SE honest.
// Hutch++ (Meyer et al. 2021) spends a third of the budget on a sketch
// Q = orth(H S), a third on Tr(Q^T H Q), and the rest on Hutchinson for the
// deflated remainder; on spectra dominated by a few large eigenvalues, as
// network Hessians are, its error at equal budget is many times smaller.
// Its SE (of the stochastic part) is the SE of the whole estimate, since
// the split into sketch and remainder always sums to Tr(H). On a flat
// spectrum (a network at initialisation) the sketch captures little and
// Hutchinson's three times as many probes win: compare both SEs. The
// sketch's orthonormalisation and projections run as float32 GEMMs
// (core/kernels); Q is orthonormal to about 1e-6, the precision of H S.
//
// SpectralDensity runs Steps Lanczos steps (with full reorthogonalisation,
// as PyHessian does) from each of Probes normalised Rademacher vectors and
// returns the Gauss quadrature nodes and weights of each, plus a density
// smoothed by a Gaussian of width Sigma on a grid. Density.Moment(p)
// estimates Tr(H^p)/Dim; Density.Trace gives the implied trace and its SE.
//
// # Eigenspaces along a trajectory: projectors, Nudged SGD, step splits
//
// The claims about the sharpest directions (P3: C7, C8) work in the top-K
// Hessian eigenspace:
//
//	TopEigenspace(ctx, op, k, cfg)      Lanczos top-k, as a Projector P = Q Q^T
//	NewProjector(vectors)               P from any vectors (orthonormalised)
//	P.Project, Complement, Split        P g, (I - P) g; Norms, Coefficients
//	P.Nudge(gamma, g, out), Nudge32     (I - P) g + gamma P g (gamma 1: g bit for bit)
//	NewEigenTracker(TrackerConfig)      top-K along a run, each Update warm-started
//	                                    from the previous vectors; History of eigenvalues
//	NewNudger(NudgeConfig, batch, sel)  Nudged SGD as a train.GradTransform
//	                                    (train.Config.Transform); ParseNudge("GAMMA,K,M")
//	SplitStep(ctx, m, b, d, P, cfg)     a step d against P: the loss-minimising fraction
//	                                    along each e_k, random directions, (I - P) d and
//	                                    d; L(theta + P d) and L(theta + (I - P) d)
//	LineMinimum(ctx, m, b, u, alphas..) L(theta + alpha u) on a grid, refined minimiser
//
// All of them are float64 in a fixed order and bitwise reproducible for
// any GOMAXPROCS.
//
// # Cancellation
//
// Each estimator has a Context variant, as database/sql's QueryContext has:
// LanczosContext, PowerIterationContext, HutchinsonContext,
// HutchPlusPlusContext, SpectralDensityContext, CriticalSampleRatioContext
// and LossSliceContext; the plain functions call them with
// context.Background(). Use them wherever a measurement may have to stop
// early: a sweep unit that must answer SIGTERM, a command that handles
// Ctrl-C. They check ctx before every operator application (or block of
// them), before every LASS step on a chunk of examples, and before every
// point of a loss slice, so an interruption is seen within one such step;
// they then return no result and an error that wraps ctx.Err() and names
// the estimator ("curvature: Lanczos: context canceled"), so that
// errors.Is(err, context.Canceled) holds. The checks only read ctx: with a
// context that is never done, the results are bitwise those of the plain
// functions. Building an operator (NewHessian, NewGradientCovariance) takes
// no context.
//
// # Gradient noise
//
// Covariance computes C v in one of three ways (CovarianceConfig.Products).
// Stored: the per-example gradients, centred on their mean in float64, are
// kept and C v = (1/N) G_c^T (G_c v) is two GEMMs; storing G_c costs
// 4 N Dim bytes (2.7 GB for mlp:784-512-512-10 on 1024 examples). Fisher:
// nothing per example is kept; C v = F v - g (g.v), with F v one tangent
// pass of core/nn over the kept forward passes (nn.FisherVP: the GGN with
// the loss Hessian replaced by d_i d_i^T) and the rank-one term in float64.
// Recompute: the per-example gradients are redone for every block (N
// single-example backward passes per block), the exact-centring reference.
// By default the gradients are stored when they fit MaxStoreBytes (1 GiB)
// and Fisher products are used when they do not. The trace is exact
// (Covariance.Trace, from the per-example gradients: at build time, or on
// first use under Fisher products), so Tr(C)/Tr(H) needs only a trace
// estimate of H.
//
// # Critical sample ratio
//
// CriticalSampleRatio follows CLAIMS.md C4: from each example x with
// predicted class c, LASS steps x' <- clip(x' - Step sign(grad score_c(x')) +
// noise), the clip being the L_inf box of radius Radius around x intersected
// with the pixel range [0,1]; x is critical when the predicted class changes
// within MaxIter steps. The radius, step, noise and step cap are explicit
// (CSRConfig, DefaultCSRConfig states our defaults) and travel with the
// result, which gives the ratio, its binomial standard error and the counts.
//
// # Determinism and randomness
//
// The same configuration and seed give bitwise identical results for any
// GOMAXPROCS: the float64 loops here sum in an order fixed by the length,
// work is split across goroutines only by output elements, and core/nn and
// core/kernels keep the same contract. Random vectors come from core/rng
// streams named by purpose, one stream per vector so that blocking does not
// change them: "lanczos" (start vectors of Lanczos and power iteration,
// index 0; restarts 1, 2, ...), "probe" (trace and SLQ probes, index = probe
// number), "direction" (FilterNormalizedDirection), "lass" (CSR noise, index
// = example), "spectrum" (NewDenseSpectrum's rotation).
//
// # Stamps
//
// Every result carries a Stamp: the operator and model, how many examples
// and which ("first 1024 training images of mnist, in file order"), the mode
// ("eval (dropout off)"), the loss ("mean cross-entropy") and the weight
// decay included, the dtype, the estimator with its settings and seed, the
// budget in applications, and the error bar (its kind and value). A figure
// is comparable with another only when their stamps agree on everything but
// the estimator.
package curvature
