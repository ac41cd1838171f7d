package optim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// LRSchedule gives the learning rate for a step. step counts optimiser steps
// from 0 over the whole run; epoch is the epoch the step falls in (from 0);
// totalSteps is the run's planned number of steps (for schedules that need
// the horizon, such as cosine).
type LRSchedule interface {
	LR(step, epoch, totalSteps int) float64
	String() string
}

// BatchSchedule gives the batch size for an epoch (from 0).
type BatchSchedule interface {
	Batch(epoch int) int
	String() string
}

// ConstantLR is a fixed rate.
type ConstantLR float64

func (c ConstantLR) LR(int, int, int) float64 { return float64(c) }
func (c ConstantLR) String() string           { return "const" }

// StepLR multiplies Base by Factor at each milestone epoch.
type StepLR struct {
	Base, Factor float64
	Milestones   []int
}

func (s StepLR) LR(_, epoch, _ int) float64 {
	return s.Base * stepFactor(s.Factor, s.Milestones, epoch)
}
func (s StepLR) String() string { return "step:" + formatStep(s.Factor, s.Milestones) }

// CosineLR decays from Base to Base*MinFraction along half a cosine over the
// whole run.
type CosineLR struct {
	Base, MinFraction float64
}

func (c CosineLR) LR(step, _, total int) float64 {
	if total <= 1 {
		return c.Base
	}
	t := float64(step) / float64(total-1)
	lo := c.Base * c.MinFraction
	return lo + (c.Base-lo)*0.5*(1+math.Cos(math.Pi*t))
}
func (c CosineLR) String() string {
	if c.MinFraction == 0 {
		return "cosine"
	}
	return "cosine:" + strconv.FormatFloat(c.MinFraction, 'g', -1, 64)
}

// CyclicLR is the triangular cycle of P1's cyclic-schedule experiments: it
// rises linearly from Base*LowFraction to Base over HalfPeriod epochs, falls
// back over the next HalfPeriod, and repeats. The position is measured in
// epochs (fractional, from the step) so that it matches CyclicBatch.
type CyclicLR struct {
	Base, LowFraction float64
	HalfPeriod        int // epochs
	StepsPerEpoch     int // set by the training loop
}

func (c CyclicLR) LR(step, epoch, _ int) float64 {
	pos := float64(epoch)
	if c.StepsPerEpoch > 0 {
		pos = float64(step) / float64(c.StepsPerEpoch)
	}
	return c.Base * triangle(c.LowFraction, 1, pos, c.HalfPeriod)
}
func (c CyclicLR) String() string {
	return fmt.Sprintf("cyclic:%g@%d", c.LowFraction, c.HalfPeriod)
}

// triangle moves linearly between lo and hi: lo at pos = 0, hi at
// pos = half, lo again at 2*half.
func triangle(lo, hi, pos float64, half int) float64 {
	if half <= 0 {
		return hi
	}
	p := math.Mod(pos, float64(2*half)) / float64(half) // [0, 2)
	if p > 1 {
		p = 2 - p
	}
	return lo + (hi-lo)*p
}

// ConstantBatch is a fixed batch size.
type ConstantBatch int

func (c ConstantBatch) Batch(int) int  { return int(c) }
func (c ConstantBatch) String() string { return "const" }

// StepBatch multiplies Base by Factor at each milestone epoch (P1: "grow the
// batch by k instead of decaying the rate by k"). Sizes are rounded to the
// nearest integer.
type StepBatch struct {
	Base       int
	Factor     float64
	Milestones []int
}

func (s StepBatch) Batch(epoch int) int {
	return int(math.Round(float64(s.Base) * stepFactor(s.Factor, s.Milestones, epoch)))
}
func (s StepBatch) String() string { return "step:" + formatStep(s.Factor, s.Milestones) }

// CyclicBatch is the mirror of CyclicLR: the batch size starts at
// Base*HighFactor, falls to Base over HalfPeriod epochs and rises back, so
// that 1/S (and so eta/S at a fixed rate) follows the same triangle as
// CyclicLR with LowFraction = 1/HighFactor.
type CyclicBatch struct {
	Base       int
	HighFactor float64
	HalfPeriod int
}

func (c CyclicBatch) Batch(epoch int) int {
	// eta/S ratio triangle r in [1/HighFactor, 1]; S = Base / r.
	r := triangle(1/c.HighFactor, 1, float64(epoch), c.HalfPeriod)
	return int(math.Round(float64(c.Base) / r))
}
func (c CyclicBatch) String() string { return fmt.Sprintf("cyclic:%g@%d", c.HighFactor, c.HalfPeriod) }

func stepFactor(factor float64, milestones []int, epoch int) float64 {
	f := 1.0
	for _, m := range milestones {
		if epoch >= m {
			f *= factor
		}
	}
	return f
}

func formatStep(factor float64, milestones []int) string {
	ms := make([]string, len(milestones))
	for i, m := range milestones {
		ms[i] = strconv.Itoa(m)
	}
	return strconv.FormatFloat(factor, 'g', -1, 64) + "@" + strings.Join(ms, ",")
}

// ParseLR reads a learning-rate schedule around base:
//
//	const | "" | cosine | cosine:MINFRAC | step:FACTOR@E1,E2,... | cyclic:LOWFRAC@HALFPERIOD
func ParseLR(base float64, s string) (LRSchedule, error) {
	if !(base > 0) || math.IsInf(base, 0) {
		return nil, fmt.Errorf("learning rate %g: must be > 0 and finite", base)
	}
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case "", "const":
		if arg != "" {
			return nil, fmt.Errorf("lr schedule %q: const takes no argument", s)
		}
		return ConstantLR(base), nil
	case "cosine":
		min := 0.0
		if arg != "" {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || v < 0 || v > 1 {
				return nil, fmt.Errorf("lr schedule %q: cosine floor must be a fraction in [0, 1]", s)
			}
			min = v
		}
		return CosineLR{Base: base, MinFraction: min}, nil
	case "step":
		f, ms, err := parseStep(s, arg)
		if err != nil {
			return nil, err
		}
		return StepLR{Base: base, Factor: f, Milestones: ms}, nil
	case "cyclic":
		lo, half, err := parseCyclic(s, arg)
		if err != nil {
			return nil, err
		}
		if lo >= 1 {
			return nil, fmt.Errorf("lr schedule %q: the low fraction must be < 1", s)
		}
		return CyclicLR{Base: base, LowFraction: lo, HalfPeriod: half}, nil
	}
	return nil, fmt.Errorf("lr schedule %q: unknown kind %q (want const, cosine, step or cyclic)", s, kind)
}

// ParseBatch reads a batch-size schedule around base:
//
//	const | "" | step:FACTOR@E1,E2,... | cyclic:HIGHFACTOR@HALFPERIOD
func ParseBatch(base int, s string) (BatchSchedule, error) {
	if base < 1 {
		return nil, fmt.Errorf("batch size %d: must be >= 1", base)
	}
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case "", "const":
		if arg != "" {
			return nil, fmt.Errorf("batch schedule %q: const takes no argument", s)
		}
		return ConstantBatch(base), nil
	case "step":
		f, ms, err := parseStep(s, arg)
		if err != nil {
			return nil, err
		}
		return StepBatch{Base: base, Factor: f, Milestones: ms}, nil
	case "cyclic":
		hi, half, err := parseCyclic(s, arg)
		if err != nil {
			return nil, err
		}
		if hi <= 1 {
			return nil, fmt.Errorf("batch schedule %q: the high factor must be > 1", s)
		}
		return CyclicBatch{Base: base, HighFactor: hi, HalfPeriod: half}, nil
	}
	return nil, fmt.Errorf("batch schedule %q: unknown kind %q (want const, step or cyclic)", s, kind)
}

func parseStep(s, arg string) (float64, []int, error) {
	fs, list, ok := strings.Cut(arg, "@")
	if !ok || list == "" {
		return 0, nil, fmt.Errorf("schedule %q: want step:FACTOR@EPOCH,EPOCH,...", s)
	}
	f, err := strconv.ParseFloat(fs, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, nil, fmt.Errorf("schedule %q: factor must be a positive number", s)
	}
	var ms []int
	prev := 0
	for _, e := range strings.Split(list, ",") {
		m, err := strconv.Atoi(e)
		if err != nil || m <= prev {
			return 0, nil, fmt.Errorf("schedule %q: milestones must be increasing positive epochs", s)
		}
		ms = append(ms, m)
		prev = m
	}
	return f, ms, nil
}

func parseCyclic(s, arg string) (float64, int, error) {
	fs, hs, ok := strings.Cut(arg, "@")
	if !ok {
		return 0, 0, fmt.Errorf("schedule %q: want cyclic:FACTOR@HALFPERIOD_EPOCHS", s)
	}
	f, err := strconv.ParseFloat(fs, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, 0, fmt.Errorf("schedule %q: factor must be a positive number", s)
	}
	h, err := strconv.Atoi(hs)
	if err != nil || h < 1 {
		return 0, 0, fmt.Errorf("schedule %q: half period must be a positive number of epochs", s)
	}
	return f, h, nil
}
