package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
)

// ManifestFormat tags manifest files.
const ManifestFormat = "sgdclaims-sweep/1"

// Manifest is DIR/manifest.json: the indexed runs of a sweep.
type Manifest struct {
	Format  string `json:"format"`
	Created string `json:"created"`
	// Source says what was planned: "spec grid.json", "claims c1 (full)".
	Source string `json:"source"`
	// Spec is the spec file's content, when the plan came from one.
	Spec json.RawMessage `json:"spec,omitempty"`
	Runs []Run           `json:"runs"`
}

// Sweep is an opened sweep directory:
//
//	DIR/manifest.json        the runs (sweep plan)
//	DIR/results/<id>.json    one result per finished run, written atomically
//	DIR/logs/                scheduler logs (sweep slurm)
//	DIR/report.md, plots/    what collect and report write
type Sweep struct {
	Dir      string
	Manifest *Manifest
	byID     map[string]int
}

// ManifestPath returns DIR/manifest.json.
func ManifestPath(dir string) string { return filepath.Join(dir, "manifest.json") }

// ResultsDir returns DIR/results.
func ResultsDir(dir string) string { return filepath.Join(dir, "results") }

// ErrPlanDiffers is returned by WritePlan when DIR already holds a
// different plan and force is not set.
var ErrPlanDiffers = errors.New("holds a different plan")

// WritePlan writes DIR/manifest.json for runs (creating DIR). When a
// manifest is there already, the same runs leave it as it is, and
// different runs are refused unless force: shards of a sweep select runs
// by index, so the plan must not change under a running sweep. Results are
// named by run ID, so results of runs that stay in a new plan still count.
func WritePlan(dir, source string, spec json.RawMessage, runs []Run, force bool) (unchanged bool, err error) {
	if len(runs) == 0 {
		return false, errors.New("no runs to plan")
	}
	if old, err := readManifest(dir); err == nil {
		if sameRuns(old.Runs, runs) {
			return true, nil
		}
		if !force {
			return false, fmt.Errorf("%s %w (%d runs; this plan has %d); use another directory, or --force to replace it", ManifestPath(dir), ErrPlanDiffers, len(old.Runs), len(runs))
		}
	} else if !errors.Is(err, fs.ErrNotExist) && !force {
		return false, fmt.Errorf("%v; use --force to replace it", err)
	}
	for i := range runs {
		runs[i].Index = i
	}
	m := &Manifest{Format: ManifestFormat, Created: time.Now().UTC().Format(time.RFC3339), Source: source, Spec: spec, Runs: runs}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(ResultsDir(dir), 0o755); err != nil {
		return false, err
	}
	return false, atomicfile.WriteFile(ManifestPath(dir), append(b, '\n'), 0o644)
}

func sameRuns(a, b []Run) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Label != b[i].Label {
			return false
		}
	}
	return true
}

func readManifest(dir string) (*Manifest, error) {
	path := ManifestPath(dir)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notPlanned{path}
		}
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: corrupt manifest: %v", path, jsonFieldError(err, b))
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("%s: format %q, want %q", path, m.Format, ManifestFormat)
	}
	return &m, nil
}

// notPlanned is the error of a directory without a manifest.
type notPlanned struct{ path string }

func (e notPlanned) Error() string {
	return e.path + ": no manifest; plan the sweep first (sgdclaims sweep plan)"
}
func (e notPlanned) Unwrap() error { return fs.ErrNotExist }

// Open reads and verifies DIR/manifest.json: every run's ID must be the
// hash of its configuration, and its configuration must be canonical for
// this version of the code (so a result can never be credited to a run it
// was not computed for).
func Open(dir string) (*Sweep, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if len(m.Runs) == 0 {
		return nil, fmt.Errorf("%s: no runs", ManifestPath(dir))
	}
	s := &Sweep{Dir: dir, Manifest: m, byID: map[string]int{}}
	for i, r := range m.Runs {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s: run %d: %s", ManifestPath(dir), i, fmt.Sprintf(format, args...))
		}
		if r.Index != i {
			return nil, bad("index %d out of place", r.Index)
		}
		if !ValidID(r.ID) {
			return nil, bad("id %q is not %d hex digits", r.ID, IDLen)
		}
		canon, _, err := NewRun(r.Kind, r.Config)
		if err != nil {
			return nil, bad("%v", err)
		}
		if canon.ID != r.ID {
			return nil, bad("id %s does not match its configuration (hash %s): edited, or planned by another version", r.ID, canon.ID)
		}
		if j, dup := s.byID[r.ID]; dup {
			return nil, bad("same run as run %d", j)
		}
		s.byID[r.ID] = i
	}
	return s, nil
}

// Runs returns the planned runs.
func (s *Sweep) Runs() []Run { return s.Manifest.Runs }

// Len is the number of planned runs.
func (s *Sweep) Len() int { return len(s.Manifest.Runs) }

// resultPath returns DIR/results/<id>.json; id must be valid.
func (s *Sweep) resultPath(id string) string {
	if !ValidID(id) {
		panic("runner: invalid run id " + id)
	}
	return filepath.Join(ResultsDir(s.Dir), id+".json")
}
