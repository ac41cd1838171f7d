package main

import (
	"strings"
	"testing"
)

// A trimmed benchstat -format csv output: file configuration, then one
// section per unit.
const sample = `goos: linux
goarch: amd64

,generic,,avx512,,,
,sec/op,CI,sec/op,CI,vs base,P
Gemm/128x512x512,0.007,3%,0.0004,1%,-94.29%,p=0.002 n=6
geomean,0.007,,0.0004,,-94.29%,

,generic,,avx512,,,
,GFLOP/s,CI,GFLOP/s,CI,vs base,P
Gemm/128x512x512,9.6,2%,183.25,1%,+1808.85%,p=0.002 n=6
`

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(strings.NewReader(sample), &out); err != nil {
		t.Fatal(err)
	}
	want := `| benchmark | generic (µs/op) | avx512 (µs/op) | vs generic |
| --- | ---: | ---: | ---: |
| Gemm/128x512x512 | 7000 ± 3% | 400.0 ± 1% | -94.29% |
| geomean | 7000 | 400.0 | -94.29% |

| benchmark | generic (GFLOP/s) | avx512 (GFLOP/s) | vs generic |
| --- | ---: | ---: | ---: |
| Gemm/128x512x512 | 9.600 ± 2% | 183.2 ± 1% | +1808.85% |

`
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
