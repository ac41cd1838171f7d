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
// Per seed, a random subset of the MNIST training images gets a fraction of
// its labels redrawn uniformly (data.WithLabelNoise). The rows whose label
// the noise changed are the mislabelled part; the others (including the few
// redrawn rows that drew their own label back) are the clean part. One MLP is
// trained per regulariser row (dropout p in {0, 0.25, 0.5} at the quick
// scale) from the same initialisation, data order and subset, so rows are
// paired by seed. After every epoch, in evaluation mode (dropout off):
//
//   - memorisation: accuracy on the mislabelled part against the noisy labels
//     it is trained on (about 0.1 or below for a network that ignores the
//     noise: it predicts the true class, which the noisy label is not);
//   - accuracy on the clean part against its labels;
//   - accuracy on a clean held-out set (MNIST test images) = clean
//     validation accuracy;
//   - at a few epochs, the critical sample ratio (CSR, core/curvature) on a
//     fixed set of training rows.
//
// Figures "at the fixed epoch" are the mean over the last Window epochs up
// to FixedEpoch: at a constant learning rate the epoch-to-epoch accuracy
// fluctuates by several points and one epoch's value would add that noise
// to every comparison.
//
// # Setup, scaled from the paper
//
// P2's MNIST network is a 2x4096 ReLU MLP trained by SGD at eta = 0.01. The
// quick scale uses 2x256 hidden units on 5,000 training images (two cores,
// a few minutes for every run), and keeps the product eta x width at the
// paper's 0.01 x 4096: with He initialisation and PyTorch's parametrisation
// the neural tangent kernel, hence the function-space step of SGD and the
// largest stable rate, scales with the width, so eta = 0.16 at width 256
// moves the function per step about as far as 0.01 at 4096. (A pilot
// comparing width 256 at 0.16 and width 512 at 0.08 gave nearly the same
// memorisation curves, which supports the rule.) With 50% label noise the
// unregularised network memorises most of the mislabelled part in 40
// epochs, the regime the claim is about. The full scale is the paper's
// network and rate on 10,000 images, with weight-decay rows.
//
// # Checks and thresholds (fixed before the verdict runs were seen)
//
// Differences are paired by seed (regulariser row minus p = 0, same data and
// initialisation) and judged by their 95% t-interval across seeds with
// Above: the interval above the threshold holds, below does not,
// straddling is inconclusive.
//
//  0. Regime: the unregularised network memorises: its mislabelled-part
//     accuracy at the fixed epoch has its interval above 0.5. Without that
//     there is no memorisation to slow and the claim is untested, so this
//     check is never "does not hold", only inconclusive.
//  1. Dropout slows memorisation: mislabelled-part accuracy of p = 0 minus
//     that of p = 0.5 at the fixed epoch above 0.20 (20 points: at least
//     40% of the baseline's memorisation, which check 0 puts above 0.5, and
//     several times the seed-to-seed spread of a few points; the "wide
//     margin" of CLAIMS.md); for the milder p = 0.25 above 0 (the effect
//     points the same way: a dose-response, no margin claimed).
//  2. Clean learning is not hindered, at the fixed epoch: clean validation
//     accuracy of each dropout rate minus that of p = 0 above -0.01 (drops
//     by at most one point, CLAIMS.md's "about 1 point"; one point is also
//     about the binomial error of a single run's accuracy on 5,000 images).
//  3. ... nor with early stopping: the best clean validation accuracy over
//     epochs of each dropout rate minus the best of p = 0 above -0.01. Check
//     2 alone is weak because memorisation lowers p = 0's validation
//     accuracy at the fixed epoch; this compares each network at its best
//     epoch (both maxima carry the same upward selection bias).
//  4. Real data is learned before noise: for p = 0, the epochs to reach half
//     of the final (fixed-epoch) accuracy on the mislabelled part minus the
//     same on the clean part, above 0 epochs. The claim is an ordering, so
//     no margin is claimed; the table shows the size.
//  5. Memorising networks are more complex in input space: CSR at the fixed
//     epoch of p = 0 minus that of p = 0.5 above 0 (higher when it
//     memorises, P2 Sec. 4; an ordering, no margin claimed).
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
// the ratio of a clean-data network near 0.1-0.3. The set is the first 500
// rows of the seed's training subset (a uniform sample, about 45%
// mislabelled), fixed across regularisers and epochs; the noise stream is
// (seed, "c4-lass", epoch), the same for every regulariser.
//
// # Information outside the verdict
//
// A weight-decay row (5e-4 at the quick scale; 5e-4 and 5e-3 at the full
// scale) is trained and reported like the dropout rows but not judged: P2
// names weight decay among the regularisers without a strength we could
// match. The CSR is also measured from the first 500 clean validation
// images ("held-out CSR"). That measurement was added after the first
// verdict run was seen, where check 5 came out "does not hold": on its own
// training rows the unregularised network's CSR peaks while it memorises
// (around epoch 20) and falls once the noise is fitted, as training widens
// the margins of the rows it has fitted, so at epoch 40 it is below the
// dropout network's, which is still fighting its noisy labels near those
// rows. Held-out images carry no such trained margin. Check 5 stays as
// registered (training rows); the held-out figures are reported beside it
// so a reader can see where the ordering holds, and are not used to
// re-decide the claim.

const (
	level          = 0.95
	strongDropout  = 0.5  // the rate that must cut memorisation by the wide margin
	cutStrong      = 0.20 // check 1, p = 0.5: accuracy points
	cutMild        = 0.0  // check 1, other dropout rates: direction only
	valDrop        = 0.01 // checks 2 and 3: at most one point lower
	memoriseMin    = 0.5  // check 0: the baseline memorises at least half the mislabelled part
	halfTimeMargin = 0.0  // check 4: epochs
	csrMargin      = 0.0  // check 5: ratio
)

func init() { claims.Register(Claim{}) }

// Claim is claim C4 (stateless; registered from init).
type Claim struct{}

func (Claim) Info() claims.Info {
	return claims.Info{
		ID: "c4", Short: "memorisation",
		Name:  "Regularisers slow memorisation",
		Paper: "P2 (Arpit et al. 2017), Secs. 4-5; thesis Sec. 3.3, Fig. 3.1b",
		Statement: "With part of the labels randomised, dropout slows how fast a network fits the mislabelled examples " +
			"without hindering learning from the clean ones; real data is learned before noise; and the critical sample " +
			"ratio is higher when the network memorises.",
	}
}

// config is C4's Spec.Config.
type config struct {
	Model         string        `json:"model"`
	TrainExamples int           `json:"train_examples"` // random subset of the MNIST training images
	NoiseFrac     float64       `json:"noise_frac"`     // fraction of rows whose label is redrawn
	ValExamples   int           `json:"val_examples"`   // first rows of the MNIST test images
	LR            float64       `json:"lr"`
	Batch         int           `json:"batch"`
	Epochs        int           `json:"epochs"`
	FixedEpoch    int           `json:"fixed_epoch"` // the epoch the checks compare at
	Window        int           `json:"window"`      // epochs averaged up to FixedEpoch
	Rows          []regulariser `json:"rows"`
	CSR           csrSpec       `json:"csr"`
}

// regulariser is one regulariser setting: a row of the tables, a curve of the plots.
type regulariser struct {
	Name        string  `json:"name"`
	Dropout     float64 `json:"dropout"`
	WeightDecay float64 `json:"weight_decay"`
}

type csrSpec struct {
	Examples int `json:"examples"` // first rows of the training subset (the verdict's CSR set)
	// HeldOut is the number of clean validation images (the first ones)
	// also searched, for information: added after the verdict run was seen
	// (see the note on check 5); not part of the verdict.
	HeldOut  int     `json:"held_out"`
	Epochs   []int   `json:"epochs"` // 0 = at initialisation
	Radius   float64 `json:"radius"`
	Step     float64 `json:"step"`
	NoiseStd float64 `json:"noise_std"`
	MaxIter  int     `json:"max_iter"`
}

func (Claim) config(scale claims.Scale) config {
	cfg := config{
		Model: "mlp:784-256-256-10", TrainExamples: 5000, NoiseFrac: 0.5, ValExamples: 5000,
		LR: 0.16, Batch: 64, Epochs: 40, FixedEpoch: 40, Window: 5,
		Rows: []regulariser{{Name: "dropout 0", Dropout: 0}, {Name: "dropout 0.25", Dropout: 0.25}, {Name: "dropout 0.5", Dropout: 0.5},
			{Name: "weight decay 5e-4", WeightDecay: 5e-4}},
		CSR: csrSpec{Examples: 500, HeldOut: 500, Epochs: []int{0, 1, 2, 5, 10, 20, 30, 40}, Radius: 0.02, Step: 0.005, NoiseStd: 0.00125, MaxIter: 20},
	}
	if scale == claims.Full {
		cfg.Model, cfg.LR = "mlp:784-4096-4096-10", 0.01
		cfg.TrainExamples, cfg.ValExamples = 10000, 10000
		cfg.Epochs, cfg.FixedEpoch = 60, 60
		cfg.Rows = append(cfg.Rows, regulariser{Name: "weight decay 5e-3", WeightDecay: 5e-3})
		cfg.CSR.Examples, cfg.CSR.HeldOut = 1000, 1000
		cfg.CSR.Epochs = []int{0, 1, 2, 5, 10, 20, 40, 60}
	}
	return cfg
}

func (c Claim) Spec(scale claims.Scale) claims.Spec {
	cfg := c.config(scale)
	var rows []string
	for _, r := range cfg.Rows {
		rows = append(rows, r.Name)
	}
	setup := []string{
		fmt.Sprintf("model %s (P2: 2x4096), plain SGD eta = %g (eta x width = P2's 0.01 x 4096), batch %d, %d epochs, last partial batch dropped",
			cfg.Model, cfg.LR, cfg.Batch, cfg.Epochs),
		fmt.Sprintf("data: per seed a random %d of the 60,000 MNIST training images, %.0f%% of them with a label redrawn uniformly from 10 classes; "+
			"clean validation set = the first %d MNIST test images", cfg.TrainExamples, 100*cfg.NoiseFrac, cfg.ValExamples),
		fmt.Sprintf("regularisers (one run each per seed, same data, init and order): %v", rows),
		"after every epoch, dropout off: accuracy of the mislabelled rows against their noisy labels (memorisation), of the clean rows, and on the validation set",
		fmt.Sprintf("critical sample ratio at epochs %v on the first %d training rows: LASS with L_inf radius %g (pixels in [0,1]), step %g, noise std %g, at most %d steps",
			cfg.CSR.Epochs, cfg.CSR.Examples, cfg.CSR.Radius, cfg.CSR.Step, cfg.CSR.NoiseStd, cfg.CSR.MaxIter),
		fmt.Sprintf("checks compare rows paired by seed at epoch %d (mean of epochs %d-%d), 95%% t-intervals across seeds",
			cfg.FixedEpoch, cfg.FixedEpoch-cfg.Window+1, cfg.FixedEpoch),
	}
	return claims.Spec{
		Scale: scale, Seeds: map[claims.Scale]int{claims.Quick: 3, claims.Full: 5}[scale], Data: "mnist", Setup: setup, Config: cfg,
		Budget: map[claims.Scale]string{claims.Quick: "about 1 min on 2 idle cores (about 105 s of CPU time)", claims.Full: "about 11 min per unit on 2 cores (measured on part of one: 8 s per epoch, 15-25 s per CSR measurement), about 4.6 h for the 25 units: meant for a sweep on a cluster"}[scale],
		Tolerance: claims.Tolerance{
			SameRel: 1e-9, SameAbs: 1e-12, CrossISARel: 0.3, CrossISAAbs: 0.15,
			Reason: "same ISA: bitwise-deterministic core, 1e-9 absorbs toolchain math changes; another ISA rounds float32 sums " +
				"differently, the SGD trajectories part within an epoch and the rerun is a statistically independent replicate: " +
				"the 95% intervals of the fixed-epoch accuracies are a few points wide, those of the CSR up to +-0.25 (weight-decay row), " +
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
	CSR        csrSpec      `json:"csr"`
	Rows       []rowRecord  `json:"rows"`
	Subsets    []subsetInfo `json:"subsets"` // per seed
}

type subsetInfo struct {
	Seed        uint64 `json:"seed"`
	Clean       int    `json:"clean"`       // rows whose label is unchanged
	Mislabelled int    `json:"mislabelled"` // rows whose label the noise changed
	CSRClean    int    `json:"csr_clean"`   // of the CSR set
	CSRMis      int    `json:"csr_mislabelled"`
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
	CSR         []csrPoint        `json:"csr"`                    // at CSR.Epochs
	Diverged    int               `json:"diverged_step,omitzero"` // step of a NaN loss, 0 if none
}

type csrPoint struct {
	Epoch       int             `json:"epoch"`
	Ratio       jsonfloat.Float `json:"ratio"`
	Clean       jsonfloat.Float `json:"clean"`       // among the set's clean rows
	Mislabelled jsonfloat.Float `json:"mislabelled"` // among its mislabelled rows
	HeldOut     jsonfloat.Float `json:"held_out"`    // on the held-out clean images (NaN if not measured)
}

// seedData is one seed's data: the noisy training subset split into parts, the
// validation set and the CSR set.
type seedData struct {
	train, val *data.Dataset
	mis        []bool // per training row: label changed by the noise
	csr, held  data.Batch
	csrMis     []bool
	info       subsetInfo
}

func prepareData(cfg config, trainAll, test *data.Dataset, seed uint64) (*seedData, error) {
	if cfg.TrainExamples > trainAll.N || cfg.ValExamples > test.N || cfg.CSR.Examples > cfg.TrainExamples {
		return nil, fmt.Errorf("c4: %d training, %d validation, %d CSR examples asked of %d and %d", cfg.TrainExamples, cfg.ValExamples, cfg.CSR.Examples, trainAll.N, test.N)
	}
	perm := rng.New(seed, "c4-subset", 0).Perm(trainAll.N)[:cfg.TrainExamples]
	sub := trainAll.Subset(perm)
	noisy, err := sub.WithLabelNoise(cfg.NoiseFrac, rng.Derive(seed, "c4-label-noise", 0))
	if err != nil {
		return nil, err
	}
	val, err := test.Head(cfg.ValExamples)
	if err != nil {
		return nil, err
	}
	d := &seedData{train: noisy, val: val, mis: make([]bool, noisy.N), info: subsetInfo{Seed: seed}}
	for i := range noisy.N {
		d.mis[i] = noisy.Y[i] != noisy.CleanY[i]
		if d.mis[i] {
			d.info.Mislabelled++
		} else {
			d.info.Clean++
		}
	}
	d.csr = noisy.Rows(0, cfg.CSR.Examples)
	if cfg.CSR.HeldOut > cfg.ValExamples {
		return nil, fmt.Errorf("c4: %d held-out CSR examples from %d validation images", cfg.CSR.HeldOut, cfg.ValExamples)
	}
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
