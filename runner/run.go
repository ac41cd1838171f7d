package runner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Run is one fully specified unit of work: a kind and its configuration.
// Its ID is a hash of both, so the same configuration has the same ID in
// every plan, on every machine, and a result file names the work it holds.
type Run struct {
	// Index is the run's position in the manifest (0-based): what
	// `sweep run --index` and a scheduler's array index select.
	Index int `json:"index"`
	// ID is IDOf(Kind, Config): 16 lower-case hex digits.
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Label names the run among its siblings ("lr=0.1 batch=64 seed=2"):
	// the grid values that set it apart. It is not part of the ID.
	Label string `json:"label"`
	// Config is the kind's configuration in canonical form (defaults filled
	// in, compact JSON in the field order of the kind's Go type).
	Config json.RawMessage `json:"config"`
}

// IDLen is the number of hex digits of a run ID (64 bits of SHA-256: a
// collision is out of reach for any grid a cluster can run).
const IDLen = 16

var idPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// ValidID reports whether id has the form of a run ID. Only such IDs ever
// become file names, so no name read from a file or a flag can point
// outside the sweep directory.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// IDOf returns the ID of a run of the given kind with the given canonical
// configuration: the first 16 hex digits of SHA-256 over a version tag, the
// kind and the compact configuration JSON.
func IDOf(kind string, config json.RawMessage) string {
	var c bytes.Buffer
	if err := json.Compact(&c, config); err != nil {
		c.Reset()
		c.Write(config)
	}
	h := sha256.New()
	fmt.Fprintf(h, "sgdclaims-run/1\n%s\n", kind)
	h.Write(c.Bytes())
	return hex.EncodeToString(h.Sum(nil))[:IDLen]
}

// Config is the configuration of one run of a kind. Implementations are
// JSON-serialisable structs; optional fields carry `omitempty`, so that a
// field added later leaves the IDs of existing runs unchanged.
type Config interface {
	// Normalize fills in defaults and checks every field without touching
	// files. Errors are *FieldError naming the JSON field.
	Normalize() error
	// Check validates what needs the environment (data sizes, a claim's
	// existence) before anything runs. Errors are *FieldError.
	Check() error
	// Execute does the work. It returns ctx.Err() (and no output) when ctx
	// is cancelled part-way. It must be deterministic: the same config gives
	// the same Output on the same kernels (ISA), whatever the parallelism.
	Execute(ctx context.Context, env *Env) (*Output, error)
}

// Env is what a run may use from the runner.
type Env struct {
	// Progress, if set, receives the run's own progress (steps, seeds).
	Progress func(done, total int)
	// Workers bounds a run's own parallelism over independent pieces (a
	// claim's seeds and grid points); 0 means GOMAXPROCS. Results do not
	// depend on it.
	Workers int
}

func (e *Env) progress(done, total int) {
	if e != nil && e.Progress != nil {
		e.Progress(done, total)
	}
}

// Output is what a run produced. Everything in it is deterministic; timing
// and host go into the result's Stamp instead.
type Output struct {
	// Record is the kind's full record, stored as JSON.
	Record any
	// Figures are the headline numbers by name, shown by collect.
	Figures map[string]float64
	// Diverged marks a run whose loss became NaN or Inf at DivergedStep; it
	// is a finished run (its result is stored and not redone).
	Diverged     bool
	DivergedStep int
	// ISA is the kernel implementation that computed it.
	ISA string
}

// Kind is a registered kind of run.
type Kind struct {
	Name string
	// Summary says in a few words what a run of the kind does.
	Summary string
	// New returns a pointer to a zero configuration.
	New func() Config
}

var (
	kindMu sync.Mutex
	kinds  = map[string]Kind{}
)

// RegisterKind adds a kind; it panics on a duplicate, a programming error.
func RegisterKind(k Kind) {
	kindMu.Lock()
	defer kindMu.Unlock()
	if _, dup := kinds[k.Name]; dup || k.Name == "" || k.New == nil {
		panic("runner: bad or duplicate kind " + k.Name)
	}
	kinds[k.Name] = k
}

// LookupKind returns the kind of that name; the error lists the known ones.
func LookupKind(name string) (Kind, error) {
	kindMu.Lock()
	k, ok := kinds[name]
	kindMu.Unlock()
	if !ok {
		return Kind{}, fmt.Errorf("unknown kind %q (known: %s)", name, strings.Join(KindNames(), ", "))
	}
	return k, nil
}

// KindNames lists the registered kinds in order.
func KindNames() []string {
	kindMu.Lock()
	defer kindMu.Unlock()
	var names []string
	for n := range kinds {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// FieldError is a bad value of a configuration field.
type FieldError struct {
	Field string // JSON path: "lr", "grid.lr[2]", "base.batch"
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	f := e.Field
	if strings.ContainsFunc(f, unicode.IsControl) {
		f = strconv.Quote(f) // a key with a newline must not break the one-line error
	}
	return f + ": " + e.Msg
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// NewRun decodes raw strictly into a configuration of the kind, normalises
// it and returns the run with its canonical config and ID.
func NewRun(kind string, raw json.RawMessage) (Run, Config, error) {
	k, err := LookupKind(kind)
	if err != nil {
		return Run{}, nil, err
	}
	cfg := k.New()
	if err := decodeStrict(raw, cfg); err != nil {
		return Run{}, nil, err
	}
	if err := cfg.Normalize(); err != nil {
		return Run{}, nil, err
	}
	canon, err := json.Marshal(cfg)
	if err != nil {
		return Run{}, nil, err
	}
	return Run{ID: IDOf(kind, canon), Kind: kind, Config: canon}, cfg, nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data; errors name the field.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(err, raw)
	}
	if dec.More() {
		return &FieldError{Msg: "unexpected data after the JSON value"}
	}
	return nil
}

// jsonFieldError turns encoding/json's errors into FieldErrors.
func jsonFieldError(err error, raw []byte) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return &FieldError{Field: te.Field, Msg: fmt.Sprintf("want %s, got %s", typeWord(te.Type), te.Value)}
	case errors.As(err, &se):
		line, col := lineCol(raw, se.Offset)
		return &FieldError{Msg: fmt.Sprintf("line %d, column %d: %v", line, col, se)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &FieldError{Msg: "truncated JSON"}
	case errors.Is(err, io.EOF):
		return &FieldError{Msg: "empty: want a JSON object"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return &FieldError{Field: strings.Trim(f, `"`), Msg: "unknown field"}
	}
	return &FieldError{Msg: strings.TrimPrefix(msg, "json: ")}
}

func lineCol(b []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off-1 && i < int64(len(b)); i++ {
		if b[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func typeWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// configFields lists the JSON field names of a configuration type in
// declaration order.
func configFields(cfg Config) []string {
	t := reflect.TypeOf(cfg)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}
