package kernels

// GemmBias is the dense layer's forward product with its bias and
// activation: C = act(alpha*op(A)*op(B) + beta*C + bias), bias[j] added to
// every element of column j and act the ReLU when relu is set (else the
// identity). It is bitwise Gemm, then AddBias, then Relu over the m x n
// window (the sequence generic runs, which defines the bits); the SIMD
// implementations fuse the bias and ReLU into the GEMM's write-back, tile by
// tile, after each tile's full k-sum.
func GemmBias(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) {
	GemmBiasOn(Active(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu)
}

// GemmBiasOn is GemmBias on impl: its fused version when it has one, else
// impl's Gemm, AddBias and Relu. Conformance tests call it per
// implementation.
func GemmBiasOn(impl Impl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) {
	if f, ok := impl.(biasGemmer); ok {
		f.GemmBias(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu)
		return
	}
	impl.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	impl.AddBias(m, n, bias, c, ldc)
	if !relu || m == 0 || n == 0 {
		return
	}
	if ldc == n {
		impl.Relu(m*n, c, c)
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		impl.Relu(n, row, row)
	}
}

// biasGemmer is implemented by the implementations with a fused GemmBias.
type biasGemmer interface {
	GemmBias(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool)
}
