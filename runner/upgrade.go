package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
)

// Upgrade re-identifies a sweep planned by an older build whose run
// configurations this build writes in another canonical form (claim runs
// planned before claims had setups lack setup_id, and named "mnist" as
// the data of synthetic claims): every run's configuration is normalised
// again, and a run whose ID changes gets the new ID, in the manifest and in
// its stored result (rewritten with the new configuration and checksum;
// the record, figures and stamp are kept as computed). It only ever
// re-labels: a run that this build would compute differently (another
// setup hash, an unknown claim or unit) is an error and nothing is
// changed. The new result files are written before the manifest, and the
// old ones removed after it, so an interrupted upgrade leaves a sweep that
// opens either way. It returns how many runs were re-identified.
func Upgrade(dir string) (int, error) {
	m, err := readManifest(dir)
	if err != nil {
		return 0, err
	}
	s := &Sweep{Dir: dir, Manifest: m}
	type move struct{ from, to string }
	var moves []move
	var results []*Result
	runs := make([]Run, len(m.Runs))
	for i, r := range m.Runs {
		canon, _, err := NewRun(r.Kind, r.Config)
		if err != nil {
			return 0, fmt.Errorf("%s: run %d (%s): %v: it cannot be re-identified, only planned again", ManifestPath(dir), i, r.Label, err)
		}
		runs[i] = r
		if canon.ID == r.ID {
			continue
		}
		runs[i].ID, runs[i].Config = canon.ID, canon.Config
		b, err := os.ReadFile(s.resultPath(r.ID))
		if errors.Is(err, fs.ErrNotExist) {
			continue // not run yet: only the manifest changes
		}
		if err != nil {
			return 0, err
		}
		res, err := DecodeResult(b)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", s.resultPath(r.ID), err)
		}
		res.ID, res.Config = canon.ID, canon.Config
		if res.Checksum, err = res.computeChecksum(); err != nil {
			return 0, err
		}
		results = append(results, res)
		moves = append(moves, move{r.ID, canon.ID})
	}
	changed := 0
	for i := range runs {
		if runs[i].ID != m.Runs[i].ID {
			changed++
		}
	}
	if changed == 0 {
		return 0, nil
	}
	for _, res := range results {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return 0, err
		}
		if _, err := DecodeResult(b); err != nil {
			return 0, fmt.Errorf("upgraded result %s does not verify: %v", res.ID, err)
		}
		if err := atomicfile.WriteFile(s.resultPath(res.ID), append(b, '\n'), 0o644); err != nil {
			return 0, err
		}
	}
	m.Runs = runs
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return 0, err
	}
	if err := atomicfile.WriteFile(ManifestPath(dir), append(b, '\n'), 0o644); err != nil {
		return 0, err
	}
	for _, mv := range moves {
		if err := os.Remove(s.resultPath(mv.from)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return changed, err
		}
	}
	return changed, nil
}
