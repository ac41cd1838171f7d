package stationaryloss

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/claims"
)

// C2's pre-registered checks (claims.Registrant). v1 is the registration
// of the checks as they stood on main at commit 2476396, locked
// retroactively; v2 is the current one. Every threshold below is written
// from the constants in stationaryloss.go.

// Check names, as the verdict carries them.
const (
	ckAC       = "a: least squares, vs Tr(C)"
	ckAH       = "a: least squares, vs Tr(H)"
	ckBC       = "b: softmax regression, vs Tr(C)"
	ckCSlope   = "c: MLP, proportionality"
	ckCC       = "c: MLP, vs Tr(C)"
	ckAnisoC   = "a: anisotropic least squares, vs Tr(C)"
	ckAnisoH   = "a: anisotropic least squares, vs Tr(H)"
	ckDisExact = "a: discrete regime, exact prediction"
	ckDisMiss  = "a: discrete regime, first order misses"
	ckAShuf    = "a: epoch-shuffled SGD"
	ckBH       = "b: softmax regression, vs Tr(H)"
	ckCH       = "c: MLP, vs Tr(H)"
	ckMSlope   = "mlp: proportionality"
	ckMC       = "mlp: vs Tr(C)"
	ckMH       = "mlp: vs Tr(H)"
	ckMShuf    = "mlp: epoch-shuffled SGD"
)

const (
	statC     = "excess loss / (eta/(4S) (N-S)/(N-1) Tr C)"
	statSlope = "log-log slope of excess loss on eta/S (N-S)/(N-1), one intercept per seed"
)

func everyPoint(lo, hi float64) string {
	return fmt.Sprintf("95%% CI inside [%.3g, %.3g] at every grid point", lo, hi)
}

func everyFirstOrderPoint(lo, hi float64) string {
	return fmt.Sprintf("95%% CI inside [%.3g, %.3g] at every grid point of the first-order regime (the discrete-regime point is judged on its own)", lo, hi)
}

// v1Checks are the checks of v1, word for word as main's verdict.go
// wrote them before registrations existed.
var v1Checks = []claims.RegisteredCheck{
	{Name: ckAC, Statistic: statC, Threshold: everyPoint(1-marginA, 1+marginA),
		Reason: "first-order formula; neglected discrete-time and state-dependent-noise terms are computed and below ~3% on this grid; a wrong constant or power of S misses by >= 2x"},
	{Name: ckAH, Statistic: "excess loss / (eta/(4S) (N-S)/(N-1) Tr H), C = H in the population (sigma = 1)", Threshold: everyPoint(1-marginA, 1+marginA),
		Reason: "as for Tr(C), plus the finite-sample gap Tr(C)/Tr(H) ~ (N-P)/N = 0.96"},
	{Name: ckBC, Statistic: statC, Threshold: everyPoint(1-marginB, 1+marginB),
		Reason: "the loss is not quadratic: cubic terms and state-dependent noise add uncomputed O(eta/S) corrections; 15% still rejects a wrong constant"},
	{Name: ckCSlope, Statistic: statSlope, Threshold: fmt.Sprintf("95%% CI inside [%g, %g]", slopeLo, slopeHi),
		Reason: "a decade of eta/S tells a slope of 1 (proportional) from 0.5 or 2; nonconvexity may bend the curve slightly"},
	{Name: ckCC, Statistic: statC, Threshold: everyPoint(ratioCLo, ratioCHi),
		Reason: "quadratic model of a nonconvex net around an approximate minimum, slow flat directions: tens of percent expected; 1.5x still rejects a wrong constant of 2"},
}

func superseded(c claims.RegisteredCheck) claims.RegisteredCheck {
	c.Information = true
	return c
}

// v2Checks: the v1 checks of tier a kept as information (their tier is now
// anisotropic and their reason was stale), the others kept as they were,
// and the new ones.
var v2Checks = []claims.RegisteredCheck{
	superseded(v1Checks[0]),
	superseded(v1Checks[1]),
	{Name: ckAnisoC, Statistic: statC + ", grid points of the first-order regime (eta lambda_max < 0.05; the discrete-regime point is judged on its own)",
		Threshold: everyFirstOrderPoint(1-marginA, 1+marginA),
		Reason: "first-order formula; the neglected discrete-time and state-dependent-noise terms are computed per point (the 'exact/1st' column) " +
			"and are at most ~1.5% on this grid by the quadratic model (v1's '~3%' was stale: issue 12 reports 6% measured); a wrong constant or power of S misses by >= 2x"},
	{Name: ckAnisoH, Statistic: "excess loss / (eta/(4S) (N-S)/(N-1) Tr H), C = H in the population (sigma = 1), input variances spread " + fmt.Sprint(condA) + "-fold, grid points of the first-order regime",
		Threshold: everyFirstOrderPoint(1-marginA, 1+marginA),
		Reason: "as for Tr(C), plus the sample's gap Tr(C)/Tr(H) (about (N-P)/N); with the curvature spread " + fmt.Sprint(condA) + "-fold, Tr(H) is about a quarter of " +
			"P lambda_max, so a form in lambda_max alone (P lambda_max, or an isotropic H) misses by ~4x"},
	{Name: ckDisExact, Statistic: "excess loss / exact discrete prediction 1/2 Tr(H Sigma), Sigma solving H Sigma + Sigma H - eta H Sigma H = eta kappa C(Sigma) (C with its state-dependent part), at the discrete-regime point (eta lambda_max ~ 0.76)",
		Threshold: fmt.Sprintf("95%% CI inside [%.3g, %.3g]", 1-marginA, 1+marginA),
		Reason:    "the stationary solution of SGD on a quadratic loss with this noise, with no small-eta approximation: only the statistical error remains; the first-order regime's margin"},
	{Name: ckDisMiss, Statistic: statC + " at the discrete-regime point (eta lambda_max ~ 0.76)",
		Threshold: fmt.Sprintf("95%% CI above %.3g", missA),
		Reason: "there the discrete factor 1/(1 - eta lambda/2) is ~1.6 in the sharpest directions and the quadratic model puts the excess ~38% above first order; " +
			"landing outside the margin first order is granted in its own regime shows that the discrete-time correction is real"},
	{Name: ckAShuf, Statistic: "excess loss of epoch-shuffled SGD (train.Run: every example once per epoch) / (eta/(4S) (N-S)/(N-1) Tr C), per grid point",
		Threshold: "none: information, reported next to the independent-batch ratio",
		Reason: "the formula assumes independent batches; an epoch's batch noise sums to zero, which lowers the stationary loss when an epoch (N/S steps) " +
			"is short against the relaxation time", Information: true},
	v1Checks[2],
	{Name: ckBH, Statistic: "excess loss / (eta/(4S) (N-S)/(N-1) Tr H)", Threshold: everyPoint(1-marginB, 1+marginB),
		Reason: "well specified, so C is close to H at the minimum (the Fisher identity) up to the sample's Tr(C)/Tr(H); the Tr(C) form's margin, which rejects a wrong constant"},
	v1Checks[3],
	v1Checks[4],
	{Name: ckCH, Statistic: "excess loss / (eta/(4S) (N-S)/(N-1) Tr H), H of loss + wd/2 |theta|^2", Threshold: everyPoint(ratioCLo, ratioCHi),
		Reason: "Eq. (3.3) as the thesis states it: C = H is assumed, not arranged (a network is not well specified, and H includes wd P); " +
			"judged with the tier's Tr(C) margin, which still rejects a wrong factor of 2"},
	{Name: ckMSlope, Statistic: statSlope, Threshold: fmt.Sprintf("95%% CI inside [%g, %g]", slopeLo, slopeHi),
		Reason: "as tier c: a decade of eta/S tells a slope of 1 (proportional) from 0.5 or 2; a nonconvex net on real data may bend the curve slightly"},
	{Name: ckMC, Statistic: statC, Threshold: everyPoint(ratioCLo, ratioCHi),
		Reason: "as tier c: the quadratic model of a nonconvex net around an approximate minimum holds to tens of percent; 1.5x still rejects a wrong constant of 2"},
	{Name: ckMH, Statistic: "excess loss / (eta/(4S) (N-S)/(N-1) Tr H), H of loss + wd/2 |theta|^2", Threshold: everyPoint(ratioCLo, ratioCHi),
		Reason: "as tier c: Eq. (3.3) as stated, C = H assumed, judged with the Tr(C) form's margin, which still rejects a wrong factor of 2"},
	{Name: ckMShuf, Statistic: "excess loss of epoch-shuffled SGD (train.Run: every example once per epoch) / (eta/(4S) (N-S)/(N-1) Tr C), per grid point",
		Threshold: "none: information, reported next to the independent-batch ratio",
		Reason:    "ordinary SGD as networks are trained; the formula assumes independent batches (see tier a)", Information: true},
}

var changes = []claims.Change{
	{Date: "2026-12-03", Version: 1,
		What: "v1 registered retroactively: the five checks as main's verdict.go had them at commit 2476396 (they date from earlier commits; " +
			"tier a's N was raised from 512 to 16384 after results were seen, as stationaryloss.go records, the thresholds untouched)",
		Seen: "every quick result of the synthetic tiers (goldens/c2-synthetic.json) and the full-scale sweep (reports/full/c2), including tier c's ratio to Tr(H) of 0.70-0.74 at full scale"},
	{Date: "2026-12-03", Version: 2,
		What: "issue 12: tier a anisotropic (input variances spread 200-fold), its v1 checks kept as information; the Tr(H) form judged in tiers b and c; " +
			"a discrete-regime point in tier a (eta = 0.75, S = 256, eta lambda_max ~ 0.76) judged against the exact discrete prediction and for a visible miss of first order; " +
			"epoch-shuffled SGD reported as information; two new setups (an MLP on MNIST and on Fashion-MNIST subsets, pooled to 7x7), with the tier c checks; " +
			"tier a's stale reason ('~3%') rewritten. The discrete point, the spectrum and the grid of the image setups were chosen from the quadratic model " +
			"and from a smoke run of the image minimum (its gradient norm, lambda_max and time), before any stationary SGD run of v2",
		Seen: "v1's results (above); for the new setups only the smoke run's minimum (no excess loss, no ratio)"},
}

var registrationV1 = claims.Registration{Claim: "c2", Version: 1, Checks: v1Checks, Changes: changes[:1]}

var registration = claims.Registration{Claim: "c2", Version: 2, Checks: v2Checks, Changes: changes}

// Registration is C2's current registration (v2).
func (Claim) Registration() claims.Registration { return registration }
