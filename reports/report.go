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
	rendered, err := SavePlots(dir, rs, opt)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := markdown(&buf, rs, opt, rendered); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "report.md"), buf.Bytes(), 0o644)
}

// SavePlots draws every plot of rs into dir/<PlotDir> under the file stem
// the report links (the plot's name and its setup) and returns them by stem.
func SavePlots(dir string, rs *claims.Results, opt Options) (map[string]*Rendered, error) {
	rendered := map[string]*Rendered{}
	for _, r := range rs.Results {
		for _, p := range r.Evidence.Plots {
			p.Name = plotStem(r, p)
			rd, err := SavePlot(filepath.Join(dir, opt.plotDir()), p)
			if err != nil {
				return nil, err
			}
			rendered[p.Name] = rd
		}
	}
	return rendered, nil
}

// Markdown writes the report text to w, linking plots at
// <PlotDir>/<name>.png without drawing them.
func Markdown(w io.Writer, rs *claims.Results, opt Options) error {
	return markdown(w, rs, opt, nil)
}

// plotStem is the file stem of a plot in a report: its name and the
// setup, so that the plots of one claim's setups do not overwrite each
// other.
func plotStem(r claims.Result, p claims.Plot) string {
	if s := r.Evidence.Spec.SetupID; s != "" {
		return p.Name + "_" + s
	}
	return p.Name
}

// VerdictRows returns one row per check: claim, setup, check, statistic,
// value with interval, threshold, outcome, and a row for each setup's
// overall verdict. The report's wide table; verify prints SummaryLines.
func VerdictRows(rs []claims.Result) (header []string, rows [][]string) {
	header = []string{"claim", "setup", "check", "statistic", "value [95% CI]", "threshold", "verdict"}
	for _, r := range rs {
		in := r.Evidence.Info
		setup := r.Evidence.Spec.SetupID
		for _, ck := range r.Verdict.Checks {
			o := string(ck.Outcome)
			if ck.Information {
				o += " (information)"
			}
			rows = append(rows, []string{in.ID, setup, ck.Name, ck.Statistic, ck.Value.String(), ck.Threshold, o})
		}
		overall := "**" + string(r.Verdict.Outcome) + "**"
		if c := r.Evidence.Coverage; c != nil {
			overall += fmt.Sprintf(" (partial: %d of %d seeds)", len(c.Used), c.Planned)
		}
		what := "all judged checks"
		if r.Verdict.Outcome == claims.NotRun {
			what = r.Verdict.Summary
		}
		rows = append(rows, []string{in.ID, setup, "setup overall", what, "", "all hold", overall})
	}
	return header, rows
}

// ClaimRows returns one row per claim and setup, and each claim's overall
// verdict across its setups (claims.SetupRule): claim, name, setup, data,
// verdict, the deciding check.
func ClaimRows(rs *claims.Results) (header []string, rows [][]string) {
	header = []string{"claim", "name", "setup", "data", "verdict", "deciding check"}
	cvs := rs.Claims
	if len(cvs) == 0 {
		cvs, _ = claims.CombineAll(rs.Results)
	}
	names := map[string]string{}
	for _, r := range rs.Results {
		names[r.Evidence.Info.ID] = r.Evidence.Info.Name
	}
	for _, cv := range cvs {
		for _, so := range cv.Setups {
			rows = append(rows, []string{cv.Claim, names[cv.Claim], so.Setup, so.Data, string(so.Outcome), so.Deciding})
		}
		rows = append(rows, []string{cv.Claim, names[cv.Claim], "all setups", "", "**" + string(cv.Outcome) + "**", cv.Summary})
	}
	return header, rows
}

// SummaryLines is verify's terminal summary: one line per claim and setup
// and one per claim overall, each at most width columns (the deciding
// check's name is cut to fit).
func SummaryLines(rs *claims.Results, width int) []string {
	cvs := rs.Claims
	if len(cvs) == 0 {
		cvs, _ = claims.CombineAll(rs.Results)
	}
	short := map[string]string{}
	values := map[[3]string]string{} // claim, setup, check -> value
	for _, r := range rs.Results {
		short[r.Evidence.Info.ID] = r.Evidence.Info.Short
		for _, ck := range r.Verdict.Checks {
			values[[3]string{r.Evidence.Info.ID, r.Evidence.Spec.SetupID, ck.Name}] = ck.Value.String()
		}
	}
	fit := func(s string) string {
		if len(s) <= width {
			return s
		}
		return s[:width-3] + "..."
	}
	// Column widths from the content, so that long claim names and setup
	// IDs keep the columns aligned.
	wShort, wSetup := 0, len("=> overall")
	for _, cv := range cvs {
		wShort = max(wShort, len(short[cv.Claim]))
		for _, so := range cv.Setups {
			wSetup = max(wSetup, len(so.Setup))
		}
	}
	var out []string
	for _, cv := range cvs {
		head := fmt.Sprintf("%-3s %-*s", cv.Claim, wShort, short[cv.Claim])
		for _, so := range cv.Setups {
			line := fmt.Sprintf("%s %-*s %-13s", head, wSetup, so.Setup, so.Outcome)
			if so.Deciding != "" {
				// The check's label ("b" of "b: same ratio, ...") and its
				// value: the full name is in the report.
				label, _, _ := strings.Cut(so.Deciding, ":")
				line += " failing " + label
				if v := values[[3]string{cv.Claim, so.Setup, so.Deciding}]; v != "" && v != "n/a" {
					line += " = " + v
				}
			}
			out = append(out, fit(strings.TrimRight(line, " ")))
		}
		if len(cv.Setups) > 1 {
			out = append(out, fit(fmt.Sprintf("%s %-*s %s", head, wSetup, "=> overall", cv.Outcome)))
		}
	}
	return out
}

func markdown(w io.Writer, rs *claims.Results, opt Options, rendered map[string]*Rendered) error {
	title := opt.Title
	if title == "" {
		title = "sgdclaims: verification report"
	}
	p := &printer{w: w}
	p.f("# %s\n\n", title)
	if len(rs.Results) > 0 {
		prov := rs.Provenance.String()
		if rs.Provenance.Revision == "" {
			prov = shared(rs, "several builds (each setup's verdict names its own)", func(ev *claims.Evidence) string { return ev.Provenance.String() })
		}
		isa := shared(rs, "per setup", func(ev *claims.Evidence) string { return ev.ISA })
		procs := shared(rs, "per setup", func(ev *claims.Evidence) string {
			if ev.GOMAXPROCS == 0 { // a merge of units that ran with different parallelism
				return "mixed"
			}
			return fmt.Sprint(ev.GOMAXPROCS)
		})
		goVersion := shared(rs, "Go per setup", func(ev *claims.Evidence) string { return ev.GoVersion })
		p.f("Scale **%s**, started %s; commit **%s**; kernels **%s**, GOMAXPROCS %s, %s.", rs.Scale, rs.Started, prov, isa, procs, goVersion)
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
	p.f("On one setup (model x dataset x grid), a claim **holds** when every judged check's 95%% interval lies inside its threshold, **does not hold** when one lies entirely outside, and is **inconclusive** otherwise; checks marked *information* are reported, not judged. Across setups: %s\n\n", claims.SetupRule)
	p.f("Every check, with its threshold and reason, is pre-registered: the registration stamp (claim, version, hash) next to each verdict names the entry in `registrations/<claim>.json`, committed before the results it decides.\n\n")
	p.f("## Verdicts\n\n")
	h, rows := ClaimRows(rs)
	p.table(h, rows)
	p.f("\n### Every check\n\n")
	h, rows = VerdictRows(rs.Results)
	p.table(h, rows)
	for _, r := range rs.Results {
		claimSection(p, r, opt, rendered)
	}
	return p.err
}

func claimSection(p *printer, r claims.Result, opt Options, rendered map[string]*Rendered) {
	ev, v := r.Evidence, r.Verdict
	in := ev.Info
	p.f("\n## %s: %s (setup %s)\n\n", strings.ToUpper(in.ID), in.Name, ev.Spec.SetupID)
	p.f("**Paper:** %s.  \n**Claim:** %s  \n**Verdict on %s: %s.** %s\n\n", in.Paper, in.Statement, ev.Spec.SetupID, v.Outcome, v.Summary)
	if v.Registration != "" {
		p.f("Decided by registration **%s**; run from commit %s.\n\n", v.Registration, ev.Provenance)
	}
	if v.Outcome == claims.NotRun {
		return
	}

	p.f("### Checks\n\n")
	var rows [][]string
	for _, ck := range v.Checks {
		o := string(ck.Outcome)
		if ck.Information {
			o += " (information)"
		}
		rows = append(rows, []string{ck.Name, ck.Statistic, ck.Value.String(), ck.Value.Method, ck.Threshold, ck.Reason, o, ck.Detail})
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
			pl.Name = plotStem(r, pl)
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
	if len(ev.ChangeLog) > 0 {
		p.f("\n### Change log\n\n")
		var rows [][]string
		for _, c := range ev.ChangeLog {
			rows = append(rows, []string{c.Date, fmt.Sprintf("v%d", c.Version), c.What, c.Seen})
		}
		p.table([]string{"date", "registration", "what changed", "results seen before the change"}, rows)
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

// shared is what every result's evidence gives for field, or differ when
// they do not all agree: a sweep merged from units of several builds, ISAs
// or GOMAXPROCS settings must not be headed by its first setup's.
func shared(rs *claims.Results, differ string, field func(*claims.Evidence) string) string {
	v := field(rs.Results[0].Evidence)
	for i := range rs.Results[1:] {
		if field(rs.Results[i+1].Evidence) != v {
			return differ
		}
	}
	return v
}
