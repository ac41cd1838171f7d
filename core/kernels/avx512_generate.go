package kernels

// The assembly of the avx512 and avx2 implementations and its Go stubs
// (avx512_amd64.s, avx512_stubs_amd64.go, avx2_amd64.s,
// avx2_stubs_amd64.go) are generated with avo by the _gen module and
// committed; _gen/check.sh verifies that they are up to date.

//go:generate go run -C _gen . -isa avx512 -dir ..
//go:generate go run -C _gen . -isa avx2 -dir ..
