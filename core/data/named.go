package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// FashionMNISTSystemDir is where Debian's dataset-fashion-mnist package
// installs the four Fashion-MNIST IDX files (gzipped).
const FashionMNISTSystemDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTInstall is the command that installs Fashion-MNIST, named by
// the error for a machine without it.
const FashionMNISTInstall = "apt-get install dataset-fashion-mnist"

// fashionSystemDir is FashionMNISTSystemDir; tests point it elsewhere to
// play a machine without the package.
var fashionSystemDir = FashionMNISTSystemDir

// Format is the file layout of a data directory.
type Format int

const (
	// FormatIDX is MNIST's layout: train-images-idx3-ubyte,
	// train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
	// t10k-labels-idx1-ubyte, each raw or gzipped (MNIST, Fashion-MNIST,
	// KMNIST).
	FormatIDX Format = iota
	// FormatCIFAR10 is CIFAR-10's binary version: data_batch_1.bin to
	// data_batch_5.bin and test_batch.bin.
	FormatCIFAR10
)

func (f Format) String() string {
	if f == FormatCIFAR10 {
		return "cifar10"
	}
	return "idx"
}

// Location is where a --data argument leads: the directory to read, its
// layout, and the name its datasets carry.
type Location struct {
	Name   string // "mnist", "fashion-mnist", "cifar10", or the path given
	Dir    string
	Format Format
}

// Names lists the dataset names Locate knows; anything else is a path.
var Names = []string{"mnist", "fashion-mnist", "cifar10"}

// Locate turns a --data argument into the directory to read:
//
//   - "mnist": MNISTDir ($SGDCLAIMS_DATA or its mnist/ folder, else the
//     GoMNIST module's copy);
//   - "fashion-mnist": $SGDCLAIMS_DATA/fashion-mnist when SGDCLAIMS_DATA is
//     set, else FashionMNISTSystemDir (Debian's dataset-fashion-mnist);
//   - "cifar10": $SGDCLAIMS_DATA/cifar10 or $SGDCLAIMS_DATA/cifar-10-batches-bin
//     (the folder the official archive unpacks to); there is no default, since
//     it cannot be downloaded here;
//   - anything else: a directory in either layout (write ./mnist for a
//     directory of that name).
//
// When SGDCLAIMS_DATA is set it is the only place a named dataset is looked
// for, so that the override is never silently bypassed. Every error is one
// line that says how to fix it; for a directory that exists but is wrong it
// is a *FileError naming the file.
func Locate(name string) (Location, error) {
	env := os.Getenv(DataEnv)
	switch name {
	case "":
		return Location{}, fmt.Errorf("data: empty --data: give %s or a directory holding %s (or the CIFAR-10 batches %s)",
			strings.Join(Names, ", "), strings.Join(mnistFiles, ", "), strings.Join(cifarFiles, ", "))
	case "mnist":
		dir, err := MNISTDir()
		return Location{Name: name, Dir: dir, Format: FormatIDX}, err
	case "fashion-mnist":
		if env != "" {
			dir := filepath.Join(env, "fashion-mnist")
			if _, err := mnistPaths(dir); err != nil {
				return Location{}, fmt.Errorf("data: fashion-mnist: %s=%s is set, so only %s is read (%v): put %s there, or unset %s to read Debian's copy (`%s`), or pass --data DIR",
					DataEnv, env, dir, err, strings.Join(mnistFiles, ", "), DataEnv, FashionMNISTInstall)
			}
			return Location{Name: name, Dir: dir, Format: FormatIDX}, nil
		}
		dir := fashionSystemDir
		if _, err := mnistPaths(dir); err != nil {
			return Location{}, fmt.Errorf("data: fashion-mnist: not installed (%v): run `%s`, or set %s to a directory whose fashion-mnist/ folder holds %s, or pass --data DIR",
				err, FashionMNISTInstall, DataEnv, strings.Join(mnistFiles, ", "))
		}
		return Location{Name: name, Dir: dir, Format: FormatIDX}, nil
	case "cifar10":
		if env == "" {
			return Location{}, fmt.Errorf("data: cifar10: not found (%s is not set): %s", DataEnv, cifarHelp())
		}
		dir := filepath.Join(env, "cifar10")
		if alt := filepath.Join(env, "cifar-10-batches-bin"); !isDir(dir) && isDir(alt) {
			dir = alt
		}
		if _, _, err := cifarPaths(dir); err != nil {
			return Location{}, fmt.Errorf("data: cifar10: %s=%s: %v; %s", DataEnv, env, err, cifarHelp())
		}
		return Location{Name: name, Dir: dir, Format: FormatCIFAR10}, nil
	}
	// A path: its layout decides how it is read. A directory with any
	// CIFAR-10 batch in it is taken as CIFAR-10, so that a missing or
	// truncated batch is reported as such rather than as missing IDX files.
	if isDir(name) && hasCIFARFile(name) {
		if _, _, err := cifarPaths(name); err != nil {
			return Location{}, err
		}
		return Location{Name: name, Dir: name, Format: FormatCIFAR10}, nil
	}
	if _, err := mnistPaths(name); err != nil {
		return Location{}, err
	}
	return Location{Name: name, Dir: name, Format: FormatIDX}, nil
}

// ResolveData is Locate's directory: it checks a --data argument without
// loading anything.
func ResolveData(name string) (dir string, err error) {
	loc, err := Locate(name)
	return loc.Dir, err
}

// Load reads the training and test sets named by a --data argument (see
// Locate). Named datasets carry their name ("fashion-mnist-train", ...).
func Load(name string) (train, test *Dataset, err error) {
	loc, err := Locate(name)
	if err != nil {
		return nil, nil, err
	}
	return loc.Load()
}

// Load reads the training and test sets at l.
func (l Location) Load() (train, test *Dataset, err error) {
	if l.Format == FormatCIFAR10 {
		train, test, err = LoadCIFAR10(l.Dir)
	} else {
		train, test, err = LoadMNIST(l.Dir)
	}
	if err != nil {
		return nil, nil, err
	}
	if l.Name == "mnist" || l.Name == "fashion-mnist" || l.Name == "cifar10" {
		train.Name, test.Name = l.Name+"-train", l.Name+"-test"
	}
	return train, test, nil
}

// LoadShared is Load, loaded at most once per process and location; see
// LoadMNISTShared for the rules on shared datasets.
func LoadShared(name string) (train, test *Dataset, err error) {
	loc, err := Locate(name)
	if err != nil {
		return nil, nil, err
	}
	return loadShared(loc)
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// sharedData holds loaded datasets per location for the life of the
// process, so that the claims, the sweep runner and the benchmarks of one
// process share one load (MNIST: about 1 s and 190 MB; CIFAR-10: 740 MB).
var sharedData struct {
	sync.Mutex
	m map[Location]*sharedEntry
}

type sharedEntry struct {
	once        sync.Once
	train, test *Dataset
	err         error
}

func loadShared(loc Location) (train, test *Dataset, err error) {
	sharedData.Lock()
	if sharedData.m == nil {
		sharedData.m = map[Location]*sharedEntry{}
	}
	ent := sharedData.m[loc]
	if ent == nil {
		ent = &sharedEntry{}
		sharedData.m[loc] = ent
	}
	sharedData.Unlock()
	ent.once.Do(func() { ent.train, ent.test, ent.err = loc.Load() })
	return ent.train, ent.test, ent.err
}
