package runner

import (
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/rng"
)

// loadTrainData is the training set named by name (mnist, fashion-mnist,
// cifar10 or a directory, see data.Locate), loaded once per process
// (data.LoadShared).
func loadTrainData(name string) (*data.Dataset, error) {
	train, _, err := data.LoadShared(name)
	if err != nil {
		return nil, fieldErr("data", "%v", err)
	}
	return train, nil
}

// LoadTrainVal is the data setup of a train run, the same as `sgdclaims
// train`'s: load the training set named by name ("mnist", "fashion-mnist",
// "cifar10" or a directory), hold out nVal examples for validation by a seeded split
// (purpose "split"), keep the first nTrain of the rest (0: all), and redraw
// the labels of a fraction noise of those (purpose "label-noise"). The
// validation set is nil when nVal is 0. Errors are *FieldError naming the
// field of TrainConfig at fault.
func LoadTrainVal(name string, nVal, nTrain int, noise float64, seed uint64) (trainSet, valSet *data.Dataset, err error) {
	full, err := loadTrainData(name)
	if err != nil {
		return nil, nil, err
	}
	if nVal >= full.N {
		return nil, nil, fieldErr("val_examples", "%d: must be smaller than the %d training examples", nVal, full.N)
	}
	if nTrain > full.N-nVal {
		return nil, nil, fieldErr("train_examples", "%d: only %d training examples remain after holding out %d for validation", nTrain, full.N-nVal, nVal)
	}
	trainSet = full
	if nVal > 0 {
		// SplitHead copies only the nTrain rows kept, not all 55,000.
		if trainSet, valSet, err = full.SplitHead(nVal, nTrain, rng.Derive(seed, "split", 0)); err != nil {
			return nil, nil, fieldErr("val_examples", "%v", err)
		}
	} else if nTrain > 0 {
		if trainSet, err = trainSet.Head(nTrain); err != nil {
			return nil, nil, fieldErr("train_examples", "%v", err)
		}
	}
	if noise > 0 {
		if trainSet, err = trainSet.WithLabelNoise(noise, rng.Derive(seed, "label-noise", 0)); err != nil {
			return nil, nil, fieldErr("label_noise", "%v", err)
		}
	}
	return trainSet, valSet, nil
}
