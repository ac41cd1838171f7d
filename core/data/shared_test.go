package data

import "testing"

func TestLoadMNISTSharedLoadsOnce(t *testing.T) {
	dir, err := MNISTDir()
	if err != nil {
		t.Skip(err)
	}
	a, _, err := LoadMNISTShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := LoadMNISTShared(dir)
	if a != b || a.N != 60000 {
		t.Fatalf("second call returned another dataset (%p vs %p) or the wrong one (N=%d)", a, b, a.N)
	}
	if _, _, err := LoadMNISTShared(t.TempDir()); err == nil {
		t.Fatal("an empty directory loaded")
	}
}
