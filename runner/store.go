package runner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sgdclaims/sgdclaims/internal/provenance"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
	"github.com/sgdclaims/sgdclaims/internal/jsonfloat"
)

// ResultFormat tags result files.
const ResultFormat = "sgdclaims-result/1"

// Result is DIR/results/<id>.json: the outcome of one run. Everything but
// Stamp and Checksum is determined by the configuration and the kernels,
// so the same run gives the same bytes (Deterministic) on any machine with
// the same ISA, however the sweep was sharded.
type Result struct {
	Format string          `json:"format"`
	ID     string          `json:"id"`
	Kind   string          `json:"kind"`
	Config json.RawMessage `json:"config"`
	// Diverged marks a run whose loss became NaN/Inf (at DivergedStep): a
	// finished run, recorded and never redone.
	Diverged     bool                       `json:"diverged"`
	DivergedStep int                        `json:"diverged_step,omitempty"`
	Figures      map[string]jsonfloat.Float `json:"figures"`
	Record       json.RawMessage            `json:"record"`
	Stamp        Stamp                      `json:"stamp"`
	// Checksum is the SHA-256 of the result's compact JSON with Checksum
	// empty: a file that was truncated, edited or damaged fails it.
	Checksum string `json:"checksum"`
}

// Stamp says where, when and how a result was computed.
type Stamp struct {
	ISA        string  `json:"isa"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	GoVersion  string  `json:"go_version"`
	Host       string  `json:"host"`
	Started    string  `json:"started"`
	Seconds    float64 `json:"seconds"`
	// CPUSeconds is the process's CPU time (user + system, every core)
	// over the run, recorded only when the run had the process to itself
	// (no other run of the sweep started or was running meanwhile): on a
	// shared machine it is the budget figure that load does not inflate
	// the way it inflates Seconds. Omitted otherwise, and in results from
	// before it existed, whose checksums it leaves valid.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// Task names the scheduler task that ran it ("slurm job 12_3",
	// "k8s index 3"), when there was one.
	Task string `json:"task,omitempty"`
	// Provenance is the commit of the build that ran it and whether its
	// tree had uncommitted changes. Omitted when unknown, so that results
	// stored before it existed keep their checksums.
	Provenance provenance.Info `json:"provenance,omitzero"`
}

// Deterministic returns the part of the result a rerun must reproduce
// bit for bit: the result without its stamp and checksum, as compact JSON.
func (r *Result) Deterministic() []byte {
	c := *r
	c.Stamp, c.Checksum = Stamp{}, ""
	b, _ := json.Marshal(&c)
	return b
}

func (r *Result) computeChecksum() (string, error) {
	c := *r
	c.Checksum = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// State is what DIR holds for a planned run.
type State int

const (
	Missing  State = iota // no result file
	Done                  // a valid result
	Diverged              // a valid result of a run that diverged
	Corrupt               // a result file that fails its checks; to be redone
)

func (s State) String() string {
	return [...]string{"missing", "done", "diverged", "corrupt"}[s]
}

// Finished reports whether the run needs no more work.
func (s State) Finished() bool { return s == Done || s == Diverged }

// Load reads and verifies run's result: valid JSON of the right format, the
// checksum, the ID equal to the run's and to the hash of the stored
// configuration. It returns Missing when there is no file, and Corrupt with
// the reason when a check fails.
func (s *Sweep) Load(run Run) (*Result, State, error) {
	path := s.resultPath(run.ID)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Missing, nil
	}
	if err != nil {
		return nil, Corrupt, err
	}
	r, err := DecodeResult(b)
	if err != nil {
		return nil, Corrupt, fmt.Errorf("%s: %v", path, err)
	}
	if r.ID != run.ID {
		return nil, Corrupt, fmt.Errorf("%s: holds run %s", path, r.ID)
	}
	if !r.Diverged && run.Kind == "claim-unit" {
		// A claim unit says it diverged inside its own result; results
		// stored before Execute read that (2026-12-04) carry false here.
		var rec ClaimUnitRecord
		if json.Unmarshal(r.Record, &rec) == nil {
			r.Diverged, r.DivergedStep = unitDiverged(rec.Result)
		}
	}
	if r.Diverged {
		return r, Diverged, nil
	}
	return r, Done, nil
}

// DecodeResult parses and verifies a result file's content.
func DecodeResult(b []byte) (*Result, error) {
	var r Result
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("corrupt: %v", jsonFieldError(err, b))
	}
	if dec.More() {
		return nil, errors.New("corrupt: data after the result")
	}
	if r.Format != ResultFormat {
		return nil, fmt.Errorf("corrupt: format %q, want %q", r.Format, ResultFormat)
	}
	sum, err := r.computeChecksum()
	if err != nil {
		return nil, fmt.Errorf("corrupt: %v", err)
	}
	if sum != r.Checksum {
		return nil, errors.New("corrupt: checksum mismatch")
	}
	if !ValidID(r.ID) || IDOf(r.Kind, r.Config) != r.ID {
		return nil, errors.New("corrupt: id does not match the stored configuration")
	}
	return &r, nil
}

// store writes run's result atomically (temporary file, fsync, rename):
// a reader sees no file or the whole file, even after kill -9.
func (s *Sweep) store(run Run, out *Output, stamp Stamp) (*Result, error) {
	rec, err := json.Marshal(out.Record)
	if err != nil {
		return nil, fmt.Errorf("encoding the record: %w", err)
	}
	r := &Result{Format: ResultFormat, ID: run.ID, Kind: run.Kind, Config: run.Config,
		Diverged: out.Diverged, DivergedStep: out.DivergedStep,
		Figures: jsonfloat.Map(out.Figures), Record: rec, Stamp: stamp}
	if r.Checksum, err = r.computeChecksum(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	// Round-trip check: what is written must verify when read back.
	if _, err := DecodeResult(b); err != nil {
		return nil, fmt.Errorf("result does not survive encoding: %v", err)
	}
	if err := os.MkdirAll(ResultsDir(s.Dir), 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(s.resultPath(run.ID), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return r, nil
}

// quarantine moves a corrupt result aside to DIR/results/<id>.json.corrupt
// (replacing an older one), so that the run is redone and the bad file can
// still be looked at.
func (s *Sweep) quarantine(run Run) error {
	p := s.resultPath(run.ID)
	err := os.Rename(p, p+".corrupt")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// staleTempAge is how old a temporary file must be before a run removes it
// as left over by a killed writer. Writing a result takes milliseconds
// (the work happens before the file is opened), so a temporary file this old
// is not being written any more, even by another shard.
const staleTempAge = 10 * time.Minute

// strayTemps lists temporary files in DIR/results (left by a writer killed
// mid-write) and removes those older than staleTempAge when remove is set.
func (s *Sweep) strayTemps(remove bool) (names []string) {
	ents, _ := os.ReadDir(ResultsDir(s.Dir))
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		names = append(names, e.Name())
		if info, err := e.Info(); remove && err == nil && time.Since(info.ModTime()) > staleTempAge {
			os.Remove(filepath.Join(ResultsDir(s.Dir), e.Name()))
		}
	}
	return names
}
