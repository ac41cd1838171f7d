package stationaryloss

import (
	"fmt"
	"strings"

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
// loss when an epoch is short against the relaxation time; tier a and the
// image MLP measure it too, as information, not as part of the verdict.
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
// # Setups, tiers and thresholds
//
// The checks, their thresholds and reasons are registered (registration.go;
// registrations/c2.json locks every version): v1 is the checks below as
// they stood before issue 12, v2 adds what that issue asked for. C2 is
// judged on three setups: "synthetic" (tiers a, b, c), "mlp-mnist" and
// "mlp-fashion-mnist" (tier mlp on each dataset).
//
// (a) Linear least squares, t = w.x + b + sigma eps with sigma = 1, so that
// C = sigma^2 H = H in the population: the thesis's Eq. (3.3) applies
// literally. Since v2 the input variances run geometrically from 1/200 to
// 1 (condA), so H's condition number is about 200 and Tr(H) is about a
// quarter of P lambda_max: the Tr(H) form is told from a form in
// lambda_max alone (v1's tier had H = I, where every such form agrees).
// Checks: the ratio excess / (eta kappa/4 Tr C) and the ratio
// excess / (eta kappa/4 Tr H) must each have its 95% t-interval across seeds
// inside [0.90, 1.10] at every grid point of the first-order regime
// (eta lambda_max <= 0.033). Why 10%: the first-order formula neglects the
// discrete-time term and the state-dependent part of the noise, both
// computed exactly per point ('exact/1st', at most 1.2% on this grid by the
// quadratic model); a correct formula lands inside 10% with room for the
// statistical error; a wrong constant (eta/(2S) or eta/(8S)) or a wrong power
// of S misses by a factor >= 2 at some point. N = 16384: with N = 512 and
// then 4096 (the settings tried first, v1) the sample's Tr(C)/Tr(H) varied by
// about ±6% and ±3.6% between seeds and left the Tr(H) check inconclusive at
// three seeds; the threshold was not touched.
//
// Tier a's discrete-regime point (v2): eta = 0.75, S = 256, so eta
// lambda_max is about 0.76; there the factor 1/(1 - eta lambda/2) is 1.6 in
// the sharpest directions and the quadratic model puts the excess 38% above
// first order. Judged twice: the excess over the exact discrete prediction
// (lsExact: H Sigma + Sigma H - eta H Sigma H = eta kappa C(Sigma), with the
// state-dependent noise) inside [0.9, 1.1], and the excess over first order
// above 1.1 (first order visibly misses). Its window is at least
// MinWindow steps, since its slowest directions relax over ~130 steps.
//
// (b) Softmax regression on a Gaussian mixture with equal class covariances:
// convex, a unique minimum up to the softmax's shift symmetry, and well
// specified (the true posterior is a linear softmax), so C is close to H at
// the minimum (the Fisher identity). Checks: excess / (eta kappa/4 Tr C) and
// (v2) excess / (eta kappa/4 Tr H), each 95% interval inside [0.85, 1.15] at
// every grid point. Why 15%: the loss is not quadratic, and the cubic terms
// and the state-dependent noise add O(eta/S) corrections that are not
// computed here; 15% still rejects a wrong constant.
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
// is reported as drift, per grid point (table and plot). Checks: (c1) the
// log-log slope of excess loss against the noise scale eta kappa (one
// intercept per seed), 95% interval inside [0.8, 1.2]: proportionality, the
// claim's core, told apart from a square root (0.5) or a square (2);
// (c2) excess / (eta kappa/4 Tr C) inside [2/3, 3/2] at every grid point:
// the quadratic model of a nonconvex network around an approximate minimum
// is expected to hold to tens of percent, not a few, and a factor 1.5 still
// rejects a wrong constant of 2; (c3, v2) the same for the Tr(H) form, the
// thesis's: C = H is assumed there, not arranged.
//
// (mlp, v2) The image setups: a ReLU MLP 49-8-10 on 1024 training images
// per seed of MNIST or Fashion-MNIST (drawn without replacement, 4x4
// average-pooled to 7x7 so that the dense H and C of its 490 parameters stay
// cheap), weight decay 1e-2, minimum and settling as tier c, the grid of
// tier c (halved for Fashion-MNIST, whose lambda_max is about 2.5 times
// MNIST's, to stay at eta lambda_max <= 0.09). Checks as tier c: slope, Tr(C)
// and Tr(H) forms. Every point is also run as ordinary epoch-shuffled SGD,
// reported as information (as in tier a).
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
	// condA is tier a's condition number (v2): the input variances run
	// geometrically from 1/condA to 1, so Tr(H) is about P lambda_max / 4
	// and the Tr(H) form is told from P lambda_max and from the isotropic
	// case.
	condA = 200
	// missA is how far above the first-order prediction the discrete-regime
	// point's excess must lie (v2): outside the margin marginA the
	// continuous-regime checks accept.
	missA = 1 + marginA
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
	// MinWindow is the shortest window in steps: at the discrete-regime
	// point the loss relaxes in about a step while the flattest directions
	// take ~130, so a window of Window relaxation times alone would see
	// few of their fluctuations.
	MinWindow int `json:"min_window_steps,omitempty"`
}

type tier struct {
	ID       string      `json:"id"` // "a", "b", "c", "mlp"
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
	// Condition, for least squares, gives the inputs variances spaced
	// geometrically from 1/Condition to 1 (data.WithSpectrum): H is
	// anisotropic. 0 means identity covariance.
	Condition float64 `json:"condition,omitempty"`
	// Data, when set, names the dataset the tier draws its examples from
	// (the setup's Spec.Data, loaded by Env.Dataset): N training images
	// chosen per seed, average-pooled by Pool.
	Data string `json:"data,omitempty"`
	Pool int    `json:"pool,omitempty"`
	// WeightDecay adds wd/2 ||theta||^2 to the objective SGD minimises and
	// the excess is measured on (see tier c).
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// Settle, when set, anneals every run's end state to the bottom of its
	// basin; the excess is then taken over the lower of that loss and the
	// minimum's (see the tier c note above).
	Settle *minimumSpec `json:"settle,omitempty"`
	// Reshuffle also runs every grid point through train.Run (epoch-wise
	// sampling without replacement), for information.
	Reshuffle bool `json:"reshuffle,omitempty"`
}

type point struct {
	LR    float64 `json:"lr"`
	Batch int     `json:"batch"`
	// Discrete marks the point in the discrete regime (eta lambda_max
	// near 1): judged against the exact discrete prediction, left out of
	// the first-order checks.
	Discrete bool `json:"discrete,omitempty"`
}

// Setups. C2 is judged on three (claims.MultiSetup): the synthetic tiers
// (a, b, c, one setup since they need no files) and an MLP near a minimum
// on a subset of MNIST and of Fashion-MNIST.
const (
	setupSynthetic = "synthetic"
	setupMNIST     = "mlp-mnist"
	setupFashion   = "mlp-fashion-mnist"
)

func (Claim) config(scale claims.Scale) config {
	// The grid spans a decade of eta/S (2e-4 to 2e-3), with two points at
	// the same ratio reached with different S. Tier b's rates are 4x larger
	// (eta/S from 8e-4 to 8e-3) because its curvature is about 4x lower:
	// every tier keeps eta*lambda_max between about 0.01 and 0.07, where
	// the discrete-time correction is a few percent and is reported.
	grid := func(scale float64) []point {
		return []point{{LR: 0.0256 * scale, Batch: 128}, {LR: 0.032 * scale, Batch: 64}, {LR: 0.008 * scale, Batch: 16}, {LR: 0.016 * scale, Batch: 8}}
	}
	// Tier a's discrete-regime point: eta lambda_max about 0.76, where the
	// discrete Lyapunov factor 1/(1 - eta lambda/2) is 1.6 in the sharpest
	// directions and the quadratic model puts the excess 38% above first
	// order.
	gridA := append(grid(1), point{LR: 0.75, Batch: 256, Discrete: true})
	cfg := config{
		Window: 2000, MaxSteps: 400000, MinWindow: 20000,
		Tiers: []tier{
			{ID: "a", Title: "anisotropic least squares (C = H in the population)", Model: "mlp:20-1", Loss: "squared error",
				N: 16384, Dim: 20, NoiseStd: 1, Condition: condA, Grid: gridA, Reshuffle: true},
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

// imageConfig is the config of the MLP setup on dataset name: one tier,
// "mlp", an MLP on N training images pooled 4x4 (7 x 7 inputs: the dense H
// and C of its 490 parameters stay cheap), found and measured as tier c.
func (Claim) imageConfig(scale claims.Scale, name string) config {
	// Rates: eta lambda_max at most about 0.07 (MNIST, lambda_max ~2) and
	// 0.09 (Fashion-MNIST, lambda_max ~5, so its rates are halved), the
	// first-order regime, as in the synthetic tiers.
	rate := map[string]float64{"fashion-mnist": 0.5}[name]
	if rate == 0 {
		rate = 1
	}
	t := tier{ID: "mlp", Title: "ReLU MLP on a " + name + " subset near a minimum", Model: "mlp:49-8-10", Loss: "cross-entropy",
		N: 1024, Dim: 49, Classes: 10, Data: name, Pool: 4, WeightDecay: 0.01,
		Grid:    []point{{LR: 0.0256 * rate, Batch: 128}, {LR: 0.032 * rate, Batch: 64}, {LR: 0.008 * rate, Batch: 16}, {LR: 0.016 * rate, Batch: 8}},
		Minimum: minimumSpec{WarmEpochs: 50, WarmLR: 0.1, WarmBatch: 32, AnnealSteps: 20000, AnnealLR: 0.05, AnnealBatch: 64, GDIters: 1000},
		Settle:  &minimumSpec{AnnealSteps: 4000, GDIters: 300}, Reshuffle: true,
	}
	cfg := config{Window: 1000, MaxSteps: 200000, Tiers: []tier{t}}
	if scale == claims.Full {
		cfg.Window, cfg.MaxSteps = 4000, 1000000
		cfg.Tiers[0].N = 4096
		cfg.Tiers[0].Model = "mlp:49-16-10"
	}
	return cfg
}

func (c Claim) Spec(scale claims.Scale) claims.Spec { return c.Specs(scale)[0] }

// Specs returns C2's setups: the synthetic tiers, then the MLP on MNIST and
// on Fashion-MNIST.
func (c Claim) Specs(scale claims.Scale) []claims.Spec {
	seeds := map[claims.Scale]int{claims.Quick: 3, claims.Full: 5}[scale]
	syn := c.spec(scale, c.config(scale))
	syn.SetupID, syn.Data, syn.Seeds = setupSynthetic, claims.Synthetic, seeds
	syn.Budget = map[claims.Scale]string{claims.Quick: "measured: 84 s wall on 2 cores at load average 8 (other jobs), about 36 s of CPU", claims.Full: "measured as a sweep (v2 tiers): 15 units, 3,956 s of unit time, 1,986 s wall with 2 workers on 2 cores at load average 11-20 (reports/full/c2); v1 tiers: 473-858 s in all"}[scale]
	specs := []claims.Spec{syn}
	for _, s := range []struct{ id, data string }{{setupMNIST, "mnist"}, {setupFashion, "fashion-mnist"}} {
		sp := c.spec(scale, c.imageConfig(scale, s.data))
		sp.SetupID, sp.Data, sp.Seeds = s.id, s.data, seeds
		sp.Budget = map[claims.Scale]string{claims.Quick: "measured: 34-37 s wall on 2 cores at load average 8 (other jobs), about 20 s of CPU", claims.Full: "measured as a sweep: 5 units of 34-45 s on one core, about 200 s in all per dataset (AMD Zen 4, 2026-12-04; reports/full/c2)"}[scale]
		specs = append(specs, sp)
	}
	return specs
}

func (c Claim) spec(scale claims.Scale, cfg config) claims.Spec {
	var setup []string
	for _, t := range cfg.Tiers {
		s := fmt.Sprintf("tier %s, %s: %s (%s) on ", t.ID, t.Title, t.Model, t.Loss)
		switch {
		case t.Data != "":
			s += fmt.Sprintf("%d %s training images per seed (drawn without replacement), %dx%d average-pooled", t.N, t.Data, t.Pool, t.Pool)
		case t.Classes == 0:
			s += fmt.Sprintf("%d examples x ~ N(0, I_%d), t = w.x + b + %g eps", t.N, t.Dim, t.NoiseStd)
			if t.Condition > 0 {
				s = strings.Replace(s, fmt.Sprintf("N(0, I_%d)", t.Dim), fmt.Sprintf("N(0, diag(lambda)), lambda geometric from 1/%g to 1", t.Condition), 1)
			}
		default:
			s += fmt.Sprintf("a %d-class Gaussian mixture, %d examples in %d dimensions, means %g apart", t.Classes, t.N, t.Dim, t.Sep)
		}
		if t.WeightDecay > 0 {
			s += fmt.Sprintf(", weight decay %g", t.WeightDecay)
		}
		s += "; (eta, S) in"
		for _, p := range t.Grid {
			s += fmt.Sprintf(" (%g, %d)", p.LR, p.Batch)
			if p.Discrete {
				s += " [discrete regime]"
			}
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
		if t.Reshuffle {
			s += "; every point also run as epoch-shuffled SGD (train.Run), for information"
		}
		setup = append(setup, s)
	}
	setup = append(setup,
		"per seed: own data, init and minimum; H and C exact at the minimum (dense, core/curvature or closed form)",
		fmt.Sprintf("SGD from the minimum with independent batches of S distinct examples; burn-in to within %.1f%% of stationary (quadratic model); window %g loss relaxation times", 100*burnFrac, cfg.Window),
		"excess loss = window mean of the full-batch loss minus the loss at the minimum")
	return claims.Spec{
		Scale: scale, Setup: setup, Config: cfg,
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
	Discrete   bool        `json:"discrete,omitempty"`
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
