package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// SlurmOptions shape the job-array script of SlurmScript.
type SlurmOptions struct {
	// Binary is the absolute path of the sgdclaims executable on the
	// compute nodes; Dir the sweep directory, on a file system they share.
	Binary, Dir string
	// Time (Slurm's --time: MIN, HH:MM:SS, D-HH:MM...), Mem (--mem: 4G,
	// 4000M) and CPUs (--cpus-per-task) per array task.
	Time, Mem string
	CPUs      int
	// Partition and Account, when set, become #SBATCH lines.
	Partition, Account string
	// MaxParallel, when > 0, caps the tasks running at once (--array=...%P).
	MaxParallel int
	// PerTask > 1 packs that many runs into each array task (as shards),
	// for grids larger than the cluster's MaxArraySize or runs too short
	// to be worth a task each.
	PerTask int
	// Only, when set, restricts the array to these run indices (the runs
	// still missing, for a resubmission); one run per task.
	Only []int
}

var (
	slurmTime = regexp.MustCompile(`^(\d+-)?\d+(:\d+){0,2}$`)
	slurmMem  = regexp.MustCompile(`^\d+[KMGT]?$`)
	k8sQty    = regexp.MustCompile(`^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$`)
	dnsLabel  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	safePath  = regexp.MustCompile(`^[^\s%'"\\$` + "`" + `]+$`)
)

// SlurmScript returns an sbatch script that runs the sweep as a job array:
// array task i runs manifest index i (`sweep run` reads
// SLURM_ARRAY_TASK_ID), or with PerTask > 1 shard i of the tasks. Errors
// name the option at fault.
func (s *Sweep) SlurmScript(o SlurmOptions) (string, error) {
	switch {
	case !filepath.IsAbs(o.Binary) || !safePath.MatchString(o.Binary):
		return "", fieldErr("bin", "%q: want an absolute path without spaces, quotes or %%", o.Binary)
	case !filepath.IsAbs(o.Dir) || !safePath.MatchString(o.Dir):
		return "", fieldErr("dir", "%q: want an absolute path without spaces, quotes or %% (it goes into #SBATCH lines, which are not shell)", o.Dir)
	case o.Time != "" && !slurmTime.MatchString(o.Time):
		return "", fieldErr("time", "%q: want MINUTES, HH:MM:SS or D-HH:MM:SS", o.Time)
	case o.Mem != "" && !slurmMem.MatchString(o.Mem):
		return "", fieldErr("mem", "%q: want a size such as 4G or 4000M", o.Mem)
	case o.CPUs < 1:
		return "", fieldErr("cpus", "must be >= 1, got %d", o.CPUs)
	case o.MaxParallel < 0:
		return "", fieldErr("max-parallel", "must be >= 0, got %d", o.MaxParallel)
	case o.PerTask < 0:
		return "", fieldErr("per-task", "must be >= 1, got %d", o.PerTask)
	case o.PerTask > 1 && o.Only != nil:
		return "", fieldErr("per-task", "cannot be combined with --missing (one run per task)")
	case o.Partition != "" && !dnsLabel.MatchString(strings.ToLower(o.Partition)):
		return "", fieldErr("partition", "%q: not a partition name", o.Partition)
	case o.Account != "" && !safePath.MatchString(o.Account):
		return "", fieldErr("account", "%q: not an account name", o.Account)
	}
	if o.Only != nil && len(o.Only) == 0 {
		return "", fieldErr("missing", "every run has a result; nothing to submit")
	}
	n := s.Len()
	tasks := n
	perTask := max(o.PerTask, 1)
	if perTask > 1 {
		tasks = (n + perTask - 1) / perTask
	}
	array := fmt.Sprintf("0-%d", tasks-1)
	if o.Only != nil {
		array = FormatRanges(o.Only)
	}
	if o.MaxParallel > 0 {
		array += fmt.Sprintf("%%%d", o.MaxParallel)
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("#!/bin/bash")
	w("# sgdclaims sweep %s: %d runs (%s) as a Slurm job array.", o.Dir, n, s.Manifest.Source)
	if perTask > 1 {
		w("# %d tasks, each running every %d-th run from its index on (--shard TASK/%d).", tasks, tasks, tasks)
	} else {
		w("# Task i runs manifest index i (sgdclaims reads SLURM_ARRAY_TASK_ID).")
	}
	w("# Submit: sbatch THIS_FILE. Resubmitting is safe: finished runs are skipped,")
	w("# and `sgdclaims sweep slurm --dir %s --missing` submits only what is left.", o.Dir)
	w("# Collect: %s sweep collect --dir %s", o.Binary, o.Dir)
	w("#SBATCH --job-name=sgdclaims-sweep")
	w("#SBATCH --array=%s", array)
	if o.Time != "" {
		w("#SBATCH --time=%s", o.Time)
	}
	if o.Mem != "" {
		w("#SBATCH --mem=%s", o.Mem)
	}
	w("#SBATCH --cpus-per-task=%d", o.CPUs)
	w("#SBATCH --ntasks=1")
	if o.Partition != "" {
		w("#SBATCH --partition=%s", o.Partition)
	}
	if o.Account != "" {
		w("#SBATCH --account=%s", o.Account)
	}
	w("#SBATCH --output=%s/logs/slurm-%%A_%%a.out", o.Dir)
	w("set -euo pipefail")
	w("export GOMAXPROCS=\"${SLURM_CPUS_PER_TASK:-%d}\"", o.CPUs)
	if perTask > 1 {
		w("exec %s sweep run --dir %s --shard \"${SLURM_ARRAY_TASK_ID}/%d\"", shellQuote(o.Binary), shellQuote(o.Dir), tasks)
	} else {
		w("exec %s sweep run --dir %s", shellQuote(o.Binary), shellQuote(o.Dir))
	}
	return b.String(), nil
}

// K8sOptions shape the Indexed Job of K8sJob.
type K8sOptions struct {
	Image string
	// Name is the Job's name (a DNS label, at most 52 characters); default
	// sgdclaims-sweep-<8 hex digits of the plan>.
	Name string
	// Binary is the sgdclaims executable inside the image (default
	// "sgdclaims", found on PATH).
	Binary string
	// Claim is the PersistentVolumeClaim holding the sweep directory, and
	// Mount where pods mount it (the --dir they are given).
	Claim, Mount string
	// Parallelism is the number of pods at once (default min(runs, 8)).
	Parallelism int
	// CPU and Mem are the requests and limits per pod (Kubernetes
	// quantities: "2", "500m", "4Gi").
	CPU, Mem string
	// Retries is the number of retries per index (backoffLimitPerIndex).
	Retries int
}

// K8sJob returns a Kubernetes Indexed Job manifest (YAML) that runs the
// sweep: completion index i runs manifest index i (`sweep run` reads
// JOB_COMPLETION_INDEX). Errors name the option at fault.
func (s *Sweep) K8sJob(o K8sOptions) (string, error) {
	n := s.Len()
	if o.Name == "" {
		o.Name = "sgdclaims-sweep-" + s.planHash()[:8]
	}
	if o.Binary == "" {
		o.Binary = "sgdclaims"
	}
	if o.Parallelism == 0 {
		o.Parallelism = min(n, 8)
	}
	switch {
	case o.Image == "" || strings.ContainsAny(o.Image, " \t\n\"'"):
		return "", fieldErr("image", "%q: want an image reference such as registry.example.org/sgdclaims:v1", o.Image)
	case len(o.Name) > 52 || !dnsLabel.MatchString(o.Name):
		return "", fieldErr("name", "%q: want lower-case letters, digits and '-', at most 52 characters", o.Name)
	case o.Claim == "" || len(o.Claim) > 253 || !dnsLabel.MatchString(o.Claim):
		return "", fieldErr("pvc", "%q: want the name of a PersistentVolumeClaim", o.Claim)
	case !strings.HasPrefix(o.Mount, "/") || !safePath.MatchString(o.Mount):
		return "", fieldErr("mount", "%q: want an absolute path without spaces or quotes", o.Mount)
	case o.Parallelism < 1:
		return "", fieldErr("parallelism", "must be >= 1, got %d", o.Parallelism)
	case !k8sQty.MatchString(o.CPU):
		return "", fieldErr("cpus", "%q: want a CPU quantity such as 2 or 500m", o.CPU)
	case !k8sQty.MatchString(o.Mem):
		return "", fieldErr("mem", "%q: want a memory quantity such as 4Gi", o.Mem)
	case o.Retries < 0:
		return "", fieldErr("retries", "must be >= 0, got %d", o.Retries)
	case strings.ContainsAny(o.Binary, " \t\n\"'"):
		return "", fieldErr("bin", "%q: want a path without spaces or quotes", o.Binary)
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	gomaxprocs := "1"
	if c := strings.TrimSuffix(o.CPU, ".0"); !strings.ContainsAny(c, ".m") && c != "0" {
		gomaxprocs = c
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# sgdclaims sweep: %d runs (%s) as a Kubernetes Indexed Job.", n, s.Manifest.Source)
	w("# Pod i runs manifest index i (sgdclaims reads JOB_COMPLETION_INDEX).")
	w("#")
	w("# Volume: every pod mounts PersistentVolumeClaim %q at %s, and that volume", o.Claim, o.Mount)
	w("# must hold the sweep directory planned on your machine (%s: manifest.json,", s.Dir)
	w("# results/). It needs a ReadWriteMany storage class (NFS, CephFS, a cloud file")
	w("# store) when pods land on several nodes. Copy the plan in before applying, e.g.")
	w("#   kubectl cp %s/manifest.json <a pod mounting the claim>:%s/manifest.json", s.Dir, o.Mount)
	w("# Results appear in %s/results/, one file per run, written atomically;", o.Mount)
	w("# a rerun of the Job (or of failed indexes) skips the finished runs.")
	w("# Apply: kubectl apply -f THIS_FILE; watch: kubectl get job %s", o.Name)
	w("# Collect (where the volume is mounted): sgdclaims sweep collect --dir %s", o.Mount)
	w("apiVersion: batch/v1")
	w("kind: Job")
	w("metadata:")
	w("  name: %s", o.Name)
	w("  labels:")
	w("    app.kubernetes.io/name: sgdclaims-sweep")
	w("spec:")
	w("  completionMode: Indexed")
	w("  completions: %d", n)
	w("  parallelism: %d", o.Parallelism)
	w("  # Retries per index (Kubernetes >= 1.29); on older clusters use backoffLimit.")
	w("  backoffLimitPerIndex: %d", o.Retries)
	w("  template:")
	w("    metadata:")
	w("      labels:")
	w("        app.kubernetes.io/name: sgdclaims-sweep")
	w("    spec:")
	w("      restartPolicy: Never")
	w("      containers:")
	w("        - name: sweep")
	w("          image: %s", q(o.Image))
	w("          command: [%s, \"sweep\", \"run\", \"--dir\", %s]", q(o.Binary), q(o.Mount))
	w("          env:")
	w("            - name: GOMAXPROCS")
	w("              value: %s", q(gomaxprocs))
	w("          resources:")
	w("            requests:")
	w("              cpu: %s", q(o.CPU))
	w("              memory: %s", q(o.Mem))
	w("            limits:")
	w("              cpu: %s", q(o.CPU))
	w("              memory: %s", q(o.Mem))
	w("          volumeMounts:")
	w("            - name: sweep")
	w("              mountPath: %s", q(o.Mount))
	w("      volumes:")
	w("        - name: sweep")
	w("          persistentVolumeClaim:")
	w("            claimName: %s", q(o.Claim))
	return b.String(), nil
}

// planHash identifies the plan by its run IDs.
func (s *Sweep) planHash() string {
	h := sha256.New()
	for _, r := range s.Manifest.Runs {
		h.Write([]byte(r.ID))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if regexp.MustCompile(`^[A-Za-z0-9_./=:-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
