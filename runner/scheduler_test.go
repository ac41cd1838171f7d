package runner_test

import (
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/runner"
)

func hasLines(t *testing.T, text string, want ...string) {
	t.Helper()
	lines := strings.Split(text, "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.TrimSpace(l) == w {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no line %q in\n%s", w, text)
		}
	}
}

func TestSlurmScript(t *testing.T) {
	s := plan(t, t.TempDir(), sleepSpec(5, 0))
	o := runner.SlurmOptions{Binary: "/opt/bin/sgdclaims", Dir: "/scratch/sw", Time: "1:00:00", Mem: "2G", CPUs: 4, MaxParallel: 2, Partition: "short"}
	script, err := s.SlurmScript(o)
	if err != nil {
		t.Fatal(err)
	}
	hasLines(t, script,
		"#!/bin/bash",
		"#SBATCH --array=0-4%2",
		"#SBATCH --time=1:00:00",
		"#SBATCH --mem=2G",
		"#SBATCH --cpus-per-task=4",
		"#SBATCH --partition=short",
		"#SBATCH --output=/scratch/sw/logs/slurm-%A_%a.out",
		`export GOMAXPROCS="${SLURM_CPUS_PER_TASK:-4}"`,
		"exec /opt/bin/sgdclaims sweep run --dir /scratch/sw",
	)
	// Several runs per task: shards.
	o.PerTask, o.MaxParallel = 2, 0
	script, _ = s.SlurmScript(o)
	hasLines(t, script, "#SBATCH --array=0-2", `exec /opt/bin/sgdclaims sweep run --dir /scratch/sw --shard "${SLURM_ARRAY_TASK_ID}/3"`)
	// Only what is missing.
	o.PerTask, o.Only = 1, []int{1, 2, 4}
	script, _ = s.SlurmScript(o)
	hasLines(t, script, "#SBATCH --array=1-2,4")

	bad := []struct {
		edit  func(*runner.SlurmOptions)
		field string
	}{
		{func(o *runner.SlurmOptions) { o.Dir = "relative/dir" }, "dir"},
		{func(o *runner.SlurmOptions) { o.Dir = "/with space" }, "dir"},
		{func(o *runner.SlurmOptions) { o.Dir = "/with%percent" }, "dir"},
		{func(o *runner.SlurmOptions) { o.Binary = "/x';rm -rf /'" }, "bin"},
		{func(o *runner.SlurmOptions) { o.Time = "1h" }, "time"},
		{func(o *runner.SlurmOptions) { o.Mem = "lots" }, "mem"},
		{func(o *runner.SlurmOptions) { o.CPUs = 0 }, "cpus"},
		{func(o *runner.SlurmOptions) { o.Only = []int{} }, "missing"},
	}
	for _, b := range bad {
		o := runner.SlurmOptions{Binary: "/opt/bin/sgdclaims", Dir: "/scratch/sw", CPUs: 1}
		b.edit(&o)
		_, err := s.SlurmScript(o)
		if fe, ok := err.(*runner.FieldError); !ok || fe.Field != b.field {
			t.Errorf("%+v: got %v, want an error on %s", o, err, b.field)
		}
	}
}

func TestK8sJob(t *testing.T) {
	s := plan(t, t.TempDir(), sleepSpec(12, 0))
	job, err := s.K8sJob(runner.K8sOptions{Image: "registry.example.org/sgdclaims:v1", Claim: "sweeps", Mount: "/sweep", CPU: "2", Mem: "4Gi", Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	hasLines(t, job,
		"apiVersion: batch/v1",
		"kind: Job",
		"completionMode: Indexed",
		"completions: 12",
		"parallelism: 8",
		"backoffLimitPerIndex: 1",
		"restartPolicy: Never",
		`image: "registry.example.org/sgdclaims:v1"`,
		`command: ["sgdclaims", "sweep", "run", "--dir", "/sweep"]`,
		`value: "2"`,
		`memory: "4Gi"`,
		`mountPath: "/sweep"`,
		`claimName: "sweeps"`,
	)
	if !strings.Contains(job, "name: sgdclaims-sweep-") || !strings.Contains(job, "ReadWriteMany") {
		t.Errorf("no default name or volume note:\n%s", job)
	}
	// No tabs (YAML forbids them in indentation).
	if strings.Contains(job, "\t") {
		t.Error("tab in YAML")
	}
	for _, o := range []runner.K8sOptions{
		{Image: "", Claim: "c", Mount: "/s", CPU: "1", Mem: "1Gi"},
		{Image: "img\nkind: Pod", Claim: "c", Mount: "/s", CPU: "1", Mem: "1Gi"},
		{Image: "img", Name: "Bad_Name", Claim: "c", Mount: "/s", CPU: "1", Mem: "1Gi"},
		{Image: "img", Claim: "c", Mount: "rel", CPU: "1", Mem: "1Gi"},
		{Image: "img", Claim: "c", Mount: "/s", CPU: "two", Mem: "1Gi"},
		{Image: "img", Claim: "c", Mount: "/s", CPU: "1", Mem: "4 GB"},
	} {
		if _, err := s.K8sJob(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
