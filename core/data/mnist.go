package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// The four files of an MNIST-layout directory, without the optional ".gz".
// Fashion-MNIST and KMNIST use the same names, so LoadMNIST reads them too.
const (
	trainImagesFile = "train-images-idx3-ubyte"
	trainLabelsFile = "train-labels-idx1-ubyte"
	testImagesFile  = "t10k-images-idx3-ubyte"
	testLabelsFile  = "t10k-labels-idx1-ubyte"
)

var mnistFiles = []string{trainImagesFile, trainLabelsFile, testImagesFile, testLabelsFile}

// mnistClasses is the number of MNIST classes; a label file with a larger
// label is corrupt (or is not MNIST).
const mnistClasses = 10

// pixelScale maps a byte to its float32 value x/255. The division is done in
// float32, as torchvision's ToTensor does, so pixels match PyTorch's bit for
// bit; a table makes the conversion of 55 million pixels a lookup each.
var pixelScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// LoadMNIST reads the MNIST training set (60000 examples) and test set (10000
// examples) from dir, which must hold the four standard files, each either
// gzip-compressed (name ending in .gz) or raw; when both forms are present
// the raw one is read, since it is the faster. Pixels are scaled to [0,1]
// (x/255) and images are flattened row-major (Dim 784 for MNIST).
//
// Any directory in this layout works (Fashion-MNIST, KMNIST); the counts and
// image size are taken from the files, labels must lie in [0,10).
func LoadMNIST(dir string) (train, test *Dataset, err error) {
	paths, err := mnistPaths(dir)
	if err != nil {
		return nil, nil, err
	}
	// The two halves are independent; reading them at once overlaps the
	// two gzip decompressions, the bulk of the time.
	var wg sync.WaitGroup
	var testErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		test, testErr = LoadIDX(paths[2], paths[3], mnistClasses)
	}()
	train, err = LoadIDX(paths[0], paths[1], mnistClasses)
	wg.Wait()
	if err != nil {
		return nil, nil, err
	}
	if testErr != nil {
		return nil, nil, testErr
	}
	if train.Dim != test.Dim {
		return nil, nil, fileErrorf(paths[2], nil, "images of %d pixels, but %s has images of %d", test.Dim, paths[0], train.Dim)
	}
	train.Name, test.Name = "mnist-train", "mnist-test"
	return train, test, nil
}

// LoadIDX reads a classification dataset from an IDX image file (N x ...,
// flattened to N x Dim) and an IDX label file (N), either raw or gzipped.
// Pixels are scaled to [0,1]. Labels must lie in [0, classes). An image file
// of N x rows x cols gives the Shape 1 x rows x cols.
func LoadIDX(imagesPath, labelsPath string, classes int) (*Dataset, error) {
	if classes < 1 || classes > 256 {
		return nil, fmt.Errorf("data: LoadIDX: %d classes (byte labels allow 1 to 256)", classes)
	}
	idims, pix, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	if len(idims) < 2 {
		return nil, fileErrorf(imagesPath, nil, "not an image file: %d dimension(s), want count x rows x cols (or count x features)", len(idims))
	}
	ldims, lab, err := ReadIDXFile(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(ldims) != 1 {
		return nil, fileErrorf(labelsPath, nil, "not a label file: %d dimensions, want 1", len(ldims))
	}
	n := idims[0]
	if ldims[0] != n {
		return nil, fileErrorf(imagesPath, nil, "%d images, but %s has %d labels", n, labelsPath, ldims[0])
	}
	y := make([]int32, n)
	for i, l := range lab {
		if int(l) >= classes {
			return nil, fileErrorf(labelsPath, nil, "label %d at index %d is not in [0,%d)", l, i, classes)
		}
		y[i] = int32(l)
	}
	x := make([]float32, len(pix))
	for i, p := range pix {
		x[i] = pixelScale[p]
	}
	// An N x rows x cols file is a set of grey-scale images (MNIST's
	// 1x28x28); other layouts are feature vectors without a shape.
	var shape Shape
	if len(idims) == 3 {
		shape = Shape{C: 1, H: idims[1], W: idims[2]}
	}
	return &Dataset{
		Name: strings.TrimSuffix(filepath.Base(imagesPath), ".gz"),
		X:    x, Y: y, N: n, Dim: len(pix) / n, Classes: classes, Shape: shape,
	}, nil
}

// mnistPaths returns the paths of the four files in dir, in the order of
// mnistFiles, or an error naming the first one missing.
func mnistPaths(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, openError(dir, err)
	}
	if !st.IsDir() {
		return nil, fileErrorf(dir, nil, "not a directory")
	}
	paths := make([]string, len(mnistFiles))
	for i, base := range mnistFiles {
		raw := filepath.Join(dir, base)
		switch {
		case isFile(raw):
			paths[i] = raw
		case isFile(raw + ".gz"):
			paths[i] = raw + ".gz"
		default:
			return nil, fileErrorf(dir, nil, "missing %s (or %s.gz); an MNIST directory holds %s", base, base, strings.Join(mnistFiles, ", "))
		}
	}
	return paths, nil
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
