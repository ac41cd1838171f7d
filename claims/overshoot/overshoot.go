package overshoot

import (
	"context"
	"fmt"

	"github.com/sgdclaims/sgdclaims/claims"
)

// C8: the step is too large along the sharpest directions (P3, Jastrzebski
// et al. 2018, "DNN's Sharpest Directions Along the SGD Trajectory", and its
// extended version "On the relation between the sharpest directions of DNN
// loss and the SGD step length", ICLR 2019; thesis Sec. 3.4 and Fig. 3.1c:
// "we find the loss surface along the sharpest direction to resemble a
// bowl, such that SGD crosses its minima, often taking a too large step";
// with Song, Ahn & Yun 2025, "Does SGD really happen in tiny subspaces?":
// the part of an SGD update inside the top Hessian eigenspace does not
// lower the loss, the rest does).
//
// # What is measured
//
// Constant-step plain SGD trains the setup's network. At a few steps t (the
// measurement steps, below), before the step is taken, at the parameters
// theta_t:
//
//   - the top-K eigenspace of the Hessian of the mean cross-entropy on a
//     fixed probe set (the first ProbeN training examples, evaluation
//     mode), by Lanczos warm-started from the previous measurement's K
//     vectors (curvature.EigenTracker): eigenvalues lambda_1 >= ... >=
//     lambda_K, eigenvectors e_1..e_K, the projector P_K;
//   - the step the run takes, d = -eta g_t (g_t the step's own mini-batch
//     gradient; plain SGD, so d is the displacement);
//   - curvature.SplitStep of d against P_K on the probe set: for each line u
//     through theta_t, the loss L(theta_t + alpha u) on a grid of alpha and
//     its loss-minimising alpha (grid minimum refined by a parabola), for u
//     = <d, e_k> e_k (the step's part along e_k), u = <d, r_j> r_j for
//     Random unit Gaussian directions r_j, u = (I - P_K) d (the step without
//     its top-K part) and u = d; and L(theta_t + P_K d), L(theta_t + (I -
//     P_K) d) against L(theta_t).
//
// alpha = 1 is the step as taken; the loss-minimising alpha is the fraction
// of the step that would have been best along that line. On a quadratic
// bowl along a unit direction v with curvature h and the step's component c
// = <d, v>, L(theta + alpha c v) is a parabola with its minimum at alpha* =
// -<grad L, v> / (h c), and the full step (alpha = 1) ends lower than it
// started exactly when alpha* > 0.5: alpha* <= 0.5 is a step that crossed
// the bowl's minimum and climbed at least as high on the other side.
//
// The loss is measured on the probe set, not on the step's mini-batch: the
// bowl of Fig. 3.1c is the training loss's, and the step's own mini-batch
// loss always descends at small alpha (its slope along any part of d is
// -||part||^2 / eta), which would make the claim true by construction.
//
// Measurement steps: EarlyPoints evenly spaced in the early phase (the
// first EarlyEpochs epochs; reported and plotted, not judged: the claim is
// about what happens after it) and Points evenly spaced after it, the last
// at the run's last step.
//
// # Checks and thresholds (fixed before any result of this claim was seen)
//
// Each check reduces a seed's run to the median over its measurement steps
// after the early phase (a median: a line minimum is noisy from step to
// step, and the claim is about most iterations, the thesis's "in most
// iterations"), and decides on the 95% t-interval of the mean of those
// medians over seeds:
//
// (a) overshoot along e_1: the loss-minimising fraction along e_1 has its
// interval below alphaMax = 0.5. Why: 0.5 is where the full step lands as
// high as it started (eta lambda_1 = 2 on a quadratic with the full-batch
// gradient); below it the step crosses the minimum and climbs past it
// (CLAIMS.md: "<= 0.5 once lambda_max has risen").
//
// (b) random directions descend: the fraction along the random directions
// (pooled over the Random directions and the steps) has its interval above
// 0.5: along them the full step ends lower than it started.
//
// (c) the step without its top-K part descends: the fraction along (I -
// P_K) d has its interval above 0.5.
//
// (d) the top-K part does not lower the loss: (L(theta + P_K d) -
// L(theta)) / |L(theta + (I - P_K) d) - L(theta)|, the top part's loss
// change in units of the rest's, has its interval above -topShare = -0.1.
// Why: Song, Ahn & Yun find the top-eigenspace part contributes nothing to
// the descent; -0.1 allows it at most a tenth of what the rest achieves
// (a ratio of -1 would be a top part as useful as the rest). That the rest
// does lower the loss is (c).
//
// eta lambda_1 at every measurement is reported against 2, the edge of
// stability of full-batch descent (Cohen et al. 2021), not judged.
const (
	alphaMax = 0.5
	topShare = 0.1
	level    = 0.95
)

func init() { claims.Register(Claim{}) }

// Claim is claim C8 (stateless; registered from init).
type Claim struct{}

func (Claim) Info() claims.Info {
	return claims.Info{
		ID: "c8", Short: "too-large-step",
		Name:  "The step is too large along the sharpest directions",
		Paper: "P3 (Jastrzebski et al. 2018), thesis Sec. 3.4 and Fig. 3.1c; Song, Ahn & Yun 2025",
		Statement: "After the early phase, the loss-minimising fraction of the SGD step along the top Hessian eigenvector is at most 0.5 " +
			"(the step crosses the bowl's minimum), while along random directions and along the step without its top-K part the full step " +
			"still descends; the part of the update inside the top-K eigenspace does not lower the loss, the rest does.",
	}
}

// Run runs every unit and merges them (claims.RunUnits).
func (c Claim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}

// config is C8's Spec.Config.
type config struct {
	Model       string  `json:"model"` // an nn spec, or a bare CNN name completed from the data
	TrainN      int     `json:"train_examples"`
	ValN        int     `json:"val_examples"`
	ProbeN      int     `json:"probe_examples"`
	LR          float64 `json:"lr"`
	Batch       int     `json:"batch"`
	Epochs      int     `json:"epochs"`
	EarlyEpochs int     `json:"early_epochs"`
	EarlyPoints int     `json:"early_points"`
	Points      int     `json:"points"`
	K           int     `json:"k"`
	Random      int     `json:"random_directions"`
	Tol         float64 `json:"lanczos_tol"`
	AlphaLo     float64 `json:"alpha_lo"`
	AlphaHi     float64 `json:"alpha_hi"`
	AlphaN      int     `json:"alpha_points"`
}

// alphas is the grid of every line: AlphaN points from AlphaLo to AlphaHi.
func (c config) alphas() []float64 {
	a := make([]float64, c.AlphaN)
	for i := range a {
		a[i] = c.AlphaLo + (c.AlphaHi-c.AlphaLo)*float64(i)/float64(c.AlphaN-1)
	}
	return a
}

// setup is one setup of the claim at a scale.
type setup struct {
	id, data, dataName string
	cfg                config
	seeds              int
	budget             string
}

func base() config {
	return config{
		Model: "mlp:784-64-64-10", TrainN: 10000, ValN: 10000, ProbeN: 512,
		LR: 0.1, Batch: 128, Epochs: 4, EarlyEpochs: 1, EarlyPoints: 2, Points: 8,
		K: 5, Random: 3, Tol: 1e-2, AlphaLo: -0.5, AlphaHi: 2.5, AlphaN: 31,
	}
}

func setups(scale claims.Scale) []setup {
	q := base()
	if scale == claims.Quick {
		return []setup{
			{id: "mlp-mnist", data: "mnist", dataName: "MNIST", cfg: q, seeds: 5, budget: quickBudget},
			{id: "mlp-fashion-mnist", data: "fashion-mnist", dataName: "Fashion-MNIST", cfg: q, seeds: 5, budget: quickBudget},
		}
	}
	f := q
	f.Model, f.TrainN, f.ProbeN, f.Epochs, f.EarlyEpochs, f.EarlyPoints, f.Points, f.Random, f.AlphaN =
		"mlp:784-128-128-128-128-10", 50000, 2048, 20, 2, 4, 16, 4, 61
	cnn := f
	// SimpleCNN costs about 28 MFLOP per image forward, 90 times the MLP:
	// a smaller probe set and grid keep a measurement to minutes.
	cnn.Model, cnn.LR, cnn.Epochs, cnn.EarlyEpochs, cnn.Points, cnn.ProbeN, cnn.AlphaN, cnn.Random = "simplecnn", 0.05, 10, 1, 12, 1024, 31, 3
	return []setup{
		{id: "mlp-mnist", data: "mnist", dataName: "MNIST", cfg: f, seeds: 5, budget: fullMLPBudget},
		{id: "mlp-fashion-mnist", data: "fashion-mnist", dataName: "Fashion-MNIST", cfg: f, seeds: 5, budget: fullMLPBudget},
		{id: "simplecnn-fashion-mnist", data: "fashion-mnist", dataName: "Fashion-MNIST", cfg: cnn, seeds: 5, budget: fullCNNBudget},
	}
}

const (
	quickBudget   = "measured 2026-12-03: 50 s (MNIST) and 57 s (Fashion-MNIST) of wall time on 2 cores shared at load average ~15, 33 s of CPU time for both setups together: about 20 s per setup on 2 idle cores"
	fullMLPBudget = "estimated 2026-12-03 from short pieces (TestFullScaleTiming, 2 cores at load average ~16, +-50%): about 15 CPU s per measurement on 2,048 images, about 5 CPU min per unit, 0.4 CPU h for the 5 units"
	fullCNNBudget = "estimated 2026-12-03 from short pieces (TestFullScaleTiming, 2 cores at load average ~16, +-50%): 0.33 CPU s per SGD step, about 400 CPU s per measurement on 1,024 images, about 2.1 CPU h per unit, 11 CPU h for the 5 units: a sweep"
)

func (c Claim) Spec(scale claims.Scale) claims.Spec { return c.Specs(scale)[0] }

// Specs returns the setups at scale: MLPs on MNIST and Fashion-MNIST, and at
// the full scale P3's SimpleCNN on Fashion-MNIST.
func (Claim) Specs(scale claims.Scale) []claims.Spec {
	var out []claims.Spec
	for _, s := range setups(scale) {
		cfg := s.cfg
		lines := []string{
			fmt.Sprintf("model %s, plain SGD at constant eta = %g, batch %d, %d epochs (last partial batch dropped)", cfg.Model, cfg.LR, cfg.Batch, cfg.Epochs),
			fmt.Sprintf("data: %s, the first %d training-file images train; validation = the first %d test images (reported only)", s.dataName, cfg.TrainN, cfg.ValN),
			fmt.Sprintf("probe set: the first %d training images, evaluation mode: the Hessian's top-%d eigenspace (Lanczos, residual %g relative, warm-started from the previous measurement) and every loss", cfg.ProbeN, cfg.K, cfg.Tol),
			fmt.Sprintf("measured before %d steps evenly spaced in the early phase (epochs 1-%d; not judged) and %d evenly spaced after it, the last at the last step", cfg.EarlyPoints, cfg.EarlyEpochs, cfg.Points),
			fmt.Sprintf("each measurement: the step d = -eta g (its mini-batch gradient) split against P_%d; loss along <d,e_k> e_k, <d,r_j> r_j (%d random unit directions), (I-P)d and d at %d alphas in [%g, %g], minimiser refined by a parabola", cfg.K, cfg.Random, cfg.AlphaN, cfg.AlphaLo, cfg.AlphaHi),
			"checks: per seed the median over the measurements after the early phase, then the 95% t-interval of the mean over seeds",
		}
		out = append(out, claims.Spec{
			Scale: scale, SetupID: s.id, Seeds: s.seeds, Data: s.data, Setup: lines, Config: cfg, Budget: s.budget,
			Tolerance: claims.Tolerance{
				SameRel: 1e-9, SameAbs: 1e-12, CrossISARel: 0.5, CrossISAAbs: 0.3,
				Reason: "same ISA: bitwise-deterministic core, 1e-9 absorbs toolchain math changes; another ISA rounds float32 sums " +
					"differently, the SGD trajectory parts within an epoch and the rerun is an independent replicate: line minima move by a few " +
					"tenths from step to step, eigenvalues by tens of percent: 0.3 absolute / 50% relative",
			},
		})
	}
	return out
}
