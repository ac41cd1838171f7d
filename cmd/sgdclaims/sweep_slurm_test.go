package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/runner"
)

// TestSweepSlurmJobArray submits a tiny sweep to a real Slurm cluster as
// the job array that `sgdclaims sweep slurm` prints, waits for it, and checks
// that every result exists and equals a local run byte for byte. It needs a
// running cluster (scripts/slurm/start.sh starts one on this machine) and
// SGDCLAIMS_SLURM=1:
//
//	scripts/slurm/start.sh
//	SGDCLAIMS_SLURM=1 go test -run TestSweepSlurmJobArray -v ./cmd/sgdclaims
func TestSweepSlurmJobArray(t *testing.T) {
	if os.Getenv("SGDCLAIMS_SLURM") != "1" {
		t.Skip("set SGDCLAIMS_SLURM=1 to run against a Slurm cluster (scripts/slurm/start.sh starts one here)")
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Fatal("SGDCLAIMS_SLURM=1 but no sbatch on PATH; run scripts/slurm/start.sh first")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The job runs a real binary: build this command.
	work := t.TempDir()
	bin := filepath.Join(work, "sgdclaims")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := filepath.Join(work, "sweep")
	spec := writeSpec(t, tinySpec)
	if code, _, stderr := runCmd("sweep", "plan", "--spec", spec, "--dir", dir); code != 0 {
		t.Fatalf("plan: %s", stderr)
	}
	script := filepath.Join(work, "sweep.sbatch")
	if code, _, stderr := runCmd("sweep", "slurm", "--dir", dir, "--bin", bin, "--cpus", "1", "--mem", "1G", "--time", "10", "--out", script); code != 0 {
		t.Fatalf("sweep slurm: %s", stderr)
	}
	sb := exec.CommandContext(ctx, "sbatch", "--wait", "--parsable", script)
	sb.Dir = work
	out, err := sb.CombinedOutput()
	t.Logf("sbatch: %s", bytes.TrimSpace(out))
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s:\n%s", l, b)
		}
		t.Fatalf("sbatch --wait: %v", err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", "slurm-*_*.out"))
	if len(logs) != 3 {
		t.Errorf("%d task logs, want 3: %v", len(logs), logs)
	}

	s, err := runner.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Status().Runs {
		if r.State != runner.Done {
			t.Fatalf("run %d: %v %v", r.Run.Index, r.State, r.Err)
		}
		if !strings.HasPrefix(r.Result.Stamp.Task, "slurm job ") {
			t.Errorf("run %d: stamp task %q, want a slurm job", r.Run.Index, r.Result.Stamp.Task)
		}
	}
	local := filepath.Join(work, "local")
	if code, _, stderr := runCmd("sweep", "plan", "--spec", spec, "--dir", local); code != 0 {
		t.Fatal(stderr)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	t.Setenv("JOB_COMPLETION_INDEX", "")
	if code, _, stderr := runCmd("sweep", "run", "--dir", local); code != 0 {
		t.Fatal(stderr)
	}
	a, b := results(t, dir), results(t, local)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("run %d: the Slurm result differs from the local one:\n%s\n%s", i, a[i], b[i])
		}
	}
	if code, stdout, _ := runCmd("sweep", "collect", "--dir", dir, "--require-complete"); code != 0 {
		t.Errorf("collect: exit %d\n%s", code, stdout)
	}
}
