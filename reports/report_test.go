package reports

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/internal/provenance"
)

func sampleResults() *claims.Results {
	ev := &claims.Evidence{
		Info:  claims.Info{ID: "c2", Name: "Stationary loss", Paper: "P1, Eq. (3.3)", Statement: "E(L) = eta/(4S) Tr(H)."},
		Spec:  claims.Spec{Scale: claims.Quick, Seeds: 3, SetupID: "synthetic", Data: "synthetic", Setup: []string{"a | b setup line"}, Budget: "1 s"},
		Seeds: []uint64{1, 2, 3}, Data: "synthetic", ISA: "generic", GOMAXPROCS: 2, GoVersion: "go1.26", Seconds: 1.5,
		Tables: []claims.Table{{Title: "Grid", Caption: "units", Header: []string{"eta", "ratio"}, Rows: [][]string{{"0.01", "1.02 [0.98, 1.06]"}}}},
		Plots: []claims.Plot{{
			Name: "c2_test", Title: "ratio", XLabel: "eta/S (dimensionless)", YLabel: "excess (loss units)", LogX: true, LogY: true, Caption: "A test plot.",
			Series: []claims.Series{
				{Label: "measured", Kind: claims.Points, X: []float64{1e-4, 1e-3, 0, 1e-2}, Y: []float64{1e-3, 1e-2, 5, math.NaN()},
					YLo: []float64{-1, 0.9e-2, 4, 0}, YHi: []float64{2e-3, 1.1e-2, 6, 0}},
				{Label: "y = x", Kind: claims.Line, Reference: true, X: []float64{1e-4, 1e-2}, Y: []float64{1e-4, 1e-2}},
			},
		}},
		Notes: []string{"a note"},
	}
	v := &claims.Verdict{Claim: "c2", Outcome: claims.Inconclusive, Summary: "one check straddles.", Checks: []claims.Check{
		{Name: "a", Statistic: "ratio", Value: stats.Interval{Estimate: 1.02, Lo: 0.98, Hi: 1.06, Method: "t"}, Threshold: "inside [0.9, 1.1]", Reason: "r", Outcome: claims.Holds},
		{Name: "c", Statistic: "slope", Value: stats.Interval{Estimate: 0.9, Lo: 0.69, Hi: 1.11, Method: "t"}, Threshold: "inside [0.8, 1.2]", Reason: "r", Outcome: claims.Inconclusive},
	}}
	return &claims.Results{Scale: claims.Quick, Started: "2026-01-01T00:00:00Z", Results: []claims.Result{{Evidence: ev, Verdict: v}}}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, sampleResults(), Options{Command: "sgdclaims verify --claims c2"}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{
		"| c2    | synthetic | a",                   // verdict table row
		"1.02 [0.98, 1.06]",                         // interval
		"**inconclusive**",                          // claim outcome
		"- a | b setup line",                        // a list item: written as is
		"![ratio](plots/c2_test_synthetic.png)",     // plot link
		"(2 points not drawn",                       // x = 0 and NaN on log axes
		"(1 error bars cut at the bottom",           // YLo = -1 on a log axis
		"### What the papers report",                // reference section for c2
		"Eq. (3.3)",                                 // a reference entry
		"Reproduce with `sgdclaims verify --claims", // the command
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	png, err := os.ReadFile(filepath.Join(dir, "plots", "c2_test_synthetic.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("PNG plot missing or not a PNG: %v", err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "plots", "c2_test_synthetic.svg"))
	if err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("SVG plot missing or not SVG: %v", err)
	}
	if !bytes.Contains(svg, []byte("eta/S (dimensionless)")) {
		t.Error("SVG lacks the x-axis label")
	}
}

func TestRenderRejectsUnlabelled(t *testing.T) {
	p := sampleResults().Results[0].Evidence.Plots[0]
	p.YLabel = ""
	if _, err := Render(p); err == nil {
		t.Error("a plot without a y label was drawn")
	}
}

func TestTableEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, []string{"a|b", "c"}, [][]string{{"x|y", "z\nw"}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want 3 (header, rule, row):\n%s", len(lines), b.String())
	}
	if !strings.Contains(lines[0], `a\|b`) || !strings.Contains(lines[2], `x\|y`) || !strings.Contains(lines[2], "z w") {
		t.Errorf("pipes or newlines not escaped:\n%s", b.String())
	}
}

// TestHeaderOfMergedSetups: a report of setups that ran from different
// builds or GOMAXPROCS settings must not be headed by the first setup's.
func TestHeaderOfMergedSetups(t *testing.T) {
	header := func(rs *claims.Results) string {
		var b bytes.Buffer
		if err := Markdown(&b, rs, Options{}); err != nil {
			t.Fatal(err)
		}
		line, _, _ := strings.Cut(strings.SplitN(b.String(), "\n\n", 3)[1], "\n")
		return line
	}
	rs := sampleResults()
	rs.Results[0].Evidence.Provenance = provenance.Info{Revision: "02b739f000000000000000000000000000000000"}
	one := header(rs)
	if !strings.Contains(one, "commit **02b739f00000**") || !strings.Contains(one, "kernels **generic**, GOMAXPROCS 2, go1.26.") {
		t.Errorf("one setup's header: %s", one)
	}
	second := *rs.Results[0].Evidence
	second.Provenance = provenance.Info{Revision: "df2b4a4000000000000000000000000000000000"}
	second.GOMAXPROCS = 1
	rs.Results = append(rs.Results, claims.Result{Evidence: &second, Verdict: rs.Results[0].Verdict})
	two := header(rs)
	if !strings.Contains(two, "commit **several builds (each setup's verdict names its own)**") || !strings.Contains(two, "kernels **generic**, GOMAXPROCS per setup, go1.26.") {
		t.Errorf("two setups' header: %s", two)
	}
}
