package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchFile writes ten runs of two benchmarks, BenchmarkA at base..base+9
// ns/op and BenchmarkB at 200..209 ns/op.
func benchFile(t *testing.T, name string, base int) string {
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: example.org/p\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "BenchmarkA-2   \t 1000\t %d ns/op\n", base+i)
		fmt.Fprintf(&b, "BenchmarkB-2   \t 1000\t %d ns/op\t 64 B/op\n", 200+i)
	}
	b.WriteString("PASS\n")
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBenchReport(t *testing.T) {
	old, new := benchFile(t, "old.txt", 100), benchFile(t, "new.txt", 50)
	out := filepath.Join(t.TempDir(), "bench.md")
	code, _, stderr := runCmd("bench-report", old, "--out", out, new)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	md := string(b)
	for _, want := range []string{
		"### sec/op",
		"goos: linux, goarch: amd64, pkg: example.org/p",
		"| benchmark | old.txt (sec/op) | new.txt (sec/op) | vs base",
		"| A-2       | 104.50n ± 3%     | 54.50n ± 6%      | -47.85% (p=0.000 n=10)",
		"| B-2       | 204.5n ± 2%      | 204.5n ± 2%      | ~ (p=1.000 n=10)",
		"| geomean   | 146.2n           | 105.6n           | -27.78%",
		"~ (p=1.000 n=10) [1]",
		"[1] all samples are equal",
		"### B/op",
	} {
		if !strings.Contains(strings.Join(strings.Fields(md), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("no %q in\n%s", want, md)
		}
	}
	for _, args := range [][]string{{"bench-report"}, {"bench-report", "missing.txt"}, {"bench-report", old, "--alpha", "2"}} {
		if code, _, _ := runCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
