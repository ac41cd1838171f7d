package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxRuns caps the number of runs one plan may hold, so that a typo in a
// grid (an extra zero in a list length, say) is caught before it floods a
// cluster.
const MaxRuns = 100000

// Spec is a user's grid, read from a spec file:
//
//	{"kind": "train",
//	 "base": {"model": "mlp:784-128-10", "epochs": 5, "val_examples": 5000},
//	 "grid": {"lr": [0.05, 0.1], "batch": [32, 128], "seed": [1, 2, 3]}}
//
// The runs are the cartesian product of the grid's lists, each merged into
// base, ordered like nested loops in the order the grid's keys appear in
// the file: the first key varies slowest, the last fastest.
type Spec struct {
	Kind string
	Base map[string]json.RawMessage
	Grid []Axis
	// Raw is the spec file's content, compacted, kept in the manifest.
	Raw json.RawMessage
}

// Axis is one key of the grid with its values.
type Axis struct {
	Field  string
	Values []json.RawMessage
}

// ParseSpec reads a spec file's content strictly: unknown fields, values of
// the wrong type, an empty grid, a field both in base and grid, and
// duplicate keys are errors. Errors are one line naming the field, e.g.
// "grid.lr[2]: want a number, got string"; the caller prefixes the file.
func ParseSpec(b []byte) (*Spec, error) {
	var top struct {
		Kind string          `json:"kind"`
		Base json.RawMessage `json:"base"`
		Grid json.RawMessage `json:"grid"`
	}
	if err := decodeStrict(b, &top); err != nil {
		return nil, err
	}
	// encoding/json lets a later key win; a spec with "kind" twice is a
	// mistake to report, as in base and grid.
	if _, _, err := orderedObject(b, ""); err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	json.Compact(&compact, b)
	s := &Spec{Kind: top.Kind, Base: map[string]json.RawMessage{}, Raw: compact.Bytes()}
	if top.Kind == "" {
		return nil, fieldErr("kind", "required (known: %s)", strings.Join(KindNames(), ", "))
	}
	k, err := LookupKind(top.Kind)
	if err != nil {
		return nil, fieldErr("kind", "%v", err)
	}
	fields := configFields(k.New())
	if len(top.Base) > 0 && string(top.Base) != "null" {
		keys, vals, err := orderedObject(top.Base, "base")
		if err != nil {
			return nil, err
		}
		for i, key := range keys {
			if !slices.Contains(fields, key) {
				return nil, fieldErr("base."+key, "unknown field (known: %s)", strings.Join(fields, ", "))
			}
			if err := checkValue(k, key, vals[i], "base."+key); err != nil {
				return nil, err
			}
			s.Base[key] = vals[i]
		}
	}
	if len(top.Grid) == 0 || string(top.Grid) == "null" {
		return nil, fieldErr("grid", "missing: give at least one field with a list of values, e.g. \"grid\": {\"seed\": [1, 2, 3]}")
	}
	keys, vals, err := orderedObject(top.Grid, "grid")
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fieldErr("grid", "empty: give at least one field with a list of values")
	}
	for i, key := range keys {
		name := "grid." + key
		if !slices.Contains(fields, key) {
			return nil, fieldErr(name, "unknown field (known: %s)", strings.Join(fields, ", "))
		}
		if _, inBase := s.Base[key]; inBase {
			return nil, fieldErr(name, "also set in base; set it in one place")
		}
		var list []json.RawMessage
		if jsonType(vals[i]) != "list" || json.Unmarshal(vals[i], &list) != nil {
			return nil, fieldErr(name, "want a list of values, got %s", jsonType(vals[i]))
		}
		if len(list) == 0 {
			return nil, fieldErr(name, "empty list: give at least one value")
		}
		for j, v := range list {
			if err := checkValue(k, key, v, fmt.Sprintf("%s[%d]", name, j)); err != nil {
				return nil, err
			}
		}
		s.Grid = append(s.Grid, Axis{Field: key, Values: list})
	}
	return s, nil
}

// checkValue decodes {key: v} into a fresh config of kind k to check v's
// type.
func checkValue(k Kind, key string, v json.RawMessage, name string) error {
	if jsonType(v) == "null" {
		return fieldErr(name, "null is not a value")
	}
	obj, _ := json.Marshal(map[string]json.RawMessage{key: v})
	if err := decodeStrict(obj, k.New()); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return fieldErr(name, "%s", fe.Msg)
		}
		return fieldErr(name, "%v", err)
	}
	return nil
}

// Size is the number of runs the grid expands to.
func (s *Spec) Size() int {
	n := 1
	for _, a := range s.Grid {
		n *= len(a.Values)
		if n > MaxRuns {
			return n
		}
	}
	return n
}

// Expand returns the grid's runs in order, each normalised and checked
// (data sizes included) before anything runs. An error names the grid
// value or base field at fault.
func (s *Spec) Expand() ([]Run, error) {
	if n := s.Size(); n > MaxRuns {
		return nil, fieldErr("grid", "more than %d runs; split the sweep", MaxRuns)
	}
	idx := make([]int, len(s.Grid))
	var runs []Run
	seen := map[string]int{}
	for {
		point := map[string]json.RawMessage{}
		for k, v := range s.Base {
			point[k] = v
		}
		var label []string
		for a, ax := range s.Grid {
			v := ax.Values[idx[a]]
			point[ax.Field] = v
			label = append(label, ax.Field+"="+labelValue(v))
		}
		raw, _ := json.Marshal(point)
		run, cfg, err := NewRun(s.Kind, raw)
		if err == nil {
			err = cfg.Check()
		}
		if err != nil {
			return nil, s.blame(err, idx)
		}
		run.Index, run.Label = len(runs), strings.Join(label, " ")
		if first, dup := seen[run.ID]; dup {
			return nil, fieldErr("grid", "runs %d (%s) and %d (%s) are the same configuration", first, runs[first].Label, run.Index, run.Label)
		}
		seen[run.ID] = run.Index
		runs = append(runs, run)
		// Odometer: the last axis turns fastest.
		a := len(idx) - 1
		for ; a >= 0; a-- {
			idx[a]++
			if idx[a] < len(s.Grid[a].Values) {
				break
			}
			idx[a] = 0
		}
		if a < 0 {
			return runs, nil
		}
	}
}

// blame rewrites a FieldError of a grid point to name where the value came
// from: "grid.lr[2]" or "base.batch".
func (s *Spec) blame(err error, idx []int) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return err
	}
	for a, ax := range s.Grid {
		if ax.Field == fe.Field {
			return fieldErr(fmt.Sprintf("grid.%s[%d]", ax.Field, idx[a]), "%s", fe.Msg)
		}
	}
	if fe.Field != "" {
		return fieldErr("base."+fe.Field, "%s", fe.Msg)
	}
	return err
}

// labelValue renders a grid value for a label: strings without quotes.
func labelValue(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var c bytes.Buffer
	json.Compact(&c, v)
	return c.String()
}

// orderedObject reads a JSON object's keys in file order, refusing
// duplicate keys.
func orderedObject(raw json.RawMessage, name string) (keys []string, vals []json.RawMessage, err error) {
	if t := jsonType(raw); t != "object" {
		return nil, nil, fieldErr(name, "want an object, got %s", t)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return nil, nil, fieldErr(name, "%v", err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, fieldErr(name, "%v", err)
		}
		key, _ := t.(string)
		field := key
		if name != "" {
			field = name + "." + key
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fieldErr(field, "%v", err)
		}
		if slices.Contains(keys, key) {
			return nil, nil, fieldErr(field, "given twice")
		}
		keys, vals = append(keys, key), append(vals, v)
	}
	return keys, vals, nil
}

// jsonType names the type of a JSON value by its first byte.
func jsonType(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "list"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}
