package data

import (
	"slices"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/rng"
)

func TestParseAugment(t *testing.T) {
	for spec, want := range map[string]string{"": "off", "off": "off", "flip": "flip", "crop:4": "crop:4",
		"crop:4,flip": "crop:4,flip", " flip , crop:2 ": "crop:2,flip"} {
		a, err := ParseAugment(spec)
		if err != nil || a.String() != want {
			t.Errorf("ParseAugment(%q) = %v, %v; want %s", spec, a, err, want)
		}
		if b, err := ParseAugment(a.String()); err != nil || b != a {
			t.Errorf("%q does not read back", a)
		}
	}
	for _, bad := range []string{"crop", "crop:0", "crop:17", "crop:x", "flip:1", "rotate", "flip,flip", "crop:4,"} {
		if _, err := ParseAugment(bad); err == nil {
			t.Errorf("ParseAugment(%q) accepted", bad)
		}
	}
	if err := (Augment{Flip: true}).Check(Shape{}); err == nil || !strings.Contains(err.Error(), "image") {
		t.Errorf("augmenting feature vectors: %v", err)
	}
}

// torchvisionCropFlip is transforms.RandomCrop(H, padding=p) at top-left
// (i, j) of the zero-padded image, then an optional horizontal flip, written
// out literally: pad, crop, mirror.
func torchvisionCropFlip(src []float32, s Shape, p, i, j int, flip bool) []float32 {
	ph, pw := s.H+2*p, s.W+2*p
	padded := make([]float32, s.C*ph*pw)
	for c := range s.C {
		for y := range s.H {
			for x := range s.W {
				padded[(c*ph+y+p)*pw+x+p] = src[(c*s.H+y)*s.W+x]
			}
		}
	}
	out := make([]float32, s.Size())
	for c := range s.C {
		for y := range s.H {
			for x := range s.W {
				xx := x
				if flip {
					xx = s.W - 1 - x
				}
				out[(c*s.H+y)*s.W+x] = padded[(c*ph+y+i)*pw+xx+j]
			}
		}
	}
	return out
}

// shiftFlip agrees with the literal pad-crop-flip for every crop offset.
func TestShiftFlipMatchesTorchvision(t *testing.T) {
	s := Shape{C: 2, H: 5, W: 4}
	src := make([]float32, s.Size())
	for k := range src {
		src[k] = float32(k + 1)
	}
	const p = 5 // more than the width: whole rows and columns fall outside
	for i := 0; i <= 2*p; i++ {
		for j := 0; j <= 2*p; j++ {
			for _, flip := range []bool{false, true} {
				got := make([]float32, s.Size())
				shiftFlip(got, src, s, i-p, j-p, flip)
				if want := torchvisionCropFlip(src, s, p, i, j, flip); !slices.Equal(got, want) {
					t.Fatalf("offset (%d,%d) flip %v:\n got %v\nwant %v", i, j, flip, got, want)
				}
			}
		}
	}
}

// Apply is a function of its stream: the same stream gives the same batch;
// every crop offset and both flips occur; the labels are untouched.
func TestAugmentApply(t *testing.T) {
	s := Shape{C: 3, H: 4, W: 4}
	d := imageSet(400, s)
	a := Augment{Pad: 2, Flip: true}
	var b1, b2 Batch
	idx := make([]int, d.N)
	for i := range idx {
		idx[i] = i
	}
	d.Gather(idx, &b1)
	d.Gather(idx, &b2)
	var scratch []float32
	a.Apply(&b1, s, rng.New(7, "augment", 0), &scratch)
	a.Apply(&b2, s, rng.New(7, "augment", 0), &scratch)
	if !slices.Equal(b1.X, b2.X) || !slices.Equal(b1.Y, d.Y) {
		t.Fatal("same stream, different batches (or labels changed)")
	}
	// Recover each row's transform by matching all 50 candidates.
	seen := map[[3]int]int{}
	for r := range d.N {
		row := b1.X[r*s.Size() : (r+1)*s.Size()]
		found := false
		for dy := -2; dy <= 2 && !found; dy++ {
			for dx := -2; dx <= 2 && !found; dx++ {
				for _, flip := range []bool{false, true} {
					want := make([]float32, s.Size())
					shiftFlip(want, d.Row(r), s, dy, dx, flip)
					if slices.Equal(row, want) {
						f := 0
						if flip {
							f = 1
						}
						seen[[3]int{dy, dx, f}]++
						found = true
						break
					}
				}
			}
		}
		if !found {
			t.Fatalf("row %d is no crop/flip of its image", r)
		}
	}
	if len(seen) != 50 {
		t.Fatalf("%d of the 50 (offset, flip) choices occurred in 400 draws", len(seen))
	}
	var off Augment
	d.Gather(idx, &b2)
	off.Apply(&b2, s, rng.New(7, "augment", 0), &scratch)
	if !slices.Equal(b2.X, d.X) {
		t.Fatal("the zero Augment changed the batch")
	}
}
