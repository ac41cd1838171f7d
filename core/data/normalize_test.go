package data

import (
	"math"
	"slices"
	"testing"
)

func TestParseNormalize(t *testing.T) {
	for _, off := range []string{"", "off", " off "} {
		if n, err := ParseNormalize(off); err != nil || n.On() {
			t.Errorf("%q: %+v, %v", off, n, err)
		}
	}
	if n, err := ParseNormalize("train"); err != nil || !n.FromTrain {
		t.Errorf("train: %+v, %v", n, err)
	}
	n, err := ParseNormalize("0.4914,0.4822,0.4465/0.2470,0.2435,0.2616")
	if err != nil || n.Given == nil || n.Given.Mean[1] != float32(0.4822) || n.Given.Std[2] != float32(0.2616) {
		t.Fatalf("given: %+v, %v", n, err)
	}
	for _, bad := range []string{"mean", "0.5", "0.5/0", "0.5/-1", "0.5,0.5/0.2", "x/1", "0.5/NaN", "/"} {
		if _, err := ParseNormalize(bad); err == nil {
			t.Errorf("ParseNormalize(%q) accepted", bad)
		}
	}
}

// ChannelStats is the mean and population standard deviation of each
// channel; normalising with them gives mean 0 and standard deviation 1.
func TestChannelStats(t *testing.T) {
	s := Shape{C: 2, H: 2, W: 3}
	d := imageSet(5, s)
	d.X[7] = 0.25 // break the symmetry a little
	n := ChannelStats(d)
	for c := range 2 {
		var vals []float64
		for i := range d.N {
			for _, v := range d.Row(i)[c*6 : (c+1)*6] {
				vals = append(vals, float64(v))
			}
		}
		var m, v float64
		for _, x := range vals {
			m += x
		}
		m /= float64(len(vals))
		for _, x := range vals {
			v += (x - m) * (x - m)
		}
		sd := math.Sqrt(v / float64(len(vals)))
		if math.Abs(float64(n.Mean[c])-m) > 1e-3 || math.Abs(float64(n.Std[c])-sd)/sd > 1e-6 {
			t.Fatalf("channel %d: %v, %v; want %v, %v", c, n.Mean[c], n.Std[c], m, sd)
		}
	}
	z := d.Normalized(n)
	if again := ChannelStats(z); math.Abs(float64(again.Mean[0])) > 1e-4 || math.Abs(float64(again.Std[1])-1) > 1e-4 {
		t.Fatalf("normalised stats %+v", again)
	}
	if d.X[0] != 0 || z.X[0] == 0 {
		t.Fatal("Normalized changed its source (or nothing)")
	}
	// (x - mean) / std exactly, per channel.
	if want := (d.X[6] - n.Mean[1]) / n.Std[1]; z.X[6] != want {
		t.Fatalf("value %v, want %v", z.X[6], want)
	}
	// Feature vectors are one channel; a constant channel gets std 1.
	flat := &Dataset{N: 2, Dim: 2, X: []float32{1, 1, 1, 1}, Y: []int32{0, 0}, Classes: 1}
	if f := ChannelStats(flat); len(f.Mean) != 1 || f.Mean[0] != 1 || f.Std[0] != 1 {
		t.Fatalf("flat %+v", f)
	}
	if got := d.Normalized(nil); got != d {
		t.Fatal("Normalized(nil) copied")
	}
	spec, _ := ParseNormalize("0.5/0.5")
	if _, err := spec.Resolve(d); err == nil {
		t.Fatal("one channel given for two")
	}
	spec, _ = ParseNormalize("train")
	if r, err := spec.Resolve(d); err != nil || !slices.Equal(r.Mean, n.Mean) {
		t.Fatalf("train: %+v, %v", r, err)
	}
}
