package nudged

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/claims"
)

// Check names, as registered.
const (
	checkSharper = "a: gamma < 1 ends sharper"
	checkFlatter = "b: gamma > 1 ends flatter"
	checkAcc     = "c: validation accuracy within the margin"
)

// registration is C7's pre-registered checks (claims.Registrant).
var registration = claims.Registration{Claim: "c7", Version: 1, Checks: []claims.RegisteredCheck{
	{
		Name:      checkSharper,
		Statistic: "log(lambda_max(gamma) / lambda_max(SGD)) at the end of training, lambda_max on the probe set, paired by seed, mean over seeds, at every gamma < 1",
		Threshold: fmt.Sprintf("95%% t-CI above log(%g) at every gamma < 1", sharpRatio),
		Reason: "the claim is that the endpoint's curvature is steered: a steer worth the name moves lambda_max by at least a quarter; " +
			"an ordering alone could be a few percent that no generalisation argument would rest on",
	},
	{
		Name:      checkFlatter,
		Statistic: "log(lambda_max(SGD) / lambda_max(gamma)) at the end of training, lambda_max on the probe set, paired by seed, mean over seeds, at every gamma > 1",
		Threshold: fmt.Sprintf("95%% t-CI above log(%g) at every gamma > 1", sharpRatio),
		Reason:    "as (a), the other way: amplifying the step along the top eigenvectors must leave a flatter endpoint by at least a quarter",
	},
	{
		Name:      checkAcc,
		Statistic: "validation accuracy of gamma minus that of SGD (gamma = 1), paired by seed, mean over seeds, at every gamma != 1",
		Threshold: fmt.Sprintf("95%% t-CI inside [-%g, %g] at every gamma != 1 (two one-sided tests)", accMargin, accMargin),
		Reason: "the thesis gives no number ('maintaining generalization performance'); 1.5 points is five times the binomial standard error of one run's " +
			"accuracy on 10,000 validation images at 90% and well inside the several-point gaps sharpness has been invoked to explain (Keskar et al. 2017)",
	},
}, Changes: []claims.Change{
	{Date: "2026-12-03", Version: 1, What: "checks a-c registered with the claim's first code, before any of its results; a tiny smoke configuration (784-8-10 network, 512 images) was run only to prove the code runs",
		Seen: "none of this claim's results; C3's quick MNIST golden (eta lambda_max of an MLP at eta = 0.1, S = 128) and C8's quick results (eta lambda_1 about 1.1 on MNIST and 1.9 on Fashion-MNIST at the same eta, S and network) had been seen when the quick setup was chosen"},
}}

func (Claim) Registration() claims.Registration { return registration }
