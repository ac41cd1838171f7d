package nudged

import (
	"context"
	"fmt"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
)

// C7: Nudged SGD (P3, Jastrzebski et al. 2018, "DNN's Sharpest Directions
// Along the SGD Trajectory", and its extended version, ICLR 2019; thesis
// Sec. 3.4: Nudged SGD "was demonstrated to be easily steerable towards
// flatter or sharper regions of the loss surface, while maintaining
// generalization performance ... curvature of the final minima does not
// fully determine generalization").
//
// # What is measured
//
// For each gamma of the grid (gamma = 1 is plain SGD, bit for bit) and
// seed, the setup's network is trained by constant-step SGD whose
// mini-batch gradient g is replaced by (I - P_K) g + gamma P_K g
// (curvature.Nudger as train.Config.Transform): P_K is the projector on
// the top K eigenvectors of the Hessian of the mean cross-entropy on a
// fixed probe set (the first ProbeN training images, evaluation mode),
// recomputed every M steps by Lanczos warm-started from the previous K
// vectors. The runs of a seed share the initialisation and the data order,
// so they are paired. At the end: lambda_max on the same probe set (Lanczos,
// residual 1e-3 relative, independent of the Nudger's refreshes), and the
// accuracy on the validation set (the first ValN test images). The
// refreshes record the top-K eigenvalues along the way (plotted).
//
// # Checks and thresholds (fixed before any result of this claim was seen)
//
// Differences are paired by seed (a gamma's run minus the gamma = 1 run of
// the same seed) and decided on their 95% t-interval across seeds; a check
// over several gammas holds only when it holds at each (claims.AllOf).
//
// (a) gamma < 1 ends sharper: log(lambda_max(gamma) / lambda_max(SGD)) at
// the end above log(sharpRatio), sharpRatio = 1.25, for every gamma < 1.
// (b) gamma > 1 ends flatter: log(lambda_max(SGD) / lambda_max(gamma))
// above log(1.25), for every gamma > 1. Why 1.25: the claim is that the
// endpoint's curvature is steered, and a steer worth calling one moves it
// by at least a quarter; an ordering alone could be a few percent that no
// generalisation argument would rest on.
//
// (c) validation accuracy within the margin: acc(gamma) - acc(SGD) inside
// [-accMargin, +accMargin], accMargin = 0.015 (1.5 accuracy points), for
// every gamma != 1 (the two one-sided tests: the interval must lie inside
// the margin). Why 1.5 points: the thesis gives no number ("maintaining
// generalization performance"); 1.5 points is five times the binomial
// standard error of one run's accuracy on 10,000 validation images at 90%
// (0.3 points), and well inside the generalisation gaps that sharpness
// has been invoked to explain (Keskar et al. 2017: large against small
// batches, several points).
//
// The claim holds when all three hold: the curvature moved both ways by the
// margin and the accuracy did not move by more than its margin.
const (
	sharpRatio = 1.25
	accMargin  = 0.015
	level      = 0.95
)

func init() { claims.Register(Claim{}) }

// Claim is claim C7 (stateless; registered from init).
type Claim struct{}

func (Claim) Info() claims.Info {
	return claims.Info{
		ID: "c7", Short: "nudged-sgd",
		Name:  "Nudged SGD: endpoint curvature is steered, generalisation is not",
		Paper: "P3 (Jastrzebski et al. 2018), thesis Sec. 3.4 and Fig. 3.1c",
		Statement: "Nudged SGD, step = -eta[(I - P_K) g + gamma P_K g] with P_K the projector on the top-K Hessian eigenvectors, ends sharper " +
			"for gamma < 1 and flatter for gamma > 1 than SGD, while validation accuracy stays within a margin: the curvature of the endpoint " +
			"does not determine generalisation.",
	}
}

// Run runs every unit and merges them (claims.RunUnits).
func (c Claim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}

// config is C7's Spec.Config.
type config struct {
	Model   string    `json:"model"` // an nn spec, or a bare CNN name completed from the data
	TrainN  int       `json:"train_examples"`
	ValN    int       `json:"val_examples"`
	ProbeN  int       `json:"probe_examples"`
	LR      float64   `json:"lr"`
	Batch   int       `json:"batch"`
	Epochs  int       `json:"epochs"`
	Gammas  []float64 `json:"gammas"` // must include 1 (SGD)
	K       int       `json:"k"`
	M       int       `json:"m"`
	Tol     float64   `json:"nudge_lanczos_tol"`
	MaxIter int       `json:"nudge_lanczos_max_iter"`
	EndTol  float64   `json:"end_lanczos_tol"`
}

type setup struct {
	id, data, dataName string
	cfg                config
	seeds              int
	budget             string
}

func base() config {
	return config{
		Model: "mlp:784-64-64-10", TrainN: 10000, ValN: 10000, ProbeN: 256,
		LR: 0.1, Batch: 128, Epochs: 5, Gammas: []float64{0.25, 1, 4},
		K: 3, M: 20, Tol: 1e-2, MaxIter: 60, EndTol: 1e-3,
	}
}

func setups(scale claims.Scale) []setup {
	q := base()
	if scale == claims.Quick {
		return []setup{
			{id: "mlp-mnist", data: "mnist", dataName: "MNIST", cfg: q, seeds: 4, budget: quickBudget},
			{id: "mlp-fashion-mnist", data: "fashion-mnist", dataName: "Fashion-MNIST", cfg: q, seeds: 4, budget: quickBudget},
		}
	}
	f := q
	f.Model, f.TrainN, f.ProbeN, f.LR, f.Epochs, f.Gammas, f.K, f.M, f.MaxIter =
		"mlp:784-128-128-128-128-10", 50000, 1024, 0.05, 20, []float64{0.1, 0.5, 1, 2, 5}, 5, 10, 0
	cnn := f
	// SimpleCNN costs about 28 MFLOP per image forward, 90 times the MLP:
	// refreshes on 512 images every 50 steps keep a run to under an hour.
	cnn.Model, cnn.Epochs, cnn.ProbeN, cnn.M = "simplecnn", 10, 512, 50
	return []setup{
		{id: "mlp-mnist", data: "mnist", dataName: "MNIST", cfg: f, seeds: 5, budget: fullBudget},
		{id: "mlp-fashion-mnist", data: "fashion-mnist", dataName: "Fashion-MNIST", cfg: f, seeds: 5, budget: fullBudget},
		{id: "simplecnn-fashion-mnist", data: "fashion-mnist", dataName: "Fashion-MNIST", cfg: cnn, seeds: 5, budget: fullCNNBudget},
	}
}

const (
	quickBudget   = "measured 2026-12-03: 44 s (MNIST) and 46 s (Fashion-MNIST) of wall time on 2 cores shared at load average ~22-25, 25 s of CPU time for both setups together: about 15 s per setup on 2 idle cores"
	fullBudget    = "estimated 2026-12-03 from short pieces (TestFullScaleTiming, 2 cores at load average ~16, +-50%): 2-3 CPU s per refresh of P_5 on 1,024 images every 10 steps, 23-38 CPU min per unit, 10-16 CPU h for the 25 units: a sweep"
	fullCNNBudget = "estimated 2026-12-03 from short pieces (TestFullScaleTiming, 2 cores at load average ~16, +-50%): 0.34 CPU s per SGD step, about 65 CPU s per refresh of P_5 on 512 images every 50 steps, 1.8 CPU h per unit, 44 CPU h for the 25 units: a sweep on a cluster"
)

func (c Claim) Spec(scale claims.Scale) claims.Spec { return c.Specs(scale)[0] }

// Specs returns the setups at scale: MLPs on MNIST and Fashion-MNIST, and at
// the full scale P3's SimpleCNN on Fashion-MNIST.
func (Claim) Specs(scale claims.Scale) []claims.Spec {
	var out []claims.Spec
	for _, s := range setups(scale) {
		cfg := s.cfg
		var gs []string
		for _, g := range cfg.Gammas {
			gs = append(gs, fmt.Sprint(g))
		}
		lines := []string{
			fmt.Sprintf("model %s, SGD at constant eta = %g, batch %d, %d epochs (last partial batch dropped)", cfg.Model, cfg.LR, cfg.Batch, cfg.Epochs),
			fmt.Sprintf("data: %s, the first %d training-file images train; validation = the first %d test images", s.dataName, cfg.TrainN, cfg.ValN),
			fmt.Sprintf("Nudged SGD: g -> (I - P_K) g + gamma P_K g with K = %d, P_K refreshed every M = %d steps (from step 1) by Lanczos (residual %g relative, at most %d iterations; 0 = default) warm-started from the previous vectors, Hessian on the first %d training images (evaluation mode)",
				cfg.K, cfg.M, cfg.Tol, cfg.MaxIter, cfg.ProbeN),
			fmt.Sprintf("gamma in {%s}; gamma = 1 is plain SGD (bit for bit); runs of a seed share initialisation and data order", strings.Join(gs, ", ")),
			fmt.Sprintf("at the end: lambda_max on the same %d images (Lanczos, residual %g relative) and validation accuracy; differences paired by seed against gamma = 1, 95%% t-intervals", cfg.ProbeN, cfg.EndTol),
		}
		out = append(out, claims.Spec{
			Scale: scale, SetupID: s.id, Seeds: s.seeds, Data: s.data, Setup: lines, Config: cfg, Budget: s.budget,
			Tolerance: claims.Tolerance{
				SameRel: 1e-9, SameAbs: 1e-12, CrossISARel: 0.5, CrossISAAbs: 0.02,
				Reason: "same ISA: bitwise-deterministic core, 1e-9 absorbs toolchain math changes; another ISA rounds float32 sums " +
					"differently, the trajectories part within an epoch and the rerun is an independent replicate: final lambda_max varies by " +
					"tens of percent between seeds, accuracies by a fraction of a point: 50% relative / 0.02 absolute",
			},
		})
	}
	return out
}
