package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/reports"
)

func init() {
	register(command{name: "verify", summary: "run the thesis claims, print the verdicts and write a report with plots", run: runVerify})
}

// defaultVerifyOut is where verify writes unless told otherwise: a folder
// under reports/ that reports/.gitignore keeps out of version control, so a
// local run never shows up as a change. The committed quick-scale report is
// written with --out reports/quick.
const defaultVerifyOut = "reports/latest"

func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", stderr)
	list := fs.String("claims", "all", "comma-separated claim `ids` or names to run (known: "+claims.Known()+")")
	scaleName := fs.String("scale", "quick", "`quick` (minutes on two cores) or full (the paper's regime as far as the data allow)")
	dataName := fs.String("data", "all", "the setups to judge, by their data: `all`, or a comma-separated list of "+strings.Join(data.Names, ", ")+", synthetic"+
		" (synthetic setups always run; a setup whose data are absent is reported \"not run\"; $SGDCLAIMS_DATA says where named data are read from)")
	seeds := fs.Int("seeds", 0, "replicates per claim (0 = each claim's default, 3 at quick scale; at least 2 for an interval)")
	out := fs.String("out", defaultVerifyOut, "output `DIR` for report.md, results.json and plots/")
	asJSON := fs.Bool("json", false, "print the results (evidence and verdicts) as JSON on stdout instead of the summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := kernels.EnvError(); err != nil {
		return usageError{err}
	}
	scale, err := claims.ParseScale(*scaleName)
	if err != nil {
		return usagef("--scale: %v", err)
	}
	selected, err := claims.Select(*list)
	if err != nil {
		return usagef("--claims: %v", err)
	}
	if scale == claims.Quick {
		limitQuickMemory()
	}
	if *seeds < 0 || *seeds == 1 {
		return usagef("--seeds %d: need 0 (the default) or at least 2, since an interval needs two replicates", *seeds)
	}
	if *out == "" {
		return usagef("--out: must name a directory")
	}
	filter, err := claims.ParseSetupFilter(*dataName)
	if err != nil {
		return usagef("--data: %v", err)
	}
	// Every selected claim must have a setup the filter keeps: a claim with
	// none is a usage error, found before anything runs.
	for _, c := range selected {
		keep := false
		for _, sp := range claims.Specs(c, scale) {
			keep = keep || filter.Keeps(sp)
		}
		if !keep {
			return usagef("--data %s: claim %s has no setup on it at %s scale (setups: %s)", *dataName, c.Info().ID, scale, strings.Join(claims.SetupIDs(c, scale), ", "))
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rs := &claims.Results{Scale: scale, Started: time.Now().UTC().Format(time.RFC3339), Provenance: claims.CurrentProvenance()}
	for _, c := range selected {
		id := c.Info().ID
		var prog *stageProgress
		env := &claims.Env{Seeds: *seeds}
		results, err := claims.RunSetups(ctx, c, scale, env, filter, func(sp claims.Spec) {
			if prog != nil {
				prog.finish()
			}
			fmt.Fprintf(stderr, "%s: %s, setup %s (%s scale)\n", id, c.Info().Name, sp.SetupID, scale)
			prog = newStageProgress(stderr, id+" "+sp.SetupID)
			env.Progress = prog.report
		})
		if prog != nil {
			prog.finish()
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted during %s; nothing written", id)
			}
			return err
		}
		for _, res := range results {
			fmt.Fprintf(stderr, "%s %s: %s in %.1f s\n", id, res.Evidence.Spec.SetupID, res.Verdict.Outcome, res.Evidence.Seconds)
		}
		rs.Results = append(rs.Results, results...)
	}
	if rs.Claims, err = claims.CombineAll(rs.Results); err != nil {
		return err
	}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		return usagef("--out: %v", err)
	}
	if err := claims.SaveResults(filepath.Join(*out, "results.json"), rs); err != nil {
		return err
	}
	cmdLine := "go run ./cmd/sgdclaims verify " + strings.Join(args, " ")
	if err := reports.Write(*out, rs, reports.Options{Command: strings.TrimSpace(cmdLine)}); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s and %s\n", filepath.Join(*out, "report.md"), filepath.Join(*out, "results.json"))

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rs); err != nil {
			return err
		}
	} else {
		for _, line := range reports.SummaryLines(rs, summaryWidth) {
			fmt.Fprintln(stdout, line)
		}
		fmt.Fprintf(stdout, "every check, threshold and reason: %s\n", filepath.Join(*out, "report.md"))
	}
	var failing []string
	for _, cv := range rs.Claims {
		if cv.Outcome != claims.Holds && cv.Outcome != claims.NotRun {
			failing = append(failing, fmt.Sprintf("%s %s", cv.Claim, cv.Outcome))
		}
	}
	if len(failing) > 0 {
		return fmt.Errorf("%w: %s", errClaimFails, strings.Join(failing, ", "))
	}
	return nil
}

// summaryWidth is the most columns a line of verify's terminal summary
// takes.
const summaryWidth = 100

// stageProgress shows a claim's progress on stderr: a line when a stage
// starts, and on a terminal a bar within the stage.
type stageProgress struct {
	w     io.Writer
	id    string
	stage string
	bar   *progressBar
}

func newStageProgress(w io.Writer, id string) *stageProgress { return &stageProgress{w: w, id: id} }

func (s *stageProgress) report(p claims.Progress) {
	if p.Stage != s.stage {
		s.finish()
		s.stage = p.Stage
		fmt.Fprintf(s.w, "%s: %s (%d units)\n", s.id, p.Stage, p.Total)
		s.bar = newProgressBar(s.w, "  "+p.Stage)
	}
	s.bar.update(p.Done, p.Total)
}

func (s *stageProgress) finish() {
	if s.bar != nil {
		s.bar.finish()
		s.bar = nil
	}
}

// quickMemoryLimit is the soft heap limit of a quick-scale verify (unless
// GOMEMLIMIT is set). Its live heap is the two datasets (440 MB as
// float32) plus two units' workspaces, at most about 970 MiB (C9's
// resnet20 units), while the collector's default pacing lets the heap
// grow to twice the live heap: 3.1 GB of RSS before. Under the limit the
// whole quick verify peaked at 0.93 GiB RSS with 2% of its CPU time in the
// collector (the heap is float slices, which the collector does not scan).
// Results do not depend on it. Full-scale runs keep the default pacing:
// their live heaps can exceed any fixed limit, and a collector held at a
// limit below the live heap runs back to back.
const quickMemoryLimit = 800 << 20

func limitQuickMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(quickMemoryLimit)
	}
}
