package jsonfloat

import (
	"encoding/json"
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	in := []float64{1.5, math.NaN(), math.Inf(1), math.Inf(-1), 0, -2e-300}
	b, err := json.Marshal(Floats(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `[1.5,null,"+Inf","-Inf",0,-2e-300]` {
		t.Errorf("marshalled as %s", b)
	}
	var back []Float
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	out := Float64s(back)
	for i := range in {
		if math.Float64bits(in[i]) != math.Float64bits(out[i]) && !(math.IsNaN(in[i]) && math.IsNaN(out[i])) {
			t.Errorf("%d: %g read back as %g", i, in[i], out[i])
		}
	}
	if err := json.Unmarshal([]byte(`"x"`), new(Float)); err == nil {
		t.Error("a string that is no infinity was accepted")
	}
	m := Float64Map(Map(map[string]float64{"a": 1, "b": math.NaN()}))
	if m["a"] != 1 || !math.IsNaN(m["b"]) || len(m) != 2 {
		t.Errorf("map round trip %v", m)
	}
	if Floats(nil) != nil || Float64s(nil) != nil {
		t.Error("nil slices must stay nil (omitempty fields)")
	}
}
