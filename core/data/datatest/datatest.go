package datatest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// RequireFashionEnv names the environment variable that turns the skip of
// a test needing Fashion-MNIST into a failure. .ci/run sets it after
// installing dataset-fashion-mnist, so CI runs every such test.
const RequireFashionEnv = "SGDCLAIMS_REQUIRE_FASHION_MNIST"

// FashionMNIST returns Fashion-MNIST's training and test sets (loaded once
// per process). Where it is not installed the test is skipped with the
// reason and the install command, unless $SGDCLAIMS_REQUIRE_FASHION_MNIST is
// 1, where it fails.
func FashionMNIST(t testing.TB) (train, test *data.Dataset) {
	t.Helper()
	if _, err := data.Locate("fashion-mnist"); err != nil {
		if os.Getenv(RequireFashionEnv) == "1" {
			t.Fatalf("%s=1 but Fashion-MNIST is missing: %v", RequireFashionEnv, err)
		}
		t.Skipf("Fashion-MNIST not installed (%s; set %s=1 to fail instead): %v", data.FashionMNISTInstall, RequireFashionEnv, err)
	}
	train, test, err := data.LoadShared("fashion-mnist")
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

// CIFARLabel and CIFARPixel define the content of the generated batches:
// record i of batch b (b = 0..4 the training batches, 5 the test batch) has
// label CIFARLabel(b, i) and pixel bytes CIFARPixel(b, i, k), k < 3072.
func CIFARLabel(b, i int) byte { return byte((3*b + i) % 10) }

// CIFARPixel is the byte at offset k of record i's pixels in batch b.
func CIFARPixel(b, i, k int) byte { return byte(31*b + 7*i + k) }

// CIFARRecords encodes n records of batch b in CIFAR-10's binary layout.
func CIFARRecords(b, n int) []byte {
	out := make([]byte, 0, n*3073)
	for i := range n {
		out = append(out, CIFARLabel(b, i))
		for k := range 3072 {
			out = append(out, CIFARPixel(b, i, k))
		}
	}
	return out
}

// WriteCIFAR10 writes a CIFAR-10 binary directory into a new temporary
// directory: data_batch_1.bin .. data_batch_5.bin with perBatch records each
// and test_batch.bin with nTest, and returns its path.
func WriteCIFAR10(t testing.TB, perBatch, nTest int) string {
	t.Helper()
	dir := t.TempDir()
	for b := range 6 {
		name, n := fmt.Sprintf("data_batch_%d.bin", b+1), perBatch
		if b == 5 {
			name, n = "test_batch.bin", nTest
		}
		if err := os.WriteFile(filepath.Join(dir, name), CIFARRecords(b, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
