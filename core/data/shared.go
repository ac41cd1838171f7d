package data

// LoadMNISTShared is LoadMNIST(dir), loaded at most once per process and
// directory; later calls return the same datasets (or the same error). The
// datasets are shared: never modify them, derive new ones with Subset,
// Split, Head or WithLabelNoise.
func LoadMNISTShared(dir string) (train, test *Dataset, err error) {
	return loadShared(Location{Name: "mnist", Dir: dir, Format: FormatIDX})
}
