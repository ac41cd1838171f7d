// Package optim holds the optimisers and schedules of the training core.
//
// SGD follows PyTorch's torch.optim.SGD exactly (dampening 0), so a run here
// and a run there with the same hyperparameters take the same steps:
//
//	g  = grad + weightDecay*theta          (L2 coupled into the gradient)
//	v  = momentum*v + g                    (v starts at g on the first step)
//	theta -= lr*v                          (Nesterov: theta -= lr*(g + momentum*v))
//
// Learning-rate schedules map a step (and the epoch it falls in) to a rate;
// batch-size schedules map an epoch to a batch size. The thesis' first paper
// trades one for the other ("decay the rate by k" versus "grow the batch by
// k"), so both kinds have the same shapes: constant, step (multiply by a
// factor at milestone epochs) and cyclic (triangular between two values).
//
// Schedules are written and read as short strings, so commands and spec
// files can carry them:
//
//	const             the base value throughout
//	step:0.1@30,60    multiply by 0.1 at epochs 30 and 60
//	cosine            cosine decay from base to 0 over the run (rate only)
//	cyclic:0.1@4      rate: triangle between 0.1*base and base, 4 epochs up, 4 down
//	cyclic:10@4       batch: triangle between base and 10*base, moving so that
//	                  eta/S follows the same triangle as the rate schedule above
package optim
