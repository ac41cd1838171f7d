// Package schedules is claim C5: decaying the learning rate by a factor k
// at fixed epochs can be replaced by growing the batch size by k at the
// same epochs (extended P1, Jastrzebski et al. 2017, "Three Factors
// Influencing Minima in SGD"; Smith, Kindermans & Le 2017; thesis Sec. 3.2:
// "decreasing learning rate during training can be replaced by an
// equivalent linear increase of batch size"). The two runs' validation
// accuracy and lambda_max trajectories must agree within equivalence
// margins fixed in advance (two one-sided tests), while a control that
// changes neither differs from them. A cyclic batch-size schedule against
// the cyclic learning rate with the same eta/S, epoch by epoch, is
// reported beside it as information. What is measured, the checks and
// their thresholds with the reasons are written beside the constants in
// schedules.go.
//
// The claim registers itself as "c5" (claims.Register); claims/all imports
// it. It is judged on two setups, an MLP on MNIST and on Fashion-MNIST; its
// units are one training run per (setup, schedule, seed).
//
//	schedules.go  Info, the setups at both scales, Specs, the registration, the record
//	units.go      Units, RunUnit (the run and its lambda_max along it), Merge, the schedules
//	verdict.go    the paired differences over seeds, the checks, the verdict
//	report.go     figures, tables, plots and notes
package schedules
