package iterative

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/claims"
)

// Registration is C9's pre-registered checks (claims.Registrant).
func (Claim) Registration() claims.Registration { return registration }

const (
	check0  = "0: the network has learned the task"
	check1  = "1: every block moves against the gradient"
	check2  = "2: later blocks make smaller relative changes"
	check3  = "3: dropping a late block costs less than an early one"
	checkI1 = "i1: cosine with the gradient at the block's output"
	checkI2 = "i2: cosine at initialisation"
	checkI3 = "i3: relative changes against depth at initialisation"
	checkI4 = "i4: accuracy drop against depth"
)

var registration = claims.Registration{
	Claim: "c9", Version: 3,
	Checks: []claims.RegisteredCheck{
		{
			Name:      check0,
			Statistic: "held-out accuracy of the trained network (all blocks), mean over seeds",
			Threshold: fmt.Sprintf("95%% t-interval above %g; otherwise inconclusive, never does not hold", accMin),
			Reason: "the claim is about trained networks; 0.8 is far above chance (0.1) and below what a small MLP reaches on MNIST or " +
				"Fashion-MNIST, so a network below it has not learned the task and the claim is untested, not refuted",
		},
		{
			Name: check1,
			Statistic: "per block i, the mean over the traced held-out examples of cos(F_i(h_i), dL/dh_i) (dL/dh_i: gradient of the example's " +
				"loss with respect to the block's input), mean over seeds",
			Threshold: fmt.Sprintf("95%% t-interval below %g for every block (intersection-union rule); inconclusive unless check 0 holds", cosMax),
			Reason: "P4: each block moves its representation against the gradient of the loss, a descent step to first order; the claim is a " +
				"direction, so no margin: a block that ignores the gradient has a mean cosine within about 0.01 of 0 over thousands of examples, " +
				"and the interval across seeds carries the run-to-run spread",
		},
		{
			Name:      check2,
			Statistic: "Spearman rho of the block index and the mean over traced held-out examples of ||F_i(h_i)|| / ||h_i||, over every (seed, block)",
			Threshold: fmt.Sprintf("Fisher-z 95%% interval below %g; inconclusive unless check 0 holds", rhoMax),
			Reason: "P4: later blocks refine the representation with smaller changes; -0.5 is the edge of a strong correlation, as in C1, C3 " +
				"and C6: depth must order the relative changes, not merely tilt them",
		},
		{
			Name: check3,
			Statistic: "per seed, the mean held-out accuracy drop from replacing one of the first q blocks by the identity minus the mean drop " +
				"for one of the last q blocks (q = a quarter of the blocks, at least 1), mean over seeds",
			Threshold: fmt.Sprintf("95%% t-interval above %g; inconclusive unless check 0 holds", dropMargin),
			Reason: "P4 (after Veit et al. 2016): removing a late block, which only refines, costs less than removing an early one, which " +
				"builds the representation; an ordering, so no margin; pairing by seed removes the run-to-run spread of the accuracy",
		},
		{
			Name:      checkI1,
			Statistic: "per block i, the mean over traced held-out examples of cos(F_i(h_i), dL/dh_{i+1}) (the gradient at the block's output), mean over seeds",
			Threshold: "95% t-interval below 0 for every block (reported, not judged)",
			Reason: "the other first-order reading of P4's expansion L(h_i + F_i) ~ L(h_i) + F_i . dL/dh, with the later blocks held fixed; " +
				"information beside check 1, whose gradient is the one the claim states",
			Information: true,
		},
		{
			Name:        checkI2,
			Statistic:   "per block i, the mean cos(F_i(h_i), dL/dh_i) at initialisation (before training), mean over seeds",
			Threshold:   "95% t-interval below 0 for every block (reported, not judged)",
			Reason:      "whether the alignment of check 1 is learned or already there in a random network; a baseline, not the claim",
			Information: true,
		},
		{
			Name:      checkI3,
			Statistic: "Spearman rho of the block index and ||F_i(h_i)|| / ||h_i|| at initialisation, over every (seed, block)",
			Threshold: fmt.Sprintf("Fisher-z 95%% interval below %g (reported, not judged)", rhoMax),
			Reason: "||h_i|| grows along the stack of a randomly initialised resmlp, so the ratio may fall with depth before any training; " +
				"the baseline a reader needs beside check 2",
			Information: true,
		},
		{
			Name:        checkI4,
			Statistic:   "Spearman rho of the block index and the held-out accuracy drop from removing that block, over every (seed, block)",
			Threshold:   "Fisher-z 95% interval below 0 (reported, not judged)",
			Reason:      "the whole profile behind check 3, which compares only its ends",
			Information: true,
		},
	},
	Changes: []claims.Change{{
		Date: "2026-12-03", Version: 1,
		What: "first registration: checks 0-3 and the information checks i1-i4, setups resmlp-mnist and resmlp-fashion-mnist (quick), " +
			"and at the full scale also resmlp-deep-fashion-mnist",
		Seen: "no result of the claim: a timing-only run of core's training, TraceBlocks and EvaluateWithoutBlocks on resmlp:784-128x8-10 " +
			"(wall times printed, no accuracy, loss, cosine, norm or drop) to size the quick scale, and a tiny smoke config of the claim's " +
			"code (resmlp:784-16x4-10, a few hundred images, 2 epochs) run only by the package's split and smoke tests",
	}, {
		Date: "2026-12-03", Version: 2,
		What: "setup change, checks' words unchanged: the full scale's learning rate from 0.05 to 0.02 (resmlp:784-256x16-10 and " +
			"resmlp:784-128x32-10 diverged within the first 10 SGD steps at 0.05 in a timing run; at 0.02 an epoch ran without divergence); " +
			"the quick setups are unchanged. Presentation only, after the results: the relative-change plot on a linear axis",
		Seen: "v1's quick results on both setups (run once, not committed as goldens): resmlp-mnist does not hold by check 2 (Spearman rho " +
			"of block index and ||F_i||/||h_i|| +0.62 [0.27, 0.82]; checks 0, 1 and 3 hold: accuracy 94.3%, every block's mean cosine " +
			"-0.08 to -0.15, early minus late drop +3.3 [1.8, 4.7] points); resmlp-fashion-mnist does not hold by check 2 (rho +0.39 " +
			"[-0.03, 0.69]; checks 0 and 1 hold, check 3 inconclusive at +0.9 [-0.8, 2.6] points). No full-scale result: only the wall " +
			"times of one epoch and whether its loss diverged",
	}, {
		Date: "2026-12-03", Version: 3,
		What: "setup changes, checks' words unchanged. New setups on He et al.'s CIFAR ResNets, now that core traces their basic blocks: " +
			"resnet20-fashion-mnist (quick: resnet20:1x28x28-10, 2,000 training images, 3 epochs at eta 0.1, batch 32, 500 traced and 1,000 " +
			"held-out images) and at the full scale resnet56-cifar10 and resnet56-fashion-mnist (the whole training files, 30 epochs at eta " +
			"0.1, batch 128). On a ResNet 'block' in the checks means an identity-shortcut block (7 of resnet20's 9, 25 of resnet56's 27): " +
			"the downsampling blocks change the representation's shape, where cos(F_i, dL/dh_i) and the identity removal are undefined, so " +
			"they are named in the notes and left out; q = a quarter of the judged blocks as before. The full scale's resmlp-deep-fashion-mnist " +
			"from eta 0.02 to 0.01, because it cannot give a verdict at 0.02: every one of its 5 seeds diverged there. The resmlp quick setups " +
			"are unchanged",
		Seen: "v2's quick results on both resmlp setups (goldens c9-resmlp-mnist and c9-resmlp-fashion-mnist, committed in 3672fd7): does " +
			"not hold on both by check 2 (||F_i||/||h_i|| rises with depth: Spearman rho +0.62 [0.27, 0.82] and +0.39 [-0.03, 0.69]); checks 0 " +
			"and 1 hold on both; check 3 holds on MNIST (+3.3 [1.8, 4.7] points) and is inconclusive on Fashion-MNIST (+0.9 [-0.8, 2.6]). " +
			"Of v2's full scale only the steps at which the 5 resmlp-deep-fashion-mnist units of last session's sweep diverged (7, 11,705, " +
			"11,962, 19,045 and 19,046 of 28,110), no statistic of the claim; and, at eta 0.01, divergence-only training runs of that setup's " +
			"seed 3 (2 epochs) and seed 5 (14 epochs) that print whether and where the loss diverged and nothing else: neither diverged. Of the ResNet setups " +
			"no result: timing-only runs of resnet20 training and evaluation on Fashion-MNIST (wall times printed, nothing else) to size the " +
			"quick setup, and the tiny smoke config of the package's tests (resnet20 on 64 images, 1 epoch)",
	}},
}
