// Package train is the training loop every claim runs on.
//
// Run trains a model with SGD for a number of epochs. Each epoch visits the
// training set in a fresh seeded order (sampling without replacement); the
// last incomplete batch of an epoch is dropped, so every step sees exactly S
// examples and the gradient-noise scale eta/S — the quantity the thesis is
// about — is the same for every step. Batch sizes and learning rates may
// follow schedules (core/optim).
//
// Config.Transform (a GradTransform) may change each step's gradient
// before the optimiser takes it: Nudged SGD (curvature.Nudger) is SGD on
// (I - P_K) g + gamma P_K g. Without it the run is plain SGD.
//
// Claims measure along the trajectory through hooks: OnStep runs after every
// optimiser step, OnEpoch after every epoch's evaluation. A hook may return
// ErrStop to end the run early, or any other error to abort it.
//
// A run whose training loss becomes NaN or Inf is not a crash: Run returns a
// Result with Diverged set and the step at which it happened, and the model
// holds the last parameters (which may be non-finite).
//
// Optional input transforms follow torchvision's order: every gathered
// training batch is augmented (Config.Augment: random crop with zero
// padding, horizontal flip) and then normalised per channel
// (Config.Normalize); evaluation passes are normalised, never augmented.
// Both are off by default, and a run without them is the same, bit for bit,
// as before they existed.
//
// Seeds are split by purpose from Config.Seed: "order" for the data order
// (one stream per epoch), "augment" for augmentation (one stream per step)
// and "dropout" for dropout masks, so changing one
// setting does not silently change another's randomness. Model
// initialisation uses the same root seed through nn.New.
package train
