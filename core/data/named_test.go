package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without the package (and without SGDCLAIMS_DATA), asking for
// Fashion-MNIST is one line that names the install command.
func TestFashionMNISTMissing(t *testing.T) {
	t.Setenv(DataEnv, "")
	fashionSystemDir = filepath.Join(t.TempDir(), "none")
	t.Cleanup(func() { fashionSystemDir = FashionMNISTSystemDir })
	for _, f := range []func() error{
		func() error { _, err := Locate("fashion-mnist"); return err },
		func() error { _, _, err := Load("fashion-mnist"); return err },
		func() error { _, _, err := LoadShared("fashion-mnist"); return err },
		func() error { _, err := ResolveData("fashion-mnist"); return err },
	} {
		err := f()
		if err == nil || !strings.Contains(err.Error(), "apt-get install dataset-fashion-mnist") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("error %v: want one line naming the install command", err)
		}
	}
}

func TestFashionMNISTLocations(t *testing.T) {
	system := tinyMNIST(t, 6, 2, true)
	fashionSystemDir = system
	t.Cleanup(func() { fashionSystemDir = FashionMNISTSystemDir })

	t.Setenv(DataEnv, "")
	loc, err := Locate("fashion-mnist")
	if err != nil || loc.Dir != system || loc.Format != FormatIDX {
		t.Fatalf("system copy: %+v, %v", loc, err)
	}
	train, test, err := Load("fashion-mnist")
	if err != nil {
		t.Fatal(err)
	}
	if train.Name != "fashion-mnist-train" || test.Name != "fashion-mnist-test" || train.Shape != (Shape{1, 2, 3}) || train.N != 6 {
		t.Fatalf("loaded %s/%s, shape %v, %d rows", train.Name, test.Name, train.Shape, train.N)
	}

	// SGDCLAIMS_DATA set: its fashion-mnist/ folder, and only that.
	root := t.TempDir()
	t.Setenv(DataEnv, root)
	if _, err := Locate("fashion-mnist"); err == nil || !strings.Contains(err.Error(), DataEnv+"="+root+" is set") || !strings.Contains(err.Error(), filepath.Join(root, "fashion-mnist")) {
		t.Fatalf("override without the folder: %v", err)
	}
	if err := os.Rename(tinyMNIST(t, 4, 2, false), filepath.Join(root, "fashion-mnist")); err != nil {
		t.Fatal(err)
	}
	if loc, err := Locate("fashion-mnist"); err != nil || loc.Dir != filepath.Join(root, "fashion-mnist") {
		t.Fatalf("override: %+v, %v", loc, err)
	}
}

// $SGDCLAIMS_DATA may hold the MNIST files itself (as before) or in its
// mnist/ folder, beside fashion-mnist/ and cifar10/.
func TestMNISTDirEnvSubfolder(t *testing.T) {
	root := t.TempDir()
	if err := os.Rename(tinyMNIST(t, 3, 2, false), filepath.Join(root, "mnist")); err != nil {
		t.Fatal(err)
	}
	t.Setenv(DataEnv, root)
	if dir, err := MNISTDir(); err != nil || dir != filepath.Join(root, "mnist") {
		t.Fatalf("MNISTDir = %q, %v", dir, err)
	}
	if err := os.WriteFile(filepath.Join(root, "mnist", trainLabelsFile), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "mnist", testImagesFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), DataEnv+"="+root) || !strings.Contains(err.Error(), testImagesFile) {
		t.Fatalf("broken mnist/ folder: %v", err)
	}
}

func TestLoadSharedOnce(t *testing.T) {
	dir := tinyMNIST(t, 5, 2, false)
	a, _, err := LoadShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := LoadShared(dir)
	c, _, _ := LoadMNISTShared(dir)
	if a != b || a.N != 5 || c == nil {
		t.Fatal("LoadShared loaded twice")
	}
	if _, err := Locate(""); err == nil || !strings.Contains(err.Error(), "fashion-mnist") {
		t.Fatalf("empty name: %v", err)
	}
}
