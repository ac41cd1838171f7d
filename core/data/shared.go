package data

import "sync"

// sharedMNIST holds MNIST per directory for the life of the process, so that
// the claims, the sweep runner and the benchmarks of one process share one
// load (about 1 s and 190 MB).
var sharedMNIST struct {
	sync.Mutex
	m map[string]*sharedEntry
}

type sharedEntry struct {
	once        sync.Once
	train, test *Dataset
	err         error
}

// LoadMNISTShared is LoadMNIST(dir), loaded at most once per process and
// directory; later calls return the same datasets (or the same error). The
// datasets are shared: never modify them, derive new ones with Subset,
// Split, Head or WithLabelNoise.
func LoadMNISTShared(dir string) (train, test *Dataset, err error) {
	sharedMNIST.Lock()
	if sharedMNIST.m == nil {
		sharedMNIST.m = map[string]*sharedEntry{}
	}
	ent := sharedMNIST.m[dir]
	if ent == nil {
		ent = &sharedEntry{}
		sharedMNIST.m[dir] = ent
	}
	sharedMNIST.Unlock()
	ent.once.Do(func() { ent.train, ent.test, ent.err = LoadMNIST(dir) })
	return ent.train, ent.test, ent.err
}
