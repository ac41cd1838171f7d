package claims

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/rng"
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
	c2MarginA   = 0.10
	c2MarginB   = 0.15
	c2SlopeLo   = 0.8
	c2SlopeHi   = 1.2
	c2RatioCLo  = 2.0 / 3
	c2RatioCHi  = 1.5
	c2Level     = 0.95
	c2BurnFrac  = 0.005 // burn-in leaves at most this fraction of the stationary excess unreached
	c2EvalsPerT = 0.5   // full-batch evaluations per loss relaxation time (see the note on cost above)
)

func init() { Register(stationaryLoss{}) }

type stationaryLoss struct{}

func (stationaryLoss) Info() Info {
	return Info{
		ID:    "c2",
		Name:  "Stationary loss E(L) = eta/(4S) Tr(H)",
		Paper: "P1 (Jastrzebski et al., ICANN 2018), Eq. (3.3); thesis Sec. 3.2",
		Statement: "Near a minimum, SGD with learning rate eta and batch size S settles at an expected loss " +
			"eta/(4S) Tr(C) above the minimum (eta/(4S) Tr(H) when the gradient covariance C equals the Hessian H).",
	}
}

// c2Config is C2's Spec.Config.
type c2Config struct {
	Tiers []c2Tier `json:"tiers"`
	// Window is the measurement window in loss relaxation times.
	Window float64 `json:"window_relaxation_times"`
	// MaxSteps caps burn-in plus window of one run.
	MaxSteps int `json:"max_steps"`
	// Reshuffle also runs tier a through train.Run (epoch-wise sampling
	// without replacement), for information.
	Reshuffle bool `json:"reshuffle"`
}

type c2Tier struct {
	ID       string      `json:"id"` // "a", "b", "c"
	Title    string      `json:"title"`
	Model    string      `json:"model"`
	Loss     string      `json:"loss"` // "squared error" or "cross-entropy"
	N        int         `json:"n"`
	Dim      int         `json:"dim"`
	Classes  int         `json:"classes,omitempty"`
	NoiseStd float64     `json:"noise_std,omitempty"`
	Sep      float64     `json:"sep,omitempty"`
	Grid     []c2Point   `json:"grid"`
	Minimum  minimumSpec `json:"minimum"`
	// WeightDecay adds wd/2 ||theta||^2 to the objective SGD minimises and
	// the excess is measured on (see tier c).
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// Settle, when set, anneals every run's end state to the bottom of its
	// basin; the excess is then taken over the lower of that loss and the
	// minimum's (see the tier c note above).
	Settle *minimumSpec `json:"settle,omitempty"`
}

type c2Point struct {
	LR    float64 `json:"lr"`
	Batch int     `json:"batch"`
}

func (stationaryLoss) config(scale Scale) c2Config {
	// The grid spans a decade of eta/S (2e-4 to 2e-3), with two points at
	// the same ratio reached with different S. Tier b's rates are 4x larger
	// (eta/S from 8e-4 to 8e-3) because its curvature is about 4x lower:
	// every tier keeps eta*lambda_max between about 0.01 and 0.07, where
	// the discrete-time correction is a few percent and is reported.
	grid := func(scale float64) []c2Point {
		return []c2Point{{0.0256 * scale, 128}, {0.032 * scale, 64}, {0.008 * scale, 16}, {0.016 * scale, 8}}
	}
	cfg := c2Config{
		Window: 2000, MaxSteps: 400000, Reshuffle: true,
		Tiers: []c2Tier{
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
	if scale == Full {
		cfg.Window = 8000
		cfg.MaxSteps = 2000000
		cfg.Tiers[0].N, cfg.Tiers[0].Dim, cfg.Tiers[0].Model = 65536, 50, "mlp:50-1"
		cfg.Tiers[1].N, cfg.Tiers[1].Dim, cfg.Tiers[1].Classes, cfg.Tiers[1].Model = 8192, 20, 5, "mlp:20-5"
		cfg.Tiers[2].N, cfg.Tiers[2].Dim, cfg.Tiers[2].Classes, cfg.Tiers[2].Model = 8192, 20, 5, "mlp:20-32-5"
	}
	return cfg
}

func (c stationaryLoss) Spec(scale Scale) Spec {
	cfg := c.config(scale)
	seeds := 3
	if scale == Full {
		seeds = 5
	}
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
		fmt.Sprintf("SGD from the minimum with independent batches of S distinct examples; burn-in to within %.1f%% of stationary (quadratic model); window %g loss relaxation times", 100*c2BurnFrac, cfg.Window),
		"excess loss = window mean of the full-batch loss minus the loss at the minimum")
	return Spec{
		Scale: scale, Seeds: seeds, Data: "synthetic", Setup: setup, Config: cfg,
		Budget: map[Scale]string{Quick: "about 30 s on 2 cores", Full: "measured as a sweep, twice: 15 units of 12-147 s each on one core, 473-858 s in all (4.5 min as two shards on 2 cores, 7 min as a 2-task Slurm array; reports/full/c2)"}[scale],
		Tolerance: Tolerance{
			SameRel: 1e-9, SameAbs: 1e-12, CrossISARel: 0.15, CrossISAAbs: 0.05,
			Reason: "same ISA: bitwise-deterministic core, 1e-9 absorbs toolchain math changes; another ISA rounds float32 sums " +
				"differently, the SGD trajectories part after the first step and the rerun is a statistically independent replicate, " +
				"so figures agree only within their 95% intervals (ratios about ±5%, slope about ±0.1 at quick scale): 15% relative / 0.05 absolute",
		},
	}
}

// --- measurements ---------------------------------------------------------

type c2Record struct {
	Tiers []c2TierRecord `json:"tiers"`
}

type c2TierRecord struct {
	ID     string          `json:"id"`
	Title  string          `json:"title"`
	WD     float64         `json:"weight_decay,omitempty"`
	P      int             `json:"params"`
	N      int             `json:"n"`
	Minima []c2MinRecord   `json:"minima"` // per seed
	Points []c2PointRecord `json:"points"`
}

type c2MinRecord struct {
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

type c2PointRecord struct {
	LR         float64       `json:"lr"`
	Batch      int           `json:"batch"`
	Kappa      float64       `json:"kappa"` // (N-S)/(S(N-1))
	Runs       []c2RunRecord `json:"runs"`
	Reshuffled []c2RunRecord `json:"reshuffled,omitempty"`
	Trace      *c2Trace      `json:"trace,omitempty"`
}

type c2RunRecord struct {
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

type c2Trace struct {
	Seed   uint64            `json:"seed"`
	Step   []jsonfloat.Float `json:"step"`
	Excess []jsonfloat.Float `json:"excess"`
	Pred   jsonfloat.Float   `json:"pred"`
}

// c2Setup is one seed's problem at its minimum.
type c2Setup struct {
	data  *data.Dataset
	model *nn.Model
	lstar float64
	quad  *quadModel
	h, c  []float64  // tier a: for lsExact
	z     *mat.Dense // tier a: design rows [x, 1]
	theta []float64  // tier a: the minimiser, float64
	min   c2MinRecord
}

func (c stationaryLoss) Run(ctx context.Context, env *Env, spec Spec) (*Evidence, error) {
	return RunUnits(ctx, env, c, spec)
}

// C2 splits into one unit per (tier, seed): the seed's problem (data,
// minimum, H and C) and every SGD run of the tier on it, one after the
// other: each grid point, and for tier a also the reshuffled runs.

// c2UnitName names the unit of tier t and seed s ("tier=a seed=1").
func c2UnitName(tier string, seed uint64) string {
	return fmt.Sprintf("tier=%s seed=%d", tier, seed)
}

// c2UnitResult is one unit's result: the tier's minimum for the seed and
// its runs, one per grid point, complete (excess with drift added).
type c2UnitResult struct {
	P          int           `json:"params"`
	Min        c2MinRecord   `json:"minimum"`
	Runs       []c2RunRecord `json:"runs"`                 // per grid point
	Reshuffled []c2RunRecord `json:"reshuffled,omitempty"` // per grid point (tier a, with Reshuffle)
	Traces     []*c2Trace    `json:"traces,omitempty"`     // per grid point (seed 1 only)
}

func c2ConfigOf(spec Spec) (c2Config, error) {
	cfg, ok := spec.Config.(c2Config)
	if !ok {
		return cfg, fmt.Errorf("c2: spec config is %T, want c2Config", spec.Config)
	}
	return cfg, nil
}

// Units lists one unit per (tier, seed), seed-major ("tier=a seed=1",
// "tier=b seed=1", ...), so that a sweep's first tasks complete seeds.
// Cost is a rough estimate of the work from the config (c2UnitCost).
func (c stationaryLoss) Units(spec Spec) []Unit {
	cfg, err := c2ConfigOf(spec)
	if err != nil {
		return nil
	}
	var us []Unit
	for _, s := range SeedList(spec.Seeds) {
		for _, t := range cfg.Tiers {
			us = append(us, Unit{Name: c2UnitName(t.ID, s), Seed: s, Cost: c2UnitCost(t, cfg)})
		}
	}
	return us
}

func (c stationaryLoss) RunUnit(ctx context.Context, env *Env, spec Spec, u Unit) (any, error) {
	cfg, err := c2ConfigOf(spec)
	if err != nil {
		return nil, err
	}
	var t *c2Tier
	for i := range cfg.Tiers {
		if c2UnitName(cfg.Tiers[i].ID, u.Seed) == u.Name {
			t = &cfg.Tiers[i]
		}
	}
	if t == nil {
		return nil, fmt.Errorf("c2: no tier for unit %q", u.Name)
	}
	s := u.Seed
	env.Report("minimum and curvature", 0, 1)
	su, err := c2SetUp(ctx, *t, s)
	if err != nil {
		return nil, fmt.Errorf("tier %s seed %d: %w", t.ID, s, err)
	}
	env.Report("minimum and curvature", 1, 1)
	reshuffle := cfg.Reshuffle && t.ID == "a"
	nruns := len(t.Grid)
	if reshuffle {
		nruns *= 2
	}
	tick := env.Counter("SGD runs", nruns)
	out := c2UnitResult{P: su.quad.P, Min: su.min}
	// finish completes a run's record from its result.
	finish := func(r c2RunRecord, res *stationaryResult) c2RunRecord {
		r.Excess, r.Evals, r.Diverged = jsonfloat.Float(res.Excess), res.Evals, res.Diverged
		r.LEnd, r.Drift = jsonfloat.Float(res.LEnd), 0
		if res.LEnd < su.lstar {
			// The run found lower ground than the minimum: measure the
			// excess from there (the minimum "reached by annealing").
			r.Drift = jsonfloat.Float(su.lstar - res.LEnd)
			r.Excess += r.Drift
		}
		return r
	}
	for pi, p := range t.Grid {
		kappa := float64(t.N-p.Batch) / float64(p.Batch*(t.N-1))
		rec, run := c2Plan(su, p, kappa, cfg, s, uint64(pi))
		run.Settle, run.WD = t.Settle, t.WeightDecay
		if s == 1 {
			// The traces plotted are those of seed 1: decided by the seed
			// value, so that units stay independent of one another.
			run.TracePoints = 300
		}
		rr := *run
		res, err := run.run(ctx)
		if err != nil {
			return nil, err
		}
		tick()
		r := finish(rec, res)
		out.Runs = append(out.Runs, r)
		var tr *c2Trace
		if res.TraceStep != nil {
			tr = &c2Trace{Seed: s, Step: jsonfloat.Floats(res.TraceStep), Excess: jsonfloat.Floats(res.TraceValue), Pred: r.PredC}
		}
		out.Traces = append(out.Traces, tr)
		if reshuffle {
			rr.Reshuffle, rr.TracePoints = true, 0
			res, err := rr.run(ctx)
			if err != nil {
				return nil, err
			}
			tick()
			out.Reshuffled = append(out.Reshuffled, finish(rec, res))
		}
	}
	if s != 1 {
		out.Traces = nil
	}
	return out, nil
}

// Merge assembles C2's record from the units of the given seeds, in tier,
// grid-point and seed order. The traces are seed 1's: absent when seed 1
// is not among the seeds (the trace plots are then left out).
func (c stationaryLoss) Merge(env *Env, spec Spec, seeds []uint64, results map[string]json.RawMessage) (*Evidence, error) {
	cfg, err := c2ConfigOf(spec)
	if err != nil {
		return nil, err
	}
	if len(seeds) == 0 {
		return nil, fmt.Errorf("c2: no seeds to merge")
	}
	rec := c2Record{}
	for _, t := range cfg.Tiers {
		tr := c2TierRecord{ID: t.ID, Title: t.Title, WD: t.WeightDecay, N: t.N}
		for _, p := range t.Grid {
			tr.Points = append(tr.Points, c2PointRecord{LR: p.LR, Batch: p.Batch, Kappa: float64(t.N-p.Batch) / float64(p.Batch*(t.N-1))})
		}
		for si, s := range seeds {
			name := c2UnitName(t.ID, s)
			raw, ok := results[name]
			if !ok {
				return nil, fmt.Errorf("c2: no result for unit %q", name)
			}
			var u c2UnitResult
			if err := json.Unmarshal(raw, &u); err != nil {
				return nil, fmt.Errorf("c2: unit %q: %w", name, err)
			}
			if len(u.Runs) != len(t.Grid) || (u.Reshuffled != nil && len(u.Reshuffled) != len(t.Grid)) || (u.Traces != nil && len(u.Traces) != len(t.Grid)) {
				return nil, fmt.Errorf("c2: unit %q has %d runs, %d reshuffled, %d traces for %d grid points", name, len(u.Runs), len(u.Reshuffled), len(u.Traces), len(t.Grid))
			}
			if si == 0 {
				tr.P = u.P
			}
			tr.Minima = append(tr.Minima, u.Min)
			for pi := range tr.Points {
				pt := &tr.Points[pi]
				pt.Runs = append(pt.Runs, u.Runs[pi])
				if u.Reshuffled != nil {
					pt.Reshuffled = append(pt.Reshuffled, u.Reshuffled[pi])
				}
				if u.Traces != nil && u.Traces[pi] != nil {
					pt.Trace = u.Traces[pi]
				}
			}
		}
		rec.Tiers = append(rec.Tiers, tr)
	}

	ev := &Evidence{Seeds: seeds, Data: "synthetic: linear regression with Gaussian inputs (a); Gaussian mixtures (b, c); generated from the seeds"}
	if err := ev.SetMeasurements(rec); err != nil {
		return nil, err
	}
	sum := c2Summarise(rec)
	ev.Figures = c2Figures(sum)
	ev.Metrics = map[string]string{
		"a/ratio_C/mean": "a-excess-ratio", "a/trC_over_trH": "a-trC/trH",
		"b/ratio_C/mean": "b-excess-ratio", "b/trC_over_trH": "b-trC/trH",
		"c/ratio_C/mean": "c-excess-ratio", "c/slope": "c-slope",
	}
	ev.Tables = c2Tables(rec, sum)
	ev.Plots = c2Plots(rec, sum)
	ev.Notes = c2Notes(rec, sum)
	return ev, nil
}

// c2UnitCost is a rough estimate of a unit's work, from the config alone:
// the examples it pushes through the network (finding the minimum: warm-up
// epochs, annealing steps, full-batch descent, Newton steps; then per run
// its SGD steps, taken as a quarter of MaxSteps since the real count needs
// the curvature, the window's full-batch evaluations unless the loss is in
// closed form (tier a), and settling), times the number of parameters. At
// the quick scale it puts tier c (minimum by annealing, settled runs) at
// about 8 times tiers a and b, which come out about equal (one seed
// measured on one core: a 1.6 s, b 2.2 s, c 9.7 s). It only orders
// execution, longest first.
func c2UnitCost(t c2Tier, cfg c2Config) float64 {
	m := t.Minimum
	examples := float64(m.WarmEpochs*t.N + m.AnnealSteps*m.AnnealBatch + m.GDIters*t.N + m.NewtonIters*t.N)
	runs := 1
	if cfg.Reshuffle && t.ID == "a" {
		runs = 2
	}
	for _, p := range t.Grid {
		run := float64(cfg.MaxSteps/4) * float64(p.Batch)
		if t.Classes > 0 {
			run += cfg.Window * c2EvalsPerT * float64(t.N)
		}
		if st := t.Settle; st != nil {
			run += float64(st.AnnealSteps*p.Batch + st.GDIters*t.N)
		}
		examples += float64(runs) * run
	}
	return examples * float64(c2MLPParams(t.Model))
}

// c2MLPParams is the number of parameters of an "mlp:a-b-...-z" spec, 1 if
// the spec is not of that form.
func c2MLPParams(spec string) int {
	dims, ok := strings.CutPrefix(spec, "mlp:")
	if !ok {
		return 1
	}
	n, prev := 0, -1
	for _, f := range strings.Split(dims, "-") {
		d, err := strconv.Atoi(f)
		if err != nil || d < 1 {
			return 1
		}
		if prev > 0 {
			n += (prev + 1) * d
		}
		prev = d
	}
	return max(n, 1)
}

// c2SetUp builds one seed's problem and moves the model to its minimum.
func c2SetUp(ctx context.Context, t c2Tier, seed uint64) (*c2Setup, error) {
	dataSeed := rng.Derive(seed, "c2-data-"+t.ID, 0)
	m, err := nn.New(t.Model, rng.Derive(seed, "c2-init-"+t.ID, 0))
	if err != nil {
		return nil, err
	}
	su := &c2Setup{model: m}
	su.min.Seed = seed
	if t.Classes == 0 {
		// Least squares: everything in closed form (core/data).
		m.Loss = nn.SquaredError
		ls := data.LinearLeastSquares(t.N, t.Dim, t.NoiseStd, dataSeed)
		su.data = ls.Data
		theta := ls.Minimiser()
		if len(theta) != m.NumParams() {
			return nil, fmt.Errorf("model %s has %d parameters, least squares %d", t.Model, m.NumParams(), len(theta))
		}
		for i, v := range theta {
			m.Params()[i] = float32(v)
		}
		su.h, su.c, su.theta = ls.Hessian(), ls.NoiseCovariance(theta), theta
		p := ls.P()
		su.quad, err = newQuadModel(su.h, su.c, p)
		if err != nil {
			return nil, err
		}
		su.z = mat.NewDense(t.N, p, nil)
		for i := range t.N {
			for j, v := range su.data.Row(i) {
				su.z.Set(i, j, float64(v))
			}
			su.z.Set(i, p-1, 1)
		}
		g := make([]float32, m.NumParams())
		m.LossGrad(su.data.All(), false, g)
		var gn float64
		for _, v := range g {
			gn += float64(v) * float64(v)
		}
		su.min.GradNorm = jsonfloat.Float(math.Sqrt(gn))
		su.min.Accuracy = jsonfloat.Float(math.NaN())
	} else {
		su.data = data.GaussianMixture(t.N, t.Dim, t.Classes, t.Sep, dataSeed)
		info, err := findMinimum(ctx, m, su.data, t.Minimum, t.WeightDecay, seed)
		if err != nil {
			return nil, err
		}
		su.min.GradNorm, su.min.Accuracy, su.min.Newton = jsonfloat.Float(info.GradNorm), jsonfloat.Float(info.Accuracy), info.Newton
		all := su.data.All()
		h, err := denseHessian(m, all, t.WeightDecay)
		if err != nil {
			return nil, err
		}
		c, _, err := denseCovariance(m, all)
		if err != nil {
			return nil, err
		}
		su.quad, err = newQuadModelSym(h, c)
		if err != nil {
			return nil, err
		}
	}
	su.lstar = objectiveValue(m, su.data.All(), t.WeightDecay)
	q := su.quad
	su.min.Loss, su.min.TrH, su.min.TrC = jsonfloat.Float(su.lstar), jsonfloat.Float(q.TrH), jsonfloat.Float(q.TrC)
	su.min.LambdaMax, su.min.NullC = jsonfloat.Float(q.LambdaMax()), jsonfloat.Float(q.NullC())
	su.min.Rank, su.min.Negative = q.Rank()
	su.min.LambdaMinPos = jsonfloat.Float(math.NaN())
	for _, l := range q.Lambda {
		if l > q.Tol {
			su.min.LambdaMinPos = jsonfloat.Float(l)
			break
		}
	}
	return su, nil
}

// c2Plan sizes one run from the quadratic model and records its predictions.
func c2Plan(su *c2Setup, p c2Point, kappa float64, cfg c2Config, seed, index uint64) (c2RunRecord, *stationaryRun) {
	q := su.quad
	eta := p.LR
	rec := c2RunRecord{
		Seed:         seed,
		PredC:        jsonfloat.Float(q.FirstOrder(eta, kappa)),
		PredH:        jsonfloat.Float(q.HessianForm(eta, kappa)),
		PredDiscrete: jsonfloat.Float(q.Discrete(eta, kappa)),
		PredExact:    jsonfloat.Float(math.NaN()),
		EtaLambdaMax: jsonfloat.Float(eta * q.LambdaMax()),
	}
	if su.z != nil {
		if ex, err := lsExact(q, su.h, su.c, su.z, eta, kappa); err == nil {
			rec.PredExact = jsonfloat.Float(ex)
		}
	}
	tau := q.RelaxationSteps(eta, kappa)
	rec.Burn = q.BurnIn(eta, kappa, c2BurnFrac, cfg.MaxSteps/2)
	rec.Window = min(int(math.Ceil(cfg.Window*tau)), cfg.MaxSteps-rec.Burn)
	rec.Every = max(1, int(tau/c2EvalsPerT))
	rec.Transient = jsonfloat.Float(q.Transient(eta, kappa, rec.Burn, rec.Window))
	run := &stationaryRun{
		Model: su.model, Data: su.data, LStar: su.lstar, LR: eta, Batch: p.Batch,
		Burn: rec.Burn, Window: rec.Window, Every: rec.Every, Seed: seed, Index: index,
	}
	if su.theta != nil {
		run.Quadratic = &quadraticLoss{H: su.h, Theta: su.theta}
	}
	return rec, run
}
