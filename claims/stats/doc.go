// Package stats holds the few statistics the claims decide with, each small
// enough to check by hand and each returning its uncertainty together with
// how that uncertainty was computed, so a verdict can say "0.98 [0.95, 1.01],
// 95% t-interval over 3 seeds" rather than a bare number.
//
// What is here and when to use it:
//
//   - MeanT: the mean of independent replicates (one number per seed) with a
//     Student-t interval. The default for "the ratio across seeds". It assumes
//     the replicates are roughly normal; with 3 seeds the t quantile is 4.30,
//     so the interval is honest about how little three runs say.
//   - Bootstrap: a percentile bootstrap of any statistic of the replicates,
//     seeded (core/rng), for statistics that are not means (a median, a
//     ratio of means). With fewer than about 10 replicates the percentile
//     interval is too narrow; prefer MeanT there.
//   - Spearman / SpearmanTest: rank correlation, with a Fisher-z interval
//     (standard error sqrt(1.06/(n-3)), Fieller et al. 1957) and an exact or
//     Monte Carlo permutation p-value. Use it for "larger x goes with smaller
//     y" claims across a grid.
//   - LogLogSlope: ordinary least squares of log y on log x with a t interval
//     on the slope (gonum/stat does the fit). A slope of 1 means y is
//     proportional to x.
//   - SpreadGap: the spread of a family of values against their gap to
//     control values, for "same inside the family, different from the
//     controls" claims.
//   - GeoMeanT: the geometric mean over seeds of a scale quantity (a
//     curvature) with the t interval of its logs, mapped back.
//   - KendallTau (tau-b) for "the order is kept" claims, and Median3, a
//     running median of three that keeps one fluctuation from making a
//     peak.
//
// The number formats of tables and check details are written here once:
// Interval.String ("1.02 [0.98, 1.06]"), Interval.Format (another verb, a
// scale such as 100 for percent) and G3, all "n/a" for a figure that could
// not be measured.
//
// Intervals are two-sided at the level asked for (0.95 throughout the claims).
// Functions return an error, not NaN, when the input cannot give an answer
// (too few points, non-positive values on a log axis), so a claim reports
// "inconclusive: too few points" instead of a silent NaN.
//
// Interval and Fit marshal to JSON with NaN as null and infinities as the
// strings "+Inf" and "-Inf" (internal/jsonfloat), because encoding/json refuses them
// and evidence from a diverged run must still be storable.
package stats
