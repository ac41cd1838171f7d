package data

import (
	"strings"
	"testing"
)

// imageSet is a classification set of n images of shape s whose value k of
// row i is i*1000+k.
func imageSet(n int, s Shape) *Dataset {
	d := &Dataset{Name: "img", N: n, Dim: s.Size(), Classes: 3, Shape: s, X: make([]float32, n*s.Size()), Y: make([]int32, n)}
	for i := range n {
		for k := range d.Dim {
			d.X[i*d.Dim+k] = float32(i*1000 + k)
		}
		d.Y[i] = int32(i % 3)
	}
	return d
}

// Every derived dataset keeps the image shape, so a CNN can read it.
func TestShapeSurvivesDerivations(t *testing.T) {
	s := Shape{C: 3, H: 2, W: 4}
	d := imageSet(20, s)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	tr, val, err := d.Split(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := d.SplitHead(5, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	head, err := d.Head(7)
	if err != nil {
		t.Fatal(err)
	}
	noisy, err := tr.WithLabelNoise(0.5, 2)
	if err != nil {
		t.Fatal(err)
	}
	norm := d.Normalized(ChannelStats(d))
	for name, got := range map[string]*Dataset{"Subset": d.Subset([]int{3, 1}), "Split train": tr, "Split val": val,
		"SplitHead": th, "Head": head, "WithLabelNoise": noisy, "Normalized": norm} {
		if got.Shape != s {
			t.Errorf("%s: shape %v, want %v", name, got.Shape, s)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestShapeValidate(t *testing.T) {
	d := imageSet(2, Shape{C: 1, H: 2, W: 3})
	d.Shape = Shape{C: 2, H: 2, W: 2}
	if err := d.Validate(); err == nil || !strings.Contains(err.Error(), "2x2x2") {
		t.Fatalf("shape of 8 values for rows of 6: %v", err)
	}
	d.Shape = Shape{C: -1, H: -2, W: 3}
	if err := d.Validate(); err == nil {
		t.Fatal("negative shape accepted")
	}
	if (Shape{}).String() != "none" || (Shape{}).IsImage() || (Shape{3, 32, 32}).String() != "3x32x32" {
		t.Fatal("Shape.String")
	}
}

// An N x rows x cols IDX file is read as 1 x rows x cols images; a file of
// feature vectors (N x features) has no shape.
func TestLoadIDXShape(t *testing.T) {
	dir := t.TempDir()
	img := writeIDXFile(t, dir, "img", []int{2, 2, 3}, make([]byte, 12), false)
	vec := writeIDXFile(t, dir, "vec", []int{2, 6}, make([]byte, 12), false)
	lab := writeIDXFile(t, dir, "lab", []int{2}, []byte{0, 1}, false)
	d, err := LoadIDX(img, lab, 10)
	if err != nil || d.Shape != (Shape{1, 2, 3}) {
		t.Fatalf("images: shape %v, %v", d.Shape, err)
	}
	d, err = LoadIDX(vec, lab, 10)
	if err != nil || d.Shape.IsImage() {
		t.Fatalf("vectors: shape %v, %v", d.Shape, err)
	}
}
