package runner

import (
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// RunStatus is what DIR holds for one planned run.
type RunStatus struct {
	Run    Run
	State  State
	Result *Result // Done or Diverged
	Err    error   // Corrupt: why
}

// Status is the state of every planned run, and what else DIR holds.
type Status struct {
	Runs []RunStatus
	// Extra lists result files that belong to no planned run (results of
	// an earlier plan, say): kept, but not reported.
	Extra []string
	// Temps lists temporary files left by writers killed mid-write.
	Temps []string
	// ISAs counts the finished results by kernel implementation: results
	// computed on different ISAs agree only to rounding.
	ISAs map[string]int
}

// Status reads and verifies every result (it changes nothing).
func (s *Sweep) Status() *Status {
	st := &Status{ISAs: map[string]int{}}
	planned := map[string]bool{}
	for _, run := range s.Manifest.Runs {
		planned[run.ID] = true
		r, state, err := s.Load(run)
		st.Runs = append(st.Runs, RunStatus{Run: run, State: state, Result: r, Err: err})
		if r != nil {
			st.ISAs[r.Stamp.ISA]++
		}
	}
	ents, _ := os.ReadDir(ResultsDir(s.Dir))
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && !planned[id] {
			st.Extra = append(st.Extra, e.Name())
		}
	}
	st.Temps = s.strayTemps(false)
	return st
}

// Count returns the number of runs in a state.
func (st *Status) Count(state State) int {
	n := 0
	for _, r := range st.Runs {
		if r.State == state {
			n++
		}
	}
	return n
}

// Indices returns the indices of the runs in the given states.
func (st *Status) Indices(states ...State) []int {
	var idx []int
	for _, r := range st.Runs {
		if slices.Contains(states, r.State) {
			idx = append(idx, r.Run.Index)
		}
	}
	return idx
}

// Complete reports whether every run has a result.
func (st *Status) Complete() bool {
	return st.Count(Done)+st.Count(Diverged) == len(st.Runs)
}

// Summary is a few lines saying what exists and what is missing.
func (st *Status) Summary() []string {
	n := len(st.Runs)
	lines := []string{fmt.Sprintf("%d runs: %d done, %d diverged, %d missing, %d corrupt",
		n, st.Count(Done), st.Count(Diverged), st.Count(Missing), st.Count(Corrupt))}
	if idx := st.Indices(Missing); len(idx) > 0 {
		lines = append(lines, "missing: "+FormatRanges(idx))
	}
	for _, r := range st.Runs {
		if r.State == Corrupt {
			lines = append(lines, fmt.Sprintf("corrupt: run %d (%s): %v; `sweep run` moves it aside and redoes the run", r.Run.Index, r.Run.ID, r.Err))
		}
	}
	if idx := st.Indices(Diverged); len(idx) > 0 {
		lines = append(lines, "diverged: "+FormatRanges(idx))
	}
	if b := st.Budget(); b != "" {
		lines = append(lines, b)
	}
	if len(st.ISAs) > 1 {
		var parts []string
		for _, isa := range sortedKeys(st.ISAs) {
			parts = append(parts, fmt.Sprintf("%s %d", isa, st.ISAs[isa]))
		}
		lines = append(lines, "warning: results come from different kernels ("+strings.Join(parts, ", ")+"); they agree only to rounding")
	}
	if len(st.Extra) > 0 {
		lines = append(lines, fmt.Sprintf("%d result files belong to no planned run (an earlier plan?); ignored", len(st.Extra)))
	}
	if len(st.Temps) > 0 {
		lines = append(lines, fmt.Sprintf("%d temporary files from interrupted writes in results/; `sweep run` removes them once stale", len(st.Temps)))
	}
	return lines
}

// preferredFigures orders the figures of train runs in tables.
var preferredFigures = []string{"train_loss", "train_acc", "val_loss", "val_acc", "lambda_max", "lr_x_lambda_max", "trace", "steps"}

// figureNames lists the figures present in the results, known ones first.
func (st *Status) figureNames() []string {
	seen := map[string]bool{}
	for _, r := range st.Runs {
		if r.Result != nil {
			for k := range r.Result.Figures {
				seen[k] = true
			}
		}
	}
	var names []string
	for _, k := range preferredFigures {
		if seen[k] {
			names = append(names, k)
			delete(seen, k)
		}
	}
	return append(names, sortedKeys(seen)...)
}

// RunTable returns one row per planned run: index, label, id, state,
// figures and wall time. Claim runs' figures are many and are left out
// (their report has them).
func (st *Status) RunTable() (header []string, rows [][]string) {
	figs := st.figureNames()
	if st.hasKind("claim") || st.hasKind("claim-unit") {
		figs = nil
	}
	header = append([]string{"#", "run", "id", "state"}, figs...)
	header = append(header, "seconds")
	cpu := false // the CPU-seconds column only when some run recorded them
	for _, r := range st.Runs {
		cpu = cpu || (r.Result != nil && r.Result.Stamp.CPUSeconds > 0)
	}
	if cpu {
		header = append(header, "cpu seconds")
	}
	for _, r := range st.Runs {
		row := []string{fmt.Sprint(r.Run.Index), r.Run.Label, r.Run.ID, r.State.String()}
		if r.State == Diverged {
			row[3] = fmt.Sprintf("diverged at step %d", r.Result.DivergedStep)
		}
		for _, f := range figs {
			cell := ""
			if r.Result != nil {
				if v, ok := r.Result.Figures[f]; ok {
					cell = formatFigure(float64(v))
				}
			}
			row = append(row, cell)
		}
		secs, cpus := "", ""
		if r.Result != nil {
			secs = fmt.Sprintf("%.1f", r.Result.Stamp.Seconds)
			if c := r.Result.Stamp.CPUSeconds; c > 0 {
				cpus = fmt.Sprintf("%.1f", c)
			}
		}
		row = append(row, secs)
		if cpu {
			row = append(row, cpus)
		}
		rows = append(rows, row)
	}
	return header, rows
}

// gridPoint is a run's label without its seed= token, and whether it had
// one: the runs of a grid point differ only in their seed.
func gridPoint(label string) (key string, seeded bool) {
	var keep []string
	for _, tok := range strings.Fields(label) {
		if strings.HasPrefix(tok, "seed=") {
			seeded = true
			continue
		}
		keep = append(keep, tok)
	}
	return strings.Join(keep, " "), seeded
}

// Budget says what the missing runs will cost, from the CPU seconds of the
// finished runs that recorded them (runs alone in their process): the
// missing runs of a grid point measured at another seed are priced at that
// point's mean; the others are counted, not priced, since grid points
// differ in cost (a batch of 8 against one of 1024). It returns "" when no
// run recorded its CPU time.
func (st *Status) Budget() string {
	type point struct {
		cpu     float64
		n       int
		missing int
	}
	points := map[string]*point{}
	measured, total := 0, 0.0
	for _, r := range st.Runs {
		key, _ := gridPoint(r.Run.Label)
		p := points[key]
		if p == nil {
			p = &point{}
			points[key] = p
		}
		switch {
		case r.State == Missing || r.State == Corrupt:
			p.missing++
		case r.Result != nil && r.Result.Stamp.CPUSeconds > 0:
			p.cpu += r.Result.Stamp.CPUSeconds
			p.n++
			measured++
			total += r.Result.Stamp.CPUSeconds
		}
	}
	if measured == 0 {
		return ""
	}
	priced, unpriced, need := 0, 0, 0.0
	for _, p := range points {
		if p.n > 0 {
			priced += p.missing
			need += float64(p.missing) * p.cpu / float64(p.n)
		} else {
			unpriced += p.missing
		}
	}
	line := fmt.Sprintf("budget: %d runs measured alone took %.0f CPU-s (%.0f per run)", measured, total, total/float64(measured))
	if priced > 0 {
		line += fmt.Sprintf("; the %d missing runs at measured grid points need about %.2f CPU-h", priced, need/3600)
	}
	if unpriced > 0 {
		line += fmt.Sprintf("; %d missing runs at grid points not measured yet", unpriced)
	}
	return line
}

// SeedTable aggregates over seeds: one row per grid point without its
// seed, with each figure's mean and standard deviation over the finished,
// non-diverged runs. It returns nil when no run's label names a seed.
func (st *Status) SeedTable() (header []string, rows [][]string) {
	type group struct {
		label                   string
		planned, done, diverged int
		values                  map[string][]float64
	}
	var order []string
	groups := map[string]*group{}
	anySeed := false
	for _, r := range st.Runs {
		key, seeded := gridPoint(r.Run.Label)
		anySeed = anySeed || seeded
		g := groups[key]
		if g == nil {
			g = &group{label: key, values: map[string][]float64{}}
			groups[key] = g
			order = append(order, key)
		}
		g.planned++
		switch r.State {
		case Done:
			g.done++
			for k, v := range r.Result.Figures {
				g.values[k] = append(g.values[k], float64(v))
			}
		case Diverged:
			g.diverged++
		}
	}
	if !anySeed || st.hasKind("claim") || st.hasKind("claim-unit") {
		return nil, nil
	}
	figs := st.figureNames()
	header = append([]string{"grid point", "seeds done", "diverged"}, figs...)
	for _, key := range order {
		g := groups[key]
		label := g.label
		if label == "" {
			label = "(all)"
		}
		row := []string{label, fmt.Sprintf("%d/%d", g.done, g.planned), fmt.Sprint(g.diverged)}
		for _, f := range figs {
			row = append(row, meanSD(g.values[f]))
		}
		rows = append(rows, row)
	}
	return header, rows
}

func (st *Status) hasKind(kind string) bool {
	for _, r := range st.Runs {
		if r.Run.Kind == kind {
			return true
		}
	}
	return false
}

func meanSD(xs []float64) string {
	var ok []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			ok = append(ok, x)
		}
	}
	switch len(ok) {
	case 0:
		return ""
	case 1:
		return formatFigure(ok[0])
	}
	m := stats.Mean(ok)
	var ss float64
	for _, x := range ok {
		ss += (x - m) * (x - m)
	}
	return fmt.Sprintf("%s ± %s", formatFigure(m), formatFigure(math.Sqrt(ss/float64(len(ok)-1))))
}

func formatFigure(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1e7:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
