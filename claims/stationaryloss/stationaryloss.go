package stationaryloss

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// C2: the expected loss of SGD at its stationary distribution around a
// minimum, E[L - L*] = eta/(4S) Tr(C) (= eta/(4S) Tr(H) when C = H), P1's
// Eq. (3.3) (thesis Sec. 3.2, p. 16-17).
//
// # What is measured
//
// For each tier a problem with a true minimum is set up per seed (its own
// data, initialisation and minimum), H and C are computed exactly at the
// minimum, and constant-step SGD is run from the minimum for each (eta, S)
// of a grid spanning a decade of eta/S. Excess loss = mean full-batch
// training loss over a measurement window after a burn-in, minus the
// full-batch loss at the minimum (the same float32 evaluator for both, so
// its rounding cancels; for least squares, whose loss is exactly
// L* + 1/2 d^T H d, the closed form in float64). The prediction is
//
//	eta kappa / 4 * Tr(C),   kappa = (N-S)/(S(N-1)),
//
// the thesis's formula with the exact factor for a batch of S distinct
// examples (sampling without replacement inside the batch). Batches are
// drawn independently at every step, the noise model the derivation
// assumes. train.Run's epoch-wise reshuffling correlates the batches of an
// epoch (their gradients sum to the full gradient) and lowers the stationary
// loss when an epoch is short against the relaxation time; tier a measures
// it too, as information, not as part of the verdict.
//
// Burn-in is chosen per run from the quadratic model: the step count after
// which a run started at the minimum has reached all but 0.5% of its
// stationary excess; the window is a fixed number of loss relaxation times
// (1/(2 eta lambda_w), lambda_w the C-weighted mean curvature), evaluated
// every two relaxation times. (Evaluations dominate the cost: sampling once
// per relaxation time gains only about 10% in standard error for twice the
// work, since samples two relaxation times apart are already nearly
// independent.) The predicted mean over the window as a
// fraction of stationary ("transient") is reported so a shortfall from a run
// that was too short is visible as such.
//
// # Tiers and thresholds (fixed before any result was seen)
//
// (a) Linear least squares, t = w.x + b + sigma eps with sigma = 1, so that
// C = sigma^2 H = H in the population: the thesis's Eq. (3.3) applies
// literally. Checks: the ratio excess / (eta kappa/4 Tr C) and the ratio
// excess / (eta kappa/4 Tr H) must each have its 95% t-interval across seeds
// inside [0.90, 1.10] at every grid point. Why 10%: the first-order formula
// neglects the discrete-time term (about eta lambda/2, at most ~2.5% on this
// grid) and the state-dependent part of the noise (about eta kappa Tr(H)/2,
// at most ~2%), both computed exactly in the table. A correct formula lands
// inside 10% with room for the statistical error (about ±3% at three
// seeds); a wrong constant (eta/(2S) or eta/(8S)) or a wrong power of S
// misses by a factor >= 2 at some point. N = 16384: with N = 512 and then
// 4096 (the settings tried first) the sample's Tr(C)/Tr(H), which is the
// realised noise level of the data draw, varied by about ±6% and ±3.6%
// between seeds and left the Tr(H) check inconclusive at three seeds while
// the Tr(C) check held within 3%. The Tr(H) form is a population statement
// (C = H only as N grows), so N was raised toward that regime; the
// threshold was not touched.
//
// (b) Softmax regression on a Gaussian mixture with equal class covariances:
// convex, a unique minimum up to the softmax's shift symmetry, and well
// specified (the true posterior is a linear softmax), so C is close to H at
// the minimum (the Fisher identity). Check: excess / (eta kappa/4 Tr C) with
// its 95% interval inside [0.85, 1.15] at every grid point. Why 15%: the loss
// is not quadratic, and the cubic terms and the state-dependent noise add
// O(eta/S) corrections that are not computed here; 15% still rejects a wrong
// constant. Tr(C)/Tr(H) is reported.
//
// (c) A small ReLU MLP on the same kind of mixture, trained with weight
// decay 1e-2: nonconvex and piecewise smooth, so "the minimum" needs care.
// Without weight decay (and with 1e-3) the MLP's loss has directions of
// curvature near 1e-3 along which it keeps descending: full-batch descent
// stalls (gradient near 1e-3), Newton steps are defeated by the ReLU kinks,
// and the SGD runs found ground lower than the "minimum" by as much as the
// excess being measured (the drift diagnostic below). Weight decay lifts
// those directions and makes the minimum reachable; the claim is then
// tested on the objective SGD minimises, loss + wd/2 ||theta||^2, whose
// noise covariance is still C (the decay term is deterministic) and whose
// Hessian is H + wd I. The minimum is reached by annealing: warm-up SGD, a
// long SGD anneal to rate 0, then cosine-annealed full-batch descent. Each
// run's end state is annealed the same way ("settled") and the excess is
// taken over the lower of the two objective values, so a run that finds
// lower ground is not scored against a floor it has left; how much lower
// is reported as drift. Checks: (c1) the
// log-log slope of excess loss against the noise scale eta kappa (one
// intercept per seed), 95% interval inside [0.8, 1.2]: proportionality, the
// claim's core, told apart from a square root (0.5) or a square (2);
// (c2) excess / (eta kappa/4 Tr C) inside [2/3, 3/2] at every grid point:
// the quadratic model of a nonconvex network around an approximate minimum
// is expected to hold to tens of percent, not a few, and a factor 1.5 still
// rejects a wrong constant of 2.
//
// Outcomes follow Within (the interval inside the margin holds; entirely
// outside does not hold; straddling is inconclusive) and AllOf over grid
// points.

const (
	marginA   = 0.10
	marginB   = 0.15
	slopeLo   = 0.8
	slopeHi   = 1.2
	ratioCLo  = 2.0 / 3
	ratioCHi  = 1.5
	level     = 0.95
	burnFrac  = 0.005 // burn-in leaves at most this fraction of the stationary excess unreached
	evalsPerT = 0.5   // full-batch evaluations per loss relaxation time (see the note on cost above)
)

func init() { claims.Register(Claim{}) }

// Claim is claim C2 (stateless; registered from init).
type Claim struct{}

func (Claim) Info() claims.Info {
	return claims.Info{
		ID: "c2", Short: "stationary-loss",
		Name:  "Stationary loss E(L) = eta/(4S) Tr(H)",
		Paper: "P1 (Jastrzebski et al., ICANN 2018), Eq. (3.3); thesis Sec. 3.2",
		Statement: "Near a minimum, SGD with learning rate eta and batch size S settles at an expected loss " +
			"eta/(4S) Tr(C) above the minimum (eta/(4S) Tr(H) when the gradient covariance C equals the Hessian H).",
	}
}

// config is C2's Spec.Config.
type config struct {
	Tiers []tier `json:"tiers"`
	// Window is the measurement window in loss relaxation times.
	Window float64 `json:"window_relaxation_times"`
	// MaxSteps caps burn-in plus window of one run.
	MaxSteps int `json:"max_steps"`
	// Reshuffle also runs tier a through train.Run (epoch-wise sampling
	// without replacement), for information.
	Reshuffle bool `json:"reshuffle"`
}

type tier struct {
	ID       string      `json:"id"` // "a", "b", "c"
	Title    string      `json:"title"`
	Model    string      `json:"model"`
	Loss     string      `json:"loss"` // "squared error" or "cross-entropy"
	N        int         `json:"n"`
	Dim      int         `json:"dim"`
	Classes  int         `json:"classes,omitempty"`
	NoiseStd float64     `json:"noise_std,omitempty"`
	Sep      float64     `json:"sep,omitempty"`
	Grid     []point     `json:"grid"`
	Minimum  minimumSpec `json:"minimum"`
	// WeightDecay adds wd/2 ||theta||^2 to the objective SGD minimises and
	// the excess is measured on (see tier c).
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// Settle, when set, anneals every run's end state to the bottom of its
	// basin; the excess is then taken over the lower of that loss and the
	// minimum's (see the tier c note above).
	Settle *minimumSpec `json:"settle,omitempty"`
}

type point struct {
	LR    float64 `json:"lr"`
	Batch int     `json:"batch"`
}

func (Claim) config(scale claims.Scale) config {
	// The grid spans a decade of eta/S (2e-4 to 2e-3), with two points at
	// the same ratio reached with different S. Tier b's rates are 4x larger
	// (eta/S from 8e-4 to 8e-3) because its curvature is about 4x lower:
	// every tier keeps eta*lambda_max between about 0.01 and 0.07, where
	// the discrete-time correction is a few percent and is reported.
	grid := func(scale float64) []point {
		return []point{{0.0256 * scale, 128}, {0.032 * scale, 64}, {0.008 * scale, 16}, {0.016 * scale, 8}}
	}
	cfg := config{
		Window: 2000, MaxSteps: 400000, Reshuffle: true,
		Tiers: []tier{
			{ID: "a", Title: "least squares (C = H in the population)", Model: "mlp:20-1", Loss: "squared error",
				N: 16384, Dim: 20, NoiseStd: 1, Grid: grid(1)},
			{ID: "b", Title: "softmax regression (convex)", Model: "mlp:10-3", Loss: "cross-entropy",
				N: 2048, Dim: 10, Classes: 3, Sep: 2, Grid: grid(4),
				Minimum: minimumSpec{NewtonIters: 30, GradTol: 1e-6}},
			{ID: "c", Title: "ReLU MLP near a minimum", Model: "mlp:10-8-3", Loss: "cross-entropy",
				N: 4096, Dim: 10, Classes: 3, Sep: 2, Grid: grid(1), WeightDecay: 0.01,
				Minimum: minimumSpec{WarmEpochs: 100, WarmLR: 0.1, WarmBatch: 32, AnnealSteps: 100000, AnnealLR: 0.05, AnnealBatch: 128, GDIters: 2000},
				Settle:  &minimumSpec{AnnealSteps: 10000, GDIters: 500}},
		},
	}
	if scale == claims.Full {
		cfg.Window = 8000
		cfg.MaxSteps = 2000000
		cfg.Tiers[0].N, cfg.Tiers[0].Dim, cfg.Tiers[0].Model = 65536, 50, "mlp:50-1"
		cfg.Tiers[1].N, cfg.Tiers[1].Dim, cfg.Tiers[1].Classes, cfg.Tiers[1].Model = 8192, 20, 5, "mlp:20-5"
		cfg.Tiers[2].N, cfg.Tiers[2].Dim, cfg.Tiers[2].Classes, cfg.Tiers[2].Model = 8192, 20, 5, "mlp:20-32-5"
	}
	return cfg
}

func (c Claim) Spec(scale claims.Scale) claims.Spec {
	cfg := c.config(scale)
	var setup []string
	for _, t := range cfg.Tiers {
		s := fmt.Sprintf("tier %s, %s: %s (%s) on ", t.ID, t.Title, t.Model, t.Loss)
		if t.Classes == 0 {
			s += fmt.Sprintf("%d examples x ~ N(0, I_%d), t = w.x + b + %g eps", t.N, t.Dim, t.NoiseStd)
		} else {
			s += fmt.Sprintf("a %d-class Gaussian mixture, %d examples in %d dimensions, means %g apart", t.Classes, t.N, t.Dim, t.Sep)
		}
		if t.WeightDecay > 0 {
			s += fmt.Sprintf(", weight decay %g", t.WeightDecay)
		}
		s += "; (eta, S) in"
		for _, p := range t.Grid {
			s += fmt.Sprintf(" (%g, %d)", p.LR, p.Batch)
		}
		switch m := t.Minimum; {
		case t.Classes == 0:
			s += "; minimum in closed form (core/data)"
		case m.WarmEpochs > 0 || m.AnnealSteps > 0:
			s += fmt.Sprintf("; minimum by annealing: %d epochs of SGD (lr %g cosine, S %d), %d SGD steps (lr %g linear to 0, S %d), %d steps of full-batch descent",
				m.WarmEpochs, m.WarmLR, m.WarmBatch, m.AnnealSteps, m.AnnealLR, m.AnnealBatch, m.GDIters)
		default:
			s += fmt.Sprintf("; minimum by up to %d Newton steps with the exact Hessian", m.NewtonIters)
		}
		if t.Settle != nil {
			s += fmt.Sprintf("; each run settled after its window (%d SGD steps to lr 0, %d descent steps)", t.Settle.AnnealSteps, t.Settle.GDIters)
		}
		setup = append(setup, s)
	}
	setup = append(setup,
		"per seed: own data, init and minimum; H and C exact at the minimum (dense, core/curvature or closed form)",
		fmt.Sprintf("SGD from the minimum with independent batches of S distinct examples; burn-in to within %.1f%% of stationary (quadratic model); window %g loss relaxation times", 100*burnFrac, cfg.Window),
		"excess loss = window mean of the full-batch loss minus the loss at the minimum")
	return claims.Spec{
		Scale: scale, Seeds: map[claims.Scale]int{claims.Quick: 3, claims.Full: 5}[scale], Data: "synthetic", Setup: setup, Config: cfg,
		Budget: map[claims.Scale]string{claims.Quick: "about 30 s on 2 cores", claims.Full: "measured as a sweep, twice: 15 units of 12-147 s each on one core, 473-858 s in all (4.5 min as two shards on 2 cores, 7 min as a 2-task Slurm array; reports/full/c2)"}[scale],
		Tolerance: claims.Tolerance{
			SameRel: 1e-9, SameAbs: 1e-12, CrossISARel: 0.15, CrossISAAbs: 0.05,
			Reason: "same ISA: bitwise-deterministic core, 1e-9 absorbs toolchain math changes; another ISA rounds float32 sums " +
				"differently, the SGD trajectories part after the first step and the rerun is a statistically independent replicate, " +
				"so figures agree only within their 95% intervals (ratios about ±5%, slope about ±0.1 at quick scale): 15% relative / 0.05 absolute",
		},
	}
}

// --- measurements ---------------------------------------------------------

type record struct {
	Tiers []tierRecord `json:"tiers"`
}

type tierRecord struct {
	ID     string        `json:"id"`
	Title  string        `json:"title"`
	WD     float64       `json:"weight_decay,omitempty"`
	P      int           `json:"params"`
	N      int           `json:"n"`
	Minima []minRecord   `json:"minima"` // per seed
	Points []pointRecord `json:"points"`
}

type minRecord struct {
	Seed         uint64          `json:"seed"`
	Loss         jsonfloat.Float `json:"loss"`
	GradNorm     jsonfloat.Float `json:"grad_norm"`
	Accuracy     jsonfloat.Float `json:"accuracy,omitempty"`
	TrH          jsonfloat.Float `json:"tr_h"`
	TrC          jsonfloat.Float `json:"tr_c"`
	LambdaMax    jsonfloat.Float `json:"lambda_max"`
	LambdaMinPos jsonfloat.Float `json:"lambda_min_pos"`
	NullC        jsonfloat.Float `json:"null_c"` // fraction of Tr C in flat or negative directions of H
	Rank         int             `json:"rank"`
	Negative     int             `json:"negative"`
	Newton       int             `json:"newton_steps"`
}

type pointRecord struct {
	LR         float64     `json:"lr"`
	Batch      int         `json:"batch"`
	Kappa      float64     `json:"kappa"` // (N-S)/(S(N-1))
	Runs       []runRecord `json:"runs"`
	Reshuffled []runRecord `json:"reshuffled,omitempty"`
	Trace      *trace      `json:"trace,omitempty"`
}

type runRecord struct {
	Seed         uint64          `json:"seed"`
	Excess       jsonfloat.Float `json:"excess"`
	PredC        jsonfloat.Float `json:"pred_c"`        // eta kappa/4 Tr C
	PredH        jsonfloat.Float `json:"pred_h"`        // eta kappa/4 Tr H
	PredDiscrete jsonfloat.Float `json:"pred_discrete"` // discrete Lyapunov, additive noise
	PredExact    jsonfloat.Float `json:"pred_exact"`    // tier a: discrete, with state-dependent noise
	Transient    jsonfloat.Float `json:"transient"`     // predicted window mean / stationary
	LEnd         jsonfloat.Float `json:"l_end"`         // loss after settling the end state (tier c); NaN otherwise
	Drift        jsonfloat.Float `json:"drift"`         // minimum's loss minus LEnd when positive: lower ground found by the run
	EtaLambdaMax jsonfloat.Float `json:"eta_lambda_max"`
	Burn         int             `json:"burn"`
	Window       int             `json:"window"`
	Every        int             `json:"every"`
	Evals        int             `json:"evals"`
	Diverged     bool            `json:"diverged,omitempty"`
}

type trace struct {
	Seed   uint64            `json:"seed"`
	Step   []jsonfloat.Float `json:"step"`
	Excess []jsonfloat.Float `json:"excess"`
	Pred   jsonfloat.Float   `json:"pred"`
}

// problem is one seed's problem at its minimum.
type problem struct {
	data  *data.Dataset
	model *nn.Model
	lstar float64
	quad  *quadModel
	h, c  []float64  // tier a: for lsExact
	z     *mat.Dense // tier a: design rows [x, 1]
	theta []float64  // tier a: the minimiser, float64
	min   minRecord
}
