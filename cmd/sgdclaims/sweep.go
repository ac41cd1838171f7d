package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/internal/provenance"
	"github.com/sgdclaims/sgdclaims/runner"
)

func init() {
	register(command{name: "sweep", summary: "plan, run (sharded, resumable), collect and schedule grids of runs (Slurm, Kubernetes)", run: runSweep})
}

var sweepVerbs = []struct{ name, summary string }{
	{"plan", "write DIR/manifest.json from a claim (--claim) or a spec file (--spec)"},
	{"run", "run the planned runs, or one index or shard of them; resumes"},
	{"collect", "say what is done and missing, print the table, write DIR/report.md"},
	{"report", "re-render the report from stored results alone"},
	{"slurm", "print an sbatch job-array script for the sweep"},
	{"k8s", "print a Kubernetes Indexed Job manifest for the sweep"},
	{"upgrade", "re-identify a sweep planned by an older build (claim runs from before setups), keeping its results"},
}

func sweepUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: sgdclaims sweep <verb> --dir DIR [flags]")
	fmt.Fprintln(w, "verbs:")
	for _, v := range sweepVerbs {
		fmt.Fprintf(w, "  %-8s %s\n", v.name, v.summary)
	}
	fmt.Fprintln(w, "Run 'sgdclaims sweep <verb> -h' for a verb's flags; see runner/doc.go for the spec format.")
}

func runSweep(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		sweepUsage(stderr)
		return usagef("want a verb: plan, run, collect, report, slurm or k8s")
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "-h", "-help", "--help", "help":
		sweepUsage(stderr)
		return errHelp
	case "plan":
		return sweepPlan(rest, stdout, stderr)
	case "run":
		return sweepRun(rest, stdout, stderr)
	case "collect":
		return sweepCollect(rest, stdout, stderr)
	case "report":
		return sweepReport(rest, stdout, stderr)
	case "slurm":
		return sweepSlurm(rest, stdout, stderr)
	case "k8s":
		return sweepK8s(rest, stdout, stderr)
	case "upgrade":
		return sweepUpgrade(rest, stdout, stderr)
	}
	return usagef("unknown verb %q (want plan, run, collect, report, slurm, k8s or upgrade)", verb)
}

func sweepUpgrade(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep upgrade", stderr)
	dir := dirFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usagef("--dir: required")
	}
	n, err := runner.Upgrade(*dir)
	if err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(stdout, "%d runs re-identified in %s\n", n, *dir)
	return nil
}

// dirFlag adds the --dir flag every verb takes.
func dirFlag(fs *flag.FlagSet) *string {
	return fs.String("dir", "", "sweep `DIR` (holds manifest.json and results/)")
}

// openSweep opens --dir, mapping problems to usage errors.
func openSweep(dir string) (*runner.Sweep, error) {
	if dir == "" {
		return nil, usagef("--dir: required")
	}
	s, err := runner.Open(dir)
	if err != nil {
		return nil, usagef("--dir: %v", err)
	}
	return s, nil
}

func sweepPlan(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep plan", stderr)
	dir := dirFlag(fs)
	claimList := fs.String("claim", "", "claim `ids` or names to plan, comma-separated, or all (known: "+claims.Known()+"); one run per unit (seed x grid point) of each setup of each claim")
	scale := fs.String("scale", "full", "claim `scale`: quick or full")
	seeds := fs.Int("seeds", 0, "replicates per claim (0: the claim's default)")
	dataName := fs.String("data", "all", "the setups to plan, by their data: `all` or a comma-separated list of "+strings.Join(data.Names, ", ")+" (synthetic setups always; a setup whose data are absent here is left out, with a note)")
	setupList := fs.String("setups", "", "plan only these setup `IDS` of the claims (comma-separated, e.g. mlp-fashion-mnist; default every setup --data keeps)")
	specFile := fs.String("spec", "", "spec `FILE` (JSON, or YAML when named .yaml or .yml) describing a grid of runs; see runner/doc.go")
	force := fs.Bool("force", false, "replace a different plan already in DIR (results of runs in both plans still count)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := kernels.EnvError(); err != nil {
		return usageError{err}
	}
	if *dir == "" {
		return usagef("--dir: required")
	}
	var (
		runs   []runner.Run
		source string
		raw    []byte
	)
	switch {
	case (*claimList == "") == (*specFile == ""):
		return usagef("give one of --claim IDS or --spec FILE")
	case *specFile != "" && *setupList != "":
		return usagef("--setups: only with --claim (a spec file lists its own runs)")
	case *specFile != "":
		b, err := os.ReadFile(*specFile)
		if err != nil {
			return usagef("--spec: %v", err)
		}
		spec, err := runner.ParseSpecFile(*specFile, b)
		if err != nil {
			return usagef("%s: %v", *specFile, err)
		}
		if runs, err = spec.Expand(); err != nil {
			return usagef("%s: %v", *specFile, err)
		}
		source, raw = "spec "+filepath.Base(*specFile), spec.Raw
	default:
		var (
			err     error
			skipped []string
		)
		runs, skipped, err = runner.ClaimRunsOf(*claimList, *scale, *seeds, *dataName, *setupList)
		for _, s := range skipped {
			fmt.Fprintln(stderr, s)
		}
		if err != nil {
			var fe *runner.FieldError
			if errors.As(err, &fe) {
				return usagef("--%s: %s", fe.Field, fe.Msg)
			}
			return usagef("%v", err)
		}
		source = fmt.Sprintf("claims %s (%s)", *claimList, *scale)
	}
	unchanged, err := runner.WritePlan(*dir, source, raw, runs, *force)
	if err != nil {
		if errors.Is(err, runner.ErrPlanDiffers) {
			return usagef("--dir: %v", err)
		}
		return err
	}
	for _, r := range runs {
		fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\n", r.Index, r.ID, r.Kind, r.Label)
	}
	what := "planned"
	if unchanged {
		what = "already planned (manifest unchanged)"
	}
	fmt.Fprintf(stderr, "%s %d runs in %s\n", what, len(runs), runner.ManifestPath(*dir))
	fmt.Fprintf(stderr, "next: sgdclaims sweep run --dir %s [--shard I/N], or on a cluster: sgdclaims sweep slurm --dir %s > sweep.sbatch && sbatch sweep.sbatch\n", *dir, *dir)
	return nil
}

func sweepRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep run", stderr)
	dir := dirFlag(fs)
	index := fs.Int("index", -1, "run only manifest index `I` (default: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX when set, else every run)")
	shard := fs.String("shard", "", "run shard `I/N`: every N-th run from index I on")
	workers := fs.Int("workers", 1, "runs executed at once (each train run already uses every core in its kernels)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := kernels.EnvError(); err != nil {
		return usageError{err}
	}
	if *workers < 1 {
		return usagef("--workers %d: must be >= 1", *workers)
	}
	s, err := openSweep(*dir)
	if err != nil {
		return err
	}
	n := s.Len()
	var selected []int
	var what string
	switch {
	case *index >= 0 && *shard != "":
		return usagef("give --index or --shard, not both")
	case *index >= 0 || (*index < -1):
		if *index >= n {
			return usagef("--index %d: the plan has %d runs (0-%d)", *index, n, n-1)
		}
		if *index < 0 {
			return usagef("--index %d: must be >= 0", *index)
		}
		selected, what = []int{*index}, fmt.Sprintf("index %d", *index)
	case *shard != "":
		i, k, err := runner.ParseShard(*shard)
		if err != nil {
			return usagef("--shard %v", err)
		}
		selected, what = runner.Shard(n, i, k), fmt.Sprintf("shard %d/%d", i, k)
	default:
		i, from, ok, err := runner.IndexFromEnv()
		if err != nil {
			return usagef("%v", err)
		}
		if ok {
			if i >= n {
				return usagef("%s=%d: the plan has %d runs (0-%d)", from, i, n, n-1)
			}
			selected, what = []int{i}, fmt.Sprintf("index %d (from %s)", i, from)
		} else {
			selected, what = runner.All(n), "all runs"
		}
	}

	if provenance.Current().Revision == "" {
		// Found on 2026-12-04: a binary built with GOFLAGS=-buildvcs=false
		// and run outside the checkout stamped 112 results "commit unknown".
		fmt.Fprintln(stderr, "sweep run: warning: this binary carries no commit (built with -buildvcs=false, or outside a git checkout, and run outside one): "+
			"its results will say \"commit unknown\"; build it with go build -buildvcs=true in the checkout")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drain := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer func() { signal.Stop(sigs); close(sigs) }()
	prog := newSweepProgress(stderr)
	go func() {
		drained := false
		for sig := range sigs {
			if sig == os.Interrupt && !drained {
				drained = true
				close(drain)
				prog.log("interrupt: starting no more runs; the running ones finish and are stored (interrupt again to abandon them)")
				continue
			}
			prog.log(fmt.Sprintf("%v: abandoning the running runs (nothing is stored for them; run again to redo them)", sig))
			cancel()
			return
		}
	}()

	fmt.Fprintf(stderr, "sweep %s: %s of %d runs, workers %d, ISA %s, GOMAXPROCS %d\n", *dir, what, n, *workers, kernels.Active().Name(), runtime.GOMAXPROCS(0))
	sum, err := s.Execute(ctx, selected, runner.Options{Workers: *workers, Drain: drain, Events: prog.event, Task: runner.TaskName()})
	prog.finish()
	fmt.Fprintf(stderr, "sweep %s: %d selected: %d finished before, %d ran (%d diverged), %d failed, %d abandoned, %d not started; %d corrupt results redone\n",
		*dir, sum.Selected, sum.Skipped, sum.Ran, sum.Diverged, sum.Failed, sum.Abandoned, sum.NotStarted, sum.Redone)
	if err != nil {
		if errors.Is(err, runner.ErrInterrupted) {
			return fmt.Errorf("%v; run the same command again to resume", err)
		}
		return err
	}
	return nil
}

func sweepCollect(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep collect", stderr)
	dir := dirFlag(fs)
	out := fs.String("out", "", "report `FILE` (default DIR/report.md; plots go to plots/ beside it)")
	complete := fs.Bool("require-complete", false, "fail (exit 2) when a run has no valid result")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openSweep(*dir)
	if err != nil {
		return err
	}
	st := s.Status()
	for _, l := range st.Summary() {
		fmt.Fprintln(stdout, l)
	}
	path := *out
	if path == "" {
		path = filepath.Join(*dir, "report.md")
	}
	rs, unjudged, err := writeSweepReport(s, st, path, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := printSweepTable(stdout, st, rs); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", path)
	if *complete && !st.Complete() {
		return fmt.Errorf("incomplete: %d of %d runs have no valid result (missing: %s)", len(st.Runs)-st.Count(runner.Done)-st.Count(runner.Diverged), len(st.Runs), runner.FormatRanges(st.Indices(runner.Missing, runner.Corrupt)))
	}
	return claimsVerdictError(rs, unjudged)
}

func sweepSlurm(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep slurm", stderr)
	dir := dirFlag(fs)
	bin := fs.String("bin", "", "absolute `path` of the sgdclaims binary on the compute nodes (default: this executable)")
	tm := fs.String("time", "4:00:00", "time limit per array task (Slurm's --time)")
	mem := fs.String("mem", "4G", "memory per array task (Slurm's --mem)")
	cpus := fs.Int("cpus", 2, "CPUs per array task (--cpus-per-task; GOMAXPROCS follows it)")
	partition := fs.String("partition", "", "Slurm `partition` (default: the cluster's)")
	account := fs.String("account", "", "Slurm `account` to charge")
	maxPar := fs.Int("max-parallel", 0, "at most `P` tasks at once (0: no cap)")
	perTask := fs.Int("per-task", 1, "runs per array task, for grids larger than the cluster's MaxArraySize")
	missing := fs.Bool("missing", false, "submit only the runs that have no valid result yet")
	out := fs.String("out", "", "write the script to `FILE` instead of stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openSweep(*dir)
	if err != nil {
		return err
	}
	absDir, err := filepath.Abs(*dir)
	if err != nil {
		return usagef("--dir: %v", err)
	}
	if *bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return usagef("--bin: required (cannot find this executable: %v)", err)
		}
		*bin = exe
	}
	o := runner.SlurmOptions{Binary: *bin, Dir: absDir, Time: *tm, Mem: *mem, CPUs: *cpus, Partition: *partition,
		Account: *account, MaxParallel: *maxPar, PerTask: *perTask}
	if *missing {
		o.Only = s.Status().Indices(runner.Missing, runner.Corrupt)
		if o.Only == nil {
			o.Only = []int{}
		}
	}
	script, err := s.SlurmScript(o)
	if err != nil {
		return fieldUsage(err)
	}
	if strings.Contains(*bin, "go-build") {
		fmt.Fprintf(stderr, "warning: %s is a temporary `go run` build that will vanish; build one (go build -o ~/bin/sgdclaims ./cmd/sgdclaims) and pass --bin\n", *bin)
	}
	// Slurm does not create the directory of --output; a missing one
	// makes every task fail before it starts.
	if err := os.MkdirAll(filepath.Join(absDir, "logs"), 0o755); err != nil {
		return err
	}
	return emit(stdout, stderr, *out, script)
}

func sweepK8s(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep k8s", stderr)
	dir := dirFlag(fs)
	image := fs.String("image", "", "container `image` holding the sgdclaims binary (required)")
	name := fs.String("name", "", "Job `name` (default sgdclaims-sweep-<plan hash>)")
	bin := fs.String("bin", "sgdclaims", "the sgdclaims executable inside the image")
	pvc := fs.String("pvc", "sgdclaims-sweep", "PersistentVolumeClaim holding the sweep directory")
	mount := fs.String("mount", "/sweep", "where pods mount the claim; the --dir they run with")
	par := fs.Int("parallelism", 0, "pods at once (default min(runs, 8))")
	cpus := fs.String("cpus", "2", "CPU request and limit per pod")
	mem := fs.String("mem", "4Gi", "memory request and limit per pod")
	retries := fs.Int("retries", 2, "retries per index (backoffLimitPerIndex)")
	out := fs.String("out", "", "write the manifest to `FILE` instead of stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openSweep(*dir)
	if err != nil {
		return err
	}
	if *par < 0 {
		return usagef("--parallelism %d: must be >= 1", *par)
	}
	job, err := s.K8sJob(runner.K8sOptions{Image: *image, Name: *name, Binary: *bin, Claim: *pvc, Mount: *mount,
		Parallelism: *par, CPU: *cpus, Mem: *mem, Retries: *retries})
	if err != nil {
		return fieldUsage(err)
	}
	return emit(stdout, stderr, *out, job)
}

// fieldUsage maps a runner.FieldError on an option to a usage error naming
// the flag.
func fieldUsage(err error) error {
	var fe *runner.FieldError
	if errors.As(err, &fe) && fe.Field != "" {
		return usagef("--%s: %s", fe.Field, fe.Msg)
	}
	return usagef("%v", err)
}

// emit writes text to stdout, or atomically to path.
func emit(stdout, stderr io.Writer, path, text string) error {
	if path == "" {
		_, err := io.WriteString(stdout, text)
		return err
	}
	if err := writeFileAtomic(path, []byte(text)); err != nil {
		return usagef("--out: %v", err)
	}
	fmt.Fprintf(stderr, "wrote %s\n", path)
	return nil
}
