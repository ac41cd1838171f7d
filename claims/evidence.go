package claims

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
	"github.com/sgdclaims/sgdclaims/internal/provenance"
)

// Evidence is everything a claim's run produced: enough to decide the
// verdict (Verdict reads Measurements), to compare with a golden (Figures),
// and to render the report (Tables, Plots, Notes) without the code that ran
// it. It marshals to JSON, NaN and infinities included.
type Evidence struct {
	Info Info `json:"info"`
	Spec Spec `json:"spec"`
	// Seeds are the root seeds of the replicates.
	Seeds []uint64 `json:"seeds"`
	// Data says what was trained on, resolved: "synthetic: ..." or the MNIST
	// directory.
	Data string `json:"data"`
	// The stamp: the kernel implementation (floating-point summation order
	// differs between them), parallelism, toolchain and wall time.
	ISA        string  `json:"isa"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	GoVersion  string  `json:"go_version"`
	Seconds    float64 `json:"seconds"`
	// Provenance is the commit the run's code came from and whether its
	// tree had uncommitted changes.
	Provenance provenance.Info `json:"provenance"`
	// Registration is the stamp of the claim's registered checks
	// (Registration.Stamp), "" for a claim without a registration.
	Registration string `json:"registration,omitempty"`
	// ChangeLog is the claim's change log when it ran (Registration.Changes),
	// so that a report shows what changed after which results were seen.
	ChangeLog []Change `json:"change_log,omitempty"`
	// Coverage is set when the evidence was merged from a sweep's partial
	// results: which seeds it uses and which units were missing.
	Coverage *Coverage `json:"coverage,omitempty"`
	// Figures are the claim's key numbers by name ("a/ratio_C/worst"): what
	// goldens compare and benchmarks report. Names are stable across
	// versions; add, don't rename.
	Figures map[string]float64 `json:"-"`
	// Metrics names the figures BenchmarkClaim reports, mapped to their
	// benchmark unit ("a/ratio_C/mean" -> "a-excess-ratio"), so benchstat
	// compares claim figures across commits and ISAs as it compares speed.
	// Empty means every figure, its name as the unit.
	Metrics map[string]string `json:"metrics,omitempty"`
	// Measurements is the claim's raw record in its own JSON shape, the only
	// input of Verdict. Use SetMeasurements and GetMeasurements.
	Measurements json.RawMessage `json:"measurements"`
	Tables       []Table         `json:"tables"`
	Plots        []Plot          `json:"plots"`
	Notes        []string        `json:"notes"`
}

type evidenceJSON Evidence // no methods: avoids recursion in MarshalJSON

type evidenceWire struct {
	evidenceJSON
	Figures map[string]jsonfloat.Float `json:"figures"`
}

// MarshalJSON writes Figures with jsonfloat.Float so NaN survives.
func (e Evidence) MarshalJSON() ([]byte, error) {
	return json.Marshal(evidenceWire{evidenceJSON: evidenceJSON(e), Figures: jsonfloat.Map(e.Figures)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Evidence) UnmarshalJSON(b []byte) error {
	var w evidenceWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Evidence(w.evidenceJSON)
	e.Figures = jsonfloat.Float64Map(w.Figures)
	return nil
}

// SetMeasurements stores v (the claim's own record type) as JSON.
func (e *Evidence) SetMeasurements(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("claims: %s: measurements: %w", e.Info.ID, err)
	}
	e.Measurements = b
	return nil
}

// GetMeasurements decodes the stored record into v.
func (e *Evidence) GetMeasurements(v any) error {
	if len(e.Measurements) == 0 {
		return fmt.Errorf("claims: %s: evidence has no measurements", e.Info.ID)
	}
	if err := json.Unmarshal(e.Measurements, v); err != nil {
		return fmt.Errorf("claims: %s: measurements: %w", e.Info.ID, err)
	}
	return nil
}

// Table is a small table of preformatted cells; the claim decides the number
// formats because it knows the precision that means something.
type Table struct {
	Title   string     `json:"title"`
	Caption string     `json:"caption,omitempty"` // what the columns mean, units
	Header  []string   `json:"header"`
	Rows    [][]string `json:"rows"`
}

// Plot is a figure described as data; package reports draws it. A reader
// must understand it without the code, so Title, axis labels (with units or
// "(dimensionless)") and Caption are required.
type Plot struct {
	Name    string   `json:"name"` // file stem, unique in a report: "c2_excess_vs_prediction"
	Title   string   `json:"title"`
	XLabel  string   `json:"xlabel"`
	YLabel  string   `json:"ylabel"`
	LogX    bool     `json:"logx"`
	LogY    bool     `json:"logy"`
	Caption string   `json:"caption"`
	Series  []Series `json:"series"`
}

// SeriesKind says how a series is drawn.
type SeriesKind string

const (
	Points     SeriesKind = "points"      // markers only
	Line       SeriesKind = "line"        // a line only (theory, y = x)
	LinePoints SeriesKind = "line+points" // markers joined by a line
)

// Series is one legend entry of a plot. YLo/YHi, when set, are absolute
// interval bounds drawn as error bars.
type Series struct {
	Label string     `json:"label"`
	Kind  SeriesKind `json:"kind"`
	X     []float64  `json:"-"`
	Y     []float64  `json:"-"`
	YLo   []float64  `json:"-"`
	YHi   []float64  `json:"-"`
	// Reference marks values that were not measured here (a paper's numbers,
	// a theoretical prediction); reports draw them dashed.
	Reference bool `json:"reference,omitempty"`
	// Color picks the colour: 0 automatic (measured series take the palette
	// in order, reference series are black), k > 0 the palette's k-th
	// colour (to pair a prediction with the series it predicts), -1 black.
	Color int `json:"color,omitempty"`
}

type seriesJSON Series

type seriesWire struct {
	seriesJSON
	X   []jsonfloat.Float `json:"x"`
	Y   []jsonfloat.Float `json:"y"`
	YLo []jsonfloat.Float `json:"ylo,omitempty"`
	YHi []jsonfloat.Float `json:"yhi,omitempty"`
}

// MarshalJSON writes the coordinates with jsonfloat.Float so NaN survives.
func (s Series) MarshalJSON() ([]byte, error) {
	return json.Marshal(seriesWire{seriesJSON(s), jsonfloat.Floats(s.X), jsonfloat.Floats(s.Y), jsonfloat.Floats(s.YLo), jsonfloat.Floats(s.YHi)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Series) UnmarshalJSON(b []byte) error {
	var w seriesWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Series(w.seriesJSON)
	s.X, s.Y, s.YLo, s.YHi = jsonfloat.Float64s(w.X), jsonfloat.Float64s(w.Y), jsonfloat.Float64s(w.YLo), jsonfloat.Float64s(w.YHi)
	return nil
}

// Validate checks that a plot can be drawn and read: labels present, series
// lengths consistent, positive values on log axes.
func (p *Plot) Validate() error {
	if p.Name == "" || p.Title == "" || p.XLabel == "" || p.YLabel == "" || p.Caption == "" {
		return fmt.Errorf("plot %q: name, title, axis labels and caption are all required", p.Name)
	}
	for _, s := range p.Series {
		if len(s.X) != len(s.Y) || (s.YLo != nil && len(s.YLo) != len(s.Y)) || (s.YHi != nil && len(s.YHi) != len(s.Y)) {
			return fmt.Errorf("plot %q, series %q: %d x, %d y, %d lo, %d hi values", p.Name, s.Label, len(s.X), len(s.Y), len(s.YLo), len(s.YHi))
		}
		if s.Label == "" {
			return fmt.Errorf("plot %q: a series has no label", p.Name)
		}
	}
	return nil
}

// Result is a claim's evidence with its verdict: what verify stores and
// reports render.
type Result struct {
	Evidence *Evidence `json:"evidence"`
	Verdict  *Verdict  `json:"verdict"`
}

// Results is the file verify writes (DIR/results.json) and report reads.
type Results struct {
	Scale   Scale  `json:"scale"`
	Started string `json:"started"`
	// Provenance is the commit verify ran from.
	Provenance provenance.Info `json:"provenance"`
	// Results has one entry per claim and setup, claims in the order
	// run, each claim's setups in its Specs order.
	Results []Result `json:"results"`
	// Claims is each claim's verdict across its setups (CombineSetups).
	Claims []ClaimVerdict `json:"claims"`
}

// CurrentProvenance is the running build's provenance.
func CurrentProvenance() provenance.Info { return provenance.Current() }

// SaveResults writes rs to path atomically.
func SaveResults(path string, rs *Results) error {
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}

// LoadResults reads a file written by SaveResults.
func LoadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs Results
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &rs, nil
}
