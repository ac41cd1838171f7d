package exchangeability

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
)

// C1: learning rate and batch size are exchangeable through their ratio
// eta/S (P1, Jastrzebski et al. 2017, "Three factors influencing minima in
// SGD"; thesis Sec. 3.2 and Fig. 3.1a): SGD runs with the same eta/S reach
// endpoints of similar curvature and similar validation accuracy, and a
// higher ratio reaches a flatter endpoint.
//
// # What is measured
//
// Constant-step plain SGD (no momentum, no weight decay) trains an MLP on
// MNIST for the same number of epochs at every (eta, S) of a grid. Equal
// epochs is the comparison the theory asks for: in the SDE approximation of
// SGD (thesis Eq. 3.2) time is eta x steps = (eta/S) x N x epochs, and the
// noise scale is eta/S, so two runs with the same ratio and the same epochs
// follow the same SDE for the same time. At the end of each run we measure,
// on a fixed set of 2048 training examples in evaluation mode, lambda_max
// of the Hessian of the mean cross-entropy (Lanczos, relative Ritz residual
// 1e-3) and Tr(H) (Hutch++ with its standard error), and the accuracy on
// 10,000 held-out validation images.
//
// The grid: a same-ratio family (eta, S) = (0.025, 32), (0.05, 64),
// (0.1, 128) at eta/S = 7.8e-4 (inside the paper's range, eta in
// [5e-3, 5e-2] and S in [50, 1000] give ratios up to 1e-3); controls at 4x
// lower and 4x higher ratio, (0.0125, 64) and (0.2, 64); two more ratios,
// (0.025, 64) and (0.1, 64), so that the rank correlation sees five levels
// of eta/S; and two large-beta members of the family, (0.4, 512) and
// (0.8, 1024) (beta = eta/0.05 = S/64 in the paper's notation), where the
// literature says exchangeability breaks: Masters & Luschi 2018 (large
// batches need a smaller ratio to stay stable), Kaur, Cohen & Lipton 2023
// (scaling eta and S together changes lambda_max, because a large eta caps
// it near 2/eta, without changing generalisation). The break members are
// reported as the claim's known limit, not scored against it.
//
// The model: the paper used a 20-layer ReLU MLP on Fashion-MNIST. We have
// MNIST only (the design's data), and a network whose Hessian-vector product
// on 2048 examples costs milliseconds, so that 45 runs (9 points x 5 seeds)
// and their curvature fit the quick budget: mlp:784-64-64-10 (two hidden
// ReLU layers, 55k parameters) at the quick scale, a deeper and wider
// mlp:784-128-128-128-128-10 at the full scale. Seeds are paired: seed s gives every grid point the
// same initialisation and the same data-order streams, so the spread inside
// the family is the effect of (eta, S), not of the draw.
//
// # Checks and thresholds
//
// The registered words are in registration.go (version 2, locked in
// registrations/c1.json before its results). Version 2 judges (a) and (c)
// below at the end of training (equal epochs) and again at a matched
// training loss (d, e: lambda_max at each run's first probe-loss
// evaluation at or below the lowest rung of claims.LossLadder that every
// judged run reached), keeps (b), and reports the large-beta members
// ("diverged k of n" counts as the break) and the beta at which the
// family's spread exceeds the control gap as information. Version 1, as
// it was before pre-registration (fixed before any result was seen):
//
// (a) lambda_max: for each seed, R = (max - min of log lambda_max over the
// family) / (the smaller distance of a control's log lambda_max from the
// family's mean); the 95% t-interval of R over seeds must lie below 0.5.
// Why 0.5: "well below" the gap means that changing eta and S 4x together
// moves the endpoint by less than half of what changing their ratio 4x
// does; R near 1 would mean the ratio does not organise the endpoints at
// all.
//
// (b) validation accuracy: the same statistic R on the validation accuracy,
// the same threshold 0.5 and the same reason.
//
// (c) flatter with a higher ratio: Spearman's rho of log(eta/S) against log
// lambda_max over every run of the family, the controls and the extra
// ratios (seven grid points x seeds), with a Fisher-z 95% interval that
// must lie below -0.5. Why -0.5: the conventional edge of a strong
// correlation; with three tied family points the largest attainable |rho|
// is about 0.93, so the threshold leaves room for seed noise without
// admitting a weak or absent trend.
//
// The known break: a break member departs from the family when the 95%
// t-interval over seeds of its log lambda_max minus the family's mean
// (same seed) excludes [-log 2, log 2], a factor of 2, half the log-gap of a
// 4x ratio change under lambda_max proportional to S/eta.
const (
	spreadGapMax = 0.5
	rhoMax       = -0.5
	breakFactor  = 2.0
	level        = 0.95
	perms        = 9999 // Spearman permutation p-value
)

// Roles of grid points.
const (
	roleFamily  = "family"
	roleControl = "control"
	roleGrid    = "grid"
	roleBreak   = "break"
)

func init() { claims.Register(Claim{}) }

// Claim is claim C1 (stateless; registered from init).
type Claim struct{ claims.GridUnits[config] }

func (Claim) Info() claims.Info {
	return claims.Info{
		ID: "c1", Short: "exchangeability",
		Name:  "Exchangeability of learning rate and batch size (eta/S)",
		Paper: "P1 (Jastrzebski et al. 2017), thesis Sec. 3.2 and Fig. 3.1a",
		Statement: "SGD runs with the same ratio of learning rate to batch size reach endpoints of similar curvature " +
			"(lambda_max, Tr(H)) and similar validation accuracy, and a higher ratio reaches a flatter endpoint.",
	}
}

// Run runs every unit and merges them (claims.RunUnits).
func (c Claim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}

// config is C1's Spec.Config.
type config struct {
	Model       string  `json:"model"`
	TrainN      int     `json:"train_examples"`
	ValN        int     `json:"val_examples"`
	ProbeN      int     `json:"curvature_examples"`
	Epochs      int     `json:"epochs"`
	Tol         float64 `json:"lanczos_tol"`
	TraceBudget int     `json:"trace_budget"`
	Points      []point `json:"points"`
	// Dataset is the setup's data (Spec.Data), for the notes.
	Dataset string `json:"dataset"`
	// LossChecks is how many times per epoch the probe loss is evaluated
	// for the matched-loss measurements (claims.CurvRun.LossChecks).
	LossChecks int `json:"loss_checks_per_epoch"`
	// BaseBatch is the batch of beta = 1 (beta = S / BaseBatch along the
	// family, P1's notation).
	BaseBatch int `json:"beta_base_batch"`
}

type point struct {
	claims.GridPoint
	Role string `json:"role"` // family, control, grid, break
}

// at is the point (lr, batch) in role.
func at(lr float64, batch int, role string) point {
	return point{claims.GridPoint{LR: lr, Batch: batch}, role}
}

// Setup IDs.
const (
	setupMNIST    = "mlp-mnist"
	setupFashion  = "mlp-fashion-mnist"
	setupMLP20    = "mlp20-fashion-mnist"
	setupResNet56 = "resnet56-cifar10"
	setupVGG11    = "vgg11-cifar10"
)

// mlp20 is P1's 20-layer ReLU MLP: 19 hidden layers of 256 and the output
// layer (the width is ours: CLAIMS.md gives none).
var mlp20 = "mlp:784-" + strings.Repeat("256-", 19) + "10"

// config is the run of the first setup at scale.
func (Claim) config(scale claims.Scale) config { return Claim{}.setupConfig(scale, setupMNIST) }

// setupConfig is the run of setup at scale.
func (Claim) setupConfig(scale claims.Scale, setup string) config {
	cfg := config{
		Model: "mlp:784-64-64-10", TrainN: 50000, ValN: 10000, ProbeN: 2048,
		Epochs: 10, Tol: 1e-3, TraceBudget: 60, LossChecks: 10, BaseBatch: 64, Dataset: "mnist",
		Points: []point{
			at(0.025, 32, roleFamily), at(0.05, 64, roleFamily), at(0.1, 128, roleFamily),
			at(0.0125, 64, roleControl), at(0.2, 64, roleControl),
			at(0.025, 64, roleGrid), at(0.1, 64, roleGrid),
			at(0.4, 512, roleBreak), at(0.8, 1024, roleBreak),
		},
	}
	fullMLP := []point{
		at(0.0125, 16, roleFamily), at(0.025, 32, roleFamily), at(0.05, 64, roleFamily), at(0.1, 128, roleFamily), at(0.2, 256, roleFamily),
		at(0.0125, 64, roleControl), at(0.2, 64, roleControl),
		at(0.00625, 64, roleGrid), at(0.025, 64, roleGrid), at(0.1, 64, roleGrid), at(0.4, 64, roleGrid),
		at(0.4, 512, roleBreak), at(0.8, 1024, roleBreak), at(1.6, 2048, roleBreak),
	}
	// P1's CNN grid: eta = 0.1 beta, S = 50 beta; beta 0.25 would give
	// S = 12.5, so the family is beta in {0.5, 1, 2}, with beta 4 and 8
	// as the large-beta members.
	cnn := []point{
		at(0.05, 25, roleFamily), at(0.1, 50, roleFamily), at(0.2, 100, roleFamily),
		at(0.025, 50, roleControl), at(0.4, 50, roleControl),
		at(0.05, 50, roleGrid), at(0.2, 50, roleGrid),
		at(0.4, 200, roleBreak), at(0.8, 400, roleBreak),
	}
	if setup == setupFashion {
		cfg.Dataset = "fashion-mnist"
	}
	if scale == claims.Full {
		cfg.Model, cfg.Epochs, cfg.TraceBudget, cfg.Points = "mlp:784-128-128-128-128-10", 30, 150, fullMLP
		switch setup {
		case setupMLP20:
			cfg.Model, cfg.Dataset = mlp20, "fashion-mnist"
		case setupResNet56, setupVGG11:
			cfg.Model = map[string]string{setupResNet56: "resnet56", setupVGG11: "vgg11"}[setup]
			cfg.Dataset, cfg.TrainN, cfg.ValN, cfg.Epochs, cfg.Points, cfg.BaseBatch = "cifar10", 45000, 5000, 100, cnn, 50
		}
	}
	return cfg
}

// Specs are C1's setups (claims.MultiSetup): the MLP on MNIST and
// Fashion-MNIST at the quick scale; at the full scale the deeper MLP on
// MNIST, P1's 20-layer MLP on Fashion-MNIST, and P1's ResNet-56 and
// VGG-11 on CIFAR-10.
func (c Claim) Specs(scale claims.Scale) []claims.Spec {
	ids := []string{setupMNIST, setupFashion}
	if scale == claims.Full {
		ids = []string{setupMNIST, setupMLP20, setupResNet56, setupVGG11}
	}
	var out []claims.Spec
	for _, id := range ids {
		out = append(out, c.spec(scale, id))
	}
	return out
}

// Spec is the first setup's spec.
func (c Claim) Spec(scale claims.Scale) claims.Spec { return c.Specs(scale)[0] }

var dataWords = map[string]string{
	"mnist":         "MNIST, the first %d training-file images train, the last %d validate (Nielsen's split); pixels x/255",
	"fashion-mnist": "Fashion-MNIST, the first %d training-file images train, the last %d validate; pixels x/255",
	"cifar10":       "CIFAR-10, the first %d training images train, the last %d validate; pixels x/255, no augmentation",
}

func (c Claim) spec(scale claims.Scale, setup string) claims.Spec {
	cfg := c.setupConfig(scale, setup)
	seeds := map[claims.Scale]int{claims.Quick: 5, claims.Full: 8}[scale]
	if cfg.Dataset == "cifar10" {
		seeds = 3
	}
	pts := func(role string) string {
		var s []string
		for _, p := range cfg.Points {
			if p.Role == role {
				s = append(s, fmt.Sprintf("(%g, %d)", p.LR, p.Batch))
			}
		}
		return fmt.Sprint(s)
	}
	setupLines := []string{
		fmt.Sprintf("model %s, plain SGD at constant eta, %d epochs at every grid point (equal SDE time (eta/S) N epochs for equal ratios)", cfg.Model, cfg.Epochs),
		"data: " + fmt.Sprintf(dataWords[cfg.Dataset], cfg.TrainN, cfg.ValN),
		fmt.Sprintf("(eta, S): family %s; controls at 4x lower and higher ratio %s; extra ratios %s; large-beta break members %s (beta = S/%d)",
			pts(roleFamily), pts(roleControl), pts(roleGrid), pts(roleBreak), cfg.BaseBatch),
		fmt.Sprintf("at the end: lambda_max by Lanczos (residual %g relative) and Tr(H) by Hutch++ (%d HVPs) on the first %d training images, eval mode, mean cross-entropy; validation accuracy",
			cfg.Tol, cfg.TraceBudget, cfg.ProbeN),
		fmt.Sprintf("matched training loss: the loss on those %d images evaluated %d times per epoch; lambda_max at the first evaluation at or below each rung of the ladder %v; "+
			"each lambda_max after a run's first (at initialisation) warm-started from the previous one's top Ritz vector",
			cfg.ProbeN, cfg.LossChecks, claims.LossLadder),
		"seeds paired across the grid: seed s gives every point the same initialisation and data-order streams",
	}
	budget := map[claims.Scale]string{claims.Quick: "about 45 s per setup on 2 quiet cores, estimated: v1 took 34 s quiet, and v2 adds about 10 loss checks per epoch and about 10 Lanczos runs per unit; 363-365 s per setup measured with the machine at load 12-23",
		claims.Full: "measured as a sweep, twice (v1 checks): 112 units of at most 23-37 s each on one core (diverged ones stop at once), 1,171-1,386 s in all (10-12 min as two shards on 2 cores; reports/archive/full-v1/c1)"}[scale]
	switch setup {
	case setupMLP20:
		budget = "a cluster sweep of 112 units, about 4.9 CPU-h: seed 1's 14 units measured 2,202 CPU-s on one core (AMD Zen 4, 2026-12-04; 245-304 s per unit that trains its 30 epochs, " +
			"4-44 s for the 6 that diverge at eta >= 0.2; reports/partial/c1-mlp20)"
	case setupResNet56, setupVGG11:
		budget = "needs CIFAR-10 and a cluster: 27 units of 100 epochs each"
	}
	return claims.Spec{
		Scale: scale, SetupID: setup, Seeds: seeds, Data: cfg.Dataset, Setup: setupLines, Config: cfg, Budget: budget,
		Tolerance: claims.Tolerance{
			SameRel: 1e-9, SameAbs: 1e-12, CrossISARel: 0.3, CrossISAAbs: 0.05,
			Reason: "same ISA: bitwise-deterministic core, 1e-9 absorbs toolchain math changes; another ISA rounds float32 sums differently, " +
				"the SGD trajectories part from the first step and each run becomes an independent replicate: lambda_max and Tr(H) of one run " +
				"vary by about ±20% between replicates, accuracies by a few 0.1%, rho by about 0.1, so figures agree only to 30% relative / 0.05 absolute",
		},
	}
}

// --- measurements ---------------------------------------------------------

type record struct {
	Points      []pointRecord `json:"points"`
	Ladder      []float64     `json:"loss_ladder"`
	BaseBatch   int           `json:"beta_base_batch"`
	LambdaStamp string        `json:"lambda_stamp"`
	TraceStamp  string        `json:"trace_stamp"`
}

type pointRecord struct {
	point
	Ratio float64          `json:"ratio"`
	Runs  []claims.SeedRun `json:"runs"` // in seed order
}

// Grid is the (eta, S) grid and the data of the runs (claims.GridConfig).
func (c config) Grid() claims.CurvGrid {
	g := claims.CurvGrid{TrainN: c.TrainN, ValN: c.ValN, ProbeN: c.ProbeN}
	for _, p := range c.Points {
		g.Points = append(g.Points, p.GridPoint)
	}
	return g
}

// Run is the run of grid point pi from root seed s, its endpoint measured
// (claims.GridConfig).
func (c config) Run(pi int, s uint64) claims.CurvRun {
	r := claims.NewCurvRun("c1", c.Model, c.Points[pi].GridPoint, c.Epochs, s)
	r.Tol, r.TraceBudget = c.Tol, c.TraceBudget
	r.LossChecks, r.LossTargets = c.LossChecks, claims.LossLadder
	return r
}

// Merge assembles the grid record from the runs of the given seeds.
func (c Claim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	cfg, runs, err := c.Runs(spec, seeds, results)
	if err != nil {
		return nil, err
	}
	rec := record{Ladder: claims.LossLadder, BaseBatch: cfg.BaseBatch}
	for pi, p := range cfg.Points {
		for _, r := range runs[pi] {
			if rec.LambdaStamp == "" && r.LambdaStamp != "" {
				rec.LambdaStamp, rec.TraceStamp = r.LambdaStamp, r.TraceStamp
			}
		}
		rec.Points = append(rec.Points, pointRecord{point: p, Ratio: p.Ratio(), Runs: runs[pi]})
	}
	ev := &claims.Evidence{Seeds: seeds, Data: cfg.Grid().Data(env)}
	if err := ev.SetMeasurements(rec); err != nil {
		return nil, err
	}
	sum := summarise(rec)
	ev.Figures = figuresOf(sum)
	ev.Metrics = map[string]string{
		"a/lambda_spread_over_gap": "a-lambda-spread/gap", "b/acc_spread_over_gap": "b-acc-spread/gap",
		"c/spearman_rho": "c-rho", "lambda_max/eta=0.05,S=64": "lambda_max(0.05,64)", "val_acc/eta=0.05,S=64": "val-acc(0.05,64)",
		"break/eta=0.4,S=512/log_departure": "break-log-departure(0.4,512)",
		"d/matched_lambda_spread_over_gap":  "d-matched-lambda-spread/gap", "e/matched_spearman_rho": "e-matched-rho",
	}
	ev.Tables = tablesOf(rec, sum, cfg)
	ev.Plots = plotsOf(sum)
	ev.Notes = notesOf(rec, sum, cfg)
	return ev, nil
}
