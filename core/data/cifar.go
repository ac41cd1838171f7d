package data

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// CIFAR-10's binary version: each batch file is a run of records of one
// label byte followed by 3072 pixel bytes, the 32x32 red plane, then green,
// then blue (channel-major, row-major within a plane), which is already the
// NCHW layout models read.
const (
	cifarPixels  = 3 * 32 * 32
	cifarRecord  = 1 + cifarPixels
	cifarClasses = 10
	// maxCIFARBytes bounds one batch file (a real one is 30,730,000
	// bytes), so a wrong file cannot make the reader allocate without limit.
	maxCIFARBytes = 1 << 30
)

// CIFAR10Shape is the shape of a CIFAR-10 image.
var CIFAR10Shape = Shape{C: 3, H: 32, W: 32}

// The files of a CIFAR-10 binary directory (cifar-10-batches-bin): five
// training batches, in this order, and one test batch.
var (
	cifarTrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	cifarTestFile   = "test_batch.bin"
	cifarFiles      = append(slices.Clone(cifarTrainFiles), cifarTestFile)
)

// ReadCIFAR10 reads one CIFAR-10 batch (binary version) from r: records of
// 1 label byte and 3072 pixel bytes. Pixels are scaled to [0,1] (x/255) and
// kept channel-major with Shape 3x32x32. name is used only in errors, each a
// one-line *FileError: no records, a partial record at the end (a truncated
// file), a label of 10 or more, or more than 1 GiB.
func ReadCIFAR10(r io.Reader, name string) (*Dataset, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxCIFARBytes+1))
	if err != nil {
		return nil, fileErrorf(name, err, "read: %v", err)
	}
	if len(raw) > maxCIFARBytes {
		return nil, fileErrorf(name, nil, "more than %d bytes: not a CIFAR-10 batch (one holds 10000 records of %d bytes)", maxCIFARBytes, cifarRecord)
	}
	n, err := cifarRecords(name, int64(len(raw)))
	if err != nil {
		return nil, err
	}
	d := &Dataset{
		Name: strings.TrimSuffix(filepath.Base(name), ".bin"),
		X:    make([]float32, n*cifarPixels), Y: make([]int32, n),
		N: n, Dim: cifarPixels, Classes: cifarClasses, Shape: CIFAR10Shape,
	}
	if err := decodeCIFAR(name, raw, d.X, d.Y); err != nil {
		return nil, err
	}
	return d, nil
}

// cifarRecords is the number of records in a batch of size bytes, or the
// error for a size that cannot be one.
func cifarRecords(name string, size int64) (int, error) {
	switch {
	case size == 0:
		return 0, fileErrorf(name, nil, "empty: a CIFAR-10 batch holds records of %d bytes (1 label byte + 3072 pixel bytes)", cifarRecord)
	case size%cifarRecord != 0:
		return 0, fileErrorf(name, nil, "%d bytes is %d whole records and %d bytes more: truncated or not a CIFAR-10 batch (records of %d bytes: 1 label byte + 3072 pixel bytes)",
			size, size/cifarRecord, size%cifarRecord, cifarRecord)
	}
	return int(size / cifarRecord), nil
}

// decodeCIFAR converts the records in raw into pixels x and labels y.
func decodeCIFAR(name string, raw []byte, x []float32, y []int32) error {
	for i := range len(raw) / cifarRecord {
		rec := raw[i*cifarRecord : (i+1)*cifarRecord]
		if rec[0] >= cifarClasses {
			return fileErrorf(name, nil, "label %d of record %d is not in [0,%d)", rec[0], i, cifarClasses)
		}
		y[i] = int32(rec[0])
		src := rec[1:cifarRecord]
		px := x[i*cifarPixels : (i+1)*cifarPixels]
		px = px[:len(src)] // one bounds check per record, not per pixel
		for k, p := range src {
			px[k] = pixelScale[p]
		}
	}
	return nil
}

// LoadCIFAR10 reads CIFAR-10's binary version from dir: the training set is
// data_batch_1.bin to data_batch_5.bin concatenated in that order (50,000
// images), the test set test_batch.bin (10,000). The directory must hold
// exactly these six batch files (other files, such as batches.meta.txt, are
// ignored); a missing one, or a seventh batch such as data_batch_6.bin, is an
// error naming it. Any whole number of records per file is accepted, so tests
// can use small generated batches.
func LoadCIFAR10(dir string) (train, test *Dataset, err error) {
	// Sizes first (cifarPaths): a truncated file is reported before
	// anything is read, and the training set is allocated once at its final
	// size.
	paths, counts, err := cifarPaths(dir)
	if err != nil {
		return nil, nil, err
	}
	nTrain := 0
	for _, c := range counts[:len(cifarTrainFiles)] {
		nTrain += c
	}
	nTest := counts[len(cifarTrainFiles)]
	train = &Dataset{Name: "cifar10-train", X: make([]float32, nTrain*cifarPixels), Y: make([]int32, nTrain),
		N: nTrain, Dim: cifarPixels, Classes: cifarClasses, Shape: CIFAR10Shape}
	test = &Dataset{Name: "cifar10-test", X: make([]float32, nTest*cifarPixels), Y: make([]int32, nTest),
		N: nTest, Dim: cifarPixels, Classes: cifarClasses, Shape: CIFAR10Shape}

	// Each file decodes into its own rows, so the files can be read at
	// once and the result does not depend on which finishes first.
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	row := 0
	for i, p := range paths {
		dst, lo := train, row
		if i == len(cifarTrainFiles) {
			dst, lo = test, 0
		} else {
			row += counts[i]
		}
		hi := lo + counts[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = readCIFARFile(p, counts[i], dst.X[lo*cifarPixels:hi*cifarPixels], dst.Y[lo:hi])
		}()
	}
	wg.Wait()
	for _, err := range errs { // the first file's error, in file order
		if err != nil {
			return nil, nil, err
		}
	}
	return train, test, nil
}

// readCIFARFile decodes the n records of the batch at path into x and y.
func readCIFARFile(path string, n int, x []float32, y []int32) error {
	f, err := os.Open(path)
	if err != nil {
		return openError(path, err)
	}
	defer f.Close()
	raw := make([]byte, n*cifarRecord)
	if _, err := io.ReadFull(f, raw); err != nil {
		return fileErrorf(path, err, "truncated while reading: %v", err)
	}
	return decodeCIFAR(path, raw, x, y)
}

// cifarPaths returns the six batch files of dir in the order of cifarFiles
// and their record counts (from their sizes), or an error naming the first
// missing, unexpected or wrongly sized one. Labels are checked when read.
func cifarPaths(dir string) (paths []string, counts []int, err error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, nil, openError(dir, err)
	}
	if !st.IsDir() {
		return nil, nil, fileErrorf(dir, nil, "not a directory")
	}
	paths = make([]string, len(cifarFiles))
	counts = make([]int, len(cifarFiles))
	for i, base := range cifarFiles {
		p := filepath.Join(dir, base)
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			return nil, nil, fileErrorf(p, nil, "missing: a CIFAR-10 directory holds %s (the binary version, cifar-10-batches-bin)", strings.Join(cifarFiles, ", "))
		}
		if st.Size() > maxCIFARBytes {
			return nil, nil, fileErrorf(p, nil, "%d bytes: more than %d, not a CIFAR-10 batch", st.Size(), maxCIFARBytes)
		}
		if counts[i], err = cifarRecords(p, st.Size()); err != nil {
			return nil, nil, err
		}
		paths[i] = p
	}
	// A batch file this reader would not read means the directory is not
	// the 5+1 batches it claims to be (a merged or partial copy).
	extra, _ := filepath.Glob(filepath.Join(dir, "*_batch*.bin"))
	for _, p := range extra {
		if !slices.Contains(paths, p) {
			return nil, nil, fileErrorf(p, nil, "unexpected batch file: CIFAR-10 has %d training batches and one test batch (%s)", len(cifarTrainFiles), strings.Join(cifarFiles, ", "))
		}
	}
	return paths, counts, nil
}

// hasCIFARFile reports whether dir holds any CIFAR-10 batch file, which
// decides how a --data directory is read.
func hasCIFARFile(dir string) bool {
	for _, base := range cifarFiles {
		if isFile(filepath.Join(dir, base)) {
			return true
		}
	}
	return false
}

// cifarHelp says how to get CIFAR-10 onto a machine, where it cannot be
// downloaded by this program.
func cifarHelp() string {
	return fmt.Sprintf("CIFAR-10 is not downloaded by sgdclaims: unpack the binary version (cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html) so that %s/cifar10 holds %s, or pass --data DIR",
		"$"+DataEnv, strings.Join(cifarFiles, ", "))
}
