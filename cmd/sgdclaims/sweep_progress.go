package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/sgdclaims/sgdclaims/runner"
)

// sweepProgress shows a sweep's progress on stderr: one line per event that
// matters (a run starts, finishes, diverges, fails, is redone or abandoned),
// which is what a scheduler's log file keeps; and, only when stderr is a
// terminal, a bar below them.
//
// The bar counts only the runs this process has to do, and advances only when
// one of them is settled: runs finished before cost nothing, and counting them
// would make the ETA far too short. Its description says how many finished
// before and what is running.
type sweepProgress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	bar      *progressbar.ProgressBar // made at the first start
	skipped  int
	running  map[string]string // id -> "step/steps"
	lastDraw time.Time
}

func newSweepProgress(w io.Writer) *sweepProgress {
	return &sweepProgress{w: w, tty: isTerminal(w), running: map[string]string{}}
}

// event is the runner's Events callback.
func (p *sweepProgress) event(e runner.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := fmt.Sprintf("run %d (%s) %s", e.Run.Index, e.Run.ID, e.Run.Label)
	switch e.Type {
	case runner.Skipped:
		// Thousands of lines of "already done" help nobody; the summary
		// counts them.
		p.skipped++
	case runner.Redo:
		p.line(fmt.Sprintf("%s: %v; moved aside, running it again", name, e.Err))
	case runner.Started:
		if p.tty && p.bar == nil && e.Total > p.skipped {
			// The runner settles every selected run before starting any,
			// so the skipped ones are all counted by now.
			p.bar = newBar(p.w, e.Total-p.skipped, p.describe(), 0)
			p.bar.StartWithoutRender() // the pace counts from here
		}
		p.running[e.Run.ID] = ""
		p.line(name + ": started")
	case runner.Progress:
		p.running[e.Run.ID] = fmt.Sprintf("%d/%d", e.Step, e.Steps)
		// Steps come often; the bar is redrawn at most every 150 ms.
		if time.Since(p.lastDraw) >= 150*time.Millisecond {
			p.draw()
		}
	case runner.Finished:
		r := e.Result
		msg := fmt.Sprintf("%s: done in %.1f s", name, r.Stamp.Seconds)
		if r.Diverged {
			msg = fmt.Sprintf("%s: diverged at step %d (recorded) after %.1f s", name, r.DivergedStep, r.Stamp.Seconds)
		}
		var figs []string
		for _, k := range []string{"val_acc", "train_loss", "lambda_max"} {
			if v, ok := r.Figures[k]; ok {
				figs = append(figs, fmt.Sprintf("%s %.4g", k, float64(v)))
			}
		}
		if len(figs) > 0 {
			msg += " (" + strings.Join(figs, ", ") + ")"
		}
		p.settled(e.Run.ID, msg)
	case runner.Failed:
		p.settled(e.Run.ID, fmt.Sprintf("FAILED %v", e.Err))
	case runner.Abandoned:
		p.settled(e.Run.ID, name+": abandoned (nothing stored)")
	}
}

// settled prints the line of a run that is over and advances the bar.
func (p *sweepProgress) settled(id, msg string) {
	delete(p.running, id)
	p.line(msg)
	if p.bar != nil {
		startETA(p.bar)
		p.bar.Add(1) // a full bar ends its line
	}
}

// log prints a message line (signals), keeping the bar below it.
func (p *sweepProgress) log(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line(msg)
}

// line prints msg on a line of its own above the bar.
func (p *sweepProgress) line(msg string) {
	if p.drawing() {
		p.bar.Clear()
	}
	fmt.Fprintln(p.w, msg)
	p.draw()
}

func (p *sweepProgress) drawing() bool { return p.bar != nil && !p.bar.IsFinished() }

// draw redraws the bar with the current description.
func (p *sweepProgress) draw() {
	if p.drawing() {
		p.bar.Describe(p.describe())
		p.lastDraw = time.Now()
	}
}

// describe says how many runs finished before this process and what is
// running, with the step of a run when only one is running.
func (p *sweepProgress) describe() string {
	d := fmt.Sprintf("sweep (%d finished before", p.skipped)
	if n := len(p.running); n > 0 {
		d += fmt.Sprintf(", %d running", n)
		for _, s := range p.running {
			if n == 1 && s != "" {
				d += ", step " + s
			}
		}
	}
	return d + ") "
}

// finish ends the bar's line; whatever comes after (a late signal's message)
// is printed as a plain line.
func (p *sweepProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawing() {
		p.bar.Exit()
	}
	p.bar, p.tty = nil, false
}
