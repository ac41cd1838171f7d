// Package iterative is claim C9: residual networks do iterative inference
// (P4, Jastrzebski et al. 2018, "Residual Connections Encourage Iterative
// Inference"; thesis Sec. 4.1). In a trained residual network each block
// moves its representation against the gradient of the loss,
// cos(F_i(h_i), dL/dh_i) < 0 (a step that, to first order, lowers the
// loss, as a gradient-descent step would); later blocks change the
// representation relatively less (||F_i(h_i)|| / ||h_i|| falls with
// depth: early blocks learn the representation, later ones refine it);
// and removing one late block costs less accuracy than removing an early
// one. What is measured, the checks and their thresholds with the reasons
// are written beside the constants in iterative.go and registered in
// registration.go.
//
// The measurements are core's (core/nn, blocks.go and cnn_blocks.go):
// Model.TraceBlocks records h_i, F_i(h_i) and dL/dh_i per example, and
// Model.EvaluateWithoutBlocks evaluates the network with a block replaced
// by the identity, for the residual MLPs (resmlp) and the CNN ResNets'
// basic blocks (resnet20/32/56) alike. On a ResNet the claim judges the
// identity-shortcut blocks and names the downsampling ones, left out (see
// the package note in iterative.go).
//
// The claim registers itself as "c9" (short name "iterative-inference");
// claims/all imports it. Its units are one training run per seed, with all
// of that run's measurements.
//
//	iterative.go     Info, the setups at both scales, the record
//	registration.go  the registered checks and the change log
//	units.go         Units, RunUnit (training, traces, block removals), Merge
//	verdict.go       the summary over seeds, the checks, the verdict
//	report.go        figures, tables, plots and notes
package iterative
