package data

import (
	"slices"
	"testing"
)

func TestNewEpochOrder(t *testing.T) {
	p := NewEpochOrder(50, 3, 0)
	sorted := slices.Sorted(slices.Values(p))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("epoch order is not a permutation of [0,50): %v", p)
		}
	}
	if !slices.Equal(p, NewEpochOrder(50, 3, 0)) {
		t.Fatal("same seed and epoch, different order")
	}
	if slices.Equal(p, NewEpochOrder(50, 3, 1)) || slices.Equal(p, NewEpochOrder(50, 4, 0)) {
		t.Fatal("epochs or seeds share an order")
	}
	if len(NewEpochOrder(0, 1, 0)) != 0 {
		t.Fatal("empty order")
	}
}

func TestSampler(t *testing.T) {
	s, err := NewSampler(10, 9)
	if err != nil {
		t.Fatal(err)
	}
	// Batches of 4 over 10 examples: 4, 4, 2, then the next epoch.
	var epoch0 []int
	for _, want := range []int{4, 4, 2} {
		idx, e := s.Next(4)
		if len(idx) != want || e != 0 {
			t.Fatalf("batch of %d in epoch %d, want %d in epoch 0", len(idx), e, want)
		}
		epoch0 = append(epoch0, idx...)
	}
	if !s.EpochDone() || s.Epoch() != 1 {
		t.Fatal("epoch 0 not reported done")
	}
	if !slices.Equal(epoch0, NewEpochOrder(10, 9, 0)) {
		t.Fatal("sampler does not follow NewEpochOrder")
	}
	// A batch-size change mid-run, and the next epoch's order.
	a, e := s.Next(7)
	b, _ := s.Next(7)
	if e != 1 || len(a) != 7 || len(b) != 3 || !slices.Equal(append(slices.Clone(a), b...), NewEpochOrder(10, 9, 1)) {
		t.Fatalf("epoch 1: %v %v", a, b)
	}
	// Slices handed out earlier stay valid.
	if !slices.Equal(epoch0[:4], NewEpochOrder(10, 9, 0)[:4]) {
		t.Fatal("earlier batch changed")
	}

	r, _ := NewSamplerAt(10, 9, 1)
	if idx, e := r.Next(10); e != 1 || !slices.Equal(idx, NewEpochOrder(10, 9, 1)) {
		t.Fatal("resumed sampler differs")
	}
	if _, err := NewSampler(0, 1); err == nil {
		t.Fatal("sampler over 0 examples accepted")
	}
	if _, err := NewSamplerAt(5, 1, -1); err == nil {
		t.Fatal("negative epoch accepted")
	}
}
