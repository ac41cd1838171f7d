package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal says whether w is a terminal. Bars are drawn only there: logs,
// pipes and Slurm log files get plain lines, with no carriage returns or
// escape codes. A variable so that tests can pretend.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newBar returns a bar of max units on w showing the description, the count,
// the elapsed time and, once startETA is called, the time left. It ends its
// line when it is full or when Exit is called.
func newBar(w io.Writer, max int, desc string, throttle time.Duration) *progressbar.ProgressBar {
	return progressbar.NewOptions(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		// The library's estimate before the first unit is done reads "0s";
		// startETA turns it on when there is a pace to go by.
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionThrottle(throttle),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// startETA shows the time left from now on. Options set fields of the bar
// without its lock, so callers must not use the bar from elsewhere at once.
func startETA(b *progressbar.ProgressBar) { progressbar.OptionSetPredictTime(true)(b) }

// progressBar is a bar of training steps or of a verify stage's units,
// drawn only on a terminal. Its total is the one of its first update.
type progressBar struct {
	w     io.Writer
	label string
	bar   *progressbar.ProgressBar
}

func newProgressBar(w io.Writer, label string) *progressBar {
	return &progressBar{w: w, label: label}
}

func (p *progressBar) update(done, total int) {
	if p.bar == nil {
		if total <= 0 || !isTerminal(p.w) {
			return
		}
		// A training step takes milliseconds: redrawing each one would cost
		// more than the step.
		p.bar = newBar(p.w, total, p.label+" ", 150*time.Millisecond)
	}
	if done > 0 {
		startETA(p.bar)
	}
	p.bar.Set(done)
}

// finish ends the bar's line (a full bar has ended it already).
func (p *progressBar) finish() {
	if p.bar != nil && !p.bar.IsFinished() {
		p.bar.Exit()
	}
	p.bar = nil
}
