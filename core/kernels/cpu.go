package kernels

import "github.com/klauspost/cpuid/v2"

// CPU feature tests for the availability functions passed to Register.
// cpuid reports a vector extension only when the operating system also
// saves its registers across context switches (XCR0), so a true result
// means the instructions are safe to execute, not merely present.
var (
	hasAVX2FMA = cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3)
	hasAVX512  = cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL)
)

// HasAVX2FMA reports whether this CPU and OS support AVX2 together with
// FMA3, the baseline of the avx2 implementation.
func HasAVX2FMA() bool { return hasAVX2FMA }

// HasAVX512 reports whether this CPU and OS support AVX-512 F, DQ, BW and VL,
// the subsets the avx512 implementation uses.
func HasAVX512() bool { return hasAVX512 }
