// Package claims turns the thesis's claims into measurements with verdicts.
//
// Each claim (CLAIMS.md: C1 exchangeability of eta and S, C2 the stationary
// loss eta/(4S) Tr(H), C3 early-phase curvature, C4 regularisers slowing
// memorisation) is a Claim registered under its ID. Running one produces
// Evidence (tables, plots, key figures, raw measurements) and a Verdict
// (one Check per measurable part: a statistic with its 95% interval, the
// threshold with its reason, and an Outcome).
//
// # Using it
//
//	c, _ := claims.Lookup("c2")
//	res, err := claims.RunClaim(ctx, c, claims.Quick, &claims.Env{})
//	fmt.Println(res.Verdict.Outcome) // holds | does not hold | inconclusive
//
// `sgdclaims verify` does this for the selected claims, prints the verdict
// table and writes a report (package reports); `go test ./claims` runs every
// claim at the quick scale and compares it with goldens/<id>.json.
//
// # Outcomes
//
// A check decides like an equivalence test: it Holds when the statistic's
// whole 95% interval lies inside the threshold's range, DoesNotHold when the
// interval lies entirely outside, and is Inconclusive when it straddles an
// end (Within, Above, Below). A check over a grid holds only if every point
// holds (AllOf; the intersection-union rule needs no multiplicity
// correction). A claim holds when all its checks hold and does not hold when
// any check does not (Combine). Inconclusive is not a pass: `verify` exits 1
// unless every selected claim holds.
//
// Thresholds are constants in the claim's file, fixed before any result was
// seen and written next to their reason. When a claim does not reproduce,
// the verdict says so, the golden records it, and the test asserts that
// recorded verdict: the suite guards reproducibility, and a change of
// outcome shows up as a diff of the golden.
//
// # Determinism and goldens
//
// A claim's Run must give bitwise identical results for the same spec,
// seeds and kernel implementation (ISA), whatever GOMAXPROCS is: replicates
// run in parallel through Env.ForEach, each on its own model clone and its
// own rng streams (core/rng, derived by purpose from the replicate's root
// seed), and results are collected by index. goldens/<id>.json records the
// ISA, seeds, config, tolerances, key figures and verdict of a quick-scale
// run; Golden.Compare checks a rerun (go-cmp with cmpopts.EquateApprox):
// figures within Tolerance.Same on the golden's ISA, within the looser
// Tolerance.CrossISA on another ISA (float32 sums in another order send SGD
// down another trajectory, so a run on another ISA is an independent
// replicate and agrees only statistically), and the verdict exactly. Both
// tolerances are read from the golden. Rewrite goldens with
//
//	go test ./claims -run TestClaimC2 -update
//
// and review the diff like code.
//
// # Adding a claim
//
// A claim is one file claims/cN_<name>.go (split into cN_*.go files when it
// grows), a test claims/cN_test.go, and a golden.
//
//  1. Define a stateless type and register it:
//
//     type exchangeability struct{}
//     func init() { Register(exchangeability{}) }
//
//  2. Info: ID ("c1"), Name (a few words), Paper ("P1 (Jastrzebski et al.
//     2017), Fig. 3.1a; thesis Sec. 3.2"), Statement (one sentence).
//
//  3. Spec(scale): the number of seeds (>= 3 at quick scale; TestRegistry
//     enforces it), Data ("synthetic" or "mnist"), Setup lines a reader can
//     follow, Budget, Tolerance (with its reason), and Config: your own
//     JSON-serialisable struct holding every knob (grid, model spec,
//     epochs). Keep the quick scale within about two minutes on two cores.
//
//  4. Run(ctx, env, spec): type-assert spec.Config, use SeedList(spec.Seeds)
//     as root seeds, derive streams with rng.Derive(seed, "purpose", i),
//     load MNIST with env.MNIST() (cached per process; never modify the
//     returned datasets), fan independent runs out with env.ForEach, report
//     progress with env.Report(stage, done, total) or env.Counter, and
//     honour ctx. Return
//     an Evidence with:
//     - Measurements: your raw record (SetMeasurements) - everything the
//     verdict needs, per seed; use jsonfloat.Float for values that may be NaN;
//     - Figures: the key numbers by stable name ("a/ratio_C/p0"); goldens
//     compare them and BenchmarkClaim reports them;
//     - Tables (preformatted cells), Plots (title, axis labels with units and
//     a caption are required; Series with YLo/YHi get error bars;
//     Reference series are predictions or paper values, drawn dashed), and
//     Notes. Build them from the record, not from live state, so they can
//     be rebuilt.
//     RunClaim fills in Info, Spec, Seeds, ISA, GOMAXPROCS, Go version and
//     wall time.
//
//     To let a sweep spread the claim over a cluster, implement Splitter
//     (every claim of the thesis does) and make Run just
//     `return RunUnits(ctx, env, c, spec)`:
//     - Units(spec): the independent pieces, one per seed and grid point
//     (or per seed and tier, ...), named by their values with the seed
//     last ("eta=0.05 S=64 seed=3"), with a rough relative Cost;
//     - RunUnit(ctx, env, spec, u): one unit's work; its result must be
//     deterministic (no wall times) and survive JSON (jsonfloat.Float for NaN);
//     decide anything seed-dependent from u.Seed, never from a position;
//     - Merge(env, spec, seeds, results): the Evidence from the units of
//     the given seeds. A sweep that is not finished merges only the seeds
//     whose every unit has a result (MergeUnits), so Merge must work for
//     any subset of seeds, and a merge without seed k must equal a run
//     planned with the other seeds. checkSplit (split_test.go) tests all
//     of this on a miniature spec; call it from your claim's test.
//
//  5. Verdict(ev): decode the record with GetMeasurements and decide from it
//     alone (a stored result is re-judged this way), with the statistics of
//     package stats (MeanT across seeds, Bootstrap, SpearmanTest,
//     LogLogSlope / GroupedLogLogSlope, SpreadGap) and the decision helpers
//     (Within, Above, Below, AllOf, Combine; Failed for a check that could
//     not be measured). Fill every Check's Statistic, Value (with its
//     Method), Threshold, Reason and Detail.
//
//  6. Test: claims/cN_test.go calls runGolden(t, "cN") (quick run, golden
//     comparison, -update) and checkEvidence (JSON round trip re-judges to
//     the same verdict, plots drawable, thresholds and reasons present),
//     then asserts whatever else could go wrong in your measurement. Create
//     the golden with -update and commit it. BenchmarkClaim picks the claim
//     up by itself.
//
//  7. Add the paper's side to package reference (setups, findings, numbers
//     with their source), so the report shows it next to the measurement.
//
// # Files
//
//	claim.go      Claim, Info, Spec, Scale, the registry (Register, All, Lookup, Select)
//	env.go        Env (data, seeds, workers, progress), ForEach, RunClaim
//	split.go      Unit, Splitter, RunUnits, RunUnit, MergeUnits, Coverage: claims run in pieces
//	evidence.go   Evidence, Table, Plot, Series, Result(s) and their JSON
//	verdict.go    Outcome, Check, Verdict and the decision rules
//	golden.go     Golden, Tolerance, Compare
//	stats/        the statistics (its own package, usable elsewhere)
//	c2_*.go       claim C2 (stationary loss), its theory and its SGD runs
package claims
