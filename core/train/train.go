package train

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// ErrStop, returned by a hook, ends the run early without error.
var ErrStop = errors.New("stop training")

// Config describes one training run.
type Config struct {
	Model      *nn.Model
	Train, Val *data.Dataset // Val may be nil
	Epochs     int
	LR         optim.LRSchedule
	Batch      optim.BatchSchedule
	Optimizer  *optim.SGD // nil means plain SGD
	Seed       uint64     // root seed for data order and dropout masks

	// Augment, when on, transforms every training batch after it is
	// gathered (random crops and flips of Train.Shape images), from the
	// stream (Seed, "augment", step). Evaluation never augments.
	Augment data.Augment
	// Normalize, when set, standardises every input the model sees per
	// channel: training batches after augmentation, and the evaluation
	// passes over Val and (EvalTrain) Train.
	Normalize *data.Normalization

	// EvalTrain adds a full evaluation-mode pass over the training set at the
	// end of every epoch. Without it, the epoch's train loss and accuracy are
	// the running means over its mini-batches (with dropout, as trained).
	EvalTrain bool

	// Transform, when set, changes each step's gradient before the
	// optimiser step (see GradTransform; Nudged SGD is one). Nil: plain SGD.
	Transform GradTransform

	OnStep  func(*StepInfo) error
	OnEpoch func(*EpochStats) error
	// Progress, if set, is called after every step with the steps done and
	// the run's planned total.
	Progress func(done, total int)
}

// StepInfo is what OnStep sees after an optimiser step.
type StepInfo struct {
	Step, Epoch int     // Step counts from 1 over the run; Epoch from 0
	LR          float64 // rate used for this step
	BatchSize   int
	Loss        float64 // mini-batch loss before the step
	Model       *nn.Model
	Grad        []float32 // the mini-batch gradient of this step, after Config.Transform (do not modify)
}

// EpochStats is one epoch's record.
type EpochStats struct {
	Epoch     int       `json:"epoch"` // from 1
	Steps     int       `json:"steps"` // cumulative
	LR        float64   `json:"lr"`    // rate at the epoch's last step
	BatchSize int       `json:"batch_size"`
	TrainLoss float64   `json:"train_loss"`
	TrainAcc  float64   `json:"train_acc"`
	ValLoss   float64   `json:"val_loss,omitempty"`
	ValAcc    float64   `json:"val_acc,omitempty"`
	Seconds   float64   `json:"seconds"` // wall time of the epoch's training and evaluation
	Model     *nn.Model `json:"-"`
}

// Result is the record of a run.
type Result struct {
	Epochs        []EpochStats `json:"epochs"`
	Steps         int          `json:"steps"`
	Diverged      bool         `json:"diverged"`
	DivergedStep  int          `json:"diverged_step,omitempty"` // the step whose loss was NaN/Inf
	DivergedEpoch int          `json:"diverged_epoch,omitempty"`
	Stopped       bool         `json:"stopped_early,omitempty"` // a hook returned ErrStop
	Seconds       float64      `json:"seconds"`
}

// Validate checks a configuration before any work starts, so a bad setting
// is reported as one line and nothing is trained.
func (c *Config) Validate() error {
	switch {
	case c.Model == nil:
		return errors.New("no model")
	case c.Train == nil || c.Train.N == 0:
		return errors.New("no training data")
	case c.Epochs < 1:
		return fmt.Errorf("epochs %d: must be >= 1", c.Epochs)
	case c.LR == nil:
		return errors.New("no learning-rate schedule")
	case c.Batch == nil:
		return errors.New("no batch-size schedule")
	}
	if c.Train.Dim != c.Model.InputDim() {
		return fmt.Errorf("model %s takes %d inputs, data %q has %d", c.Model.Spec(), c.Model.InputDim(), c.Train.Name, c.Train.Dim)
	}
	if c.Val != nil && c.Val.Dim != c.Train.Dim {
		return fmt.Errorf("validation data has %d inputs, training data %d", c.Val.Dim, c.Train.Dim)
	}
	if err := c.Augment.Check(c.Train.Shape); err != nil {
		return err
	}
	if n := c.Normalize; n != nil {
		ch := 1
		if c.Train.Shape.IsImage() {
			ch = c.Train.Shape.C
		}
		if len(n.Mean) != ch || len(n.Std) != ch {
			return fmt.Errorf("normalisation has %d means and %d standard deviations, data %q has %d channel(s)", len(n.Mean), len(n.Std), c.Train.Name, ch)
		}
	}
	if c.Train.Classes > 0 && c.Model.OutputDim() < c.Train.Classes {
		return fmt.Errorf("model %s has %d outputs, data %q has %d classes", c.Model.Spec(), c.Model.OutputDim(), c.Train.Name, c.Train.Classes)
	}
	for e := 0; e < c.Epochs; e++ {
		s := c.Batch.Batch(e)
		if s < 1 || s > c.Train.N {
			return fmt.Errorf("batch size %d at epoch %d: must be between 1 and the %d training examples", s, e+1, c.Train.N)
		}
	}
	if c.Optimizer != nil {
		if err := c.Optimizer.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// totalSteps is the planned number of optimiser steps.
func (c *Config) totalSteps() int {
	t := 0
	for e := 0; e < c.Epochs; e++ {
		t += c.Train.N / c.Batch.Batch(e)
	}
	return t
}

// Run trains c.Model in place and returns the run's record.
func Run(c Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	opt := c.Optimizer
	if opt == nil {
		opt = &optim.SGD{}
	}
	m := c.Model
	m.SetDropoutSeed(rng.Derive(c.Seed, "dropout", 0))
	lr := c.LR
	if cyc, ok := lr.(optim.CyclicLR); ok && cyc.StepsPerEpoch == 0 {
		cyc.StepsPerEpoch = c.Train.N / c.Batch.Batch(0)
		lr = cyc
	}

	grad := make([]float32, m.NumParams())
	var batch data.Batch
	var scratch []float32
	// Evaluation sees the inputs as training does, normalised; the copies
	// are made once per run, not per epoch.
	val := c.Val
	if val != nil && val.N > 0 {
		val = val.Normalized(c.Normalize)
	}
	var evalTrain *data.Dataset
	total := c.totalSteps()
	res := &Result{}
	start := time.Now()
	step := 0
	for epoch := 0; epoch < c.Epochs; epoch++ {
		t0 := time.Now()
		s := c.Batch.Batch(epoch)
		order := data.NewEpochOrder(c.Train.N, c.Seed, epoch)
		var lossSum float64
		var correct, seen int
		var rate float64
		for lo := 0; lo+s <= c.Train.N; lo += s {
			c.Train.Gather(order[lo:lo+s], &batch)
			if c.Augment.On() {
				c.Augment.Apply(&batch, c.Train.Shape, rng.New(c.Seed, "augment", uint64(step)), &scratch)
			}
			c.Normalize.Apply(batch.X, c.Train.Dim)
			loss, hits := m.LossGrad(batch, true, grad)
			step++
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				res.Diverged, res.DivergedStep, res.DivergedEpoch = true, step, epoch+1
				res.Steps = step
				res.Seconds = time.Since(start).Seconds()
				return res, nil
			}
			if c.Transform != nil {
				if err := c.Transform.TransformGrad(step, m, batch, grad); err != nil {
					res.Steps = step
					res.Seconds = time.Since(start).Seconds()
					return res, err
				}
			}
			rate = lr.LR(step-1, epoch, total)
			opt.Step(m.Params(), grad, rate)
			lossSum += loss * float64(s)
			correct += hits
			seen += s
			if c.OnStep != nil {
				err := c.OnStep(&StepInfo{Step: step, Epoch: epoch, LR: rate, BatchSize: s, Loss: loss, Model: m, Grad: grad})
				if stop, err := hookResult(err); stop || err != nil {
					res.Steps, res.Stopped = step, stop
					res.Seconds = time.Since(start).Seconds()
					return res, err
				}
			}
			if c.Progress != nil {
				c.Progress(step, total)
			}
		}
		st := EpochStats{Epoch: epoch + 1, Steps: step, LR: rate, BatchSize: s, Model: m}
		if seen > 0 {
			st.TrainLoss, st.TrainAcc = lossSum/float64(seen), float64(correct)/float64(seen)
		}
		if c.EvalTrain {
			if evalTrain == nil {
				evalTrain = c.Train.Normalized(c.Normalize)
			}
			st.TrainLoss, st.TrainAcc = evaluate(m, evalTrain)
		}
		if val != nil && val.N > 0 {
			st.ValLoss, st.ValAcc = evaluate(m, val)
		}
		st.Seconds = time.Since(t0).Seconds()
		res.Epochs = append(res.Epochs, st)
		res.Steps = step
		if math.IsNaN(st.TrainLoss) || math.IsInf(st.TrainLoss, 0) {
			res.Diverged, res.DivergedStep, res.DivergedEpoch = true, step, epoch+1
			break
		}
		if c.OnEpoch != nil {
			if stop, err := hookResult(c.OnEpoch(&res.Epochs[len(res.Epochs)-1])); stop || err != nil {
				res.Stopped = stop
				res.Seconds = time.Since(start).Seconds()
				return res, err
			}
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func hookResult(err error) (stop bool, _ error) {
	if errors.Is(err, ErrStop) {
		return true, nil
	}
	return false, err
}

// evaluate returns the evaluation-mode mean loss and accuracy on d.
func evaluate(m *nn.Model, d *data.Dataset) (loss, acc float64) {
	l, hits := m.Evaluate(d.All())
	return l, float64(hits) / float64(d.N)
}
