package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progressBar draws a one-line bar on a terminal, redrawn at most every
// 100 ms. On anything that is not a terminal it prints nothing, so logs and
// pipes stay clean.
type progressBar struct {
	w     io.Writer
	label string
	on    bool
	start time.Time
	last  time.Time
}

func newProgressBar(w io.Writer, label string) *progressBar {
	on := false
	if f, ok := w.(*os.File); ok {
		on = term.IsTerminal(int(f.Fd()))
	}
	return &progressBar{w: w, label: label, on: on, start: time.Now()}
}

func (p *progressBar) update(done, total int) {
	if !p.on || total <= 0 {
		return
	}
	now := time.Now()
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	frac := float64(done) / float64(total)
	n := int(frac * width)
	eta := ""
	if done > 0 && done < total {
		rem := time.Duration(float64(now.Sub(p.start)) * (1 - frac) / frac)
		eta = " eta " + rem.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %d/%d%s   ", p.label, strings.Repeat("=", n), strings.Repeat(" ", width-n), 100*frac, done, total, eta)
}

// finish ends the bar's line.
func (p *progressBar) finish() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
