package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/runner"
)

// sweepClaim is a claim that runs in microseconds (ids sw0, which holds,
// and sw1, which does not), registered only in this test binary.
type sweepClaim struct {
	id     string
	center float64
}

func init() {
	claims.Register(sweepClaim{"sw0", 1})
	claims.Register(sweepClaim{"sw1", 3})
}

func (c sweepClaim) Info() claims.Info {
	return claims.Info{ID: c.id, Name: "sweep test claim " + c.id, Paper: "none", Statement: "x is near 1."}
}

func (c sweepClaim) Spec(s claims.Scale) claims.Spec {
	return claims.Spec{Scale: s, Seeds: 3, Data: "synthetic", Setup: []string{"nothing is trained"}}
}

func (c sweepClaim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	xs := make([]float64, spec.Seeds)
	for i := range xs {
		xs[i] = c.center + 0.01*float64(i)
	}
	ev := &claims.Evidence{
		Figures: map[string]float64{"x": c.center},
		Plots: []claims.Plot{{Name: c.id + "_x", Title: "x per seed", XLabel: "seed (index)", YLabel: "x (dimensionless)", Caption: "The values.",
			Series: []claims.Series{{Label: "x", Kind: claims.Points, X: []float64{1, 2, 3}, Y: xs[:3]}}}},
	}
	return ev, ev.SetMeasurements(xs)
}

func (c sweepClaim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var xs []float64
	if err := ev.GetMeasurements(&xs); err != nil {
		return nil, err
	}
	m, err := stats.MeanT(xs, 0.95)
	if err != nil {
		return nil, err
	}
	ck := claims.Check{Name: "x", Statistic: "mean of x", Value: m, Threshold: "95% CI inside [0.5, 1.5]", Reason: "test", Outcome: claims.Within(m, 0.5, 1.5)}
	return &claims.Verdict{Outcome: ck.Outcome, Checks: []claims.Check{ck}, Summary: "test"}, nil
}

// tinySpec is three one-epoch runs of a small MLP on 1000 MNIST examples.
const tinySpec = `{"kind": "train",
 "base": {"model": "mlp:784-16-10", "epochs": 1, "batch": 50, "lr": 0.1, "train_examples": 1000, "lambda_max_examples": 100},
 "grid": {"seed": [1, 2, 3]}}`

func writeSpec(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustPlan(t *testing.T, spec string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sweep")
	if code, _, stderr := runCmd("sweep", "plan", "--spec", writeSpec(t, spec), "--dir", dir); code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	return dir
}

func results(t *testing.T, dir string) [][]byte {
	t.Helper()
	s, err := runner.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, r := range s.Status().Runs {
		if !r.State.Finished() {
			t.Fatalf("%s: run %d %v %v", dir, r.Run.Index, r.State, r.Err)
		}
		out = append(out, r.Result.Deterministic())
	}
	return out
}

func TestSweepBadSpecExits2WithOneLine(t *testing.T) {
	cases := []struct{ spec, want string }{
		{`{"kind":"train","base":{"model":"mlp:784-16-10","epochs":1,"batch":8,"lr":0.1},"grid":{"seed":[1]},"gird":{}}`, `gird: unknown field`},
		{`{"kind":"train","base":{"model":"mlp:784-16-10","epochs":"one","batch":8,"lr":0.1},"grid":{"seed":[1]}}`, `base.epochs: want an integer, got string`},
		{`{"kind":"train","base":{"model":"mlp:784-16-10","epochs":1,"batch":8,"lr":0.1},"grid":{}}`, `grid: empty`},
		{`{"kind":"train","base":{"model":"mlp:784-16-10","epochs":1,"batch":8},"grid":{"lr":[0.1,0.2,0]}}`, `grid.lr[2]: required (> 0)`},
		{`{"kind":"train","base":{"model":"mlp:784-16-10","epochs":1,"batch":8},"grid":{"lr":[0.1,0.2,-1]}}`, `grid.lr[2]: must be > 0 and finite, got -1`},
		{`{"kind":"train","base":{"model":"mlp:784-16-10","epochs":1,"batch":70000,"lr":0.1},"grid":{"seed":[1]}}`, `base.batch: batch size 70000 at epoch 1 exceeds the 60000 training examples`},
		{`{"kind":"train","base":{"model":"mlp:784-16-10","epochs":1,"batch":8,"lr":0.1,"val_examples":60000},"grid":{"seed":[1]}}`, `base.val_examples: 60000: must be smaller than the 60000 training examples`},
		{`not json`, `spec.json: line 1, column 2: invalid character`},
	}
	for _, c := range cases {
		dir := filepath.Join(t.TempDir(), "sweep")
		code, stdout, stderr := runCmd("sweep", "plan", "--spec", writeSpec(t, c.spec), "--dir", dir)
		line := strings.TrimSpace(stderr)
		if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, "spec.json: ") || !strings.Contains(line, c.want) {
			t.Errorf("%s:\n exit %d, stderr %q\n want exit 2 and one line naming %q", c.spec, code, stderr, c.want)
		}
		if stdout != "" {
			t.Errorf("%s: stdout %q", c.spec, stdout)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: %s created for a bad spec", c.spec, dir)
		}
	}
}

func TestSweepUsageErrors(t *testing.T) {
	dir := mustPlan(t, tinySpec)
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	t.Setenv("JOB_COMPLETION_INDEX", "")
	cases := [][]string{
		{"sweep"},
		{"sweep", "frobnicate"},
		{"sweep", "plan", "--spec", "x.json"},
		{"sweep", "plan", "--dir", dir},
		{"sweep", "plan", "--dir", dir, "--claim", "sw0", "--spec", "x.json"},
		{"sweep", "plan", "--dir", t.TempDir(), "--claim", "nope"},
		{"sweep", "plan", "--dir", t.TempDir(), "--claim", "sw0", "--scale", "huge"},
		{"sweep", "plan", "--dir", t.TempDir(), "--spec", filepath.Join(t.TempDir(), "missing.json")},
		{"sweep", "plan", "--dir", dir, "--claim", "sw0"}, // a different plan is there
		{"sweep", "run", "--dir", filepath.Join(t.TempDir(), "none")},
		{"sweep", "run", "--dir", dir, "--index", "3"},
		{"sweep", "run", "--dir", dir, "--index", "0", "--shard", "0/2"},
		{"sweep", "run", "--dir", dir, "--shard", "2/2"},
		{"sweep", "run", "--dir", dir, "--workers", "0"},
		{"sweep", "k8s", "--dir", dir},
		{"sweep", "slurm", "--dir", dir, "--time", "forever"},
	}
	for _, args := range cases {
		code, _, stderr := runCmd(args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") > 0 && !strings.Contains(stderr, "usage:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "5")
	if code, _, stderr := runCmd("sweep", "run", "--dir", dir); code != 2 || !strings.Contains(stderr, "SLURM_ARRAY_TASK_ID=5: the plan has 3 runs") {
		t.Errorf("index out of range: %d %q", code, stderr)
	}
}

// TestSweepTrainIndexShardCollect runs a tiny train sweep as a scheduler
// would, one index from SLURM_ARRAY_TASK_ID, one from JOB_COMPLETION_INDEX,
// then a shard, and compares with one process running it all.
func TestSweepTrainIndexShardCollect(t *testing.T) {
	dir := mustPlan(t, tinySpec)
	t.Setenv("JOB_COMPLETION_INDEX", "")
	t.Setenv("SLURM_ARRAY_TASK_ID", "2")
	if code, _, stderr := runCmd("sweep", "run", "--dir", dir); code != 0 || !strings.Contains(stderr, "index 2 (from SLURM_ARRAY_TASK_ID)") {
		t.Fatalf("slurm index: %d %s", code, stderr)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	t.Setenv("JOB_COMPLETION_INDEX", "0")
	if code, _, stderr := runCmd("sweep", "run", "--dir", dir); code != 0 || !strings.Contains(stderr, "index 0 (from JOB_COMPLETION_INDEX)") {
		t.Fatalf("k8s index: %d %s", code, stderr)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "")
	code, stdout, stderr := runCmd("sweep", "collect", "--dir", dir, "--require-complete")
	if code != 2 || !strings.Contains(stdout, "3 runs: 2 done, 0 diverged, 1 missing") || !strings.Contains(stdout, "missing: 1") {
		t.Errorf("partial collect: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCmd("sweep", "run", "--dir", dir, "--shard", "1/2"); code != 0 || !strings.Contains(stderr, "1 ran") {
		t.Fatalf("shard: %d %s", code, stderr)
	}
	code, stdout, stderr = runCmd("sweep", "collect", "--dir", dir, "--require-complete")
	if code != 0 || !strings.Contains(stdout, "3 runs: 3 done") || !strings.Contains(stdout, "| (all)") || !strings.Contains(stdout, "lambda_max") {
		t.Errorf("collect: exit %d\n%s%s", code, stdout, stderr)
	}
	report, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !bytes.Contains(report, []byte("| seed=3 ")) || !bytes.Contains(report, []byte("### Over seeds")) {
		t.Errorf("report.md: %v\n%s", err, report)
	}
	out := filepath.Join(t.TempDir(), "elsewhere", "r.md")
	if code, _, stderr := runCmd("sweep", "report", "--dir", dir, "--out", out); code != 0 {
		t.Errorf("report: %d %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, report) {
		t.Errorf("report --out differs from collect's report.md")
	}

	single := mustPlan(t, tinySpec)
	if code, _, stderr := runCmd("sweep", "run", "--dir", single, "--workers", "2"); code != 0 {
		t.Fatalf("single: %s", stderr)
	}
	a, b := results(t, dir), results(t, single)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("run %d: sharded and single-process results differ", i)
		}
	}
}

func TestSweepClaimsCollectAndReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	code, stdout, stderr := runCmd("sweep", "plan", "--claim", "sw0,sw1", "--scale", "quick", "--dir", dir)
	if code != 0 || strings.Count(stdout, "\tclaim\t") != 2 {
		t.Fatalf("plan: %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCmd("sweep", "run", "--dir", dir, "--workers", "2"); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	code, stdout, stderr = runCmd("sweep", "collect", "--dir", dir)
	if code != 1 || !strings.Contains(stdout, "2 runs: 2 done") || !strings.Contains(stdout, "**holds**") || !strings.Contains(stdout, "**does not hold**") {
		t.Errorf("collect: exit %d (want 1: sw1 does not hold)\n%s%s", code, stdout, stderr)
	}
	report, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !bytes.Contains(report, []byte("## SW1: sweep test claim sw1")) || !bytes.Contains(report, []byte("](plots/sw0_x_synthetic.png)")) {
		t.Errorf("report.md: %v\n%s", err, report)
	}
	for _, p := range []string{"plots/sw0_x_synthetic.png", "plots/sw1_x_synthetic.svg"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("plot: %v", err)
		}
	}
	// The report regenerates elsewhere from stored results alone.
	out := filepath.Join(t.TempDir(), "r.md")
	if code, stdout, _ := runCmd("sweep", "report", "--dir", dir, "--out", out); code != 0 || !strings.Contains(stdout, "sw1") {
		t.Errorf("report: %d %s", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(out), "plots", "sw1_x_synthetic.png")); err != nil {
		t.Errorf("report --out: plots not beside it: %v", err)
	}
}

func TestSweepSchedulerCommands(t *testing.T) {
	dir := mustPlan(t, tinySpec)
	abs, _ := filepath.Abs(dir)
	code, stdout, stderr := runCmd("sweep", "slurm", "--dir", dir, "--bin", "/usr/local/bin/sgdclaims", "--cpus", "3", "--time", "30")
	if code != 0 || !strings.Contains(stdout, "#SBATCH --array=0-2\n") || !strings.Contains(stdout, "#SBATCH --cpus-per-task=3\n") ||
		!strings.Contains(stdout, "exec /usr/local/bin/sgdclaims sweep run --dir "+abs+"\n") {
		t.Errorf("slurm: %d\n%s%s", code, stdout, stderr)
	}
	if fi, err := os.Stat(filepath.Join(dir, "logs")); err != nil || !fi.IsDir() {
		t.Errorf("logs dir not made: %v", err)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "1")
	runCmd("sweep", "run", "--dir", dir)
	_, stdout, _ = runCmd("sweep", "slurm", "--dir", dir, "--bin", "/usr/local/bin/sgdclaims", "--missing")
	if !strings.Contains(stdout, "#SBATCH --array=0,2\n") {
		t.Errorf("--missing:\n%s", stdout)
	}
	code, stdout, stderr = runCmd("sweep", "k8s", "--dir", dir, "--image", "ghcr.io/x/sgdclaims:1", "--parallelism", "2")
	if code != 0 || !strings.Contains(stdout, "completions: 3\n") || !strings.Contains(stdout, "parallelism: 2\n") || !strings.Contains(stdout, "completionMode: Indexed") {
		t.Errorf("k8s: %d\n%s%s", code, stdout, stderr)
	}
}

// TestSweepHelperProcess is the child of TestSweepKill9ThenResume: it runs
// the command line in SGDCLAIMS_SWEEP_HELPER (arguments separated by
// newlines) as the sgdclaims binary would, and exits.
func TestSweepHelperProcess(t *testing.T) {
	args := os.Getenv("SGDCLAIMS_SWEEP_HELPER")
	if args == "" {
		t.Skip("helper process only")
	}
	os.Exit(run(strings.Split(args, "\n"), os.Stdout, os.Stderr))
}

// startHelper runs `sgdclaims sweep run --dir dir` in a child process and
// waits until n results exist.
func startHelper(t *testing.T, s *runner.Sweep, n int, stderr *bytes.Buffer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSweepHelperProcess$")
	cmd.Env = append(os.Environ(), "SGDCLAIMS_SWEEP_HELPER=sweep\nrun\n--dir\n"+s.Dir, "SLURM_ARRAY_TASK_ID=", "JOB_COMPLETION_INDEX=")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for s.Status().Count(runner.Done) < n {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("child made no progress: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cmd
}

// killSpec is eight training runs of about 0.2 s each.
const killSpec = `{"kind": "train",
 "base": {"model": "mlp:784-128-10", "epochs": 3, "batch": 20, "lr": 0.05, "train_examples": 5000},
 "grid": {"seed": [1, 2, 3, 4, 5, 6, 7, 8]}}`

// TestSweepInterruptFinishesRunningRuns sends SIGINT to `sweep run`: it
// starts no new run, stores the one running, exits non-zero saying how to
// resume, and leaves no partial file.
func TestSweepInterruptFinishesRunningRuns(t *testing.T) {
	dir := mustPlan(t, killSpec)
	s, _ := runner.Open(dir)
	var stderr bytes.Buffer
	cmd := startHelper(t, s, 1, &stderr)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 {
		t.Errorf("exit %d (%v), want 2", code, err)
	}
	for _, want := range []string{"interrupt: starting no more runs", "run the same command again to resume"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	st := s.Status()
	if st.Complete() || st.Count(runner.Corrupt) != 0 || len(st.Temps) != 0 || strings.Contains(stderr.String(), "abandoned (nothing stored)") {
		t.Errorf("after SIGINT: %v\n%s", st.Summary(), stderr.String())
	}
}

// TestSweepKill9ThenResume kills `sgdclaims sweep run` with SIGKILL in the
// middle of a sweep of real training runs, runs it again, and checks that no
// finished run was redone, no result is corrupt, and the results equal an
// uninterrupted sweep's byte for byte.
func TestSweepKill9ThenResume(t *testing.T) {
	dir := mustPlan(t, killSpec)
	s, err := runner.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var childErr bytes.Buffer
	cmd := startHelper(t, s, 2, &childErr)
	cmd.Process.Kill()
	cmd.Wait()
	st := s.Status()
	if st.Count(runner.Corrupt) != 0 || st.Complete() {
		t.Fatalf("after kill -9 (too late to be in the middle?): %v", st.Summary())
	}
	before := map[string]time.Time{}
	for _, r := range st.Runs {
		if r.State == runner.Done {
			fi, _ := os.Stat(filepath.Join(dir, "results", r.Run.ID+".json"))
			before[r.Run.ID] = fi.ModTime()
		}
	}
	code, _, stderr := runCmd("sweep", "run", "--dir", dir)
	if code != 0 || !strings.Contains(stderr, fmt.Sprintf("%d finished before", len(before))) {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	for id, mt := range before {
		if fi, _ := os.Stat(filepath.Join(dir, "results", id+".json")); !fi.ModTime().Equal(mt) {
			t.Errorf("run %s finished before the kill and was redone", id)
		}
	}
	clean := mustPlan(t, killSpec)
	if code, _, stderr := runCmd("sweep", "run", "--dir", clean, "--workers", "2"); code != 0 {
		t.Fatal(stderr)
	}
	a, b := results(t, dir), results(t, clean)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("run %d differs from the uninterrupted sweep", i)
		}
	}
}

// sweep plan --setups: one setup of a claim planned alone; an unknown
// setup or --setups with a spec file is a one-line usage error, nothing
// written.
func TestSweepPlanSetups(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	code, stdout, stderr := runCmd("sweep", "plan", "--claim", "c3", "--scale", "full", "--setups", "mlp-fashion-mnist", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout+stderr, "planned 64 runs") || strings.Contains(stdout, "simplecnn") || strings.Contains(stdout, "c3 mlp-mnist") {
		t.Errorf("plan output:\n%s%s", stdout, stderr)
	}
	for name, args := range map[string][]string{
		"unknown setup":           {"--claim", "c3", "--setups", "mlp-cifar10"},
		"with a spec":             {"--spec", "x.json", "--setups", "mlp-mnist"},
		"one unknown among known": {"--claim", "c3", "--scale", "full", "--setups", "mlp-mnist,bogus"},
	} {
		d := filepath.Join(t.TempDir(), "s")
		code, _, stderr := runCmd(append([]string{"sweep", "plan", "--dir", d}, args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s: %s written", name, d)
		}
	}
}
