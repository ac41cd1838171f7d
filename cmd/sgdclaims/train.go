package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sgdclaims/sgdclaims/internal/provenance"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/core/train"
	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
	"github.com/sgdclaims/sgdclaims/runner"
)

func init() {
	register(command{name: "train", summary: "train a model with SGD and save run.json and model.safetensors", run: runTrain})
}

// trainRecord is DIR/run.json: everything needed to repeat the run and the
// per-epoch record it produced.
type trainRecord struct {
	Command       string            `json:"command"`
	Data          string            `json:"data"`
	Model         string            `json:"model"`
	Params        int               `json:"params"`
	LR            float64           `json:"lr"`
	LRSchedule    string            `json:"lr_schedule"`
	Batch         int               `json:"batch"`
	BatchSchedule string            `json:"batch_schedule"`
	Epochs        int               `json:"epochs"`
	Momentum      float64           `json:"momentum"`
	WeightDecay   float64           `json:"weight_decay"`
	Dropout       float64           `json:"dropout"`
	LabelNoise    float64           `json:"label_noise"`
	TrainExamples int               `json:"train_examples"`
	ValExamples   int               `json:"val_examples"`
	Seed          uint64            `json:"seed"`
	Seeds         map[string]uint64 `json:"seeds"` // derived sub-seeds by purpose
	ISA           string            `json:"isa"`
	GOMAXPROCS    int               `json:"gomaxprocs"`
	GoVersion     string            `json:"go_version"`
	Provenance    provenance.Info   `json:"provenance"` // the commit of the build, and whether its tree was dirty
	Started       string            `json:"started"`
	Result        *train.Result     `json:"result"`
	FinalValAcc   float64           `json:"final_val_acc"`
	ModelFile     string            `json:"model_file,omitempty"`

	// The input transforms of the run: the --augment spec ("off" when
	// off) and the per-channel statistics of --normalize (null when off).
	Augment       string              `json:"augment"`
	Normalization *data.Normalization `json:"normalization"`

	// Nudge is the Nudged SGD record of --nudge (omitted when off): the
	// setting, the Hessian examples and every refresh of P_K.
	Nudge *runner.NudgeRecord `json:"nudge,omitempty"`
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	dataName := fs.String("data", "mnist", "`mnist`, fashion-mnist, cifar10 (see the README's \"How data is found\") or a directory of MNIST IDX or CIFAR-10 binary files")
	spec := fs.String("model", "mlp:784-128-128-10", "model `spec`: mlp:IN-H1-...-OUT, resmlp:IN-WIDTHxBLOCKS-OUT, simplecnn, simplecnn-bn, simplecnn-dropout, resnet20, resnet32, resnet56, vgg11 (these take the data's image shape) or cnn:CxHxW:LAYERS")
	lr := fs.Float64("lr", 0.1, "learning rate")
	lrSched := fs.String("lr-schedule", "const", "learning-rate schedule: const, cosine, step:F@E1,E2, cyclic:LOW@HALF")
	batch := fs.Int("batch", 64, "batch size S")
	batchSched := fs.String("batch-schedule", "const", "batch-size schedule: const, step:F@E1,E2, cyclic:HIGH@HALF")
	epochs := fs.Int("epochs", 1, "epochs")
	seed := fs.Uint64("seed", 1, "root seed (init, data order, split, label noise and dropout streams derive from it)")
	momentum := fs.Float64("momentum", 0, "momentum (torch.optim.SGD semantics)")
	wd := fs.Float64("weight-decay", 0, "L2 weight decay added to the gradient")
	dropout := fs.Float64("dropout", 0, "dropout probability after every hidden ReLU")
	labelNoise := fs.Float64("label-noise", 0, "fraction of training labels replaced by uniformly random ones")
	trainN := fs.Int("train-examples", 0, "use only the first N training examples after the validation split (0 = all)")
	valN := fs.Int("val", 5000, "validation examples held out from the training split")
	transforms := addTransformFlags(fs)
	nudge := addNudgeFlags(fs)
	out := fs.String("out", "runs/train", "output `DIR` for run.json and model.safetensors")
	asJSON := fs.Bool("json", false, "print a JSON summary on stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	// The runner's train kind validates and sets up the run (the same
	// checks, model, data split and seeds as a sweep's train run); its
	// errors name JSON fields, reported here by their flags.
	if *out == "" {
		return usagef("--out: must name a directory")
	}
	c := &runner.TrainConfig{
		Data: *dataName, Model: *spec, LR: *lr, LRSchedule: *lrSched, Batch: *batch, BatchSchedule: *batchSched,
		Epochs: *epochs, Seed: *seed, Momentum: *momentum, WeightDecay: *wd, Dropout: *dropout, LabelNoise: *labelNoise,
		TrainExamples: *trainN, ValExamples: *valN,
		Augment: *transforms.augment, NormalizeInputs: *transforms.normalize,
		Nudge: *nudge.spec, NudgeExamples: *nudge.examples,
	}
	t, err := setupTraining(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return usagef("--out: %v", err)
	}

	model, trainSet, valSet := t.Model, t.Train, t.Val
	isa := kernels.Active().Name()
	fmt.Fprintf(stderr, "training %s (%d params) on %s: %d train / %d val examples, lr %g, batch %d, %d epochs, ISA %s, GOMAXPROCS %d\n",
		model.Spec(), model.NumParams(), c.Data, trainSet.N, datasetSize(valSet), c.LR, c.Batch, c.Epochs, isa, runtime.GOMAXPROCS(0))
	bar := newProgressBar(stderr, "train")
	started := time.Now()
	res, err := t.Run(context.Background(), bar.update)
	bar.finish()
	if err != nil {
		return err
	}

	rec := trainRecord{
		Command: "train", Data: c.Data, Model: model.Spec(), Params: model.NumParams(),
		LR: c.LR, LRSchedule: t.LR.String(), Batch: c.Batch, BatchSchedule: t.Batch.String(), Epochs: c.Epochs,
		Momentum: c.Momentum, WeightDecay: c.WeightDecay, Dropout: c.Dropout, LabelNoise: c.LabelNoise,
		TrainExamples: trainSet.N, ValExamples: datasetSize(valSet), Seed: c.Seed, Seeds: c.Seeds(),
		Augment: t.Augment.String(), Normalization: t.Normalization,
		ISA: isa, GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), Provenance: provenance.Current(),
		Started: started.UTC().Format(time.RFC3339), Result: res,
		Nudge: t.NudgeRecord(),
	}
	if n := len(res.Epochs); n > 0 {
		rec.FinalValAcc = res.Epochs[n-1].ValAcc
	}
	if !res.Diverged {
		rec.ModelFile = "model.safetensors"
		if err := model.SaveSafetensors(filepath.Join(*out, rec.ModelFile)); err != nil {
			return fmt.Errorf("writing model: %v", err)
		}
	}
	js, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(*out, "run.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing run.json: %v", err)
	}

	if *asJSON {
		sum := map[string]any{
			"model": model.Spec(), "isa": isa, "epochs": len(res.Epochs), "steps": res.Steps,
			"diverged": res.Diverged, "seconds": res.Seconds, "out": *out,
		}
		if n := len(res.Epochs); n > 0 {
			last := res.Epochs[n-1]
			sum["train_loss"], sum["train_acc"], sum["val_loss"], sum["val_acc"] = last.TrainLoss, last.TrainAcc, last.ValLoss, last.ValAcc
		}
		if res.Diverged {
			sum["diverged_step"] = res.DivergedStep
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "%-6s %-8s %-10s %-10s %-10s %-10s %-8s\n", "epoch", "steps", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")
		for _, e := range res.Epochs {
			fmt.Fprintf(stdout, "%-6d %-8d %-10.4f %-10.4f %-10.4f %-10.4f %-8.1f\n", e.Epoch, e.Steps, e.TrainLoss, e.TrainAcc, e.ValLoss, e.ValAcc, e.Seconds)
		}
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(*out, "run.json"))
	}
	if res.Diverged {
		fmt.Fprintf(stderr, "diverged: loss became NaN/Inf at step %d (epoch %d); recorded in run.json, no model written\n", res.DivergedStep, res.DivergedEpoch)
		return errDiverged
	}
	return nil
}

// errDiverged makes a diverged run exit with status 1: the run finished and
// was recorded, but it did not train.
var errDiverged = fmt.Errorf("%w: training diverged", errClaimFails)

// datasetSize is d.N, or 0 for no dataset.
func datasetSize(d *data.Dataset) int {
	if d == nil {
		return 0
	}
	return d.N
}

// setupTraining normalises, checks and sets up c through the runner (the
// one setup of a train run), with its field errors named by this command's
// flags: one line, exit status 2.
func setupTraining(c *runner.TrainConfig) (*runner.Training, error) {
	if err := kernels.EnvError(); err != nil {
		return nil, usageError{err}
	}
	t, err := func() (*runner.Training, error) {
		if err := c.Normalize(); err != nil {
			return nil, err
		}
		if err := c.Check(); err != nil {
			return nil, err
		}
		return c.Setup()
	}()
	var fe *runner.FieldError
	if errors.As(err, &fe) {
		flag := trainFlags[fe.Field]
		if flag == "" {
			flag = fe.Field
		}
		return nil, usagef("%s: %s", flag, fe.Msg)
	}
	if err != nil {
		return nil, usageError{err}
	}
	return t, nil
}

// trainFlags names the flag of each runner.TrainConfig field that this
// command sets.
var trainFlags = map[string]string{
	"data": "--data", "model": "--model", "lr": "--lr", "lr_schedule": "--lr-schedule",
	"batch": "--batch", "batch_schedule": "--batch-schedule", "epochs": "--epochs", "seed": "--seed",
	"momentum": "--momentum", "weight_decay": "--weight-decay", "dropout": "--dropout",
	"label_noise": "--label-noise", "train_examples": "--train-examples", "val_examples": "--val",
	"augment": "--augment", "normalize": "--normalize",
	"nudge": "--nudge", "nudge_examples": "--nudge-examples",
}
