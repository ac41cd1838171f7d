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

// isaBenchFile writes six rounds of `go test -bench` output for two GEMM
// shapes whose last name element is isa=generic, isa=avx2 or isa=avx512 (as
// `make benchstat-isa` rewrites it): generic at 1000+i ns/op, avx2 at
// 250+i, avx512 at 125+i in round i, so their medians are 1002.5, 252.5 and
// 127.5 ns/op.
func isaBenchFile(t *testing.T) string {
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: example.org/bench\n")
	for i := 0; i < 6; i++ {
		for _, shape := range []string{"128x784x512", "512x512x128"} {
			for _, isa := range []struct {
				name string
				ns   int
			}{{"generic", 1000}, {"avx2", 250}, {"avx512", 125}} {
				fmt.Fprintf(&b, "BenchmarkGemm/%s/isa=%s-2   \t 100\t %d ns/op\n", shape, isa.name, isa.ns+i)
			}
		}
	}
	b.WriteString("PASS\n")
	p := filepath.Join(t.TempDir(), "bench-isa.txt")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBenchReportColISA checks --col /isa on one file against what
// `benchstat -col /isa` prints for it (x/perf at the go.mod version, run on
// the same file):
//
//	                   │   generic    │                avx2                │               avx512               │
//	                   │    sec/op    │   sec/op     vs base               │   sec/op     vs base               │
//	Gemm/128x784x512-2   1002.5n ± 0%   252.5n ± 1%  -74.81% (p=0.002 n=6)   127.5n ± 2%  -87.28% (p=0.002 n=6)
//	Gemm/512x512x128-2   1002.5n ± 0%   252.5n ± 1%  -74.81% (p=0.002 n=6)   127.5n ± 2%  -87.28% (p=0.002 n=6)
//	geomean               1.002µ        252.5n       -74.81%                 127.5n       -87.28%
func TestBenchReportColISA(t *testing.T) {
	in := isaBenchFile(t)
	code, stdout, stderr := runCmd("bench-report", "--col", "/isa", in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	md := strings.Join(strings.Fields(stdout), " ")
	for _, want := range []string{
		"### sec/op",
		"goos: linux, goarch: amd64, pkg: example.org/bench",
		"| benchmark | generic (sec/op) | avx2 (sec/op) | vs base | avx512 (sec/op) | vs base |",
		"| Gemm/128x784x512-2 | 1002.5n ± 0% | 252.5n ± 1% | -74.81% (p=0.002 n=6) | 127.5n ± 2% | -87.28% (p=0.002 n=6) |",
		"| Gemm/512x512x128-2 | 1002.5n ± 0% | 252.5n ± 1% | -74.81% (p=0.002 n=6) | 127.5n ± 2% | -87.28% (p=0.002 n=6) |",
		"| geomean | 1.002µ | 252.5n | -74.81% | 127.5n | -87.28% |",
	} {
		if !strings.Contains(md, strings.Join(strings.Fields(want), " ")) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "isa=") || strings.Contains(stdout, "[1]") {
		t.Errorf("isa= left in a row name, or a warning:\n%s", stdout)
	}

	// A fixed order in the projection picks the base (and leaves out the
	// values it does not list), as in benchstat.
	_, stdout, _ = runCmd("bench-report", "--col", "/isa@(avx512 generic)", in)
	for _, want := range []string{
		"| benchmark | avx512 (sec/op) | generic (sec/op) | vs base |",
		"| Gemm/128x784x512-2 | 127.5n ± 2% | 1002.5n ± 0% | +686.27% (p=0.002 n=6) |",
	} {
		if !strings.Contains(strings.Join(strings.Fields(stdout), " "), want) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}
	// Rows by .name merge the shapes and the ISAs: benchstat's warning.
	_, stdout, _ = runCmd("bench-report", "--row", ".name", in)
	if want := "[1] benchmarks vary in .fullname"; !strings.Contains(stdout, want) {
		t.Errorf("no %q in\n%s", want, stdout)
	}

	for _, args := range [][]string{
		{"--col", "/isa@bad"},
		{"--col", "/isa@("},
		{"--row", ".name@"},
		{"--filter", "("},
	} {
		code, stdout, stderr := runCmd(append(append([]string{"bench-report"}, args...), in)...)
		if code != 2 || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, args[0]) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2, nothing, one line naming the flag", args, code, stdout, stderr)
		}
	}
}
