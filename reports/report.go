package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
	"github.com/sgdclaims/sgdclaims/reference"
)

// Options adjusts a report.
type Options struct {
	// Title heads the report; default "sgdclaims: verification report".
	Title string
	// Command is the command line that produced the results, shown so a
	// reader can rerun it.
	Command string
	// PlotDir is the folder, relative to the report, holding the plots;
	// default "plots".
	PlotDir string
	// SummedTime says the results' seconds are sums over separately run
	// pieces (a sweep's units), not one wall time.
	SummedTime bool
}

func (o Options) plotDir() string {
	if o.PlotDir == "" {
		return "plots"
	}
	return o.PlotDir
}

// Write renders rs into dir: dir/report.md and the plots as
// dir/<PlotDir>/<name>.png and .svg. Every file is written atomically; the
// report is written last, so it never links a plot that failed.
func Write(dir string, rs *claims.Results, opt Options) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rendered := map[string]*Rendered{}
	for _, r := range rs.Results {
		for _, p := range r.Evidence.Plots {
			rd, err := SavePlot(filepath.Join(dir, opt.plotDir()), p)
			if err != nil {
				return err
			}
			rendered[p.Name] = rd
		}
	}
	var buf bytes.Buffer
	if err := markdown(&buf, rs, opt, rendered); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "report.md"), buf.Bytes(), 0o644)
}

// Markdown writes the report text to w, linking plots at
// <PlotDir>/<name>.png without drawing them.
func Markdown(w io.Writer, rs *claims.Results, opt Options) error {
	return markdown(w, rs, opt, nil)
}

// VerdictRows returns one row per check: claim, paper, check, statistic,
// value with interval, threshold, outcome. Verify prints the same rows.
func VerdictRows(rs []claims.Result) (header []string, rows [][]string) {
	header = []string{"claim", "paper", "check", "statistic", "value [95% CI]", "threshold", "verdict"}
	for _, r := range rs {
		in := r.Evidence.Info
		for _, ck := range r.Verdict.Checks {
			rows = append(rows, []string{in.ID, in.Paper, ck.Name, ck.Statistic, ck.Value.String(), ck.Threshold, string(ck.Outcome)})
		}
		overall := "**" + string(r.Verdict.Outcome) + "**"
		if c := r.Evidence.Coverage; c != nil {
			overall += fmt.Sprintf(" (partial: %d of %d seeds)", len(c.Used), c.Planned)
		}
		rows = append(rows, []string{in.ID, in.Paper, "claim overall", "all checks", "", "all hold", overall})
	}
	return header, rows
}

func markdown(w io.Writer, rs *claims.Results, opt Options, rendered map[string]*Rendered) error {
	title := opt.Title
	if title == "" {
		title = "sgdclaims: verification report"
	}
	p := &printer{w: w}
	p.f("# %s\n\n", title)
	if len(rs.Results) > 0 {
		ev := rs.Results[0].Evidence
		p.f("Scale **%s**, started %s; kernels **%s**, GOMAXPROCS %d, %s.", rs.Scale, rs.Started, ev.ISA, ev.GOMAXPROCS, ev.GoVersion)
		var total float64
		for _, r := range rs.Results {
			total += r.Evidence.Seconds
		}
		if opt.SummedTime {
			p.f(" Run time %.0f s, summed over the sweep's runs.\n\n", total)
		} else {
			p.f(" Wall time %.0f s.\n\n", total)
		}
	}
	if opt.Command != "" {
		p.f("Reproduce with `%s`.\n\n", opt.Command)
	}
	p.f("A claim **holds** when every check's 95%% interval lies inside its threshold, **does not hold** when one lies entirely outside, and is **inconclusive** otherwise. Thresholds were fixed before the results were seen; each is stated with its reason below.\n\n")
	p.f("## Verdicts\n\n")
	h, rows := VerdictRows(rs.Results)
	p.table(h, rows)
	for _, r := range rs.Results {
		claimSection(p, r, opt, rendered)
	}
	return p.err
}

func claimSection(p *printer, r claims.Result, opt Options, rendered map[string]*Rendered) {
	ev, v := r.Evidence, r.Verdict
	in := ev.Info
	p.f("\n## %s: %s\n\n", strings.ToUpper(in.ID), in.Name)
	p.f("**Paper:** %s.  \n**Claim:** %s  \n**Verdict: %s.** %s\n\n", in.Paper, in.Statement, v.Outcome, v.Summary)

	p.f("### Checks\n\n")
	var rows [][]string
	for _, ck := range v.Checks {
		rows = append(rows, []string{ck.Name, ck.Statistic, ck.Value.String(), ck.Value.Method, ck.Threshold, ck.Reason, string(ck.Outcome), ck.Detail})
	}
	p.table([]string{"check", "statistic", "value [95% CI]", "interval", "threshold", "why this threshold", "outcome", "detail"}, rows)

	p.f("\n### Setup\n\n")
	for _, s := range ev.Spec.Setup {
		p.f("- %s\n", s)
	}
	p.f("- seeds %v; data: %s\n", ev.Seeds, ev.Data)
	timeWord := "wall time"
	if opt.SummedTime {
		timeWord = "run time summed over the sweep's runs"
	}
	p.f("- kernels %s, GOMAXPROCS %d, %s; %s %.1f s (budget: %s)\n", ev.ISA, ev.GOMAXPROCS, ev.GoVersion, timeWord, ev.Seconds, ev.Spec.Budget)

	if refs := reference.ForClaim(in.ID); len(refs) > 0 {
		p.f("\n### What the papers report\n\n")
		var rr [][]string
		for _, e := range refs {
			rr = append(rr, []string{string(e.Kind), e.Paper, e.Item, e.Value, e.Source.String()})
		}
		p.table([]string{"kind", "paper", "item", "reported", "source"}, rr)
	}

	if len(ev.Tables) > 0 {
		p.f("\n### Measurements\n")
		for _, t := range ev.Tables {
			p.f("\n**%s.**", t.Title)
			if t.Caption != "" {
				p.f(" %s", t.Caption)
			}
			p.f("\n\n")
			p.table(t.Header, t.Rows)
		}
	}
	if len(ev.Plots) > 0 {
		p.f("\n### Plots\n")
		for _, pl := range ev.Plots {
			caption := pl.Caption
			if rd := rendered[pl.Name]; rd != nil {
				if rd.Dropped > 0 {
					caption += fmt.Sprintf(" (%d points not drawn: NaN, or not positive on a log axis.)", rd.Dropped)
				}
				if rd.Clipped > 0 {
					caption += fmt.Sprintf(" (%d error bars cut at the bottom of the log axis.)", rd.Clipped)
				}
			}
			dir := opt.plotDir()
			p.f("\n![%s](%s/%s.png)\n\n*%s* ([SVG](%s/%s.svg))\n", pl.Title, dir, pl.Name, caption, dir, pl.Name)
		}
	}
	if len(ev.Notes) > 0 {
		p.f("\n### Notes\n\n")
		for _, n := range ev.Notes {
			p.f("- %s\n", n)
		}
	}
}

// printer remembers the first write error so the report code reads
// straight.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) table(h []string, rows [][]string) {
	if p.err == nil {
		p.err = Table(p.w, h, rows)
	}
}
