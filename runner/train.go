package runner

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/rng"
	"github.com/sgdclaims/sgdclaims/core/train"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

func init() {
	RegisterKind(Kind{Name: "train", Summary: "train a model with SGD, then measure lambda_max (and the trace) of the Hessian", New: func() Config { return &TrainConfig{} }})
}

// TrainConfig is a run of kind "train": the flags of `sgdclaims train`, plus
// curvature measured at the end of training. Zero values of the optional
// fields mean "off" (or the default named), and are left out of the
// canonical form.
type TrainConfig struct {
	// Data is "mnist" (the GoMNIST module's copy, or $SGDCLAIMS_DATA),
	// "fashion-mnist" (Debian's dataset-fashion-mnist), "cifar10"
	// ($SGDCLAIMS_DATA/cifar10), or a directory in the MNIST IDX or the
	// CIFAR-10 binary layout (core/data.Locate). Default "mnist".
	Data string `json:"data"`
	// Model is the network spec: mlp:IN-H1-...-OUT or resmlp:IN-WIDTHxBLOCKS-OUT.
	Model string `json:"model"`
	// LR is the base learning rate (> 0) and LRSchedule its schedule:
	// const (default), cosine[:MINFRAC], step:FACTOR@E1,E2, cyclic:LOW@HALF.
	LR         float64 `json:"lr"`
	LRSchedule string  `json:"lr_schedule"`
	// Batch is the batch size S (>= 1) and BatchSchedule its schedule:
	// const (default), step:FACTOR@E1,E2, cyclic:HIGH@HALF.
	Batch         int    `json:"batch"`
	BatchSchedule string `json:"batch_schedule"`
	Epochs        int    `json:"epochs"`
	// Seed is the root seed; init, data order, split, label noise and
	// dropout derive their streams from it.
	Seed        uint64  `json:"seed"`
	Momentum    float64 `json:"momentum,omitempty"`
	WeightDecay float64 `json:"weight_decay,omitempty"`
	Dropout     float64 `json:"dropout,omitempty"`
	LabelNoise  float64 `json:"label_noise,omitempty"`
	// TrainExamples keeps the first N training examples after the
	// validation split (0: all). ValExamples holds out that many examples of
	// the training file for validation by a seeded split (0: none).
	TrainExamples int `json:"train_examples,omitempty"`
	ValExamples   int `json:"val_examples,omitempty"`
	// Augment augments every training batch (data.ParseAugment):
	// "crop:4,flip" is the standard CIFAR recipe; empty means off.
	Augment string `json:"augment,omitempty"`
	// NormalizeInputs standardises inputs per channel
	// (data.ParseNormalize): "train" (statistics of the training split) or
	// "M1,../S1,.."; empty means off. The values used are stored in the
	// record.
	NormalizeInputs string `json:"normalize,omitempty"`
	// LambdaMaxExamples, when > 0, measures the top Hessian eigenvalue of
	// the final model by Lanczos on the first that many training examples
	// (evaluation mode, mean cross-entropy, weight decay excluded), to the
	// relative tolerance LambdaMaxTol (default 1e-3).
	LambdaMaxExamples int     `json:"lambda_max_examples,omitempty"`
	LambdaMaxTol      float64 `json:"lambda_max_tol,omitempty"`
	// TraceBudget, when > 0, also estimates the Hessian trace on the same
	// examples by Hutch++ with that many Hessian-vector products (>= 6).
	TraceBudget int `json:"trace_budget,omitempty"`
	// Nudge, when set, trains with Nudged SGD (curvature.Nudger):
	// "GAMMA,K,M" replaces each step's gradient g by (I - P_K) g + GAMMA P_K g,
	// P_K the projector on the top K Hessian eigenvectors, recomputed every M
	// steps by Lanczos warm-started from the previous ones. The Hessian is
	// taken on the first NudgeExamples training examples (0: the first
	// min(1024, N)), normalised as in training, never augmented. The
	// canonical form is curvature.NudgeConfig.String's; empty means off.
	Nudge         string `json:"nudge,omitempty"`
	NudgeExamples int    `json:"nudge_examples,omitempty"`
}

// defaultNudgeExamples is the Hessian set of Nudged SGD when
// nudge_examples is 0: the first min(this, N) training examples.
const defaultNudgeExamples = 1024

// Normalize fills in defaults and checks every field.
func (c *TrainConfig) Normalize() error {
	c.Data = strings.TrimSpace(c.Data)
	if c.Data == "" {
		c.Data = "mnist"
	}
	if c.LRSchedule == "" {
		c.LRSchedule = "const"
	}
	if c.BatchSchedule == "" {
		c.BatchSchedule = "const"
	}
	if c.LambdaMaxExamples > 0 && c.LambdaMaxTol == 0 {
		c.LambdaMaxTol = 1e-3
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case c.Model == "":
		return fieldErr("model", "required (e.g. \"mlp:784-128-10\")")
	case c.LR == 0:
		return fieldErr("lr", "required (> 0)")
	case !(c.LR > 0) || !finite(c.LR):
		return fieldErr("lr", "must be > 0 and finite, got %g", c.LR)
	case c.Batch == 0:
		return fieldErr("batch", "required (>= 1)")
	case c.Batch < 1:
		return fieldErr("batch", "must be >= 1, got %d", c.Batch)
	case c.Epochs == 0:
		return fieldErr("epochs", "required (>= 1)")
	case c.Epochs < 1:
		return fieldErr("epochs", "must be >= 1, got %d", c.Epochs)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fieldErr("momentum", "must be in [0, 1), got %g", c.Momentum)
	case !(c.WeightDecay >= 0) || !finite(c.WeightDecay):
		return fieldErr("weight_decay", "must be >= 0 and finite, got %g", c.WeightDecay)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fieldErr("dropout", "must be in [0, 1), got %g", c.Dropout)
	case !(c.LabelNoise >= 0 && c.LabelNoise <= 1):
		return fieldErr("label_noise", "must be in [0, 1], got %g", c.LabelNoise)
	case c.TrainExamples < 0:
		return fieldErr("train_examples", "must be >= 0 (0: all), got %d", c.TrainExamples)
	case c.ValExamples < 0:
		return fieldErr("val_examples", "must be >= 0, got %d", c.ValExamples)
	case c.LambdaMaxExamples < 0:
		return fieldErr("lambda_max_examples", "must be >= 0 (0: not measured), got %d", c.LambdaMaxExamples)
	case !(c.LambdaMaxTol >= 0 && c.LambdaMaxTol < 1):
		return fieldErr("lambda_max_tol", "must be in (0, 1), got %g", c.LambdaMaxTol)
	case c.TraceBudget < 0 || (c.TraceBudget > 0 && c.TraceBudget < 6):
		return fieldErr("trace_budget", "must be 0 (not measured) or >= 6 Hessian-vector products, got %d", c.TraceBudget)
	case c.TraceBudget > 0 && c.LambdaMaxExamples == 0:
		return fieldErr("trace_budget", "needs lambda_max_examples > 0 (the examples the trace is measured on)")
	}
	if c.Nudge = strings.TrimSpace(c.Nudge); c.Nudge == "off" {
		c.Nudge = ""
	}
	if c.Nudge != "" {
		nc, err := curvature.ParseNudge(c.Nudge)
		if err != nil {
			return fieldErr("nudge", "%v", err)
		}
		c.Nudge = nc.String()
	}
	switch {
	case c.NudgeExamples < 0:
		return fieldErr("nudge_examples", "must be >= 0 (0: the first min(%d, N) training examples), got %d", defaultNudgeExamples, c.NudgeExamples)
	case c.NudgeExamples > 0 && c.Nudge == "":
		return fieldErr("nudge_examples", "needs nudge (GAMMA,K,M)")
	}
	if _, err := optim.ParseLR(c.LR, c.LRSchedule); err != nil {
		return fieldErr("lr_schedule", "%v", err)
	}
	// Off is the empty string, so that configs without the transforms keep
	// their canonical form (and their stored results).
	aug, err := data.ParseAugment(c.Augment)
	if err != nil {
		return fieldErr("augment", "%v", err)
	}
	if c.Augment = ""; aug.On() {
		c.Augment = aug.String()
	}
	if ns, err := data.ParseNormalize(c.NormalizeInputs); err != nil {
		return fieldErr("normalize", "%v", err)
	} else if !ns.On() {
		c.NormalizeInputs = ""
	}
	bs, err := optim.ParseBatch(c.Batch, c.BatchSchedule)
	if err != nil {
		return fieldErr("batch_schedule", "%v", err)
	}
	for e := 0; e < c.Epochs; e++ {
		if s := bs.Batch(e); s < 1 {
			return fieldErr("batch_schedule", "batch size %d at epoch %d", s, e+1)
		}
	}
	if err := checkModelSpec(c.Model); err != nil {
		return fieldErr("model", "%v", err)
	}
	return nil
}

// modelSpecs caches the validity of model specs: building a model to check
// its spec costs its initialisation, and Open checks every run of a
// manifest in every array task.
var modelSpecs sync.Map // spec -> error (nil when valid)

func checkModelSpec(spec string) error {
	if v, ok := modelSpecs.Load(spec); ok {
		err, _ := v.(error)
		return err
	}
	var err error
	if !nn.IsBareName(spec) { // a bare CNN name is checked against the data's shape by Check
		_, err = nn.New(spec, 1)
	}
	modelSpecs.Store(spec, err)
	return err
}

// ModelSpecFor is the model spec a run builds on data d: spec itself, or a
// bare CNN name (nn.IsBareName) completed with d's image shape and class
// count. The error is a *FieldError naming "model".
func ModelSpecFor(spec string, d *data.Dataset) (string, error) {
	s, err := nn.SpecForData(spec, d)
	if err != nil {
		return "", fieldErr("model", "%v", err)
	}
	return s, nil
}

// Check loads the data (once per process) and checks the sizes: the split,
// the batch sizes and the curvature examples against what remains. It
// computes the sizes rather than building the split, so checking a large
// grid costs one data load.
func (c *TrainConfig) Check() error {
	full, err := loadTrainData(c.Data)
	if err != nil {
		return err
	}
	if c.ValExamples >= full.N {
		return fieldErr("val_examples", "%d: must be smaller than the %d training examples", c.ValExamples, full.N)
	}
	n := full.N - c.ValExamples
	if c.TrainExamples > n {
		return fieldErr("train_examples", "%d: only %d training examples remain after holding out %d for validation", c.TrainExamples, n, c.ValExamples)
	}
	if c.TrainExamples > 0 {
		n = c.TrainExamples
	}
	spec, err := ModelSpecFor(c.Model, full)
	if err != nil {
		return err
	}
	m, err := nn.New(spec, c.Seed)
	if err != nil {
		return fieldErr("model", "%v", err)
	}
	if m.InputDim() != full.Dim {
		return fieldErr("model", "%s takes %d inputs, the data have %d", c.Model, m.InputDim(), full.Dim)
	}
	if m.OutputDim() < full.Classes {
		return fieldErr("model", "%s has %d outputs, the data have %d classes", c.Model, m.OutputDim(), full.Classes)
	}
	aug, _ := data.ParseAugment(c.Augment)
	if err := aug.Check(full.Shape); err != nil {
		return fieldErr("augment", "%v (data %s)", err, c.Data)
	}
	if ns, _ := data.ParseNormalize(c.NormalizeInputs); ns.Given != nil {
		// Only the channel count is checked; "train" statistics are
		// computed when the run executes.
		if _, err := ns.Resolve(&data.Dataset{Name: full.Name, Shape: full.Shape}); err != nil {
			return fieldErr("normalize", "%v", err)
		}
	}
	bs, _ := optim.ParseBatch(c.Batch, c.BatchSchedule)
	for e := 0; e < c.Epochs; e++ {
		if s := bs.Batch(e); s > n {
			field := "batch"
			if s != c.Batch {
				field = "batch_schedule"
			}
			return fieldErr(field, "batch size %d at epoch %d exceeds the %d training examples", s, e+1, n)
		}
	}
	if c.LambdaMaxExamples > n {
		return fieldErr("lambda_max_examples", "%d exceeds the %d training examples", c.LambdaMaxExamples, n)
	}
	if c.NudgeExamples > n {
		return fieldErr("nudge_examples", "%d exceeds the %d training examples", c.NudgeExamples, n)
	}
	if c.Nudge != "" {
		if nc, _ := curvature.ParseNudge(c.Nudge); nc.K > m.NumParams() {
			return fieldErr("nudge", "K = %d exceeds the model's %d parameters", nc.K, m.NumParams())
		}
	}
	return nil
}

// TrainRecord is the stored record of a train run. It holds no wall times
// (they are in the result's stamp), so two runs of the same config on the
// same kernels give identical records.
type TrainRecord struct {
	Model         string `json:"model"`
	Params        int    `json:"params"`
	TrainExamples int    `json:"train_examples"`
	ValExamples   int    `json:"val_examples"`
	Steps         int    `json:"steps"`
	Diverged      bool   `json:"diverged"`
	DivergedStep  int    `json:"diverged_step,omitempty"`
	DivergedEpoch int    `json:"diverged_epoch,omitempty"`
	// Epochs is the per-epoch record: the running mean loss and accuracy
	// over the epoch's mini-batches (training mode), and the evaluation-mode
	// figures on the validation set.
	Epochs []TrainEpoch `json:"epochs"`
	// Final figures: the last epoch's.
	TrainLoss jsonfloat.Float `json:"train_loss"`
	TrainAcc  jsonfloat.Float `json:"train_acc"`
	ValLoss   jsonfloat.Float `json:"val_loss"`
	ValAcc    jsonfloat.Float `json:"val_acc"`
	// Normalization is the per-channel mean and standard deviation the
	// inputs were standardised with (training and curvature alike), when
	// normalize was set.
	Normalization *data.Normalization `json:"normalization,omitempty"`
	// LambdaMax and Trace are measured on the final model when asked for
	// and the run did not diverge; each carries its measurement stamp.
	// Nudge is the Nudged SGD record (nudge set): the setting, the Hessian
	// examples and every refresh of P_K with its top-K eigenvalues.
	Nudge     *NudgeRecord              `json:"nudge,omitempty"`
	LambdaMax *curvature.Eigenpairs     `json:"lambda_max,omitempty"`
	Trace     *curvature.TraceEstimate  `json:"trace,omitempty"`
	Curvature *TrainCurvatureExamplesID `json:"curvature_examples,omitempty"`
}

// NudgeRecord is what a Nudged SGD run records: the setting (gamma, K, M,
// the Lanczos tolerance of a refresh), the examples the Hessian is taken on,
// and each refresh of P_K (curvature.NudgeRefresh: its step, the K Ritz
// values, their residuals, the products spent, warm or cold start).
type NudgeRecord struct {
	Spec      string                   `json:"spec"` // GAMMA,K,M
	Gamma     float64                  `json:"gamma"`
	K         int                      `json:"k"`
	M         int                      `json:"m"`
	Tol       float64                  `json:"tol"`
	Examples  int                      `json:"examples"`
	Selection string                   `json:"selection"`
	Refreshes []curvature.NudgeRefresh `json:"refreshes"`
}

// TrainCurvatureExamplesID says which examples the curvature was measured on.
type TrainCurvatureExamplesID struct {
	Count     int    `json:"count"`
	Selection string `json:"selection"`
}

// TrainEpoch is one epoch of a TrainRecord.
type TrainEpoch struct {
	Epoch     int             `json:"epoch"`
	Steps     int             `json:"steps"`
	LR        float64         `json:"lr"`
	BatchSize int             `json:"batch_size"`
	TrainLoss jsonfloat.Float `json:"train_loss"`
	TrainAcc  jsonfloat.Float `json:"train_acc"`
	ValLoss   jsonfloat.Float `json:"val_loss"`
	ValAcc    jsonfloat.Float `json:"val_acc"`
}

// Training is a train run set up and ready to run: its data split, its
// model initialised from the seed, and its schedules. It is the one setup
// of a train run, shared by Execute and by `sgdclaims train`, which needs
// the trained model and the wall times that the stored record leaves out.
type Training struct {
	Model      *nn.Model
	Train, Val *data.Dataset // Val is nil without validation examples
	LR         optim.LRSchedule
	Batch      optim.BatchSchedule
	// Augment and Normalization are the input transforms of the run (the
	// zero Augment and nil when off); Normalization is also applied to the
	// examples curvature is measured on.
	Augment       data.Augment
	Normalization *data.Normalization
	// Nudger is the run's Nudged SGD transform (nudge set), else nil; after
	// Run it holds the refresh record (NudgeRecord reports it).
	Nudger        *curvature.Nudger
	nudgeExamples int
	nudgeSel      string
	config        train.Config
}

// NudgeRecord returns the Nudged SGD record of the run so far, or nil
// without nudge.
func (t *Training) NudgeRecord() *NudgeRecord {
	if t.Nudger == nil {
		return nil
	}
	nc := t.Nudger.Config()
	return &NudgeRecord{Spec: nc.String(), Gamma: nc.Gamma, K: nc.K, M: nc.M, Tol: nc.Tol,
		Examples: t.nudgeExamples, Selection: t.nudgeSel, Refreshes: t.Nudger.Refreshes()}
}

// Setup loads and splits the data and builds the model and the training
// configuration of a normalised config. Errors are *FieldError where a
// field is at fault (Check catches those before any work).
func (c *TrainConfig) Setup() (*Training, error) {
	trainSet, valSet, err := LoadTrainVal(c.Data, c.ValExamples, c.TrainExamples, c.LabelNoise, c.Seed)
	if err != nil {
		return nil, err
	}
	lrs, err := optim.ParseLR(c.LR, c.LRSchedule)
	if err != nil {
		return nil, fieldErr("lr_schedule", "%v", err)
	}
	bs, err := optim.ParseBatch(c.Batch, c.BatchSchedule)
	if err != nil {
		return nil, fieldErr("batch_schedule", "%v", err)
	}
	spec, err := ModelSpecFor(c.Model, trainSet)
	if err != nil {
		return nil, err
	}
	model, err := nn.New(spec, c.Seed)
	if err != nil {
		return nil, fieldErr("model", "%v", err)
	}
	model.Dropout = float32(c.Dropout)
	aug, norm, err := TrainTransforms(c.Augment, c.NormalizeInputs, trainSet)
	if err != nil {
		return nil, err
	}
	t := &Training{Model: model, Train: trainSet, Val: valSet, LR: lrs, Batch: bs, Augment: aug, Normalization: norm}
	t.config = train.Config{
		Model: model, Train: trainSet, Val: valSet, Epochs: c.Epochs,
		LR: lrs, Batch: bs, Optimizer: &optim.SGD{Momentum: c.Momentum, WeightDecay: c.WeightDecay}, Seed: c.Seed,
		Augment: aug, Normalize: norm,
	}
	if c.Nudge != "" {
		nc, err := curvature.ParseNudge(c.Nudge)
		if err != nil {
			return nil, fieldErr("nudge", "%v", err)
		}
		nc.Seed = c.Seed // refresh r: Lanczos seed rng.Derive(seed, "nudge", r)
		n := c.NudgeExamples
		if n == 0 {
			n = min(defaultNudgeExamples, trainSet.N)
		}
		head, err := trainSet.Head(n)
		if err != nil {
			return nil, fieldErr("nudge_examples", "%v", err)
		}
		head = head.Normalized(norm)
		t.nudgeExamples = head.N
		t.nudgeSel = fmt.Sprintf("first %d examples of the training split (seed %d, %d held out) of %s", head.N, c.Seed, c.ValExamples, c.Data)
		if t.Nudger, err = curvature.NewNudger(nc, head.All(), t.nudgeSel); err != nil {
			return nil, fieldErr("nudge", "%v", err)
		}
		t.config.Transform = t.Nudger
	}
	if err := t.config.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Run trains t.Model, reporting progress (optional) and abandoning the run
// within one step of ctx's cancellation, with ctx.Err().
func (t *Training) Run(ctx context.Context, progress func(done, total int)) (*train.Result, error) {
	cfg := t.config
	// Checking ctx every step abandons a run within one step of an
	// interrupt; the run is redone on resume.
	cfg.OnStep = func(*train.StepInfo) error { return ctx.Err() }
	cfg.Progress = progress
	if t.Nudger != nil {
		t.Nudger.WithContext(ctx)
	}
	res, err := train.Run(cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return res, nil
}

// Seeds are the sub-seeds a train run derives from its root seed, by
// purpose, as `sgdclaims train` records them: init (nn.New), order (the
// data order's stream family), dropout (train.Run's masks), split and
// noise (LoadTrainVal), augment (train.Run's crops and flips), and with
// nudge set "nudge", the first Nudged SGD refresh's Lanczos seed.
func (c *TrainConfig) Seeds() map[string]uint64 {
	s := map[string]uint64{
		"init":    rng.Derive(c.Seed, "init", 0),
		"order":   rng.Derive(c.Seed, "order", 0),
		"dropout": rng.Derive(c.Seed, "dropout", 0),
		"split":   rng.Derive(c.Seed, "split", 0),
		"noise":   rng.Derive(c.Seed, "label-noise", 0),
		"augment": rng.Derive(c.Seed, "augment", 0),
	}
	if c.Nudge != "" {
		// Nudged SGD's first refresh; refresh r uses rng.Derive(seed, "nudge", r).
		s["nudge"] = rng.Derive(c.Seed, "nudge", 0)
	}
	return s
}

// Execute trains the model and measures the curvature.
func (c *TrainConfig) Execute(ctx context.Context, env *Env) (*Output, error) {
	t, err := c.Setup()
	if err != nil {
		return nil, err
	}
	res, err := t.Run(ctx, env.progress)
	if err != nil {
		return nil, err
	}
	model, trainSet, valSet := t.Model, t.Train, t.Val
	rec := &TrainRecord{
		Model: model.Spec(), Params: model.NumParams(), TrainExamples: trainSet.N, Steps: res.Steps,
		Diverged: res.Diverged, DivergedStep: res.DivergedStep, DivergedEpoch: res.DivergedEpoch,
		TrainLoss: jsonfloat.Float(math.NaN()), TrainAcc: jsonfloat.Float(math.NaN()), ValLoss: jsonfloat.Float(math.NaN()), ValAcc: jsonfloat.Float(math.NaN()),
		Normalization: t.Normalization, Nudge: t.NudgeRecord(),
	}
	if valSet != nil {
		rec.ValExamples = valSet.N
	}
	for _, e := range res.Epochs {
		te := TrainEpoch{Epoch: e.Epoch, Steps: e.Steps, LR: e.LR, BatchSize: e.BatchSize,
			TrainLoss: jsonfloat.Float(e.TrainLoss), TrainAcc: jsonfloat.Float(e.TrainAcc),
			ValLoss: jsonfloat.Float(math.NaN()), ValAcc: jsonfloat.Float(math.NaN())}
		if valSet != nil {
			te.ValLoss, te.ValAcc = jsonfloat.Float(e.ValLoss), jsonfloat.Float(e.ValAcc)
		}
		rec.Epochs = append(rec.Epochs, te)
	}
	if n := len(rec.Epochs); n > 0 {
		last := rec.Epochs[n-1]
		rec.TrainLoss, rec.TrainAcc, rec.ValLoss, rec.ValAcc = last.TrainLoss, last.TrainAcc, last.ValLoss, last.ValAcc
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.LambdaMaxExamples > 0 && !res.Diverged {
		if err := c.measure(ctx, model, trainSet, t.Normalization, rec); err != nil {
			return nil, err
		}
	}
	out := &Output{Record: rec, Diverged: res.Diverged, DivergedStep: res.DivergedStep, ISA: kernels.Active().Name(),
		Figures: map[string]float64{
			"train_loss": float64(rec.TrainLoss), "train_acc": float64(rec.TrainAcc), "steps": float64(rec.Steps),
		}}
	if valSet != nil {
		out.Figures["val_loss"], out.Figures["val_acc"] = float64(rec.ValLoss), float64(rec.ValAcc)
	}
	if rec.LambdaMax != nil && len(rec.LambdaMax.Top) > 0 {
		out.Figures["lambda_max"] = rec.LambdaMax.Top[0].Value
		out.Figures["lr_x_lambda_max"] = c.LR * rec.LambdaMax.Top[0].Value
	}
	if rec.Trace != nil {
		out.Figures["trace"] = rec.Trace.Value
	}
	if c.LambdaMaxExamples > 0 && res.Diverged {
		out.Figures["lambda_max"] = math.NaN()
	}
	return out, nil
}

// measure adds lambda_max (and the trace) of the final model on the first
// LambdaMaxExamples training examples (in the order of the training split,
// with its labels, noisy ones included, normalised as in training, never
// augmented: the loss that was trained).
func (c *TrainConfig) measure(ctx context.Context, model *nn.Model, trainSet *data.Dataset, norm *data.Normalization, rec *TrainRecord) error {
	head, err := trainSet.Head(c.LambdaMaxExamples)
	if err != nil {
		return err
	}
	head = head.Normalized(norm)
	sel := fmt.Sprintf("first %d examples of the training split (seed %d, %d held out) of %s", head.N, c.Seed, c.ValExamples, c.Data)
	op, err := curvature.NewHessian(model, head.All(), curvature.NetworkConfig{Selection: sel})
	if err != nil {
		return err
	}
	rec.Curvature = &TrainCurvatureExamplesID{Count: head.N, Selection: sel}
	if rec.LambdaMax, err = curvature.LanczosContext(ctx, op, curvature.LanczosConfig{Top: 1, Tol: c.LambdaMaxTol, Seed: c.Seed}); err != nil {
		return fmt.Errorf("lambda_max: %w", err)
	}
	if c.TraceBudget > 0 {
		if rec.Trace, err = curvature.HutchPlusPlusContext(ctx, op, curvature.TraceConfig{Budget: c.TraceBudget, Seed: c.Seed}); err != nil {
			return fmt.Errorf("trace: %w", err)
		}
	}
	return nil
}

// TrainTransforms parses the augment and normalize settings of a train run
// (data.ParseAugment, data.ParseNormalize) and resolves the normalisation
// against the training split it is trained on ("train" computes the
// statistics from it). Errors are *FieldError naming the field.
func TrainTransforms(augment, normalize string, trainSet *data.Dataset) (data.Augment, *data.Normalization, error) {
	aug, err := data.ParseAugment(augment)
	if err != nil {
		return data.Augment{}, nil, fieldErr("augment", "%v", err)
	}
	if err := aug.Check(trainSet.Shape); err != nil {
		return data.Augment{}, nil, fieldErr("augment", "%v (data %s)", err, trainSet.Name)
	}
	ns, err := data.ParseNormalize(normalize)
	if err != nil {
		return data.Augment{}, nil, fieldErr("normalize", "%v", err)
	}
	norm, err := ns.Resolve(trainSet)
	if err != nil {
		return data.Augment{}, nil, fieldErr("normalize", "%v", err)
	}
	return aug, norm, nil
}
