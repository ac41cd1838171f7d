package main

import "flag"

// transformFlags are train's --augment and --normalize, kept apart from
// the rest of the command so that they read as one unit. The runner's
// train kind parses and checks them (runner.TrainTransforms).
type transformFlags struct {
	augment, normalize *string
}

func addTransformFlags(fs *flag.FlagSet) transformFlags {
	return transformFlags{
		augment:   fs.String("augment", "off", "augment training batches: off, or `crop:P,flip` (random crop after P-pixel zero padding and/or horizontal flip; image data only)"),
		normalize: fs.String("normalize", "off", "standardise inputs per channel: off, train (mean and std of the training split), or `M1,..,MC/S1,..,SC`"),
	}
}
