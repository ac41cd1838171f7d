package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/sgdclaims/sgdclaims/runner"
)

// sweepProgress shows a sweep's progress on stderr: one line per event that
// matters (a run starts, finishes, diverges, fails, is redone or abandoned),
// which is what a scheduler's log file keeps; and, only when stderr is a
// terminal, a bar below them with the runs done, the runs in flight and an
// ETA from the pace of the runs finished by this process.
type sweepProgress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	start    time.Time
	last     time.Time
	ran      int // finished by this process
	done     int
	total    int
	running  map[string]string // id -> "step/steps"
	barDrawn bool
}

func newSweepProgress(w io.Writer) *sweepProgress {
	p := &sweepProgress{w: w, start: time.Now(), running: map[string]string{}}
	if f, ok := w.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	return p
}

// event is the runner's Events callback.
func (p *sweepProgress) event(e runner.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = e.Done, e.Total
	name := fmt.Sprintf("run %d (%s) %s", e.Run.Index, e.Run.ID, e.Run.Label)
	switch e.Type {
	case runner.Skipped:
		// Thousands of lines of "already done" help nobody; the summary
		// counts them.
	case runner.Redo:
		p.line(fmt.Sprintf("%s: %v; moved aside, running it again", name, e.Err))
	case runner.Started:
		p.running[e.Run.ID] = ""
		p.line(name + ": started")
	case runner.Progress:
		p.running[e.Run.ID] = fmt.Sprintf("%d/%d", e.Step, e.Steps)
		p.draw(false)
	case runner.Finished:
		delete(p.running, e.Run.ID)
		p.ran++
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
		p.line(msg)
	case runner.Failed:
		delete(p.running, e.Run.ID)
		p.line(fmt.Sprintf("FAILED %v", e.Err))
	case runner.Abandoned:
		delete(p.running, e.Run.ID)
		p.line(name + ": abandoned (nothing stored)")
	}
}

// log prints a message line (signals), keeping the bar below it.
func (p *sweepProgress) log(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line(msg)
}

func (p *sweepProgress) line(msg string) {
	if p.tty && p.barDrawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintln(p.w, msg)
	p.draw(true)
}

func (p *sweepProgress) draw(force bool) {
	if !p.tty || p.total == 0 {
		return
	}
	now := time.Now()
	if !force && now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	frac := float64(p.done) / float64(p.total)
	n := int(frac * width)
	eta := ""
	if left := p.total - p.done; p.ran > 0 && left > 0 {
		// Pace from this process's own finished runs (wall time per run,
		// so parallel workers are accounted for): skipped ones cost nothing
		// and would make the estimate far too short.
		per := time.Since(p.start) / time.Duration(p.ran)
		eta = " eta " + (per * time.Duration(left)).Round(time.Second).String()
	}
	var steps []string
	for _, s := range p.running {
		if s != "" {
			steps = append(steps, s)
		}
	}
	inflight := ""
	if len(p.running) > 0 {
		inflight = fmt.Sprintf(", %d running", len(p.running))
		if len(steps) == 1 {
			inflight += " (step " + steps[0] + ")"
		}
	}
	fmt.Fprintf(p.w, "\r\033[Ksweep [%s%s] %d/%d runs%s%s", strings.Repeat("=", n), strings.Repeat(" ", width-n), p.done, p.total, inflight, eta)
	p.barDrawn = true
}

// finish ends the bar's line.
func (p *sweepProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.barDrawn {
		fmt.Fprintln(p.w)
		p.barDrawn = false
	}
}
