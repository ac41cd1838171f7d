package main

import "flag"

// nudgeFlags are train's --nudge and --nudge-examples (Nudged SGD, P3). The
// runner's train kind parses and checks them (runner.TrainConfig.Nudge).
type nudgeFlags struct {
	spec     *string
	examples *int
}

func addNudgeFlags(fs *flag.FlagSet) nudgeFlags {
	return nudgeFlags{
		spec:     fs.String("nudge", "off", "Nudged SGD: off, or `GAMMA,K,M`: step along (I-P_K)g + GAMMA*P_K g, P_K the top-K Hessian eigenvectors recomputed by Lanczos every M steps (warm-started)"),
		examples: fs.Int("nudge-examples", 0, "with --nudge: take the Hessian on the first N training examples (0: min(1024, all))"),
	}
}
