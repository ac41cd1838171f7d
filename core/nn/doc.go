// Package nn holds the networks of the training core: fully connected
// ReLU networks with optional residual blocks, their loss and gradient, and
// exact curvature products (Hessian and generalised Gauss-Newton times a
// block of vectors) by the R-operator.
//
// # Models
//
// A model is named by a spec string:
//
//	mlp:784-128-128-10    Linear(784,128) ReLU Linear(128,128) ReLU Linear(128,10)
//	mlp:784-10            softmax regression (one Linear layer)
//	mlp:20-1              linear regression, with Loss = SquaredError
//	resmlp:784-128x8-10   Linear(784,128) ReLU, 8 blocks h <- h + W2 relu(W1 h + b1) + b2
//	                      at width 128, Linear(128,10)
//
// Layers follow PyTorch's nn.Linear: y = x W^T + b with W stored [out, in]
// row-major, so weights move to and from PyTorch unchanged. All parameters
// live in one flat []float32 (Model.Params) in state_dict order: each
// Linear's weight, then its bias. Model.Blocks names every tensor in it.
//
// New initialises weights from the stream rng.New(seed, "init", 0), drawn in
// state_dict order: He normal (std sqrt(2/fan_in)) for layers feeding a
// ReLU, Glorot normal (std sqrt(2/(fan_in+fan_out))) for the others (the
// output layer and each block's second layer), biases zero. Each block's
// second layer is further scaled by 1/sqrt(blocks): unscaled, the residual
// sum doubles the activations' variance per block (2^8 for 8 blocks, logits
// of standard deviation near 20 at initialisation); scaled, the growth is
// at most e-fold over the whole stack.
//
// # Losses and modes
//
// Model.Loss selects the mean over examples of the cross-entropy
// -log softmax(f(x))[y] (the default) or of the squared error
// 0.5*||f(x) - t||^2. LossGrad returns the mean loss and its gradient; with
// train=true it applies inverted dropout with probability Model.Dropout
// after every hidden ReLU (inside residual blocks too): kept units are
// scaled by 1/(1-p), so evaluation mode is the identity. The masks of the
// i-th training call come from rng.New(seed, "dropout", i), where seed is
// New's seed or the one given to SetDropoutSeed (which restarts i at 0).
// p is quantised to a multiple of 2^-16 (0.25 and 0.5 are exact) so that a
// mask bit costs 16 random bits, and the scale is the inverse of the
// quantised keep probability. Every other method (Evaluate, Forward,
// PerExampleLoss, InputGrad, ScoreInputGrad, HVP, GGNVP, FisherVP) runs in
// evaluation mode.
//
// # Curvature
//
// HVP multiplies the Hessian of the mean loss over a batch (evaluation
// mode, no weight decay) with k vectors at once, exactly: Pearlmutter's
// R-operator differentiates the forward and backward passes along each
// vector. A product costs about 2 to 2.5 gradients; on fixed examples,
// NewHVP keeps the forward and backward passes (and the input restricted to
// its columns that are not zero in every example) and each product then
// costs the tangent passes alone (about 1.5 gradients, less on MNIST's
// border pixels). The vectors of a block run as independent chains of
// GEMMs, one per core, and a single vector's examples are halved between
// two chains; on few examples, vectors are stacked as row blocks so that
// the GEMMs stay large (see tangentPlan in hvp.go). GGNVP (and HVPCache.ApplyGGN) gives the generalised
// Gauss-Newton matrix mean_i J_i^T H_i J_i, positive semidefinite, equal to
// the Hessian for models linear in their parameters. FisherVP (and
// HVPCache.ApplyFisher) gives the second moment of the per-example
// gradients, F = mean_i g_i g_i^T, at the cost of a GGN product and without
// forming any g_i; the gradient-noise covariance is C = F - gbar gbar^T.
//
// # Performance and determinism
//
// All matrix work goes through core/kernels (Gemm with transposes: the
// forward pass is Gemm(false, true, ...), a weight gradient
// Gemm(true, false, ...), a bias gradient SumRows). Examples are processed
// in chunks of Model.Chunk rows (default 1024) into workspaces kept by the
// model and grown to the largest chunk seen, so memory stays bounded on
// large batches and steady-state calls allocate nothing (but for the small
// random stream of a training call with dropout). Chunk results are
// accumulated in a fixed order and the few loops written here (loss head,
// dropout, reductions) run in index order; curvature products split work
// between goroutines by vectors and by halves of the examples whose
// partial products are added in a fixed order, a split that depends on the
// sizes alone. So for a given kernel implementation the same seed gives
// bitwise identical results for any GOMAXPROCS. A Model is not safe for concurrent use: Clone it per
// goroutine.
//
// # Weights on disk: safetensors
//
// SaveSafetensors and LoadSafetensors read and write the safetensors format
// (an 8-byte little-endian header length, a JSON header mapping each tensor
// name to its dtype, shape and byte offsets, then the data) under the names
// of PyTorch's nn.Sequential state_dict. For
//
//	net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(),
//	                    nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
//	safetensors.torch.save_file(net.state_dict(), "model.safetensors")
//
// the keys are 0.weight [128 784], 0.bias [128], 2.weight, 2.bias,
// 4.weight, 4.bias, and LoadSafetensors("model.safetensors", "") infers
// mlp:784-128-128-10 from them. Any increasing indices are accepted, so
// Dropout modules between the layers (0, 3, 6) are fine, as is one wrapper
// prefix shared by every key ("net.0.weight", "module.0.weight"). Files are
// written with indices 0, 2, 4, .... A resmlp mirrors
//
//	class Block(nn.Module):
//	    def __init__(self, w):
//	        super().__init__()
//	        self.lin1, self.lin2 = nn.Linear(w, w), nn.Linear(w, w)
//	    def forward(self, h):
//	        return h + self.lin2(torch.relu(self.lin1(h)))
//	net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(),
//	                    *[Block(128) for _ in range(8)], nn.Linear(128, 10))
//
// whose keys are 0.*, 2.lin1.*, 2.lin2.*, ..., 9.lin1.*, 9.lin2.*, 10.*.
// F32 tensors are read as they are; F64, F16 and BF16 are converted to
// float32; other dtypes are refused. SaveSafetensors writes F32 with the
// spec and loss in the metadata (sgdclaims.spec, sgdclaims.loss), through a
// temporary file that is synced and renamed, so a crash never leaves half a
// file.
//
// A file that does not fit is refused with one line naming the file, the
// tensor and the reason, for example
//
//	model.safetensors: tensor "2.weight" has shape [64 128], model mlp:784-128-128-10 expects [128 128]
//
// The header is validated completely (length within the file and under the
// format's 100 MB limit, valid JSON, supported dtypes, offsets inside the
// buffer and exactly as long as the shape needs, no overlaps, no
// unclaimed bytes) before any tensor is read, so a lying header never
// causes a large allocation. NaN or infinite weights are refused too.
package nn
