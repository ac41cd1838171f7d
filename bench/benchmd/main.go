// Command benchmd turns benchstat's CSV output (benchstat -format csv) into
// markdown tables, one per metric, for READMEs and reports:
//
//	benchstat -format csv -col /isa bench-isa.txt | go run ./bench/benchmd
//
// Each column group of benchstat (an ISA, a commit) becomes a column with
// its median and confidence interval, followed by its change against the
// first group ("vs base", with benchstat's "~" for no significant change).
package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchmd:", err)
		os.Exit(1)
	}
}

// run reads the CSV sections (separated by blank lines) and writes one
// markdown table per section.
func run(in io.Reader, out io.Writer) error {
	var section []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	flush := func() error {
		defer func() { section = section[:0] }()
		if len(section) < 3 {
			return nil // file-level configuration or empty
		}
		r := csv.NewReader(strings.NewReader(strings.Join(section, "\n")))
		r.FieldsPerRecord = -1 // the geomean row is shorter
		recs, err := r.ReadAll()
		if err != nil {
			return err
		}
		return table(out, recs)
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		if !strings.HasPrefix(line, ",") && len(section) == 0 {
			continue // "goos: linux" and friends
		}
		section = append(section, line)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush()
}

// table writes one benchstat CSV table: recs[0] holds the group labels,
// recs[1] the per-group column kinds (unit, CI, vs base, P), then one row
// per benchmark.
func table(out io.Writer, recs [][]string) error {
	labels, kinds := recs[0], recs[1]
	if len(kinds) < 2 {
		return fmt.Errorf("unexpected benchstat CSV header %q", kinds)
	}
	unit := kinds[1]
	type group struct {
		label                 string
		value, ci, delta, pvl int // column indexes, -1 if absent
	}
	var groups []*group
	for i := 1; i < len(kinds); i++ {
		switch kinds[i] {
		case "CI":
			groups[len(groups)-1].ci = i
		case "vs base":
			groups[len(groups)-1].delta = i
		case "P":
			groups[len(groups)-1].pvl = i
		default:
			label := ""
			if i < len(labels) {
				label = labels[i]
			}
			groups = append(groups, &group{label: label, value: i, ci: -1, delta: -1, pvl: -1})
		}
	}
	shown, scale := displayUnit(unit)
	head := []string{"benchmark"}
	align := []string{"---"}
	for i, g := range groups {
		head = append(head, fmt.Sprintf("%s (%s)", g.label, shown))
		align = append(align, "---:")
		if i > 0 {
			head = append(head, "vs "+groups[0].label)
			align = append(align, "---:")
		}
	}
	fmt.Fprintf(out, "| %s |\n| %s |\n", strings.Join(head, " | "), strings.Join(align, " | "))
	for _, rec := range recs[2:] {
		row := []string{rec[0]}
		for i, g := range groups {
			row = append(row, cell(rec, g.value, g.ci, scale, rec[0] == "geomean"))
			if i > 0 {
				row = append(row, field(rec, g.delta))
			}
		}
		fmt.Fprintf(out, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(out)
	return nil
}

// displayUnit maps benchstat's base units to the ones a reader expects.
func displayUnit(unit string) (string, float64) {
	switch unit {
	case "sec/op":
		return "µs/op", 1e6
	case "B/s":
		return "GB/s", 1e-9
	}
	return unit, 1
}

func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

func cell(rec []string, vi, ci int, scale float64, geomean bool) string {
	v, err := strconv.ParseFloat(field(rec, vi), 64)
	if err != nil {
		return field(rec, vi)
	}
	s := format(v * scale)
	if c := field(rec, ci); c != "" && !geomean {
		s += " ± " + c
	}
	return s
}

// format prints four significant digits without exponents for the
// magnitudes benchmarks produce.
func format(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.001:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
