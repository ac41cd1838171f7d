package claims

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// Heads is a setup's data taken from the heads of its files, as C7 and C8
// use it: the first TrainN training images train (their first ProbeN are
// the curvature probe), the first ValN test images validate, and Model is
// the setup's model spec completed for the data (nn.SpecForData).
type Heads struct {
	Train, Val *data.Dataset
	Model      string
}

// LoadHeads loads env's data (Env.Dataset) and takes its heads for a run of
// model. It refuses sizes the files cannot give and a bare CNN name on data
// without an image shape.
func LoadHeads(env *Env, trainN, valN, probeN int, model string) (*Heads, error) {
	trainAll, test, err := env.Dataset()
	if err != nil {
		return nil, err
	}
	if trainN > trainAll.N || valN > test.N || probeN > trainN {
		return nil, fmt.Errorf("%d training, %d validation, %d probe examples asked of %d and %d", trainN, valN, probeN, trainAll.N, test.N)
	}
	tr, err := trainAll.Head(trainN)
	if err != nil {
		return nil, err
	}
	val, err := test.Head(valN)
	if err != nil {
		return nil, err
	}
	spec, err := nn.SpecForData(model, tr)
	if err != nil {
		return nil, err
	}
	return &Heads{Train: tr, Val: val, Model: spec}, nil
}
