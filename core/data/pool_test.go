package data

import (
	"strings"
	"testing"
)

func TestAvgPool(t *testing.T) {
	// Two 1 x 4 x 4 images: row i's pixel (y, x) is i*100 + 4y + x.
	d := &Dataset{Name: "tiny", N: 2, Dim: 16, Classes: 3, Y: []int32{2, 0}, Shape: Shape{C: 1, H: 4, W: 4}, X: make([]float32, 32)}
	for i := range 2 {
		for j := range 16 {
			d.X[i*16+j] = float32(i*100 + j)
		}
	}
	p, err := d.AvgPool(2)
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 2 || p.Dim != 4 || p.Shape != (Shape{C: 1, H: 2, W: 2}) || p.Y[0] != 2 || p.Y[1] != 0 {
		t.Fatalf("pooled: N %d, Dim %d, Shape %s, Y %v", p.N, p.Dim, p.Shape, p.Y)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	// Block (0,0) of image 0 holds 0, 1, 4, 5: mean 2.5; block (1,1) 10, 11, 14, 15: 12.5.
	want := []float32{2.5, 4.5, 10.5, 12.5, 102.5, 104.5, 110.5, 112.5}
	for i, w := range want {
		if p.X[i] != w {
			t.Errorf("pooled X[%d] = %g, want %g", i, p.X[i], w)
		}
	}
	if d.X[0] != 0 || d.X[31] != 115 {
		t.Error("pooling changed its input")
	}
	if _, err := d.AvgPool(3); err == nil || !strings.Contains(err.Error(), "cannot pool 1x4x4 images by 3") {
		t.Errorf("pool by 3: %v", err)
	}
	flat := &Dataset{Name: "flat", N: 1, Dim: 2, X: []float32{1, 2}, Classes: 2, Y: []int32{0}}
	if _, err := flat.AvgPool(2); err == nil {
		t.Error("pooling feature vectors: no error")
	}
}
