package data

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Normalization standardises inputs per channel, x' = (x - Mean[c]) /
// Std[c], as torchvision's Normalize does after ToTensor: it is applied to
// the [0,1] pixels after augmentation (so crop padding, 0 in pixel space,
// becomes -Mean/Std). Data without an image shape is one channel.
type Normalization struct {
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
}

// NormalizeSpec is a parsed --normalize value: off, computed from the
// training set ("train"), or given ("M1,M2,M3/S1,S2,S3").
type NormalizeSpec struct {
	FromTrain bool
	Given     *Normalization
}

// On reports whether the spec asks for normalisation.
func (n NormalizeSpec) On() bool { return n.FromTrain || n.Given != nil }

// ParseNormalize reads a --normalize value: "" or "off"; "train" (the mean
// and standard deviation of each channel over the training set the model is
// trained on, after the validation split); or "M1,...,MC/S1,...,SC", one
// mean and one standard deviation (> 0) per channel, such as CIFAR-10's
// usual "0.4914,0.4822,0.4465/0.2470,0.2435,0.2616".
func ParseNormalize(spec string) (NormalizeSpec, error) {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "", "off":
		return NormalizeSpec{}, nil
	case "train":
		return NormalizeSpec{FromTrain: true}, nil
	}
	ms, ss, ok := strings.Cut(spec, "/")
	if !ok {
		return NormalizeSpec{}, fmt.Errorf("normalize %q: want off, train, or MEANS/STDS (e.g. 0.5,0.5,0.5/0.25,0.25,0.25)", spec)
	}
	mean, err := parseFloats(ms)
	if err != nil {
		return NormalizeSpec{}, fmt.Errorf("normalize %q: means: %v", spec, err)
	}
	std, err := parseFloats(ss)
	if err != nil {
		return NormalizeSpec{}, fmt.Errorf("normalize %q: standard deviations: %v", spec, err)
	}
	if len(mean) != len(std) {
		return NormalizeSpec{}, fmt.Errorf("normalize %q: %d means but %d standard deviations", spec, len(mean), len(std))
	}
	for _, s := range std {
		if !(s > 0) {
			return NormalizeSpec{}, fmt.Errorf("normalize %q: standard deviation %g: must be > 0", spec, s)
		}
	}
	return NormalizeSpec{Given: &Normalization{Mean: mean, Std: std}}, nil
}

func parseFloats(s string) ([]float32, error) {
	var out []float32
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%q is not a finite number", f)
		}
		out = append(out, float32(v))
	}
	return out, nil
}

// Resolve returns the normalisation for training on train: the given one
// (checked against the data's channels) or the one computed from train; nil
// when off.
func (n NormalizeSpec) Resolve(train *Dataset) (*Normalization, error) {
	switch {
	case n.Given != nil:
		if c := channels(train.Shape); len(n.Given.Mean) != c {
			return nil, fmt.Errorf("normalize: %d channel(s) given, data %q has %d", len(n.Given.Mean), train.Name, c)
		}
		return n.Given, nil
	case n.FromTrain:
		return ChannelStats(train), nil
	}
	return nil, nil
}

func channels(s Shape) int {
	if s.IsImage() {
		return s.C
	}
	return 1
}

// ChannelStats returns the mean and the (population) standard deviation of
// each channel of d over all its rows and pixels, accumulated in float64 in
// row order, so the figures are the same on every machine. A channel whose
// values are all equal gets standard deviation 1, so that normalising it
// only centres it.
func ChannelStats(d *Dataset) *Normalization {
	c := channels(d.Shape)
	plane := d.Dim / c
	sum, sq := make([]float64, c), make([]float64, c)
	for i := range d.N {
		row := d.Row(i)
		for ch := range c {
			var s, q float64
			for _, v := range row[ch*plane : (ch+1)*plane] {
				s += float64(v)
				q += float64(v) * float64(v)
			}
			sum[ch] += s
			sq[ch] += q
		}
	}
	n := &Normalization{Mean: make([]float32, c), Std: make([]float32, c)}
	count := float64(d.N) * float64(plane)
	for ch := range c {
		m := sum[ch] / count
		v := sq[ch]/count - m*m
		n.Mean[ch] = float32(m)
		n.Std[ch] = float32(math.Sqrt(math.Max(v, 0)))
		if n.Std[ch] == 0 {
			n.Std[ch] = 1
		}
	}
	return n
}

// Apply normalises the rows of x (each of dim values, channel-major) in
// place.
func (n *Normalization) Apply(x []float32, dim int) {
	if n == nil {
		return
	}
	c := len(n.Mean)
	plane := dim / c
	for lo := 0; lo < len(x); lo += dim {
		row := x[lo : lo+dim]
		for ch := range c {
			// A division, not a multiplication by 1/std, as
			// torchvision computes it, so the values agree bit for bit.
			m, sd := n.Mean[ch], n.Std[ch]
			seg := row[ch*plane : (ch+1)*plane]
			for k, v := range seg {
				seg[k] = (v - m) / sd
			}
		}
	}
}

// Normalized returns a copy of d with every row normalised by n (d itself
// when n is nil); labels and provenance are shared.
func (d *Dataset) Normalized(n *Normalization) *Dataset {
	if n == nil {
		return d
	}
	nd := *d
	nd.X = make([]float32, len(d.X))
	copy(nd.X, d.X)
	n.Apply(nd.X, d.Dim)
	return &nd
}
