package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/reports"
)

func init() {
	register(command{name: "report", summary: "re-render a report (markdown and plots) from stored results: verify's results.json or a sweep directory", run: runReport})
}

// runReport rebuilds DIR/report.md and DIR/plots from stored results,
// without rerunning anything: after a change to the report's layout or
// plots, or on a machine without the time to rerun the claims. Verdicts are
// re-judged from the stored evidence by the current claim code when the
// claim is known, so a changed decision rule shows up too.
func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", stderr)
	in := fs.String("results", filepath.Join(defaultVerifyOut, "results.json"), "results `FILE` written by verify")
	sweepDir := fs.String("dir", "", "a sweep `DIR` (from sweep plan/run): report its stored results instead; --out is then a FILE.md (default DIR/report.md)")
	out := fs.String("out", "", "output `DIR` (default: the folder holding the results file)")
	rejudge := fs.Bool("rejudge", true, "re-decide each verdict from the stored evidence with the current claim code")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *sweepDir != "" {
		return reportSweepDir(*sweepDir, *out, stdout, stderr)
	}
	rs, err := claims.LoadResults(*in)
	if err != nil {
		return usagef("--results: %v", err)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(*in)
	}
	if *rejudge {
		for i, r := range rs.Results {
			c, err := claims.Lookup(r.Evidence.Info.ID)
			if err != nil {
				fmt.Fprintf(stderr, "%s: not a known claim, verdict kept as stored\n", r.Evidence.Info.ID)
				continue
			}
			v, err := claims.Decide(c, r.Evidence)
			if err != nil {
				return err
			}
			if v.Outcome != r.Verdict.Outcome {
				fmt.Fprintf(stderr, "%s: stored verdict %s, re-judged %s\n", v.Claim, r.Verdict.Outcome, v.Outcome)
			}
			rs.Results[i].Verdict = v
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usagef("--out: %v", err)
	}
	if err := reports.Write(dir, rs, reports.Options{Command: "go run ./cmd/sgdclaims report --results " + *in}); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", filepath.Join(dir, "report.md"))
	h, rows := reports.VerdictRows(rs.Results)
	return reports.Table(stdout, h, rows)
}
