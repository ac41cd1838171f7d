// Package nn holds the networks of the training core: fully connected
// ReLU networks with optional residual blocks, convolutional networks
// (SimpleCNN, CIFAR ResNets, VGG-11 and sequential CNNs of your design),
// their loss and gradient, and exact curvature products (Hessian and
// generalised Gauss-Newton times a block of vectors) by the R-operator.
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
// Convolutional models take NCHW images, each example's C*H*W values in
// PyTorch's order (data rows as they are), and name their tensors as the
// PyTorch modules do:
//
//	simplecnn:1x28x28-10   P3's SimpleCNN, nn.Sequential(Conv2d(C,32,3,padding=1), ReLU,
//	                       Conv2d(32,32,3), ReLU, MaxPool2d(2), Conv2d(32,64,3,padding=1), ReLU,
//	                       Conv2d(64,64,3), ReLU, MaxPool2d(2), Flatten, Linear(F,128), ReLU,
//	                       Linear(128,classes)): keys 0.*, 2.*, 5.*, 7.*, 11.*, 13.*; F = 1600
//	                       for 1x28x28, 2304 for 3x32x32
//	simplecnn-bn:...       the same with BatchNorm2d after every Conv2d (Conv, BN, ReLU: keys
//	                       0, 1, 3, 4, 7, 8, 10, 11, 15, 17)
//	simplecnn-dropout:...  Dropout (p = Model.Dropout) after the hidden Linear's ReLU (13), output 14
//	resnet20:3x32x32-10    He et al.'s CIFAR ResNet, 3 stages of n = 3 BasicBlocks at 16/32/64
//	                       channels (resnet32: n = 5, resnet56: n = 9): conv1, bn1, layerS.B.conv1,
//	                       .bn1, .conv2, .bn2, .downsample.0 (1x1 conv, stride 2) and .downsample.1
//	                       (BN) where the shape changes, global average pool, fc
//	vgg11:3x32x32-10       VGG-11 with BatchNorm (torchvision's vgg11_bn features.N, cfg 64 M 128
//	                       M 256 256 M 512 512 M 512 512 M; Conv3x3 with bias, BN, ReLU), then one
//	                       Linear(512*h*w, classes) named classifier
//
// ResolveSpec completes a bare name ("simplecnn") from the data's image
// shape and class count. A sequential CNN of your own is
//
//	cnn:CxHxW:LAYER-LAYER-...
//
// where layer i is module i of an nn.Sequential (so its tensors are
// "i.weight", "i.bias") and each LAYER is one of
//
//	cN[kK][sS][pP][nb]  Conv2d(in, N, K, stride=S, padding=P), K = 3, S = 1, P = 0 by
//	                    default; nb: bias=False
//	bn                  BatchNorm2d (BatchNorm1d after a Flatten or Linear)
//	relu                ReLU
//	drop                Dropout(p = Model.Dropout); directly after a relu only
//	mK                  MaxPool2d(K) (stride K, floor mode)
//	gap                 AdaptiveAvgPool2d(1)
//	f                   Flatten (required before the first Linear after spatial layers)
//	dN                  Linear(in, N)
//
// and the last layer must be the output Linear, e.g.
// cnn:1x28x28:c32k3p1-relu-c32k3-relu-m2-c64k3p1-relu-c64k3-relu-m2-f-d128-relu-d10
// is simplecnn. Errors are one line naming the layer: `model spec "...":
// layer 3: MaxPool2d(8) on a 32x6x6 input`.
//
// Convolutions run as im2col and one GEMM per group of examples (their
// column matrices side by side, about 4 MiB), the input gradient as the
// transposed GEMM and col2im (core/kernels); max pooling routes gradients
// to the first maximum of each window, as PyTorch does. ReLU and Dropout are
// applied in place to the layer before them.
//
// BatchNorm has two modes. In training mode (LossGrad with train=true) it
// normalises with the statistics of the batch, per chunk of Chunk
// examples (one chunk for any batch up to 1024), and updates the running
// statistics as PyTorch does: momentum 0.1, eps 1e-5, the unbiased batch
// variance into running_var, num_batches_tracked + 1. Every other method,
// and all curvature, runs in evaluation mode with the running statistics,
// where BatchNorm is a per-channel affine map; curvature.Network says so in
// its stamp. The running statistics are state, not parameters: they are not
// in Params (so optimisers and gradients never see them); Buffers names
// them (running_mean and running_var of each BatchNorm, as offsets into
// State) and safetensors files carry them with num_batches_tracked (I64).
// Clone copies them.
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
// # Residual blocks
//
// For a resmlp and for the CIFAR ResNets' basic blocks, TraceBlocks
// records per example every block's input h_i, residual F_i(h_i) and
// representation gradient dL/dh_i (BlockTrace: Cosines, CosinesNext,
// RelativeNorms, Stats), EvaluateWithoutBlocks evaluates with blocks
// replaced by the identity (bitwise the model that WithoutBlocks builds
// without them), and EvaluateFromBlock evaluates the rest of the network
// from a given h_i; ResidualBlockInfo names the blocks and tells identity
// from downsampling ones. See blocks.go, and cnn_blocks.go for what the
// three are in a post-activation block relu(S(h) + F(h)) and how the
// downsampling blocks are measured.
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
// A convolutional model's file holds its state_dict under the names above,
// BatchNorm buffers included (running_mean, running_var F32 and
// num_batches_tracked I64 of shape []), exactly as torch.save_file writes
// model.state_dict(); LoadSafetensors needs its spec (from the file's
// sgdclaims.spec metadata, or given) and refuses a file missing any tensor
// ("missing BatchNorm buffer "4.running_var" [32] of model ..."), with an
// extra one, or with a shape that differs (weights for 3x32x32 images
// loaded as a 1x28x28 model fail on "0.weight"). A single wrapper prefix
// ("module.") is removed. num_batches_tracked may be missing.
//
// F32 tensors are read as they are; F64, F16, BF16 and I64 are converted to
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
