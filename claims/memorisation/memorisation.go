package memorisation

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// C4: explicit regularisers slow memorisation (P2, Arpit et al. 2017, "A
// Closer Look at Memorization in Deep Networks", Secs. 4-5; thesis Sec. 3.3
// and Fig. 3.1b).
//
// # What is measured
//
// Per seed, a random subset of the training images gets a fraction of its
// labels redrawn uniformly (data.WithLabelNoise). The rows whose label the
// noise changed are the mislabelled part; the others (including the few
// redrawn rows that drew their own label back) are the clean part. One MLP
// is trained per row of the setup from the same initialisation, data order
// and image subset, so rows are paired by seed:
//
//   - at label noise 0.5: no regulariser (the baseline), dropout 0.5,
//     weight decay 5e-4 and Gaussian input noise of std 0.1 (and, at the
//     full scale, dropout 0.25 and weight decay 5e-3);
//   - without a regulariser at label noise 0.2 and 0.8 as well: with the
//     baseline, three noise levels (P2's 20-80%).
//
// After every epoch, in evaluation mode (dropout off, inputs clean):
//
//   - memorisation: accuracy on the mislabelled part against the noisy labels
//     it is trained on (about 0.1 or below for a network that ignores the
//     noise: it predicts the true class, which the noisy label is not);
//   - accuracy on the clean part against its labels;
//   - accuracy on a clean held-out set (the first test images) = clean
//     validation accuracy;
//   - the critical sample ratio (CSR, core/curvature) on a fixed set of
//     training rows and, for information, on held-out images: along training
//     (CSR.Epochs) for the unregularised rows, at the fixed epoch for the
//     regularised ones.
//
// Figures "at the fixed epoch" are the mean over the last Window epochs up
// to FixedEpoch: at a constant learning rate the epoch-to-epoch accuracy
// fluctuates by several points and one epoch's value would add that noise
// to every comparison.
//
// # Setups
//
// quick, "mlp-mnist": P2's MNIST network scaled to two cores: 2x256 hidden
// units on 5,000 training images, keeping the product eta x width at the
// paper's 0.01 x 4096: with He initialisation and PyTorch's parametrisation
// the neural tangent kernel, hence the function-space step of SGD and the
// largest stable rate, scales with the width, so eta = 0.16 at width 256
// moves the function per step about as far as 0.01 at 4096 (a pilot of
// width 256 at 0.16 against 512 at 0.08 gave nearly the same memorisation
// curves). 40 epochs: the v1 run of this setup memorised 95% of the
// mislabelled rows by epoch 40 (half of that by epoch 18).
//
// quick, "mlp-fashion-mnist": the same network, rate and sizes on
// Fashion-MNIST, 80 epochs. The epochs were fixed from what was known
// before any v2 run: issue 12's run of the v1 setup on Fashion-MNIST
// memorised 46% by epoch 40, where MNIST reached about that (its half-time,
// 48%) at epoch 18: Fashion-MNIST's curve runs about 2.2 times slower. At
// that stretch MNIST's epoch 36 (about 90% memorised) is Fashion-MNIST's
// epoch 80, so 80 epochs should put the baseline well above check 0's 50%.
//
// full, "mlp-mnist": the paper's network and rate (2x4096, eta = 0.01) on
// 10,000 images, 60 epochs (v1's full scale), with the two extra rows:
// meant for a sweep.
//
// The claim's verdict across setups is claims.SetupRule.
//
// # Checks and thresholds (registration.go: registered, versioned, hashed)
//
// Differences are paired by seed (a regularised row minus the baseline, same
// data and initialisation) and judged by their 95% t-interval across seeds
// with Above: the interval above the threshold holds, below does not,
// straddling is inconclusive.
//
//   - 0 (regime): the baseline memorises: its mislabelled-part accuracy at
//     the fixed epoch has its interval above 0.5. Without that there is no
//     memorisation to slow and the claim is untested, so this check is never
//     "does not hold", only inconclusive.
//   - 6a-6c: each regulariser slows memorisation: baseline mislabelled-part
//     accuracy minus the regularised row's at the fixed epoch, above 0.20
//     for dropout 0.5 (CLAIMS.md's "wide margin", v1's threshold) and above
//     0 for weight decay and input noise (the claim is that they slow it;
//     the margin is claimed for dropout).
//   - 7a-7c: ... with clean validation accuracy kept: the regularised row
//     minus the baseline above -0.01 (CLAIMS.md's "about 1 point"), both at
//     the fixed epoch and at each network's best epoch (the fixed-epoch
//     comparison alone flatters a regulariser, since memorisation lowers the
//     baseline's accuracy there).
//   - 4: real data is learned before noise: for the baseline, the epochs to
//     reach half of the fixed-epoch accuracy on the mislabelled part minus
//     the same on the clean part, above 0 epochs.
//   - 8: the CSR rises with the label-noise fraction (thesis Fig. 3.1b left:
//     "larger for models trained on larger amount of noise"): Spearman's
//     rho between noise fraction and each unregularised run's training-row
//     CSR after the early phase (the mean of its measurements after epoch 1
//     up to the fixed epoch), over the three levels x seeds, Fisher-z
//     interval above 0.
//   - 9: the CSR stabilises after the first epoch (Fig. 3.1b left): for
//     each noise level, the largest absolute change of the training-row CSR
//     from epoch 1 to a later measurement up to the fixed epoch, per seed,
//     with its interval below 0.10 at every level (above 0.10: does not
//     hold).
//
// Information (reported, not judged): v1's checks 1, 2, 3 and 5 (5 is the
// dropout-vs-none CSR comparison, not the paper's), and check 10, the
// noise-level ordering of the CSR on held-out images.
//
// # The critical sample ratio: our units
//
// P2 states LASS's radius, step and noise in units we cannot recover, so
// ours are stated here and in the evidence: inputs are pixels in [0,1]; the
// box is |x' - x|_inf <= r = 0.02 (about 5 grey levels of 255) intersected
// with [0,1]; each of at most 20 steps moves every pixel by 0.005 (r/4: the
// box edge is reachable in 4 steps) against the sign of the gradient of the
// predicted class's logit, plus Gaussian noise of standard deviation
// 0.00125 (r/16). A pilot at r = 0.1 found almost every example critical at
// every epoch (a ratio near 1 that cannot show an ordering); r = 0.02 keeps
// the ratio of a clean-data network near 0.1-0.3. The training-row set is
// the first 500 rows of the seed's training subset (the same images at every
// noise level; a noise level's fraction of them mislabelled), fixed across
// rows and epochs; the held-out set is the first 250 validation images. The
// noise stream is (seed, "c4-lass", epoch), the same for every row.

const (
	level = 0.95

	baseNoise     = 0.5  // label-noise fraction of the regulariser comparison
	strongDropout = 0.5  // the dropout rate judged (6a, 7a)
	weightDecay   = 5e-4 // the weight decay judged (6b, 7b)
	inputNoise    = 0.1  // the input-noise std judged (6c, 7c), pixels in [0,1]

	memoriseMin    = 0.5  // check 0: the baseline memorises at least half the mislabelled part
	cutStrong      = 0.20 // checks 6a and v1 1: accuracy points
	cutOther       = 0.0  // checks 6b, 6c: direction
	cutMild        = 0.0  // v1 check 1, other dropout rates: direction only
	valDrop        = 0.01 // checks 7 and v1 2, 3: at most one point lower
	halfTimeMargin = 0.0  // check 4: epochs
	csrMargin      = 0.0  // v1 check 5: ratio
	csrRhoMin      = 0.0  // checks 8 and 10: Spearman's rho
	csrStable      = 0.10 // check 9: CSR (fraction)
	earlyEpoch     = 1    // check 9 and the CSR level of 8: the thesis's "first epoch"
	spearmanPerms  = 999  // permutations of the p-value shown with checks 8 and 10
	spearmanSeed   = 4    // their stream (the p-value is shown, not judged)
)

func init() { claims.Register(Claim{}) }

// Claim is claim C4 (stateless; registered from init).
type Claim struct{}

func (Claim) Info() claims.Info {
	return claims.Info{
		ID: "c4", Short: "memorisation",
		Name:  "Regularisers slow memorisation",
		Paper: "P2 (Arpit et al. 2017), Secs. 4-5; thesis Sec. 3.3, Fig. 3.1b",
		Statement: "With part of the labels randomised, dropout (also weight decay and input noise) slows how fast a network fits the " +
			"mislabelled examples without hindering learning from the clean ones; real data is learned before noise; and the critical " +
			"sample ratio is larger for networks trained on more label noise and stabilises after the first epoch.",
	}
}

// config is C4's Spec.Config.
type config struct {
	Model         string        `json:"model"`
	TrainExamples int           `json:"train_examples"` // random subset of the training images
	ValExamples   int           `json:"val_examples"`   // first rows of the test images
	LR            float64       `json:"lr"`
	Batch         int           `json:"batch"`
	Epochs        int           `json:"epochs"`
	FixedEpoch    int           `json:"fixed_epoch"` // the epoch the checks compare at
	Window        int           `json:"window"`      // epochs averaged up to FixedEpoch
	EarlyEpoch    int           `json:"early_epoch"` // end of the early phase (checks 8, 9)
	Rows          []regulariser `json:"rows"`
	CSR           csrSpec       `json:"csr"`
}

// regulariser is one training setting: a row of the tables, a curve of the
// plots.
type regulariser struct {
	Name        string  `json:"name"`
	NoiseFrac   float64 `json:"noise_frac"` // fraction of rows whose label is redrawn
	Dropout     float64 `json:"dropout"`
	WeightDecay float64 `json:"weight_decay"`
	InputNoise  float64 `json:"input_noise"` // std of Gaussian input noise, fresh at every presentation
	// CSRCurve: the CSR is measured at every CSR epoch; otherwise at the
	// fixed epoch only.
	CSRCurve bool `json:"csr_curve"`
}

// plain reports whether r trains without a regulariser.
func (r regulariser) plain() bool { return r.Dropout == 0 && r.WeightDecay == 0 && r.InputNoise == 0 }

type csrSpec struct {
	Examples int     `json:"examples"` // first rows of the training subset (the verdict's CSR set)
	HeldOut  int     `json:"held_out"` // first clean validation images, also searched (information)
	Epochs   []int   `json:"epochs"`   // of the CSRCurve rows; 0 = at initialisation
	Radius   float64 `json:"radius"`
	Step     float64 `json:"step"`
	NoiseStd float64 `json:"noise_std"`
	MaxIter  int     `json:"max_iter"`
}

// epochsFor returns the epochs at which row r's CSR is measured.
func (cs csrSpec) epochsFor(r regulariser, fixed int) []int {
	if r.CSRCurve {
		return cs.Epochs
	}
	return []int{fixed}
}

// setup is one of C4's setups.
type setup struct {
	id, data string
}

var (
	mlpMNIST   = setup{"mlp-mnist", "mnist"}
	mlpFashion = setup{"mlp-fashion-mnist", "fashion-mnist"}
)

func (Claim) config(scale claims.Scale, s setup) config {
	rows := []regulariser{
		{Name: "none, noise 0.5", NoiseFrac: baseNoise, CSRCurve: true},
		{Name: "dropout 0.5", NoiseFrac: baseNoise, Dropout: strongDropout},
		{Name: "weight decay 5e-4", NoiseFrac: baseNoise, WeightDecay: weightDecay},
		{Name: "input noise 0.1", NoiseFrac: baseNoise, InputNoise: inputNoise},
		{Name: "none, noise 0.2", NoiseFrac: 0.2, CSRCurve: true},
		{Name: "none, noise 0.8", NoiseFrac: 0.8, CSRCurve: true},
	}
	cfg := config{
		Model: "mlp:784-256-256-10", TrainExamples: 5000, ValExamples: 2000,
		LR: 0.16, Batch: 64, Epochs: 40, FixedEpoch: 40, Window: 5, EarlyEpoch: earlyEpoch, Rows: rows,
		CSR: csrSpec{Examples: 500, HeldOut: 250, Epochs: []int{0, 1, 2, 5, 10, 20, 30, 40}, Radius: 0.02, Step: 0.005, NoiseStd: 0.00125, MaxIter: 20},
	}
	if s == mlpFashion {
		cfg.Epochs, cfg.FixedEpoch = 80, 80
		cfg.CSR.Epochs = []int{0, 1, 2, 5, 10, 20, 40, 60, 80}
	}
	if scale == claims.Full {
		cfg.Model, cfg.LR = "mlp:784-4096-4096-10", 0.01
		cfg.TrainExamples, cfg.ValExamples = 10000, 5000
		cfg.Epochs, cfg.FixedEpoch = 60, 60
		cfg.Rows = append(cfg.Rows,
			regulariser{Name: "dropout 0.25", NoiseFrac: baseNoise, Dropout: 0.25},
			regulariser{Name: "weight decay 5e-3", NoiseFrac: baseNoise, WeightDecay: 5e-3})
		cfg.CSR.Examples, cfg.CSR.HeldOut = 1000, 500
		cfg.CSR.Epochs = []int{0, 1, 2, 5, 10, 20, 40, 60}
	}
	return cfg
}

// Specs returns C4's setups: MNIST and Fashion-MNIST at the quick scale,
// P2's MNIST network at the full scale.
func (c Claim) Specs(scale claims.Scale) []claims.Spec {
	if scale == claims.Full {
		return []claims.Spec{c.spec(scale, mlpMNIST)}
	}
	return []claims.Spec{c.spec(scale, mlpMNIST), c.spec(scale, mlpFashion)}
}

func (c Claim) Spec(scale claims.Scale) claims.Spec { return c.Specs(scale)[0] }

var dataTitle = map[string]string{"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}

func (c Claim) spec(scale claims.Scale, s setup) claims.Spec {
	cfg := c.config(scale, s)
	var rows []string
	for _, r := range cfg.Rows {
		rows = append(rows, r.Name)
	}
	name := dataTitle[s.data]
	lines := []string{
		fmt.Sprintf("model %s (P2: 2x4096), plain SGD eta = %g (eta x width = P2's 0.01 x 4096), batch %d, %d epochs, last partial batch dropped",
			cfg.Model, cfg.LR, cfg.Batch, cfg.Epochs),
		fmt.Sprintf("data: per seed a random %d of the %s training images (the same images in every row), a fraction of them (the row's label noise) "+
			"with a label redrawn uniformly from 10 classes; clean validation set = the first %d %s test images", cfg.TrainExamples, name, cfg.ValExamples, name),
		fmt.Sprintf("rows (one run each per seed, same images, init and order): %v; the regularised rows at label noise %g; "+
			"input noise = Gaussian, std in pixels, drawn afresh for every image in every epoch", rows, baseNoise),
		"after every epoch, dropout off and inputs clean: accuracy of the mislabelled rows against their noisy labels (memorisation), of the clean rows, and on the validation set",
		fmt.Sprintf("critical sample ratio on the first %d training rows and (information) the first %d validation images: at epochs %v for the unregularised rows, "+
			"at epoch %d for the others; LASS with L_inf radius %g (pixels in [0,1]), step %g, noise std %g, at most %d steps",
			cfg.CSR.Examples, cfg.CSR.HeldOut, cfg.CSR.Epochs, cfg.FixedEpoch, cfg.CSR.Radius, cfg.CSR.Step, cfg.CSR.NoiseStd, cfg.CSR.MaxIter),
		fmt.Sprintf("checks compare rows paired by seed at the fixed epoch %d (mean of epochs %d-%d), 95%% t-intervals across seeds; the early phase ends at epoch %d",
			cfg.FixedEpoch, cfg.FixedEpoch-cfg.Window+1, cfg.FixedEpoch, cfg.EarlyEpoch),
	}
	if s == mlpFashion && scale == claims.Quick {
		lines = append(lines, "80 epochs, fixed before any v2 run: the v1 setup memorised 46% on Fashion-MNIST by epoch 40 where MNIST reached 48% at epoch 18 "+
			"(a 2.2x slower curve); at that stretch MNIST's epoch 36 (about 90% memorised) is Fashion-MNIST's epoch 80")
	}
	budget := map[claims.Scale]string{
		claims.Quick: "about 1 min on 2 idle cores: 119 s of CPU time (measured by verify while other jobs kept the load average at 5-10 on the 2 cores: 271 s wall)",
		claims.Full: "measured: one unit (noise 0.5, no regulariser, seed 1) took 1,636 CPU-s on one core (AMD Zen 4, 2026-12-04; peak RSS 1.0 GB), " +
			"so the 40 units (8 rows x 5 seeds) are about 18 CPU-h, 9 h on 2 cores: a cluster sweep (the earlier figure, 4.5 h, was scaled from a run at load average 7)",
	}[scale]
	if s == mlpFashion {
		budget = "about 1.7 min on 2 idle cores: 202 s of CPU time (measured by verify at load average 9-16 on the 2 cores: 591 s wall)"
	}
	return claims.Spec{
		Scale: scale, SetupID: s.id, Seeds: map[claims.Scale]int{claims.Quick: 3, claims.Full: 5}[scale], Data: s.data, Setup: lines, Config: cfg,
		Budget: budget,
		Tolerance: claims.Tolerance{
			SameRel: 1e-9, SameAbs: 1e-12, CrossISARel: 0.3, CrossISAAbs: 0.15,
			Reason: "same ISA: bitwise-deterministic core, 1e-9 absorbs toolchain math changes; another ISA rounds float32 sums " +
				"differently, the SGD trajectories part within an epoch and the rerun is a statistically independent replicate: " +
				"the 95% intervals of the fixed-epoch accuracies are a few points wide, those of the CSR up to +-0.25, " +
				"half-times vary by a few epochs: 0.15 absolute / 30% relative",
		},
	}
}

// --- measurements ---------------------------------------------------------

// record is C4's Evidence.Measurements.
type record struct {
	Epochs     int          `json:"epochs"`
	FixedEpoch int          `json:"fixed_epoch"`
	Window     int          `json:"window"`
	EarlyEpoch int          `json:"early_epoch"`
	CSR        csrSpec      `json:"csr"`
	Rows       []rowRecord  `json:"rows"`
	Subsets    []subsetInfo `json:"subsets"` // per seed and noise fraction, seed-major
}

type subsetInfo struct {
	Seed        uint64  `json:"seed"`
	NoiseFrac   float64 `json:"noise_frac"`
	Clean       int     `json:"clean"`       // rows whose label is unchanged
	Mislabelled int     `json:"mislabelled"` // rows whose label the noise changed
	CSRClean    int     `json:"csr_clean"`   // of the CSR set
	CSRMis      int     `json:"csr_mislabelled"`
}

type rowRecord struct {
	regulariser
	Runs []runRecord `json:"runs"` // per seed, in seed order
}

// runRecord holds one run's curves; index e of a curve is after epoch e
// (0 = at initialisation). Epochs after a divergence are NaN.
type runRecord struct {
	Seed        uint64            `json:"seed"`
	Clean       []jsonfloat.Float `json:"clean_acc"`              // clean rows, their labels
	Mislabelled []jsonfloat.Float `json:"mislabelled_acc"`        // mislabelled rows, their noisy labels
	MisTrue     []jsonfloat.Float `json:"mislabelled_true_acc"`   // mislabelled rows, their clean labels
	Val         []jsonfloat.Float `json:"val_acc"`                // clean validation set
	TrainLoss   []jsonfloat.Float `json:"train_loss"`             // running mean over the epoch's batches, as trained
	CSR         []csrPoint        `json:"csr"`                    // at the row's CSR epochs
	Diverged    int               `json:"diverged_step,omitzero"` // step of a NaN loss, 0 if none
}

type csrPoint struct {
	Epoch       int             `json:"epoch"`
	Ratio       jsonfloat.Float `json:"ratio"`
	Clean       jsonfloat.Float `json:"clean"`       // among the set's clean rows
	Mislabelled jsonfloat.Float `json:"mislabelled"` // among its mislabelled rows
	HeldOut     jsonfloat.Float `json:"held_out"`    // on the held-out clean images (NaN if not measured)
}

// seedData is one seed's data at one noise fraction: the noisy training
// subset split into parts, the validation set and the CSR sets.
type seedData struct {
	train, val *data.Dataset
	mis        []bool // per training row: label changed by the noise
	csr, held  data.Batch
	csrMis     []bool
	info       subsetInfo
}

// prepareData draws seed's training subset (the same images for every
// noise fraction) and its label noise at frac: the rows chosen are the
// first round(frac N) of one permutation per seed, so the mislabelled part
// of a lower fraction lies inside that of a higher one.
func prepareData(cfg config, frac float64, trainAll, test *data.Dataset, seed uint64) (*seedData, error) {
	if cfg.TrainExamples > trainAll.N || cfg.ValExamples > test.N || cfg.CSR.Examples > cfg.TrainExamples {
		return nil, fmt.Errorf("c4: %d training, %d validation, %d CSR examples asked of %d and %d", cfg.TrainExamples, cfg.ValExamples, cfg.CSR.Examples, trainAll.N, test.N)
	}
	if cfg.CSR.HeldOut > cfg.ValExamples {
		return nil, fmt.Errorf("c4: %d held-out CSR examples from %d validation images", cfg.CSR.HeldOut, cfg.ValExamples)
	}
	perm := rng.New(seed, "c4-subset", 0).Perm(trainAll.N)[:cfg.TrainExamples]
	sub := trainAll.Subset(perm)
	noisy, err := sub.WithLabelNoise(frac, rng.Derive(seed, "c4-label-noise", 0))
	if err != nil {
		return nil, err
	}
	val, err := test.Head(cfg.ValExamples)
	if err != nil {
		return nil, err
	}
	d := &seedData{train: noisy, val: val, mis: make([]bool, noisy.N), info: subsetInfo{Seed: seed, NoiseFrac: frac}}
	for i := range noisy.N {
		d.mis[i] = noisy.Y[i] != noisy.CleanY[i]
		if d.mis[i] {
			d.info.Mislabelled++
		} else {
			d.info.Clean++
		}
	}
	d.csr = noisy.Rows(0, cfg.CSR.Examples)
	if cfg.CSR.HeldOut > 0 {
		d.held = val.Rows(0, cfg.CSR.HeldOut)
	}
	d.csrMis = d.mis[:cfg.CSR.Examples]
	for _, m := range d.csrMis {
		if m {
			d.info.CSRMis++
		} else {
			d.info.CSRClean++
		}
	}
	return d, nil
}
