// Package kernels holds the float32 kernels the training core runs on:
// matrix multiplication (Gemm), the vector operations of optimisers and
// curvature estimators (Axpy, Scale, Dot, Mul), and the pieces of dense
// layers (AddBias, SumRows, Relu, ReluBackward, SoftmaxCrossEntropy).
// Convolutions are Im2col (or Col2im for the adjoint) and a Gemm; max
// pooling of 2x2 windows is MaxPool2 and MaxPool2Backward. Im2col, Col2im
// and the pooling only move, pick or add values: for strides of 1 they run
// the active implementation's vector kernels (avx2, avx512), and generic's
// Go loops define their results, which every implementation reproduces bit
// for bit, so implementations differ in their GEMMs only. GemmSerial is
// Gemm on the calling goroutine, for callers that run independent products
// in parallel themselves (the same bits).
//
// # Conventions
//
// Matrices are row-major: a matrix with leading dimension ld stores element
// (i, j) at index i*ld + j, and ld may exceed the row width (the extra
// columns are never read or written). Gemm follows BLAS sgemm: C =
// alpha*op(A)*op(B) + beta*C with op(X) = X or X^T, so the layers of
// package nn use it directly for y = x W^T (transB), dW = dy^T x (transA)
// and dx = dy W, without copying transposes. When beta is 0, C is not read,
// so uninitialised or NaN-filled outputs are fine; when alpha is 0 or k is
// 0, C is only scaled by beta.
//
// Calls that break the contract (a slice shorter than its dimensions say,
// a leading dimension below the row width, a negative size, a label out of
// range) panic before writing anything. These are bugs in the caller: the
// layers above validate user input and return errors; kernels do not.
//
// # Implementations
//
// Every kernel is a method of the Impl interface, and the package-level
// functions (Gemm, Dot, ...) call the active implementation. The
// implementations register themselves at start-up with a rank:
//
//	generic   pure Go, always available (rank 0)
//	avx2      AVX2 + FMA assembly (rank 10)
//	avx512    AVX-512 F/DQ/BW/VL assembly (rank 20)
//
// The first call to Active picks the highest-ranked implementation this CPU
// supports (HasAVX2FMA and HasAVX512 report what cpuid found), unless the
// environment variable SGDCLAIMS_ISA names another:
//
//	SGDCLAIMS_ISA=generic go test ./...
//
// An SGDCLAIMS_ISA that is unknown or unsupported here leaves the automatic
// choice in place and is reported by EnvError, which commands turn into a
// usage error. Use switches implementation at run time, and All lists the
// usable ones so that tests and benchmarks can loop over them. Building
// with -tags purego compiles the pure-Go implementation only.
//
// # Determinism
//
// For a given implementation, results are bitwise identical for any
// GOMAXPROCS and across calls. Kernels that run on several goroutines split
// their output (tiles of C, column ranges of SumRows), never a sum, and
// every reduction has an order fixed by the sizes alone. Different
// implementations round differently (FMA, vector widths), so results move
// in the last bits when the implementation changes; that is why reports
// record which one ran.
//
// Goroutines are started only through internal/par, the module's one
// deterministic parallel-for: its chunks and tasks are fixed by the sizes
// alone, and GOMAXPROCS (par.Procs) only decides how many goroutines take
// them, and here how large the tiles of C are, never an order of
// arithmetic. internal/par is the one package of this module that kernels
// imports, the one exception to "kernels imports nothing of ours": it is a
// leaf that imports only the standard library, so no arrow points up.
//
// The generic implementation's orders, for reference:
//
//   - Gemm: each element of C is the sum over k in increasing order, in
//     k-blocks of at most 512 steps that split k into equal parts; the first
//     block sets C = alpha*sum + beta*C, later ones add alpha*sum.
//   - Dot: four float64 partial sums over i mod 4 (float32 products are
//     exact in float64), combined as (s0+s1)+(s2+s3), then the n mod 4 tail
//     in order, rounded to float32 once.
//   - SumRows: rows added in order, i = 0..m-1, then merged with beta*out.
//   - SoftmaxCrossEntropy: exponentials, their sum and the logarithm in
//     float64, rounded to float32 once per result.
//
// Generic never lets the compiler fuse a multiply with an add where that
// would change a result, so its results are also the same on every
// platform and GOAMD64 level (up to rare last bits of SoftmaxCrossEntropy,
// which relies on math.Exp and math.Log).
//
// # Performance
//
// The generic Gemm packs op(A) and op(B) into panels laid out for a 3x2
// register-blocked micro-kernel, blocks k for L1 and rows of C for L2, and
// runs tiles of C on up to GOMAXPROCS goroutines (products below about
// 65K multiply-adds stay on the caller's goroutine); it allocates nothing
// per call. Pure Go has no SIMD, so it is bound by scalar arithmetic: on
// the 2-core AMD Zen 5 development machine a loop of scalar multiplies and
// adds peaks at about 14 GFLOP/s per core, and the generic Gemm runs the
// MLP shapes at about 10 GFLOP/s on one core, 0.75-1x gonum's Sgemm (whose
// inner loop is SSE assembly). The SIMD implementations are the ones meant
// for speed. Compare them with
//
//	go test -run '^$' -bench Gemm -count 10 ./core/kernels | tee new.txt
//	benchstat -col /impl new.txt
//
// # Testing
//
// Package kerneltest is the conformance suite every implementation must
// pass (exactness on integer data, rounding-error bounds, guard bands,
// aliasing, determinism across GOMAXPROCS, argument checks). This
// package's tests run it for every implementation in All, so a new
// implementation is covered as soon as it registers.
package kernels
