package runner

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// IndexEnv lists the environment variables that carry a scheduler's task
// index, in the order they are consulted: Slurm job arrays and Kubernetes
// Indexed Jobs.
var IndexEnv = []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"}

// IndexFromEnv returns the task index a scheduler set, the variable it came
// from, and whether one was set. A set but malformed value is an error.
func IndexFromEnv() (index int, from string, ok bool, err error) {
	for _, name := range IndexEnv {
		v, set := os.LookupEnv(name)
		if !set || v == "" {
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return 0, name, true, fmt.Errorf("%s=%q: want a non-negative integer", name, v)
		}
		return i, name, true, nil
	}
	return 0, "", false, nil
}

// TaskName describes the scheduler task this process runs in, for result
// stamps: "slurm job 812_3", "k8s index 3", or "".
func TaskName() string {
	if id := os.Getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		return fmt.Sprintf("slurm job %s_%s", os.Getenv("SLURM_ARRAY_JOB_ID"), id)
	}
	if id := os.Getenv("SLURM_JOB_ID"); id != "" {
		return "slurm job " + id
	}
	if id := os.Getenv("JOB_COMPLETION_INDEX"); id != "" {
		return "k8s index " + id
	}
	return ""
}

// ParseShard reads "I/N" (0 <= I < N).
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("%q: want I/N with 0 <= I < N, e.g. 0/4", s)
	}
	return i, n, nil
}

// Shard returns the indices of shard i of n over total runs: every n-th
// run starting at i, so shards are balanced even when run cost grows along
// the grid.
func Shard(total, i, n int) []int {
	var idx []int
	for k := i; k < total; k += n {
		idx = append(idx, k)
	}
	return idx
}

// All returns 0..total-1.
func All(total int) []int { return Shard(total, 0, 1) }

// FormatRanges writes sorted indices compactly: "0-3,5,7-9".
func FormatRanges(idx []int) string {
	var b strings.Builder
	for k := 0; k < len(idx); {
		j := k
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j == k {
			fmt.Fprintf(&b, "%d", idx[k])
		} else {
			fmt.Fprintf(&b, "%d-%d", idx[k], idx[j])
		}
		k = j + 1
	}
	return b.String()
}
