package main

// genAVX512 emits every AVX-512 kernel.
func genAVX512() {
	for _, t := range [][2]int{{8, 2}} {
		gemmKernel512(t[0], t[1], 4, false)
		gemmKernel512(t[0], t[1], 4, true)
	}
	gemmKernel512T()
	for _, w := range []int{8, 32} {
		packCopy512(w)
		packTrans512(w)
	}
	elem512()
	addBiasRelu512()
	col2imChan(512)
	im2colChan(512)
	poolTables()
	maxPool2(false)
	maxPool2(true)
}
