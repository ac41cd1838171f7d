// Package claims is the framework the thesis's claims are written in: the
// Claim and Splitter contract, Spec, Evidence, Verdict and the decision
// rules, the registry, Env, goldens, the split/merge machinery sweeps use,
// and the trajectory measurement claims share (CurvRun, CurvGrid).
//
// Each claim (CLAIMS.md) is its own package beside this one, registered
// under its ID: C1 exchangeability of eta and S (claims/exchangeability),
// C2 the stationary loss eta/(4S) Tr(H) (claims/stationaryloss), C3
// early-phase curvature lock-in (claims/lockin), C4 regularisers slowing
// memorisation (claims/memorisation). Importing claims/all registers them
// all; cmd/sgdclaims and runner do. Running one produces Evidence (tables,
// plots, key figures, raw measurements) and a Verdict (one Check per
// measurable part: a statistic with its 95% interval, the threshold with
// its reason, and an Outcome). No claim package imports another: what two
// claims share lives here, or in claims/stats.
//
// # Using it
//
//	import _ "github.com/sgdclaims/sgdclaims/claims/all"
//
//	c, _ := claims.Lookup("c2")
//	res, err := claims.RunClaim(ctx, c, claims.Quick, &claims.Env{})
//	fmt.Println(res.Verdict.Outcome) // holds | does not hold | inconclusive
//
// `sgdclaims verify` does this for the selected claims, prints the verdict
// table and writes a report (package reports); `go test ./claims/...` runs
// every claim at the quick scale and compares it with goldens/<id>.json.
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
// # Setups
//
// A claim is judged on one or more setups (model x dataset x grid, with a
// SetupID such as "mlp-mnist" or "simplecnn-fashion-mnist"; a claim with
// several implements MultiSetup). Each setup gets its own verdict, golden
// (goldens/<id>-<setup>.json) and report section; the claim's verdict
// across them follows SetupRule, fixed before any result was seen (holds
// only when it holds on every setup run; "mixed" with the list otherwise).
// A setup whose data are absent (CIFAR-10 here) is reported NotRun, not
// failed; verify --data restricts the setups by their data.
//
// # Pre-registration
//
// Thresholds are constants in the claim's file, fixed before any result was
// seen and written next to their reason, and every check is registered
// (Registration: statistic, threshold and reason word for word, with a
// version; Decide refuses a verdict carrying a check that is not). The
// registration's hash is stamped into results, goldens and reports;
// registrations/<id>.json keeps every version ever locked, and
// claimtest.Registered fails when the checks change without a version bump
// and a dated change-log entry saying which results had been seen. A new
// version is locked in a commit of its own before the commit with its first
// results, which claimtest.RegisteredBefore checks in git history. Every
// result also carries the commit it was computed from (Provenance). When
// a claim does not reproduce,
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
//	go test ./claims/stationaryloss -run TestClaim -update
//
// and review the diff like code.
//
// # Adding a claim
//
// A claim is one folder claims/<name>/ (named for what the claim is, not
// its ID), a golden goldens/<id>.json, and its entries in package
// reference; nothing else changes but one import line in claims/all.
// TestToyClaim (claims/claimtest) runs a claim written that way through
// verify, a sweep's units, merge and golden. The folder holds:
//
//   - doc.go: what the claim is, where it comes from, which file holds
//     what;
//
//   - <name>.go: a stateless type registered from init (type Claim
//     struct{} and func init() { claims.Register(Claim{}) }),
//     its Info (ID "c5", Name, Paper "P1 (Jastrzebski et al. 2017), Fig.
//     3.1a; thesis Sec. 3.2", Statement), the thresholds as constants
//     written next to their reasons (fixed before any result is seen), and
//     Spec(scale): the number of seeds (>= 3; claimtest.Info checks it),
//     Data ("synthetic" or "mnist"), Setup lines a reader can follow,
//     Budget, Tolerance (with its reason), and Config: the claim's own
//     JSON-serialisable struct holding every knob (grid, model spec,
//     epochs). Keep the quick scale within about two minutes on two cores.
//     ConfigHash(spec) fingerprints it for sweeps, so a changed setup is
//     never credited with old results;
//
//   - the units, below (every claim of the thesis splits; a new claim may
//     start as a plain Run and split later); Run is then
//     `return claims.RunUnits(ctx, env, c, spec)`;
//
//   - Units(spec): the independent pieces, one per seed and grid point
//     (or per seed and tier, ...), named by their values with the seed
//     last ("eta=0.05 S=64 seed=3"), with Unit.Point the index of the
//     point in the config (RunUnit runs cfg.Points[u.Point]: it never
//     parses the name) and a rough relative Cost;
//
//   - RunUnit(ctx, env, spec, u): one unit's work, from
//     claims.ConfigOf[config](spec); its result must be deterministic (no
//     wall times) and survive JSON (jsonfloat.Float for NaN); decide
//     anything seed-dependent from u.Seed, derive streams with
//     rng.Derive(seed, "c5-purpose", i), load the setup's data with env.Dataset()
//     (cached per process; never modify the returned datasets), report
//     progress with env.Report or env.Counter, and honour ctx;
//
//   - Merge(env, spec, seeds, results): the Evidence from the units of
//     the given seeds. A sweep that is not finished merges only the seeds
//     whose every unit has a result (MergeUnits), so Merge must work for
//     any subset of seeds, and a merge without seed k must equal a run
//     planned with the other seeds. The Evidence holds Measurements (the
//     raw record, SetMeasurements: everything the verdict needs, per
//     seed), Figures (the key numbers by stable name, "a/ratio_C/p0":
//     goldens compare them, BenchmarkClaim reports them; Metrics names
//     those benchstat should see), Tables (preformatted cells:
//     stats.Interval.String and Format, stats.G3), Plots (title, axis
//     labels with units and a caption are required; Reference series are
//     predictions or paper values, drawn dashed) and Notes, all built from
//     the record so they can be rebuilt.
//     A claim that is one SGD run per (eta, S) and seed measured along its
//     trajectory embeds claims.GridUnits[config] instead of writing Units
//     and RunUnit (C1 and C3 do): its config gives the CurvGrid and the
//     CurvRun of a grid point;
//
//   - verdict.go: Verdict(ev) decodes the record with GetMeasurements and
//     decides from it alone (a stored result is re-judged this way), with
//     package stats (MeanT across seeds, GeoMeanT, Bootstrap, SpearmanTest,
//     KendallTau, LogLogSlope / GroupedLogLogSlope, SpreadGap) and the
//     decision helpers (Within, Above, Below, AllOf, Combine; Failed for a
//     check that could not be measured; PerCheck to open the summary).
//     Fill every Check's Statistic, Value (with its Method), Threshold,
//     Reason and Detail;
//
//   - registration.go: the claim's Registration (every check's words, the
//     version, the change log); the verdict builds each check with
//     reg.Check(name).New(value, outcome, detail);
//
//   - <name>_test.go: claimtest.Setups(t, "c5", check) (each quick setup
//     run and compared with its golden, -update), claimtest.Registered and
//     claimtest.RegisteredBefore (lock with -register), claimtest.Evidence (JSON round trip re-judges
//     to the same verdict, plots drawable, thresholds and reasons present),
//     claimtest.Split on a miniature spec, claimtest.Judge on planted
//     records that must come out each way, and whatever else could go
//     wrong in the measurement. Create the golden with
//     `go test ./claims/<name> -run TestClaim -update` and commit it.
//     BenchmarkClaim (claims/all) picks the claim up by itself.
//
// Then add the import to claims/all and the paper's side to package
// reference (setups, findings, numbers with their source), so the report
// shows it next to the measurement.
//
// # Files
//
//	claim.go       Claim, Info, Spec, Scale, the registry (Register, All, Lookup, Select)
//	env.go         Env (data, seeds, workers, progress), ForEach, RunClaim
//	split.go       Unit, Splitter, RunUnits, RunUnit, FindUnit, MergeUnits, Coverage, ConfigHash
//	evidence.go    Evidence, Table, Plot, Series, Result(s) and their JSON
//	verdict.go     Outcome, Check, Verdict and the decision rules
//	setup.go       MultiSetup, Specs, SpecFor, RunSetups, SetupRule, CombineSetups, NotRun results
//	registration.go Registration, RegisteredCheck, Change, the lock file (registrations/<id>.json)
//	golden.go      Golden, Tolerance, Compare
//	trajectory.go  MNISTParts, CurvRun: SGD on MNIST with curvature measured along it (C1, C3)
//	curvgrid.go    CurvGrid, GridUnits, ConfigOf: the units of a claim over an (eta, S) grid
//	stats/         the statistics and number formats (its own package, usable elsewhere)
//	claimtest/     the harness every claim's tests use
//	all/           imports every claim; the registry's and the benchmarks' tests
//	<claim>/       one package per claim
package claims
