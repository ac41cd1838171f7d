package overshoot

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/claims"
)

// Check names, as registered.
const (
	checkE1     = "a: overshoot along e1"
	checkRandom = "b: random directions descend"
	checkBulk   = "c: the step without its top-K part descends"
	checkTop    = "d: the top-K part does not lower the loss"
)

const perSeed = "per seed the median over the measurements after the early phase, then the mean over seeds"

// registration is C8's pre-registered checks (claims.Registrant).
var registration = claims.Registration{Claim: "c8", Version: 1, Checks: []claims.RegisteredCheck{
	{
		Name:      checkE1,
		Statistic: "loss-minimising fraction alpha* of the SGD step along the top Hessian eigenvector (line minimum of L(theta + alpha <d,e1> e1) on the probe set), " + perSeed,
		Threshold: fmt.Sprintf("95%% t-CI below %g", alphaMax),
		Reason: "on a quadratic bowl the full step along a line ends as high as it started at alpha* = 0.5 (eta lambda_1 = 2 for the full-batch gradient); " +
			"below it the step crosses the minimum and climbs past it: the thesis's 'too large step' (Fig. 3.1c), CLAIMS.md's '<= 0.5 once lambda_max has risen'",
	},
	{
		Name:      checkRandom,
		Statistic: "loss-minimising fraction alpha* of the step's component along random unit Gaussian directions, pooled over the directions, " + perSeed,
		Threshold: fmt.Sprintf("95%% t-CI above %g", alphaMax),
		Reason:    "above 0.5 the full step along the line ends lower than it started (quadratic): along directions other than the sharpest the step still descends",
	},
	{
		Name:      checkBulk,
		Statistic: "loss-minimising fraction alpha* of the step with its top-K eigenspace part removed, (I - P_K) d, " + perSeed,
		Threshold: fmt.Sprintf("95%% t-CI above %g", alphaMax),
		Reason:    "above 0.5 the full step outside the top-K eigenspace ends lower than it started: the rest of the update lowers the loss (Song, Ahn & Yun 2025)",
	},
	{
		Name:      checkTop,
		Statistic: "(L(theta + P_K d) - L(theta)) / |L(theta + (I - P_K) d) - L(theta)| on the probe set: the top-K part's loss change in units of the rest's, " + perSeed,
		Threshold: fmt.Sprintf("95%% t-CI above %g", -topShare),
		Reason: fmt.Sprintf("Song, Ahn & Yun 2025: the part of an SGD update inside the top eigenspace does not reduce the loss; -%g allows it at most a tenth of the descent the rest achieves "+
			"(-1 would be a top part as useful as the rest)", topShare),
	},
}, Changes: []claims.Change{
	{Date: "2026-12-03", Version: 1, What: "checks a-d registered with the claim's first code, before any of its results; a tiny smoke configuration (784-8-10 network, 512 images) was run only to prove the code runs",
		Seen: "none of this claim's results; C3's quick MNIST golden (eta lambda_max of an MLP at eta = 0.1, S = 128) had been seen when the quick setup was chosen"},
}}

func (Claim) Registration() claims.Registration { return registration }
