//go:build !purego

package kernels

import "github.com/sgdclaims/sgdclaims/internal/par"

// gemmEpilogue is GemmBias's fused epilogue: bias[j] added to column j of
// C, then the ReLU when relu is set, applied by the driver to each tile
// right after its last k-block (while the tile is in L1) instead of in two
// more passes over C. The tile's values are final by then (the full k-sum,
// alpha and beta applied), and the add and the max are AddBias's and Relu's,
// so the bits are those of Gemm, AddBias, Relu.
type gemmEpilogue struct {
	bias []float32
	relu bool
}

// epilogue applies e to the rows x cols block of C at c whose first column
// is column j of C.
func (g *gemmArch) epilogue(e *gemmEpilogue, rows, cols int, c []float32, ldc, j int) {
	f := g.addBias
	if e.relu {
		f = g.addBiasRelu
	}
	f(rows, cols, &e.bias[j], &c[0], ldc)
}

// gemmBias is GemmBias on procs goroutines.
func (s *simd) gemmBias(procs int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) {
	checkDims("GemmBias", m, n)
	checkVector("GemmBias", "bias", n, bias)
	s.gemm.gemmEpi(procs, &gemmEpilogue{bias: bias, relu: relu}, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (s *simd) GemmBias(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) {
	s.gemmBias(par.Procs(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu)
}

// stridedTile computes a rows x cols tile of C with op(B) = B read in place
// (b starts at the tile's first element of B, row stride ldb). Kernels
// without masked loads and stores (AVX2, edgeBuf) read and write full tiles
// only: a tile of fewer columns packs its one partial panel of B and takes
// the packed kernel's edge path, a tile of fewer rows is computed into the
// worker's tile buffer. Every route runs the same FMA chains.
func (g *gemmArch) stridedTile(wk *gemmWorker, kc int, a *float32, b []float32, ldb int, c []float32, ldc int,
	alpha, beta float32, rows, cols, flags int) {
	mr, nr := g.mr, g.nr
	switch {
	case !g.edgeBuf || flags&gemmEdge == 0:
		g.kernelSB(kc, a, &b[0], ldb, &c[0], ldc, alpha, beta, rows, lowBits(cols), flags)
	case cols < nr:
		// The worker's B buffer is free: a strided-B call packs no B.
		wk.b = alignedFloats(wk.b, kc*nr)
		g.packBCopy(&wk.b[0], &b[0], ldb, kc, 0, cols, kc*nr)
		g.edgeTile(wk, kc, a, &wk.b[0], c, ldc, alpha, beta, rows, cols, flags)
	default:
		t := wk.tile[:mr*nr]
		if flags&gemmLoadC != 0 {
			for i := 0; i < rows; i++ {
				copy(t[i*nr:(i+1)*nr], c[i*ldc:i*ldc+nr])
			}
		}
		g.kernelSB(kc, a, &b[0], ldb, &t[0], nr, alpha, beta, mr, lowBits(nr), flags&^gemmEdge)
		for i := 0; i < rows; i++ {
			copy(c[i*ldc:i*ldc+nr], t[i*nr:(i+1)*nr])
		}
	}
}
