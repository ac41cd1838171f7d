package main

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
	"github.com/sgdclaims/sgdclaims/runner"
)

// pretendTerminal makes every writer a terminal for the rest of the test.
// Tests that use it must not be parallel.
func pretendTerminal(t *testing.T) {
	saved := isTerminal
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = saved })
}

// shownLines returns what a terminal would keep of each line of out: the
// text after its last carriage return.
func shownLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		lines = append(lines, l[strings.LastIndex(l, "\r")+1:])
	}
	return lines
}

// wantInOrder checks that want are whole lines of got, in this order.
func wantInOrder(t *testing.T, got []string, want []string) {
	t.Helper()
	i := 0
	for _, l := range got {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("line %q missing or out of order in\n%q", want[i], got)
	}
}

func progRun(i int) runner.Run {
	return runner.Run{Index: i, ID: "id" + string(rune('a'+i)), Label: "seed=" + string(rune('0'+i))}
}

// driveSweep plays a sweep of 8 selected runs through p: 3 finished before,
// 4 settled, then an interrupt that leaves 1 not started. It returns the
// lines p must print. check, if set, is called after each event.
func driveSweep(p *sweepProgress, check func(runner.Event)) []string {
	const total = 8
	done := 0
	ev := func(e runner.Event) {
		e.Done, e.Total = done, total
		p.event(e)
		if check != nil {
			check(e)
		}
	}
	for i := range 3 {
		done++
		ev(runner.Event{Type: runner.Skipped, Run: progRun(i), Result: &runner.Result{}})
	}
	ev(runner.Event{Type: runner.Redo, Run: progRun(3), Err: errors.New("bad checksum")})
	ev(runner.Event{Type: runner.Started, Run: progRun(3)})
	ev(runner.Event{Type: runner.Progress, Run: progRun(3), Step: 5, Steps: 10})
	ev(runner.Event{Type: runner.Started, Run: progRun(4)})
	done++
	ev(runner.Event{Type: runner.Finished, Run: progRun(3), Result: &runner.Result{
		Figures: map[string]jsonfloat.Float{"val_acc": 0.9, "train_loss": 0.25}, Stamp: runner.Stamp{Seconds: 1.5}}})
	done++
	ev(runner.Event{Type: runner.Finished, Run: progRun(4), Result: &runner.Result{
		Diverged: true, DivergedStep: 7, Stamp: runner.Stamp{Seconds: 0.25}}})
	ev(runner.Event{Type: runner.Started, Run: progRun(5)})
	done++
	ev(runner.Event{Type: runner.Failed, Run: progRun(5), Err: errors.New("run 5 (idf): boom")})
	ev(runner.Event{Type: runner.Started, Run: progRun(6)})
	p.log("interrupt: starting no more runs")
	done++
	ev(runner.Event{Type: runner.Abandoned, Run: progRun(6), Err: errors.New("canceled")})
	p.finish()
	p.log("late message")
	return []string{
		"run 3 (idd) seed=3: bad checksum; moved aside, running it again",
		"run 3 (idd) seed=3: started",
		"run 4 (ide) seed=4: started",
		"run 3 (idd) seed=3: done in 1.5 s (val_acc 0.9, train_loss 0.25)",
		"run 4 (ide) seed=4: diverged at step 7 (recorded) after 0.2 s",
		"run 5 (idf) seed=5: started",
		"FAILED run 5 (idf): boom",
		"run 6 (idg) seed=6: started",
		"interrupt: starting no more runs",
		"run 6 (idg) seed=6: abandoned (nothing stored)",
		"late message",
	}
}

func TestSweepProgressPlainLinesOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	want := driveSweep(newSweepProgress(&buf), nil)
	if strings.ContainsAny(buf.String(), "\r\x1b") {
		t.Errorf("carriage return or escape code in %q", buf.String())
	}
	if got := buf.String(); got != strings.Join(want, "\n")+"\n" {
		t.Errorf("got\n%q\nwant exactly the event lines\n%q", got, want)
	}
}

func TestSweepProgressBarOnTerminal(t *testing.T) {
	pretendTerminal(t)
	var buf bytes.Buffer
	p := newSweepProgress(&buf)
	eta := regexp.MustCompile(`\[\S+:\S+\]`)
	want := driveSweep(p, func(e runner.Event) {
		p.lastDraw = time.Time{} // let the next step event redraw at once
		if p.bar == nil {
			if e.Type != runner.Skipped && e.Type != runner.Redo {
				t.Errorf("no bar after a %v event", e.Type)
			}
			return
		}
		// The bar counts only the 5 runs to do, so that its ETA comes from
		// the pace of runs this process ran.
		if got := p.bar.GetMax(); got != 5 {
			t.Errorf("bar max %d, want the 5 runs to do", got)
		}
		shown := p.bar.String()
		if !strings.Contains(shown, "3 finished before") {
			t.Errorf("bar %q does not say 3 finished before", shown)
		}
		if e.Type == runner.Started && e.Run.Index == 3 {
			if !strings.Contains(shown, "1 running") || !strings.Contains(shown, "(0/5)") || eta.MatchString(shown) {
				t.Errorf("after the first start: %q; want 1 running, 0/5 and no ETA yet", shown)
			}
		}
		if e.Type == runner.Finished && e.Run.Index == 3 {
			if !strings.Contains(shown, "(1/5)") || !eta.MatchString(shown) {
				t.Errorf("after the first finished run: %q; want 1/5 and an ETA", shown)
			}
		}
	})
	out := buf.String()
	wantInOrder(t, shownLines(out), want)
	if !strings.Contains(out, "step 5/10") {
		t.Errorf("the running run's step is never shown:\n%q", out)
	}
	// The interrupted bar's line is ended, and a message after finish is a
	// plain line below it.
	if !regexp.MustCompile(`\(4/5\) \[\S+:\S+\]\nlate message\n$`).MatchString(out) {
		t.Errorf("output does not end with the bar's line and the late message:\n%q", out)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("escape codes in %q", out)
	}
}

func TestProgressBarOnTerminal(t *testing.T) {
	pretendTerminal(t)
	var buf bytes.Buffer
	b := newProgressBar(&buf, "train")
	for i := 1; i <= 10; i++ {
		b.update(i, 10)
	}
	b.finish()
	out := buf.String()
	lines := shownLines(out)
	if len(lines) != 2 || lines[1] != "" || !strings.HasPrefix(lines[0], "train ") || !strings.Contains(lines[0], "(10/10)") {
		t.Errorf("want one full bar line ended once, got %q", out)
	}

	// verify: a line per stage, the stage's bar below it, each bar's line
	// ended before the next stage's line.
	buf.Reset()
	s := newStageProgress(&buf, "c9")
	for _, p := range []claims.Progress{{Stage: "a", Done: 1, Total: 2}, {Stage: "b", Done: 0, Total: 3}, {Stage: "b", Done: 1, Total: 3}} {
		s.report(p)
	}
	s.finish()
	out = buf.String()
	lines = shownLines(out)
	wantInOrder(t, lines, []string{"c9: a (2 units)", "c9: b (3 units)", ""})
	if len(lines) != 5 || !strings.Contains(lines[1], "(1/2)") || !strings.HasPrefix(lines[3], "  b ") || !strings.Contains(lines[3], "/3)") {
		t.Errorf("want stage lines each followed by its bar, got %q", out)
	}
}

func TestProgressBarsQuietOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	b := newProgressBar(&buf, "train")
	for i := 1; i <= 10; i++ {
		b.update(i, 10)
	}
	b.finish()
	s := newStageProgress(&buf, "c9")
	s.report(claims.Progress{Stage: "a", Done: 1, Total: 2})
	s.finish()
	if got := buf.String(); got != "c9: a (2 units)\n" {
		t.Errorf("got %q, want only the stage line", got)
	}
}
