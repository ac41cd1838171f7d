//go:build !purego

package kernels

import (
	"sync"
	"unsafe"

	"github.com/sgdclaims/sgdclaims/internal/par"
)

// This file is the BLIS-style GEMM driver shared by the avx512 and avx2
// implementations. Only the micro-kernels and the packing routines are
// assembly; the loops around them are Go:
//
//	for jc in steps of NC             (columns of C; B block of KC x NC)
//	  for pc in steps of KC           (inner dimension, in order)
//	    pack op(B)[pc:pc+KC, jc:jc+NC] into NR-wide panels
//	    for ic in steps of MC         (rows of C; A block of MC x KC, in L2)
//	      pack op(A)[ic:ic+MC, pc:pc+KC] into MR-high panels
//	      for jr in steps of NR       (B micro-panel, KC x NR, stays in L1)
//	        for ir in steps of MR     (A micro-panel streams from L2)
//	          micro-kernel: C[ir:ir+MR, jr:jr+NR] = alpha*Ap*Bp + beta'*C
//
// beta' is beta for the first KC block and 1 after it. Packing handles the
// four transpose combinations, so one micro-kernel serves all of them, and
// pads edge panels with zeros, so the micro-kernel always computes a full
// tile and only its write-back is masked. Two variants avoid packing the
// large operand when A has few rows: op(B) = B is read in place
// (useStridedB), and A*B^T is computed as its transpose with B read in
// place (runT, useTransC).
//
// Parallelism: C is cut into tasks, ranges of whole micro-tiles along the
// columns (then every task needs all of op(A)) or the rows (all of op(B)),
// whichever duplicates less packing. Goroutines take tasks from a shared
// counter, so a goroutine that starts late, or a core that is busy with
// other work, just takes fewer; each goroutine packs the shared operand's
// blocks once, on first use, and keeps them for its later tasks.
//
// Determinism: the KC split depends on k alone, and every path accumulates
// each element of C in one FMA chain in k order followed by the same alpha
// and beta steps, so an element's value does not depend on the path, the
// tile, the task or the goroutine that computed it. Results are therefore
// bitwise identical for any GOMAXPROCS.

// gemmArch is one ISA's set of GEMM building blocks and blocking sizes.
type gemmArch struct {
	mr, nr int // micro-tile
	kcMax  int // KC: the B micro-panel (KC x NR) stays in L1
	mc     int // MC: the A block (MC x KC) stays in L2; multiple of mr
	nc     int // NC: the B block (KC x NC); multiple of nr

	// kernel computes one micro-tile; see gemmKernel512 in _gen.
	kernel func(kc int, a, b, c *float32, ldc int, alpha, beta float32, rows int, mask uint64, flags int)
	// packing: Copy when the panel's rows are contiguous in memory, Trans
	// when its columns are (see _gen/avx512_pack.go).
	packACopy, packBCopy   func(dst, src *float32, ld, kc, full, rem, pstride int)
	packATrans, packBTrans func(dst, src *float32, ld, kc int, offs *int, lanes uint64)
	// edgeBuf: the kernel cannot mask its write-back (AVX2), so edge tiles
	// are computed into a full-size buffer and their valid part copied.
	edgeBuf bool
	// kernelSB, if not nil, reads B in place (row stride ldb) instead of
	// from a packed panel; see useStridedB.
	kernelSB func(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows int, mask uint64, flags int)
	// kernelT, if not nil, is the transposed-C micro-kernel for
	// op(A) = A, op(B) = B^T (see runT and useTransC): an 8 x 32 tile of
	// C^T from 8 rows of B in place and a 32-wide packed panel of A^T.
	kernelT func(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32, rows int, mask uint64, flags int)
	// addBias and addBiasRelu are the fused epilogue's kernels (GemmBias).
	addBias, addBiasRelu func(m, n int, bias, c *float32, ldc int)
}

// Micro-kernel flags.
const (
	gemmLoadC = 1 // beta != 0: read C
	gemmEdge  = 2 // partial tile: masked write-back
)

// transCRows is the number of rows of B (columns of C) in a kernelT tile;
// transCCols the number of rows of A (rows of C), the width of the packed
// panels of A^T.
const transCRows, transCCols = 8, 32

// panelPad is the padding, in floats, after every packed panel: unpadded,
// kc*W floats is often a multiple of 4 KiB, and then the row-by-row copy
// packing stores to up to 16 panels that all map to the same L1 set (and
// 4 KiB-alias the loads), which made packing op(A) cost a fifth of a GEMM.
const panelPad = 16

// Work sizes (2*m*n*k flops). Below gemmMinParallelFlops a GEMM runs on the
// calling goroutine: waking a second one costs more than it saves. A task
// is at least gemmMinTaskFlops (about 10 µs), and there are about
// gemmTasksPerProc tasks per goroutine, so that a goroutine that starts late
// or shares its core with other work leaves little imbalance behind.
const (
	gemmMinParallelFlops = 4 << 20
	gemmMinTaskFlops     = 2 << 20
	gemmTasksPerProc     = 4
)

// gemmArgs is one Gemm call and its decomposition, shared read-only by the
// goroutines that run it.
type gemmArgs struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	kc       int           // KC for this call, a function of k alone
	kBlocks  int           // ceil(k / kc)
	stridedB bool          // op(B) = B is read in place, not packed
	transC   bool          // computed as C^T = B*A^T (runT)
	epi      *gemmEpilogue // nil: none

	// Tasks are ranges of tilesPerTask tiles of unit columns (splitCols)
	// or rows of C.
	splitCols    bool
	unit         int
	tilesPerTask int

	// Packed panel strides and block sizes, in floats.
	aStride, bStride int
	aBlock, bBlock   int
	mBlocks          int // blocks of MC rows (shared A blocks per k-block)
}

// gemmWorker is one goroutine's buffers: its task's own packed blocks, and
// its copy of the blocks of the shared operand (the one every task needs),
// packed on first use during this call.
type gemmWorker struct {
	a, b   []float32
	shared []float32
	ready  []bool // ready[i]: block i of shared is packed
	offs   [64]int
	tile   [64 * 64]float32 // edge tile for kernels without masked stores
}

var gemmWorkers sync.Pool

func getGemmWorker(sharedBlocks, blockSize int) *gemmWorker {
	w, _ := gemmWorkers.Get().(*gemmWorker)
	if w == nil {
		w = new(gemmWorker)
	}
	w.shared = alignedFloats(w.shared, sharedBlocks*blockSize)
	w.ready = append(w.ready[:0], make([]bool, sharedBlocks)...)
	return w
}

// sharedBlock returns block i of the worker's shared operand, calling pack
// to fill it the first time.
func (w *gemmWorker) sharedBlock(i, size int, pack func(dst []float32)) []float32 {
	blk := w.shared[i*size : (i+1)*size]
	if !w.ready[i] {
		pack(blk)
		w.ready[i] = true
	}
	return blk
}

// alignedFloats returns a slice of n floats whose first element is 64-byte
// aligned (one cache line, one ZMM), reusing buf when it is large enough.
func alignedFloats(buf []float32, n int) []float32 {
	if cap(buf) >= n && uintptr(unsafe.Pointer(unsafe.SliceData(buf)))%64 == 0 {
		return buf[:n]
	}
	raw := make([]float32, n+16)
	off := int((64 - uintptr(unsafe.Pointer(&raw[0]))%64) % 64 / 4)
	return raw[off : off+n : off+n]
}

func (g *gemmArch) gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.gemmProcs(par.Procs(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmProcs is gemm on up to procs goroutines (1: the calling one only).
// procs decides who computes which tiles, never how, so the result is the
// same for any procs.
func (g *gemmArch) gemmProcs(procs int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.gemmEpi(procs, nil, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmEpi is gemmProcs with an optional fused epilogue (bias, ReLU; see
// gemm_epilogue_amd64.go) applied to each tile after its last k-block.
func (g *gemmArch) gemmEpi(procs int, epi *gemmEpilogue, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	// The assembly does no bounds checks of its own.
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		// BLAS semantics: A and B are not referenced.
		scaleMatrix(m, n, beta, c, ldc)
		if epi != nil {
			g.epilogue(epi, m, n, c, ldc, 0)
		}
		return
	}

	kBlocks := (k + g.kcMax - 1) / g.kcMax
	args := gemmArgs{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, kc: (k + kBlocks - 1) / kBlocks, kBlocks: kBlocks,
		epi: epi}
	p := &args
	p.transC = g.kernelT != nil && transB && !transA && transCPolicy(m)
	p.stridedB = !p.transC && g.kernelSB != nil && !transB && stridedBPolicy(g, m, ldb)

	// The decomposition into tasks and the shared operand's blocks.
	var sharedBlocks, blockSize int
	switch {
	case p.transC:
		// Tasks are columns of C (rows of B, read in place); the shared
		// operand is A^T, one block of 32-row panels per k-block.
		p.splitCols, p.unit = true, transCRows
		p.aStride = p.kc*transCCols + panelPad
		p.aBlock = (m + transCCols - 1) / transCCols * p.aStride
		sharedBlocks, blockSize = kBlocks, p.aBlock
	default:
		// Splitting the columns makes every task need all of op(A) (m*k
		// floats), splitting the rows all of op(B) (k*n): share the smaller
		// one, unless its side has too few tiles to go round.
		mTiles, nTiles := (m+g.mr-1)/g.mr, (n+g.nr-1)/g.nr
		p.splitCols = m < n
		if p.splitCols && nTiles < procs && mTiles >= procs {
			p.splitCols = false
		} else if !p.splitCols && mTiles < procs && nTiles >= procs {
			p.splitCols = true
		}
		p.unit = g.mr
		if p.splitCols {
			p.unit = g.nr
		}
		p.aStride, p.bStride = p.kc*g.mr+panelPad, p.kc*g.nr+panelPad
		p.mBlocks = (m + g.mc - 1) / g.mc
		p.aBlock = min(g.mc, roundUp(m, g.mr)) / g.mr * p.aStride
		p.bBlock = min(g.nc, roundUp(n, g.nr)) / g.nr * p.bStride
		if p.splitCols {
			sharedBlocks, blockSize = kBlocks*p.mBlocks, p.aBlock
		} else if !p.stridedB {
			sharedBlocks, blockSize = kBlocks*((n+g.nc-1)/g.nc), p.bBlock
		}
	}

	size, other := m, n
	if p.splitCols {
		size, other = n, m
	}
	tiles := (size + p.unit - 1) / p.unit
	flops := 2 * float64(m) * float64(n) * float64(k)
	if flops < gemmMinParallelFlops {
		procs = 1
	}
	tileFlops := 2 * float64(p.unit) * float64(other) * float64(k)
	p.tilesPerTask = max(1, (tiles+gemmTasksPerProc*procs-1)/(gemmTasksPerProc*procs),
		int(gemmMinTaskFlops/tileFlops))
	if procs == 1 {
		p.tilesPerTask = tiles
	}
	tasks := (tiles + p.tilesPerTask - 1) / p.tilesPerTask
	workers := min(procs, tasks)

	if workers == 1 {
		// No closure, no goroutine: p stays on the stack.
		w := getGemmWorker(sharedBlocks, blockSize)
		for t := range tasks {
			g.task(p, w, t)
		}
		gemmWorkers.Put(w)
		return
	}
	shared := new(gemmArgs)
	*shared = args
	// Each goroutine takes its buffers on its first task and keeps them
	// (with the shared operand's blocks it has packed) for its later ones.
	ws := make([]*gemmWorker, workers)
	par.Tasks(tasks, workers, func(w, t int) {
		if ws[w] == nil {
			ws[w] = getGemmWorker(sharedBlocks, blockSize)
		}
		g.task(shared, ws[w], t)
	})
	for _, w := range ws {
		if w != nil {
			gemmWorkers.Put(w)
		}
	}
}

// task computes task t of the call: a range of whole tiles of C.
func (g *gemmArch) task(p *gemmArgs, w *gemmWorker, t int) {
	size := p.m
	if p.splitCols {
		size = p.n
	}
	lo := t * p.tilesPerTask * p.unit
	hi := min(size, lo+p.tilesPerTask*p.unit)
	switch {
	case p.transC:
		g.runT(p, w, lo, hi)
	case p.splitCols:
		g.run(p, w, 0, p.m, lo, hi)
	default:
		g.run(p, w, lo, hi, 0, p.n)
	}
}

// run computes C[i0:i1, j0:j1] (a task: all rows or all columns of C).
func (g *gemmArch) run(p *gemmArgs, w *gemmWorker, i0, i1, j0, j1 int) {
	mr, nr := g.mr, g.nr
	if p.splitCols { // A is shared, B packed per task (unless read in place)
		if !p.stridedB {
			w.b = alignedFloats(w.b, p.bBlock)
		}
	} else { // B is shared (or read in place), A packed per task
		w.a = alignedFloats(w.a, p.aBlock)
	}

	for jc := j0; jc < j1; jc += g.nc {
		nc := min(g.nc, j1-jc)
		for pb := 0; pb < p.kBlocks; pb++ {
			pc := pb * p.kc
			kc := min(p.kc, p.k-pc)
			var bp []float32
			switch {
			case p.stridedB:
			case p.splitCols:
				bp = w.b
				g.packB(p, w, bp, jc, nc, pc, kc)
			default:
				bp = w.sharedBlock((jc/g.nc)*p.kBlocks+pb, p.bBlock, func(dst []float32) {
					g.packB(p, w, dst, jc, nc, pc, kc)
				})
			}
			beta, flags := p.beta, gemmLoadC
			if pc > 0 {
				beta = 1
			}
			if beta == 0 {
				flags = 0
			}
			epi := p.epi
			if pb < p.kBlocks-1 {
				epi = nil
			}
			for ic := i0; ic < i1; ic += g.mc {
				mc := min(g.mc, i1-ic)
				var ap []float32
				if p.splitCols {
					ap = w.sharedBlock(pb*p.mBlocks+ic/g.mc, p.aBlock, func(dst []float32) {
						g.packA(p, w, dst, ic, mc, pc, kc)
					})
				} else {
					ap = w.a
					g.packA(p, w, ap, ic, mc, pc, kc)
				}
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					for ir := 0; ir < mc; ir += mr {
						rows := min(mr, mc-ir)
						f := flags
						if rows < mr || cols < nr {
							f |= gemmEdge
						}
						pa, cij := &ap[ir/mr*p.aStride], (ic+ir)*p.ldc+jc+jr
						switch {
						case p.stridedB:
							g.stridedTile(w, kc, pa, p.b[pc*p.ldb+jc+jr:], p.ldb, p.c[cij:], p.ldc, p.alpha, beta, rows, cols, f)
						case f&gemmEdge != 0 && g.edgeBuf:
							g.edgeTile(w, kc, pa, &bp[jr/nr*p.bStride], p.c[cij:], p.ldc, p.alpha, beta, rows, cols, f)
						default:
							g.kernel(kc, pa, &bp[jr/nr*p.bStride], &p.c[cij], p.ldc, p.alpha, beta, rows, lowBits(cols), f)
						}
						if epi != nil {
							g.epilogue(epi, rows, cols, p.c[cij:], p.ldc, jc+jr)
						}
					}
				}
			}
		}
	}
}

// packA packs op(A)[ic:ic+mc, pc:pc+kc] into MR-high panels at dst.
func (g *gemmArch) packA(p *gemmArgs, w *gemmWorker, dst []float32, ic, mc, pc, kc int) {
	mr := g.mr
	if p.transA { // op(A)[i, q] = a[q*lda+i]: copy the block row by row
		g.packACopy(&dst[0], &p.a[pc*p.lda+ic], p.lda, kc, mc/mr, mc%mr, p.aStride)
		return
	}
	// op(A)[i, q] = a[i*lda+q]: transpose MR rows at a time
	for ir := 0; ir < mc; ir += mr {
		h := min(mr, mc-ir)
		g.packATrans(&dst[ir/mr*p.aStride], &p.a[(ic+ir)*p.lda+pc], p.lda, kc,
			rowOffsets(&w.offs, mr, h, p.lda), lowBits(h))
	}
}

// packB packs op(B)[pc:pc+kc, jc:jc+nc] into NR-wide panels at dst.
func (g *gemmArch) packB(p *gemmArgs, w *gemmWorker, dst []float32, jc, nc, pc, kc int) {
	nr := g.nr
	if !p.transB { // op(B)[q, j] = b[q*ldb+j]: copy the block row by row
		g.packBCopy(&dst[0], &p.b[pc*p.ldb+jc], p.ldb, kc, nc/nr, nc%nr, p.bStride)
		return
	}
	// op(B)[q, j] = b[j*ldb+q]: transpose NR rows at a time
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		g.packBTrans(&dst[jr/nr*p.bStride], &p.b[(jc+jr)*p.ldb+pc], p.ldb, kc,
			rowOffsets(&w.offs, nr, cols, p.ldb), lowBits(cols))
	}
}

// runT computes C[:, j0:j1] = alpha*A*B^T + beta*C as its transpose,
// C^T = B*A^T, for small m: then B (n x k, typically a layer's weights) is
// much larger than A, and packing it, which the normal path must do (a
// transpose of every element), would cost a large fraction of the GEMM.
// Here only A is packed (into 32-row panels of A^T, shared by the tasks)
// and kernelT broadcasts from 8 rows of B in place, writing its tile of C^T
// transposed.
func (g *gemmArch) runT(p *gemmArgs, w *gemmWorker, j0, j1 int) {
	const rowsB, colsA = transCRows, transCCols
	for pb := 0; pb < p.kBlocks; pb++ {
		pc := pb * p.kc
		kc := min(p.kc, p.k-pc)
		xp := w.sharedBlock(pb, p.aBlock, func(dst []float32) {
			for ip := 0; ip < p.m; ip += colsA {
				h := min(colsA, p.m-ip)
				g.packBTrans(&dst[ip/colsA*p.aStride], &p.a[ip*p.lda+pc], p.lda, kc,
					rowOffsets(&w.offs, colsA, h, p.lda), lowBits(h))
			}
		})
		beta, flags := p.beta, gemmLoadC
		if pc > 0 {
			beta = 1
		}
		if beta == 0 {
			flags = 0
		}
		for jt := j0; jt < j1; jt += rowsB {
			cols := min(rowsB, j1-jt)
			bp, ldb := &p.b[jt*p.ldb+pc], p.ldb
			if cols < rowsB {
				// The kernel reads 8 rows: give it a copy of the ones that
				// exist, the others zero (their columns are not written).
				w.b = alignedFloats(w.b, rowsB*kc)
				clear(w.b)
				for r := 0; r < cols; r++ {
					copy(w.b[r*kc:(r+1)*kc], p.b[(jt+r)*p.ldb+pc:])
				}
				bp, ldb = &w.b[0], kc
			}
			for ip := 0; ip < p.m; ip += colsA {
				g.kernelT(kc, bp, ldb, &xp[ip/colsA*p.aStride], &p.c[ip*p.ldc+jt], p.ldc,
					p.alpha, beta, min(colsA, p.m-ip), lowBits(cols), flags)
				if p.epi != nil && pb == p.kBlocks-1 {
					g.epilogue(p.epi, min(colsA, p.m-ip), cols, p.c[ip*p.ldc+jt:], p.ldc, jt)
				}
			}
		}
	}
}

// useTransC reports whether an A*B^T product with m rows should take the
// transposed-C path (runT). Measured on Zen 5 (BenchmarkGemmTransC), it
// beats packing B^T by 40% at m = 32, by 5-15% up to m = 256, and is even
// at m = 512; it loses where the 32-row panels of A^T are mostly padding
// (m = 16: -15%, m = 40: -20%), so it is taken when at most a quarter of
// the panel rows are padding.
func useTransC(m int) bool {
	panels := (m + transCCols - 1) / transCCols
	return m <= 256 && 4*m >= 3*panels*transCCols
}

// transCPolicy is useTransC; benchmarks replace it to measure both ways.
var transCPolicy = useTransC

// useStridedB reports whether the micro-kernel should read op(B) = B in
// place rather than pack it. Packing B costs as much as a fixed number of
// FMAs per element of B, while each packed element then serves only m
// micro-tile rows; measured on Zen 5 (BenchmarkGemmStridedB): reading B in
// place wins by 10-25% at m <= 64 and by 2-10% up to m = 256, except when
// B's rows are a multiple of 4 KiB apart: then the kc rows of a panel fall
// into a few cache sets of L1 and L2, and at m >= 128 packing wins by up to
// 15%.
func useStridedB(g *gemmArch, m, ldb int) bool {
	if g.edgeBuf {
		// AVX2 (6x16 tiles, measured on the Xeon of 2026-12-03 with
		// BenchmarkGemmStridedB): even at m = 64, 10-15% behind packing
		// at m = 128 and 256.
		return m <= 64
	}
	return m <= 64 || (m <= 256 && (4*ldb)%4096 != 0)
}

// stridedBPolicy is useStridedB; benchmarks replace it to measure both ways.
var stridedBPolicy = useStridedB

// edgeTile computes an h x w edge tile through the worker's tile buffer for
// a kernel that always writes a full MR x NR tile: C is copied in (only
// when it is read: beta == 0 must not read C) and the valid part copied
// back.
func (g *gemmArch) edgeTile(wk *gemmWorker, kc int, a, b *float32, c []float32, ldc int,
	alpha, beta float32, h, w, flags int) {
	t := wk.tile[:g.mr*g.nr]
	if flags&gemmLoadC != 0 {
		for i := 0; i < h; i++ {
			copy(t[i*g.nr:i*g.nr+w], c[i*ldc:i*ldc+w])
		}
	}
	g.kernel(kc, a, b, &t[0], g.nr, alpha, beta, g.mr, lowBits(g.nr), flags&^gemmEdge)
	for i := 0; i < h; i++ {
		copy(c[i*ldc:i*ldc+w], t[i*g.nr:i*g.nr+w])
	}
}

// rowOffsets fills offs with the byte offsets of the w valid rows of a
// width-W panel (stride ld floats); rows past the edge repeat the last valid
// one so the transposing pack never loads outside the matrix.
func rowOffsets(offs *[64]int, width, w, ld int) *int {
	for r := 0; r < width; r++ {
		offs[r] = min(r, w-1) * ld * 4
	}
	return &offs[0]
}

func lowBits(w int) uint64 {
	if w >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(w) - 1
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// scaleMatrix computes C = beta*C (beta == 0 writes zeros without reading C).
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
