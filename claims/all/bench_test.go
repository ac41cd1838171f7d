package all_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	_ "github.com/sgdclaims/sgdclaims/claims/all"
)

// BenchmarkClaim runs every registered claim at the quick scale and reports
// its key figures (Evidence.Metrics) with b.ReportMetric next to the time,
// so that
//
//	go test -run '^$' -bench 'Claim/c2' -count 5 ./claims/all > new.txt
//	benchstat old.txt new.txt
//
// compares a claim's figures across commits and kernel implementations
// (SGDCLAIMS_ISA=generic|avx2|avx512) the way it compares speed. One
// iteration is a whole claim (tens of seconds); -benchtime 1x is implied in
// practice.
func BenchmarkClaim(b *testing.B) {
	for _, c := range claims.All() {
		b.Run(c.Info().ID, func(b *testing.B) {
			var res *claims.Result
			for i := 0; i < b.N; i++ {
				var err error
				res, err = claims.RunClaim(context.Background(), c, claims.Quick, &claims.Env{})
				if err != nil {
					b.Fatal(err)
				}
			}
			metrics := res.Evidence.Metrics
			if len(metrics) == 0 {
				metrics = map[string]string{}
				for name := range res.Evidence.Figures {
					metrics[name] = name
				}
			}
			names := make([]string, 0, len(metrics))
			for name := range metrics {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				v, ok := res.Evidence.Figures[name]
				if !ok {
					b.Fatalf("metric %q names no figure", name)
				}
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					b.ReportMetric(v, metrics[name])
				}
			}
		})
	}
}
