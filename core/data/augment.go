package data

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sgdclaims/sgdclaims/core/rng"
)

// Augment is the random augmentation of training images that CIFAR
// recipes use, with torchvision's semantics: RandomCrop(H, padding=Pad)
// (zero padding, every offset in [0, 2*Pad] equally likely on each axis)
// followed by RandomHorizontalFlip (probability 1/2). The zero Augment does
// nothing.
type Augment struct {
	Pad  int  // crop padding in pixels; 0: no crop
	Flip bool // random horizontal flip
}

// On reports whether a does anything.
func (a Augment) On() bool { return a.Pad > 0 || a.Flip }

// String is the spec ParseAugment reads back: "crop:4,flip", "flip",
// "crop:4", or "off".
func (a Augment) String() string {
	var parts []string
	if a.Pad > 0 {
		parts = append(parts, "crop:"+strconv.Itoa(a.Pad))
	}
	if a.Flip {
		parts = append(parts, "flip")
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, ",")
}

// ParseAugment reads an augmentation spec: "" or "off" (none), or a
// comma-separated list of "crop:P" (random crop after P-pixel zero padding,
// 1 <= P <= 16) and "flip" (random horizontal flip), e.g. "crop:4,flip", the
// standard CIFAR augmentation.
func ParseAugment(spec string) (Augment, error) {
	var a Augment
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "off" {
		return a, nil
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		key, val, hasVal := strings.Cut(part, ":")
		if seen[key] {
			return Augment{}, fmt.Errorf("augment %q: %s given twice", spec, key)
		}
		seen[key] = true
		switch {
		case key == "flip" && !hasVal:
			a.Flip = true
		case key == "crop" && hasVal:
			p, err := strconv.Atoi(val)
			if err != nil || p < 1 || p > 16 {
				return Augment{}, fmt.Errorf("augment %q: crop padding %q: want an integer from 1 to 16", spec, val)
			}
			a.Pad = p
		default:
			return Augment{}, fmt.Errorf("augment %q: unknown part %q (want crop:P and/or flip, e.g. crop:4,flip)", spec, part)
		}
	}
	return a, nil
}

// Check reports whether a can be applied to rows of shape s.
func (a Augment) Check(s Shape) error {
	if a.On() && !s.IsImage() {
		return fmt.Errorf("augment %s needs image data, and these rows have no image shape", a)
	}
	return nil
}

// Apply augments the n images of b in place, each with its own crop offset
// and flip, drawn in row order from s (three draws per image whatever the
// settings, so that turning flip on does not move the crops). scratch is
// reused between calls to hold one image.
func (a Augment) Apply(b *Batch, shape Shape, s *rng.Stream, scratch *[]float32) {
	if !a.On() {
		return
	}
	dim := shape.Size()
	*scratch = grow(*scratch, dim)
	tmp := *scratch
	for i := range b.N {
		dy, dx := s.IntN(2*a.Pad+1)-a.Pad, s.IntN(2*a.Pad+1)-a.Pad
		flip := a.Flip && s.Uint64()&1 == 1
		if !a.Flip {
			s.Uint64() // keep the draws per image fixed
		}
		img := b.X[i*dim : (i+1)*dim]
		if dy == 0 && dx == 0 && !flip {
			continue
		}
		copy(tmp, img)
		shiftFlip(img, tmp, shape, dy, dx, flip)
	}
}

// shiftFlip writes into dst the crop of src at offset (dy, dx) from the
// centre of its zero-padded version, mirrored left to right if flip:
// dst(c, y, x) = src(c, y+dy, x'+dx) with x' = W-1-x when flipped, and 0
// where that falls outside the image.
func shiftFlip(dst, src []float32, s Shape, dy, dx int, flip bool) {
	h, w := s.H, s.W
	// The columns x whose source column lies inside the image: x+dx in
	// [0, w) unflipped, w-1-x+dx in [0, w) flipped.
	lo, hi := max(0, -dx), min(w, w-dx)
	if flip {
		lo, hi = max(0, dx), min(w, w+dx)
	}
	for c := range s.C {
		plane, in := dst[c*h*w:(c+1)*h*w], src[c*h*w:(c+1)*h*w]
		for y := range h {
			row := plane[y*w : (y+1)*w]
			sy := y + dy
			if sy < 0 || sy >= h || lo >= hi {
				clear(row)
				continue
			}
			srow := in[sy*w : (sy+1)*w]
			clear(row[:lo])
			clear(row[hi:])
			if !flip {
				copy(row[lo:hi], srow[lo+dx:hi+dx])
				continue
			}
			for x := lo; x < hi; x++ {
				row[x] = srow[w-1-x+dx]
			}
		}
	}
}
