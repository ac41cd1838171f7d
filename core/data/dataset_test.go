package data

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// counting returns a classification dataset whose row i has inputs
// [i, i+0.5] and label i mod classes, so every row is recognisable.
func counting(n, classes int) *Dataset {
	d := &Dataset{Name: "counting", N: n, Dim: 2, Classes: classes, X: make([]float32, 2*n), Y: make([]int32, n)}
	for i := range n {
		d.X[2*i], d.X[2*i+1] = float32(i), float32(i)+0.5
		d.Y[i] = int32(i % classes)
	}
	return d
}

// rowID recovers the original index of a row of counting.
func rowID(d *Dataset, k int) int { return int(d.X[k*d.Dim]) }

func TestValidate(t *testing.T) {
	if err := counting(5, 3).Validate(); err != nil {
		t.Fatal(err)
	}
	for name, breakIt := range map[string]func(d *Dataset){
		"short X":      func(d *Dataset) { d.X = d.X[:3] },
		"label range":  func(d *Dataset) { d.Y[2] = 3 },
		"both Y and T": func(d *Dataset) { d.T = make([]float32, 5); d.TargetDim = 1 },
		"neither":      func(d *Dataset) { d.Y = nil },
		"short Noisy":  func(d *Dataset) { d.Noisy = make([]bool, 4) },
		"short Source": func(d *Dataset) { d.Source = []int{0} },
	} {
		d := counting(5, 3)
		breakIt(d)
		if err := d.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRowsAllGather(t *testing.T) {
	d := counting(10, 4)
	b := d.Rows(3, 6)
	if b.N != 3 || len(b.X) != 6 || b.X[0] != 3 || b.Y[2] != 5%4 || b.T != nil {
		t.Fatalf("Rows(3,6) = %+v", b)
	}
	if all := d.All(); all.N != 10 || &all.X[0] != &d.X[0] {
		t.Fatal("All does not share memory with the dataset")
	}

	var dst Batch
	d.Gather([]int{7, 2, 7}, &dst)
	if dst.N != 3 || !slices.Equal(dst.X, []float32{7, 7.5, 2, 2.5, 7, 7.5}) || !slices.Equal(dst.Y, []int32{3, 2, 3}) {
		t.Fatalf("Gather: %+v", dst)
	}
	// A smaller batch reuses the buffer rather than allocating.
	x0 := &dst.X[0]
	d.Gather([]int{1}, &dst)
	if &dst.X[0] != x0 || dst.N != 1 || len(dst.X) != 2 || dst.X[0] != 1 {
		t.Fatalf("Gather did not reuse its buffer: %+v", dst)
	}

	ls := LinearLeastSquares(5, 3, 0.1, 1).Data
	ls.Gather([]int{4, 0}, &dst)
	if dst.Y != nil || len(dst.T) != 2 || dst.T[0] != ls.T[4] || dst.X[0] != ls.X[12] {
		t.Fatalf("Gather of regression data: %+v", dst)
	}
}

func TestSubsetComposesSource(t *testing.T) {
	d := counting(10, 3)
	a := d.Subset([]int{9, 4, 6, 1})
	b := a.Subset([]int{2, 0, 0})
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Source, []int{9, 4, 6, 1}) || !slices.Equal(b.Source, []int{6, 9, 9}) {
		t.Fatalf("Source %v then %v", a.Source, b.Source)
	}
	for k := range b.N {
		if rowID(b, k) != b.Source[k] || b.Y[k] != d.Y[b.Source[k]] {
			t.Fatalf("row %d holds %d, Source says %d", k, rowID(b, k), b.Source[k])
		}
	}
	// Subset copies: writing to it leaves the parent alone.
	a.X[0] = -1
	if d.X[18] != 9 {
		t.Fatal("Subset shares memory with its parent")
	}
}

func TestHead(t *testing.T) {
	d := counting(10, 3)
	h, err := d.Head(4)
	if err != nil || h.N != 4 || len(h.X) != 8 || len(h.Y) != 4 || rowID(h, 3) != 3 {
		t.Fatalf("Head(4) = %+v, %v", h, err)
	}
	// Head keeps bookkeeping, and its slices cannot be appended into the
	// parent's rows.
	nd, _ := d.Subset([]int{5, 6, 7, 8}).WithLabelNoise(0.5, 1)
	h2, _ := nd.Head(2)
	if !slices.Equal(h2.Source, []int{5, 6}) || len(h2.Noisy) != 2 || len(h2.CleanY) != 2 || cap(h2.Y) != 2 {
		t.Fatalf("Head of a noisy subset: %+v", h2)
	}
	for _, n := range []int{0, -1, 11} {
		if _, err := d.Head(n); err == nil || !strings.Contains(err.Error(), "counting") {
			t.Errorf("Head(%d): %v", n, err)
		}
	}
}

// SplitHead gives bitwise what Split then Head gives, copying less.
func TestSplitHeadEqualsSplitThenHead(t *testing.T) {
	d := counting(100, 10)
	for _, n := range []int{1, 17, 70} {
		tr, val, err := d.Split(30, 7)
		if err != nil {
			t.Fatal(err)
		}
		want, err := tr.Head(n)
		if err != nil {
			t.Fatal(err)
		}
		got, gval, err := d.SplitHead(30, n, 7)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gval, val) {
			t.Errorf("SplitHead(30, %d) differs from Split then Head", n)
		}
		if cap(got.X) != n*d.Dim {
			t.Errorf("SplitHead(30, %d) holds %d floats, want %d", n, cap(got.X), n*d.Dim)
		}
	}
	for _, n := range []int{-1, 71} {
		if _, _, err := d.SplitHead(30, n, 7); err == nil {
			t.Errorf("SplitHead(30, %d) accepted", n)
		}
	}
}

func TestSplit(t *testing.T) {
	d := counting(100, 10)
	train, val, err := d.Split(30, 7)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 70 || val.N != 30 {
		t.Fatalf("sizes %d, %d", train.N, val.N)
	}
	// Disjoint and covering: every row is in exactly one part, once.
	seen := make([]int, d.N)
	for _, part := range []*Dataset{train, val} {
		for k := range part.N {
			if rowID(part, k) != part.Source[k] {
				t.Fatal("Source does not match the row")
			}
			seen[part.Source[k]]++
		}
		if !slices.IsSorted(part.Source) {
			t.Fatal("rows within a part are not in their original order")
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("row %d in %d parts", i, c)
		}
	}

	_, val2, _ := d.Split(30, 7)
	_, val3, _ := d.Split(30, 8)
	if !slices.Equal(val.Source, val2.Source) {
		t.Fatal("same seed, different split")
	}
	if slices.Equal(val.Source, val3.Source) {
		t.Fatal("different seeds, same split")
	}
	// The validation part is a random set, not a block: it should not be
	// the first or last 30 rows.
	if val.Source[29] == 29 || val.Source[0] == 70 {
		t.Fatalf("validation rows look like a block: %v", val.Source)
	}
	for _, n := range []int{0, 100, -3} {
		if _, _, err := d.Split(n, 1); err == nil {
			t.Errorf("Split(%d) accepted", n)
		}
	}
}

func TestWithLabelNoise(t *testing.T) {
	d := counting(1000, 10)
	nd, err := d.WithLabelNoise(0.3, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := nd.Validate(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(nd.CleanY, d.Y) || !slices.Equal(d.Y, counting(1000, 10).Y) {
		t.Fatal("clean labels not kept, or the parent was modified")
	}
	noisy, changed := 0, 0
	for i := range nd.N {
		if nd.Noisy[i] {
			noisy++
		}
		if nd.Y[i] != nd.CleanY[i] {
			changed++
			if !nd.Noisy[i] {
				t.Fatalf("row %d changed but is not marked noisy", i)
			}
		}
	}
	if noisy != 300 {
		t.Fatalf("%d noisy rows, want round(0.3*1000) = 300", noisy)
	}
	// About 9/10 of the redrawn labels differ from the clean one; with 300
	// draws the count is Binomial(300, 0.9): mean 270, sd 5.2.
	if changed < 250 || changed > 290 {
		t.Fatalf("%d labels changed, want about 270", changed)
	}

	again, _ := d.WithLabelNoise(0.3, 5)
	other, _ := d.WithLabelNoise(0.3, 6)
	if !slices.Equal(again.Y, nd.Y) || !slices.Equal(again.Noisy, nd.Noisy) {
		t.Fatal("same seed, different noise")
	}
	if slices.Equal(other.Noisy, nd.Noisy) {
		t.Fatal("different seeds, same noisy rows")
	}

	// round(frac*N) exactly, including at the rounding edge.
	for _, tc := range []struct {
		n    int
		frac float64
		want int
	}{{10, 0.25, 3}, {10, 0.24, 2}, {7, 0, 0}, {7, 1, 7}} {
		nd, err := counting(tc.n, 3).WithLabelNoise(tc.frac, 1)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, b := range nd.Noisy {
			if b {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("N=%d frac=%v: %d noisy rows, want %d", tc.n, tc.frac, got, tc.want)
		}
	}

	for _, frac := range []float64{-0.1, 1.1, math.NaN()} {
		if _, err := d.WithLabelNoise(frac, 1); err == nil {
			t.Errorf("frac %v accepted", frac)
		}
	}
	if _, err := LinearLeastSquares(4, 2, 0, 1).Data.WithLabelNoise(0.5, 1); err == nil {
		t.Error("label noise on regression data accepted")
	}
}

// Noise on noise keeps the first clean labels and marks the union; a split
// of a noisy set keeps the bookkeeping of each row.
func TestLabelNoiseBookkeepingComposes(t *testing.T) {
	d := counting(200, 5)
	a, _ := d.WithLabelNoise(0.2, 1)
	b, _ := a.WithLabelNoise(0.2, 2)
	if !slices.Equal(b.CleanY, d.Y) {
		t.Fatal("second noise lost the clean labels")
	}
	for i := range b.N {
		if a.Noisy[i] && !b.Noisy[i] {
			t.Fatalf("row %d: noisy after the first pass, not after the second", i)
		}
	}
	train, val, _ := b.Split(50, 3)
	for _, part := range []*Dataset{train, val} {
		for k := range part.N {
			src := part.Source[k]
			if part.Noisy[k] != b.Noisy[src] || part.CleanY[k] != d.Y[src] || part.Y[k] != b.Y[src] {
				t.Fatalf("%s row %d lost its bookkeeping", part.Name, k)
			}
		}
	}
}

// Redrawn labels are uniform over the classes. With 10 classes and 20000
// draws, the chi-square statistic has 9 degrees of freedom (mean 9, sd 4.2);
// the bound 30 is exceeded with probability below 1e-3 by a uniform draw,
// while a sampler that never picked one class would give about 2200.
func TestLabelNoiseUniform(t *testing.T) {
	d := counting(20000, 10)
	nd, err := d.WithLabelNoise(1, 11)
	if err != nil {
		t.Fatal(err)
	}
	var hist [10]float64
	for _, y := range nd.Y {
		hist[y]++
	}
	expect := float64(d.N) / 10
	var chi2 float64
	for _, o := range hist {
		chi2 += (o - expect) * (o - expect) / expect
	}
	t.Logf("chi-square %.2f (9 degrees of freedom)", chi2)
	if chi2 > 30 {
		t.Fatalf("chi-square %.1f over 9 degrees of freedom: counts %v", chi2, hist)
	}
}
