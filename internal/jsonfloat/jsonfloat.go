// Package jsonfloat is a float64 that survives JSON (NaN and the
// infinities included), for the records claims, sweeps and reports store:
// a diverged run legitimately produces NaN, and encoding/json refuses it.
// It is a leaf: it imports nothing of this module, so the runner, the
// claims and their statistics can all use it.
package jsonfloat

import (
	"encoding/json"
	"fmt"
	"math"
)

// Float is a float64 that survives JSON: NaN is written as null and the
// infinities as the strings "+Inf" and "-Inf"; all three read back. Plain
// encoding/json fails on them, and a diverged run legitimately produces them.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsNaN(x):
		return []byte("null"), nil
	case math.IsInf(x, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Inf"`), nil
	}
	return json.Marshal(x)
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*f = Float(math.NaN())
		return nil
	case `"+Inf"`, `"Inf"`:
		*f = Float(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = Float(math.Inf(-1))
		return nil
	}
	var x float64
	if err := json.Unmarshal(b, &x); err != nil {
		return fmt.Errorf("jsonfloat: %w", err)
	}
	*f = Float(x)
	return nil
}

// Floats converts a slice for marshalling.
func Floats(xs []float64) []Float {
	if xs == nil {
		return nil
	}
	out := make([]Float, len(xs))
	for i, x := range xs {
		out[i] = Float(x)
	}
	return out
}

// Float64s converts back after unmarshalling.
func Float64s(xs []Float) []float64 {
	if xs == nil {
		return nil
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// Map converts a map for marshalling.
func Map(m map[string]float64) map[string]Float {
	out := make(map[string]Float, len(m))
	for k, v := range m {
		out[k] = Float(v)
	}
	return out
}

// Float64Map converts back after unmarshalling.
func Float64Map(m map[string]Float) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}
