package main

import (
	"errors"
	"flag"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/runner"
)

// transformFlags are train's --augment and --normalize, kept apart from
// the rest of the command so that they read as one unit.
type transformFlags struct {
	augment, normalize *string
}

func addTransformFlags(fs *flag.FlagSet) transformFlags {
	return transformFlags{
		augment:   fs.String("augment", "off", "augment training batches: off, or `crop:P,flip` (random crop after P-pixel zero padding and/or horizontal flip; image data only)"),
		normalize: fs.String("normalize", "off", "standardise inputs per channel: off, train (mean and std of the training split), or `M1,..,MC/S1,..,SC`"),
	}
}

// check validates the flags' syntax before any data is loaded.
func (f transformFlags) check() error {
	if _, err := data.ParseAugment(*f.augment); err != nil {
		return usagef("--augment: %v", err)
	}
	if _, err := data.ParseNormalize(*f.normalize); err != nil {
		return usagef("--normalize: %v", err)
	}
	return nil
}

// resolve returns the augmentation and the normalisation for training on
// trainSet (--normalize train computes the statistics from it).
func (f transformFlags) resolve(trainSet *data.Dataset) (data.Augment, *data.Normalization, error) {
	aug, norm, err := runner.TrainTransforms(*f.augment, *f.normalize, trainSet)
	var fe *runner.FieldError
	if errors.As(err, &fe) {
		return aug, nil, usagef("--%s: %s", fe.Field, fe.Msg)
	}
	return aug, norm, err
}
