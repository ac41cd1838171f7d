package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"

	"github.com/sgdclaims/sgdclaims/reports"
)

func init() {
	register(command{name: "bench-report", summary: "compare `go test -bench` outputs as benchstat tables in markdown", run: runBenchReport})
}

func runBenchReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench-report", stderr)
	out := fs.String("out", "", "write the markdown to `FILE` (default stdout)")
	alpha := fs.Float64("alpha", 0.05, "consider a change significant if p < `α` (Mann-Whitney U test)")
	confidence := fs.Float64("confidence", 0.95, "confidence `level` of the intervals around each median")
	filter := fs.String("filter", "*", "use only benchmarks matching this benchfilter `query` (see benchstat)")
	var proj benchProjections
	fs.StringVar(&proj.row, "row", ".fullname", "split results into rows by distinct values of `projection` (benchstat's -row)")
	fs.StringVar(&proj.col, "col", ".file", "split results into columns by distinct values of `projection` (benchstat's -col, e.g. /isa); the first column is the baseline")
	fs.StringVar(&proj.ignore, "ignore", "", "ignore variations in `keys` (benchstat's -ignore)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sgdclaims bench-report [flags] OLD.txt NEW.txt [MORE.txt ...]")
		fmt.Fprintln(stderr, "       sgdclaims bench-report --col /KEY [flags] FILE.txt")
		fmt.Fprintln(stderr, "Each file is `go test -bench` output (a NAME=PATH argument labels a column NAME). By default there is")
		fmt.Fprintln(stderr, "a column per file; --col /isa makes a column per value of the isa=VALUE name element instead. Columns")
		fmt.Fprintln(stderr, "come in order of first appearance (or as a projection like /isa@(avx2 generic) orders them); the first")
		fmt.Fprintln(stderr, "is the baseline.")
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(files) == 0:
		return usagef("want at least one benchmark output file: OLD.txt [NEW.txt ...]")
	case !(*alpha > 0 && *alpha < 1):
		return usagef("--alpha %g: must be in (0, 1)", *alpha)
	case !(*confidence > 0 && *confidence < 1):
		return usagef("--confidence %g: must be in (0, 1)", *confidence)
	}
	// Label columns by file name rather than full path, as long as the
	// names are distinct; NAME=PATH arguments keep their own label.
	bases := map[string]bool{}
	for _, f := range files {
		bases[filepath.Base(f)] = true
	}
	for i, f := range files {
		path := f
		if _, p, ok := strings.Cut(f, "="); ok {
			path = p
		} else if len(bases) == len(files) {
			files[i] = filepath.Base(f) + "=" + f
		}
		if _, err := os.Stat(path); err != nil {
			return usagef("%v", err)
		}
	}
	var buf bytes.Buffer
	if err := benchMarkdown(&buf, stderr, files, *filter, proj, *alpha, *confidence); err != nil {
		return err
	}
	return emit(stdout, stderr, *out, buf.String())
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// benchProjections are the benchproc projections that split results into
// rows and columns, and the keys whose variations within a cell are not
// worth a warning: benchstat's -row, -col and -ignore.
type benchProjections struct {
	row, col, ignore string
}

type benchCell struct {
	values  []float64
	residue map[benchproc.Key]bool // residue keys of the results in the cell
}

type benchTable struct {
	key        benchproc.Key
	rows, cols map[benchproc.Key]bool
	cells      map[[2]benchproc.Key]*benchCell
}

// benchMarkdown writes benchstat's comparison (tables by configuration and
// unit, rows and columns by the projections in proj, by default full
// benchmark name and file; median with a confidence interval, the change
// against the first column with the Mann-Whitney U test's p-value, a geomean
// row) as markdown tables.
func benchMarkdown(w, warnw io.Writer, paths []string, filterExpr string, proj benchProjections, alpha, confidence float64) error {
	filter, err := benchproc.NewFilter(filterExpr)
	if err != nil {
		return usagef("--filter %q: %s", filterExpr, firstLine(err))
	}
	// The same projections, parsed in the same order, as benchstat's
	// -table .config -row ROW -col COL -ignore IGNORE: .fullname leaves
	// out the name keys that another projection uses (the /isa of --col
	// /isa), and the residue is whatever none of them covers.
	var parser benchproc.ProjectionParser
	tableBy, unitField, err := parser.ParseWithUnit(".config", filter)
	if err != nil {
		return err
	}
	rowBy, err := parser.Parse(proj.row, filter)
	if err != nil {
		return usagef("--row %q: %s", proj.row, firstLine(err))
	}
	colBy, err := parser.Parse(proj.col, filter)
	if err != nil {
		return usagef("--col %q: %s", proj.col, firstLine(err))
	}
	if _, err := parser.Parse(proj.ignore, filter); err != nil {
		return usagef("--ignore %q: %s", proj.ignore, firstLine(err))
	}
	residueBy := parser.Residue()
	tables := map[benchproc.Key]*benchTable{}
	files := benchfmt.Files{Paths: paths, AllowLabels: true}
	n := 0
	for files.Scan() {
		switch rec := files.Result().(type) {
		case *benchfmt.SyntaxError:
			fmt.Fprintln(warnw, rec)
		case *benchfmt.Result:
			if ok, _ := filter.Apply(rec); !ok {
				continue
			}
			n++
			row, col, residue := rowBy.Project(rec), colBy.Project(rec), residueBy.Project(rec)
			for i, tk := range tableBy.ProjectValues(rec) {
				t := tables[tk]
				if t == nil {
					t = &benchTable{key: tk, rows: map[benchproc.Key]bool{}, cols: map[benchproc.Key]bool{}, cells: map[[2]benchproc.Key]*benchCell{}}
					tables[tk] = t
				}
				c := t.cells[[2]benchproc.Key{row, col}]
				if c == nil {
					c = &benchCell{residue: map[benchproc.Key]bool{}}
					t.cells[[2]benchproc.Key{row, col}] = c
					t.rows[row], t.cols[col] = true, true
				}
				c.values = append(c.values, rec.Values[i].Value)
				c.residue[residue] = true
			}
		}
	}
	if err := files.Err(); err != nil {
		return usagef("%v", err)
	}
	if n == 0 {
		return usagef("no benchmark results in %s", strings.Join(paths, ", "))
	}
	units := files.Units()
	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = alpha

	var keys []benchproc.Key
	for k := range tables {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)
	fmt.Fprintf(w, "Medians with %.0f%% confidence intervals; changes against the first column with the p-value of a Mann-Whitney U test (\"~\": not significant at α = %g), as benchstat computes them.\n", confidence*100, alpha)
	for _, k := range keys {
		if err := writeBenchTable(w, tables[k], unitField, units, &thresholds, confidence); err != nil {
			return err
		}
	}
	return nil
}

func sortedBenchKeys(m map[benchproc.Key]bool) []benchproc.Key {
	var keys []benchproc.Key
	for k := range m {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)
	return keys
}

func writeBenchTable(w io.Writer, t *benchTable, unitField *benchproc.Field, units benchfmt.UnitMetadataMap, th *benchmath.Thresholds, confidence float64) error {
	unit := t.key.Get(unitField)
	assumption := units.GetAssumption(unit)
	cls := benchunit.ClassOf(unit)
	rows, cols := sortedBenchKeys(t.rows), sortedBenchKeys(t.cols)

	// The table's configuration (goos, goarch, pkg, cpu) as a heading.
	var cfg []string
	for _, f := range t.key.Projection().FlattenedFields() {
		if f.Name != ".unit" {
			if v := t.key.Get(f); v != "" {
				cfg = append(cfg, fmt.Sprintf("%s: %s", f.Name, v))
			}
		}
	}
	fmt.Fprintf(w, "\n### %s\n\n", unit)
	if len(cfg) > 0 {
		fmt.Fprintf(w, "%s\n\n", strings.Join(cfg, ", "))
	}

	var notes []string
	mark := func(errs ...[]error) string {
		var marks []string
		for _, es := range errs {
			for _, e := range es {
				i := indexOf(notes, e.Error())
				if i < 0 {
					notes = append(notes, e.Error())
					i = len(notes) - 1
				}
				marks = append(marks, fmt.Sprintf("[%d]", i+1))
			}
		}
		if len(marks) == 0 {
			return ""
		}
		return " " + strings.Join(marks, "")
	}

	header := []string{"benchmark"}
	for i, c := range cols {
		header = append(header, c.StringValues()+" ("+unit+")")
		if i > 0 {
			header = append(header, "vs base")
		}
	}
	type summarised struct {
		sample  *benchmath.Sample
		summary benchmath.Summary
	}
	var body [][]string
	centers := make([][]float64, len(cols))
	ratios := make([][]float64, len(cols))
	paired := make([]int, len(cols)) // rows with a value in both the column and the base
	nBase := 0                       // rows with a value in the base column
	for _, r := range rows {
		var vals []float64
		sums := make([]*summarised, len(cols))
		for i, c := range cols {
			if cell := t.cells[[2]benchproc.Key{r, c}]; cell != nil {
				s := benchmath.NewSample(cell.values, th)
				if err := residueWarning(cell.residue); err != nil {
					s.Warnings = append(s.Warnings, err)
				}
				sums[i] = &summarised{s, assumption.Summary(s, confidence)}
				vals = append(vals, sums[i].summary.Center)
			}
		}
		scaler := benchunit.CommonScale(vals, cls)
		row := []string{r.StringValues()}
		base := sums[0]
		if base != nil {
			nBase++
		}
		for i, s := range sums {
			if s == nil {
				row = append(row, "")
			} else {
				row = append(row, fmt.Sprintf("%s ± %s%s", scaler.Format(s.summary.Center), s.summary.PctRangeString(), mark(s.sample.Warnings, s.summary.Warnings)))
				centers[i] = append(centers[i], s.summary.Center)
			}
			if i == 0 {
				continue
			}
			if s == nil || base == nil {
				row = append(row, "")
				continue
			}
			paired[i]++
			cmp := assumption.Compare(base.sample, s.sample)
			row = append(row, fmt.Sprintf("%s (%s)%s", cmp.FormatDelta(base.summary.Center, s.summary.Center), cmp.String(), mark(cmp.Warnings)))
			switch {
			case s.summary.Center == base.summary.Center:
				ratios[i] = append(ratios[i], 1)
			case base.summary.Center != 0:
				ratios[i] = append(ratios[i], s.summary.Center/base.summary.Center)
			}
		}
		body = append(body, row)
	}
	if len(rows) > 1 {
		row := []string{"geomean"}
		for i := range cols {
			if g := geomean(centers[i]); !math.IsNaN(g) {
				row = append(row, benchunit.Scale(g, cls))
			} else {
				row = append(row, "")
			}
			if i > 0 {
				var warn []error
				if paired[i] != nBase {
					warn = append(warn, errors.New("benchmark set differs from baseline; geomeans may not be comparable"))
				}
				if g := geomean(ratios[i]); !math.IsNaN(g) {
					row = append(row, fmt.Sprintf("%+.2f%%", (g-1)*100)+mark(warn))
				} else {
					row = append(row, "?"+mark(warn))
				}
			}
		}
		body = append(body, row)
	}
	if err := reports.Table(w, header, body); err != nil {
		return err
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for i, n := range notes {
			fmt.Fprintf(w, "[%d] %s  \n", i+1, n)
		}
	}
	return nil
}

// residueWarning is benchstat's warning for a cell whose results differ in
// keys that no projection covers (rows by .name merge the sub-benchmarks of
// a name, say); nil if they do not.
func residueWarning(residue map[benchproc.Key]bool) error {
	var keys []benchproc.Key
	for k := range residue {
		keys = append(keys, k)
	}
	fields := benchproc.NonSingularFields(keys)
	if len(fields) == 0 {
		return nil
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return fmt.Errorf("benchmarks vary in %s", strings.Join(names, ", "))
}

// firstLine is the first line of err's message: benchproc's syntax errors
// go on with the query and a caret under the error, on two more lines.
func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// geomean is the geometric mean of positive values; NaN if there are none
// or one is not positive.
func geomean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		if !(x > 0) {
			return math.NaN()
		}
		s += math.Log(x)
	}
	return math.Exp(s / float64(len(xs)))
}
