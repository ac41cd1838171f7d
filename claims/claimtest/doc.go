// Package claimtest is the test harness every claim's tests use, as
// core/kernels/kerneltest is for kernels: what must hold of any claim is
// written here once, and a claim's package test calls it.
//
//	func TestClaim(t *testing.T) {
//		res := claimtest.Golden(t, "c2")          // quick run, compared with goldens/c2.json
//		claimtest.Evidence(t, stationaryloss.Claim{}, res) // JSON round trip, plots, reasons
//		...                                       // what else could go wrong in the measurement
//	}
//
// What it checks:
//
//   - Golden: the claim at the quick scale against its golden
//     (claims.Golden.Compare: the verdict exactly, the figures within the
//     golden's tolerance); `go test ./claims/<claim> -update` rewrites the
//     golden instead. Goldens live in the repository's goldens/ folder,
//     found from the test's directory, so a claim's package can sit at any
//     depth; GoldenAt takes another folder.
//   - Evidence: the result survives JSON and re-judging the stored
//     evidence gives the same verdict (so `sgdclaims report` can work from
//     results.json), every plot is drawable, every check names its
//     statistic, threshold and reason, and every benchmark metric names a
//     figure.
//   - Split: the Splitter contract (units run one by one and merged equal
//     RunUnits bitwise; a merge without the last seed equals a run planned
//     with one seed fewer; too few seeds are refused).
//   - Info: the claim's Info and both scales' Specs are complete.
//   - Judge and CheckOutcome: planted outcomes, a record made by hand
//     judged by the claim's Verdict, so a test can show that the verdict
//     can come out each way.
//
// With SGDCLAIMS_DUMP naming a directory, Golden also writes the whole
// result there (<claim>.json), for a look at the per-seed numbers without
// rerunning.
package claimtest
