package kernels

import (
	"sync"

	"github.com/sgdclaims/sgdclaims/internal/par"
)

// The generic GEMM follows the BLIS design, scaled to what the Go compiler
// does well.
//
// op(A) and op(B) are first copied ("packed") into strips: genMR rows of
// op(A) at a time, genNR columns of op(B) at a time, laid out in the exact
// order the micro-kernel reads them, genKU k-steps per element of a
// []genQuadA / []genQuadB. Packing is where the transposes, leading
// dimensions and ragged edges are dealt with (edges are zero-filled), so one
// micro-kernel serves all four transpose combinations and every shape, and
// it needs no bounds checks: ranging over a slice of fixed-size arrays
// proves every index.
//
// The micro-kernel keeps a genMR x genNR block of C in registers for a whole
// k-block. The Go compiler (1.26, amd64) schedules the multiplies of a basic
// block ahead of the adds that end a loop iteration; with 15 usable XMM
// registers that leaves room for six accumulators, six products and two B
// values before it spills, and a spilled accumulator turns every iteration
// into a store-to-load round trip. 3x2 is therefore the largest tile that
// stays in registers. Four k-steps per iteration halve the loop overhead,
// and a 16-float (not 12) A element lets every load use a constant offset:
// an array stride of 48 bytes costs two address computations per load. The
// kernel runs at about 75% of the scalar mul+add peak (pure Go has no SIMD);
// see the package documentation for figures.
//
// Products are written float32(a*b) so that no compiler may fuse them with
// the following add into an FMA (the Go spec allows fusion otherwise, and
// arm64 and GOAMD64=v3 builds do it): generic gives the same bits on every
// platform.
//
// Work is split over goroutines by tiles of C (genTileRows x genTileCols).
// Each C element is computed by one micro-kernel call per k-block, with the
// k-blocks fixed by k alone, so the result does not depend on how tiles are
// assigned to goroutines, and hence not on GOMAXPROCS.
const (
	genMR = 3 // rows of C per micro-tile
	genNR = 2 // columns of C per micro-tile
	genKU = 4 // k-steps per packed element

	// genKCQuads is the largest k-block, in packed elements (512 k-steps).
	// One A strip and one B strip of a block take (16+8)*128*4 = 12 KiB, a
	// quarter of the 48 KiB L1D, so the B strip stays in L1 while the
	// kernel sweeps the A strips of a tile out of L2. Larger k is split
	// into equal blocks (k = 784 runs as two blocks of 392).
	genKCQuads = 128

	// A tile's packed A rows (genTileRows/genMR x 128 x 64 bytes = 256 KiB)
	// stay in the 1 MiB L2 while its genTileCols/genNR B strips stream past.
	genTileRows = 96  // a multiple of genMR
	genTileCols = 128 // a multiple of genNR

	// genSerialWork is the size (m*n*k multiply-adds) below which Gemm
	// stays on the calling goroutine: about 10µs of work, where starting
	// and joining goroutines would cost a noticeable fraction.
	genSerialWork = 1 << 16
)

// genQuadA holds genKU consecutive k-steps of one A strip: element
// r*genMR+i is op(A)[i0+i][4q+r] for quad q. Elements 12..15 are padding.
type genQuadA = [16]float32

// genQuadB holds genKU consecutive k-steps of one B strip: element
// r*genNR+j is op(B)[4q+r][j0+j] for quad q.
type genQuadB = [genKU * genNR]float32

// genKernel returns in acc the 3x2 block sum over quads of a[q] x b[q],
// accumulating over k in increasing order. len(b) must be at least len(a).
func genKernel(a []genQuadA, b []genQuadB, acc *[genMR * genNR]float32) {
	var c00, c01, c10, c11, c20, c21 float32
	b = b[:len(a)]
	for q := range a {
		x, y := &a[q], &b[q]
		b0, b1 := y[0], y[1]
		c00 += float32(x[0] * b0)
		c01 += float32(x[0] * b1)
		c10 += float32(x[1] * b0)
		c11 += float32(x[1] * b1)
		c20 += float32(x[2] * b0)
		c21 += float32(x[2] * b1)
		b0, b1 = y[2], y[3]
		c00 += float32(x[3] * b0)
		c01 += float32(x[3] * b1)
		c10 += float32(x[4] * b0)
		c11 += float32(x[4] * b1)
		c20 += float32(x[5] * b0)
		c21 += float32(x[5] * b1)
		b0, b1 = y[4], y[5]
		c00 += float32(x[6] * b0)
		c01 += float32(x[6] * b1)
		c10 += float32(x[7] * b0)
		c11 += float32(x[7] * b1)
		c20 += float32(x[8] * b0)
		c21 += float32(x[8] * b1)
		b0, b1 = y[6], y[7]
		c00 += float32(x[9] * b0)
		c01 += float32(x[9] * b1)
		c10 += float32(x[10] * b0)
		c11 += float32(x[10] * b1)
		c20 += float32(x[11] * b0)
		c21 += float32(x[11] * b1)
	}
	acc[0], acc[1] = c00, c01
	acc[2], acc[3] = c10, c11
	acc[4], acc[5] = c20, c21
}

// genState is the reusable state of one Gemm call: the job, its packing
// buffers, and its methods bound once as func values (binding them per
// call would allocate). It is recycled through genPool, so a steady-state
// training loop allocates nothing per Gemm.
type genState struct {
	job  genJob
	pack func(lo, hi int)
	tile func(w, t int)
}

var genPool = sync.Pool{New: func() any {
	s := new(genState)
	s.pack = s.job.packStrips
	s.tile = func(_, t int) { s.job.tile(t) }
	return s
}}

// genJob is one Gemm call after argument checks and the trivial cases.
type genJob struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	kq     int // packed elements per strip, ceil(k/genKU)
	ms, ns int // number of A strips and B strips
	ap     []genQuadA
	bp     []genQuadB
	kcq    int // packed elements per k-block
	tileMS int // A strips per tile
	tileNS int // B strips per tile
	tilesN int // tiles across n
}

func (generic) Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	genGemm(par.Procs(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (generic) gemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	genGemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// genGemm is the generic Gemm on up to procs goroutines (1: the calling one
// only); procs decides who computes which tiles, never how.
func genGemm(procs int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		// C = beta*C; A and B are not read (as in reference BLAS).
		genScale(m, n, beta, c, ldc)
		return
	}
	st := genPool.Get().(*genState)
	defer genPool.Put(st)
	j := &st.job
	*j = genJob{
		transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		kq: (k + genKU - 1) / genKU, ms: (m + genMR - 1) / genMR, ns: (n + genNR - 1) / genNR,
		ap: j.ap, bp: j.bp,
	}
	// Drop the caller's slices so the pool does not keep them alive.
	defer func() { j.a, j.b, j.c = nil, nil, nil }()
	j.ap = genGrow(j.ap, j.ms*j.kq)
	j.bp = genGrow(j.bp, j.ns*j.kq)

	nkb := (j.kq + genKCQuads - 1) / genKCQuads
	j.kcq = (j.kq + nkb - 1) / nkb
	serial := int64(m)*int64(n)*int64(k) < genSerialWork || procs == 1
	// Tiles of at most genTileRows x genTileCols, equal in size along each
	// dimension (43 strips make two tiles of 22, not 32 and 11), so that
	// goroutines finish together.
	j.tileMS = evenSplit(j.ms, genTileRows/genMR)
	j.tileNS = evenSplit(j.ns, genTileCols/genNR)
	tiles := j.tiles()
	// Small or skinny products (the 512-10 output layer) fit in one or two
	// tiles; split them finer so every goroutine gets work. Tile sizes
	// only decide who computes an element, never how, so letting them
	// depend on GOMAXPROCS keeps the result fixed.
	for workers := procs; !serial && tiles < 2*workers && max(j.tileMS, j.tileNS) > 4; tiles = j.tiles() {
		if j.tileMS >= j.tileNS {
			j.tileMS = (j.tileMS + 1) / 2
		} else {
			j.tileNS = (j.tileNS + 1) / 2
		}
	}

	// Packing is plain copying, so any split is deterministic. A strip
	// holds 2k (B) or 4k (A, padding included) floats, so a task of at
	// least 2^14/kq strips copies 128K floats or more: far more work than
	// the goroutine costs.
	packMin := max(1, 1<<14/j.kq)
	if serial {
		packMin = j.ms + j.ns
	}
	workers := procs
	if serial {
		workers = 1
		st.pack(0, j.ms+j.ns)
	} else {
		par.For(j.ms+j.ns, packMin, st.pack)
	}
	par.Tasks(tiles, workers, st.tile)
}

// packStrips packs strips [lo, hi) of the concatenation of A's strips and
// B's strips.
func (j *genJob) packStrips(lo, hi int) {
	for s := lo; s < hi; s++ {
		if s < j.ms {
			j.packA(s)
		} else {
			j.packB(s - j.ms)
		}
	}
}

// evenSplit returns the size of the parts when n is cut into as few equal
// parts of at most maxSize as possible.
func evenSplit(n, maxSize int) int {
	parts := (n + maxSize - 1) / maxSize
	return (n + parts - 1) / parts
}

// tiles sets j.tilesN and returns the number of tiles of the current size.
func (j *genJob) tiles() int {
	j.tilesN = (j.ns + j.tileNS - 1) / j.tileNS
	return j.tilesN * ((j.ms + j.tileMS - 1) / j.tileMS)
}

// genGrow returns s resliced to length n, reallocated if its capacity is short.
func genGrow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// packA copies A strip s (rows s*genMR.. of op(A)) into j.ap.
func (j *genJob) packA(s int) {
	dst := j.ap[s*j.kq : (s+1)*j.kq]
	i0 := s * genMR
	rows := min(genMR, j.m-i0)
	if rows < genMR || j.k%genKU != 0 {
		clear(dst) // zero rows beyond m and k-steps beyond k
	}
	if j.transA {
		// op(A)[i][p] = A[p][i]: the strip's rows of step p are contiguous.
		for p := range j.k {
			x := &dst[p/genKU]
			off := (p % genKU) * genMR
			for i, v := range j.a[p*j.lda+i0:][:rows] {
				x[off+i] = v
			}
		}
		return
	}
	for i := range rows {
		row := j.a[(i0+i)*j.lda:][:j.k]
		for q := range j.k / genKU {
			v, x := (*[genKU]float32)(row[genKU*q:]), &dst[q]
			x[i], x[genMR+i], x[2*genMR+i], x[3*genMR+i] = v[0], v[1], v[2], v[3]
		}
		for p := j.k / genKU * genKU; p < j.k; p++ {
			dst[p/genKU][(p%genKU)*genMR+i] = row[p]
		}
	}
}

// packB copies B strip s (columns s*genNR.. of op(B)) into j.bp.
func (j *genJob) packB(s int) {
	dst := j.bp[s*j.kq : (s+1)*j.kq]
	j0 := s * genNR
	cols := min(genNR, j.n-j0)
	if cols < genNR || j.k%genKU != 0 {
		clear(dst)
	}
	if !j.transB {
		// op(B)[p][jj] = B[p][jj]: the strip's columns of step p are contiguous.
		for p := range j.k {
			y := &dst[p/genKU]
			off := (p % genKU) * genNR
			for jj, v := range j.b[p*j.ldb+j0:][:cols] {
				y[off+jj] = v
			}
		}
		return
	}
	for jj := range cols {
		row := j.b[(j0+jj)*j.ldb:][:j.k] // op(B)[p][jj] = B[jj][p]
		for q := range j.k / genKU {
			v, y := (*[genKU]float32)(row[genKU*q:]), &dst[q]
			y[jj], y[genNR+jj], y[2*genNR+jj], y[3*genNR+jj] = v[0], v[1], v[2], v[3]
		}
		for p := j.k / genKU * genKU; p < j.k; p++ {
			dst[p/genKU][(p%genKU)*genNR+jj] = row[p]
		}
	}
}

// tile computes tile t of C, j.tileMS A strips by j.tileNS B strips: for
// each k-block, for each B strip (kept in L1), every A strip of the tile.
func (j *genJob) tile(t int) {
	ti, tj := t/j.tilesN, t%j.tilesN
	is0, js0 := ti*j.tileMS, tj*j.tileNS
	is1, js1 := min(is0+j.tileMS, j.ms), min(js0+j.tileNS, j.ns)
	var acc [genMR * genNR]float32
	for kb := 0; kb < j.kq; kb += j.kcq {
		ke := min(kb+j.kcq, j.kq)
		first := kb == 0
		for js := js0; js < js1; js++ {
			bs := j.bp[js*j.kq+kb : js*j.kq+ke]
			col := js * genNR
			cols := min(genNR, j.n-col)
			for is := is0; is < is1; is++ {
				genKernel(j.ap[is*j.kq+kb:is*j.kq+ke], bs, &acc)
				row := is * genMR
				j.store(&acc, row, col, min(genMR, j.m-row), cols, first)
			}
		}
	}
}

// store merges a micro-tile into C: C = alpha*acc + beta*C for the first
// k-block (C not read when beta == 0), C += alpha*acc for the later ones.
func (j *genJob) store(acc *[genMR * genNR]float32, row, col, rows, cols int, first bool) {
	alpha, beta := j.alpha, j.beta
	for i := range rows {
		c := j.c[(row+i)*j.ldc+col:][:cols]
		r := acc[i*genNR:][:cols]
		switch {
		case !first || beta == 1:
			for jj, v := range r {
				c[jj] += float32(alpha * v)
			}
		case beta == 0:
			for jj, v := range r {
				c[jj] = float32(alpha * v)
			}
		default:
			for jj, v := range r {
				c[jj] = float32(beta*c[jj]) + float32(alpha*v)
			}
		}
	}
}

// genScale sets C = beta*C; with beta == 0 it writes zeros without
// reading C, so NaNs in C do not survive.
func genScale(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc:][:n]
		if beta == 0 {
			clear(row)
			continue
		}
		for jj := range row {
			row[jj] *= beta
		}
	}
}
