package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
	"github.com/sgdclaims/sgdclaims/reports"
	"github.com/sgdclaims/sgdclaims/runner"
)

// sweepReport is `sgdclaims sweep report --dir DIR [--out FILE.md]`: the
// report regenerated from the stored results alone, nothing rerun.
func sweepReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep report", stderr)
	dir := dirFlag(fs)
	out := fs.String("out", "", "report `FILE` (default DIR/report.md; plots go to plots/ beside it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return reportSweepDir(*dir, *out, stdout, stderr)
}

// reportSweepDir regenerates the markdown report of the sweep in dir from
// its stored results into out (default dir/report.md) and prints the
// table. It is what `sgdclaims report --dir DIR --out FILE.md` runs.
func reportSweepDir(dir, out string, stdout, stderr io.Writer) error {
	s, err := openSweep(dir)
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(dir, "report.md")
	}
	if !strings.HasSuffix(out, ".md") {
		return usagef("--out %q: want a markdown file name ending in .md", out)
	}
	st := s.Status()
	rs, _, err := writeSweepReport(s, st, out, stderr)
	if err != nil {
		return err
	}
	if err := printSweepTable(stdout, st, rs); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", out)
	return nil
}

// claimResults gathers the stored claim results as claims.Results: whole
// claim runs with each verdict re-decided from its evidence by the current
// claim code (as `sgdclaims report` does), and claims planned as units,
// merged from whatever units have results (runner.CollectClaims). Wall
// time and GOMAXPROCS come from the stamps. It returns nil results when
// the sweep holds no judged claim, and the claims that could not be judged
// (too few complete seeds).
func claimResults(st *runner.Status, stderr io.Writer) (*claims.Results, []*runner.ClaimCollection, error) {
	var rs *claims.Results
	add := func(res claims.Result, started string) {
		if rs == nil {
			rs = &claims.Results{Scale: res.Evidence.Spec.Scale, Started: started}
		}
		if started != "" && started < rs.Started {
			rs.Started = started
		}
		rs.Results = append(rs.Results, res)
	}
	for _, r := range st.Runs {
		if r.Run.Kind != "claim" || r.Result == nil {
			continue
		}
		var res claims.Result
		if err := json.Unmarshal(r.Result.Record, &res); err != nil || res.Evidence == nil || res.Verdict == nil {
			return nil, nil, fmt.Errorf("run %d (%s): stored claim record does not decode: %v", r.Run.Index, r.Run.ID, err)
		}
		res.Evidence.Seconds, res.Evidence.GOMAXPROCS = r.Result.Stamp.Seconds, r.Result.Stamp.GOMAXPROCS
		if c, err := claims.Lookup(res.Evidence.Info.ID); err == nil {
			v, err := claims.Decide(c, res.Evidence)
			if err != nil {
				return nil, nil, err
			}
			if v.Outcome != res.Verdict.Outcome {
				fmt.Fprintf(stderr, "%s: stored verdict %s, re-judged %s\n", v.Claim, res.Verdict.Outcome, v.Outcome)
			}
			res.Verdict = v
		}
		add(res, r.Result.Stamp.Started)
	}
	var unjudged []*runner.ClaimCollection
	for _, g := range runner.CollectClaims(st) {
		if g.Result == nil {
			unjudged = append(unjudged, g)
			continue
		}
		add(*g.Result, g.Started)
	}
	return rs, unjudged, nil
}

// writeSweepReport renders the sweep's report to path from stored results:
// for claim runs the claims report (verdicts, checks, tables, plots, drawn
// into plots/ beside path), for train runs the per-seed summary and the
// run table; and in both the sweep's status. It returns the claim results.
func writeSweepReport(s *runner.Sweep, st *runner.Status, path string, stderr io.Writer) (*claims.Results, []*runner.ClaimCollection, error) {
	rs, unjudged, err := claimResults(st, stderr)
	if err != nil {
		return nil, nil, err
	}
	for _, g := range unjudged {
		fmt.Fprintln(stderr, notJudged(g))
	}
	outDir := filepath.Dir(path)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, nil, usagef("--out: %v", err)
	}
	var buf bytes.Buffer
	m := s.Manifest
	if rs != nil {
		opt := reports.Options{Title: "sgdclaims sweep: " + m.Source, Command: "sgdclaims sweep collect --dir " + s.Dir, SummedTime: true}
		if _, err := reports.SavePlots(outDir, rs, opt); err != nil {
			return nil, nil, err
		}
		if err := reports.Markdown(&buf, rs, opt); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(&buf, "\n## Sweep\n\n")
	} else {
		fmt.Fprintf(&buf, "# sgdclaims sweep: %s\n\n", m.Source)
	}
	fmt.Fprintf(&buf, "Planned %s: %d runs in `%s`. Regenerate with `sgdclaims sweep report --dir %s`.\n\n", m.Created, len(m.Runs), s.Dir, s.Dir)
	for _, l := range st.Summary() {
		fmt.Fprintf(&buf, "- %s\n", l)
	}
	for _, g := range unjudged {
		fmt.Fprintf(&buf, "- %s\n", notJudged(g))
	}
	if len(m.Spec) > 0 {
		var spec bytes.Buffer
		if json.Indent(&spec, bytes.TrimSpace(m.Spec), "", "  ") != nil {
			spec.Reset()
			spec.Write(m.Spec)
		}
		fmt.Fprintf(&buf, "\nSpec:\n\n```json\n%s\n```\n", spec.Bytes())
	}
	if h, rows := st.SeedTable(); h != nil {
		fmt.Fprintf(&buf, "\n### Over seeds\n\nMean ± standard deviation over the finished, non-diverged seeds of each grid point.\n\n")
		if err := reports.Table(&buf, h, rows); err != nil {
			return nil, nil, err
		}
	}
	fmt.Fprintf(&buf, "\n### Runs\n\n")
	h, rows := st.RunTable()
	if err := reports.Table(&buf, h, rows); err != nil {
		return nil, nil, err
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, nil, err
	}
	return rs, unjudged, nil
}

// printSweepTable prints the verdict table of claim sweeps, or the seed
// summary (else the run table) of train sweeps.
func printSweepTable(w io.Writer, st *runner.Status, rs *claims.Results) error {
	if rs != nil {
		h, rows := reports.VerdictRows(rs.Results)
		return reports.Table(w, h, rows)
	}
	if h, rows := st.SeedTable(); h != nil {
		return reports.Table(w, h, rows)
	}
	h, rows := st.RunTable()
	return reports.Table(w, h, rows)
}

// notJudged says why a claim of a sweep has no verdict, in one line.
func notJudged(g *runner.ClaimCollection) string {
	return fmt.Sprintf("%s (%s): not judged: %d of %d units have results: %v", g.Claim, g.Scale, g.Have, g.Planned, g.Err)
}

// claimsVerdictError is errClaimFails when a collected claim does not hold
// or could not be judged.
func claimsVerdictError(rs *claims.Results, unjudged []*runner.ClaimCollection) error {
	var failing []string
	for _, g := range unjudged {
		failing = append(failing, g.Claim+" not judged")
	}
	if rs == nil {
		rs = &claims.Results{}
	}
	for _, r := range rs.Results {
		if r.Verdict.Outcome != claims.Holds {
			failing = append(failing, fmt.Sprintf("%s %s", r.Verdict.Claim, r.Verdict.Outcome))
		}
	}
	slices.Sort(failing)
	if len(failing) > 0 {
		return fmt.Errorf("%w: %s", errClaimFails, strings.Join(failing, ", "))
	}
	return nil
}

// writeFileAtomic writes data to path atomically.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data, 0o644)
}
