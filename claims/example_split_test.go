package claims_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// meanClaim says a measured x is near 1; each seed's measurement is one
// unit. (A real claim trains networks in RunUnit.)
type meanClaim struct{}

func (meanClaim) Info() claims.Info {
	return claims.Info{ID: "example", Name: "x is near 1", Paper: "none", Statement: "x is near 1."}
}
func (meanClaim) Spec(s claims.Scale) claims.Spec {
	return claims.Spec{Scale: s, Seeds: 4, Data: "synthetic"}
}
func (c meanClaim) Run(ctx context.Context, env *claims.Env, spec claims.Spec) (*claims.Evidence, error) {
	return claims.RunUnits(ctx, env, c, spec)
}
func (meanClaim) Units(spec claims.Spec) []claims.Unit {
	var us []claims.Unit
	for _, s := range claims.SeedList(spec.Seeds) {
		us = append(us, claims.Unit{Name: fmt.Sprintf("seed=%d", s), Seed: s})
	}
	return us
}
func (meanClaim) RunUnit(ctx context.Context, env *claims.Env, spec claims.Spec, u claims.Unit) (any, error) {
	return 1 + 0.01*float64(u.Seed%3), nil // the measurement
}
func (meanClaim) Merge(env *claims.Env, spec claims.Spec, seeds []uint64, results map[string]json.RawMessage) (*claims.Evidence, error) {
	var xs []float64
	for _, s := range seeds {
		var x float64
		if err := json.Unmarshal(results[fmt.Sprintf("seed=%d", s)], &x); err != nil {
			return nil, err
		}
		xs = append(xs, x)
	}
	ev := &claims.Evidence{Figures: map[string]float64{"mean": stats.Mean(xs)}}
	return ev, ev.SetMeasurements(xs)
}
func (meanClaim) Verdict(ev *claims.Evidence) (*claims.Verdict, error) {
	var xs []float64
	if err := ev.GetMeasurements(&xs); err != nil {
		return nil, err
	}
	m, err := stats.MeanT(xs, 0.95)
	if err != nil {
		return nil, err
	}
	ck := claims.Check{Name: "x", Statistic: "mean of x", Value: m, Threshold: "95% CI inside [0.9, 1.1]",
		Reason: "example", Outcome: claims.Within(m, 0.9, 1.1)}
	return &claims.Verdict{Outcome: ck.Outcome, Checks: []claims.Check{ck}}, nil
}

// Units run anywhere (a sweep runs each as its own job) and are merged
// later; a merge of the units that are in judges the seeds whose every
// unit is there, and says what is missing.
func ExampleMergeUnits() {
	c := meanClaim{}
	spec, _ := claims.SpecAt(c, claims.Full, 0)
	stored := map[string]json.RawMessage{}
	for _, u := range c.Units(spec)[:3] { // seed 4's unit has not run yet
		b, err := claims.RunUnit(context.Background(), nil, c, spec, u)
		if err != nil {
			fmt.Println(err)
			return
		}
		stored[u.Name] = b
	}
	res, cov, err := claims.MergeUnits(c, nil, spec, stored, "avx512")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Verdict.Outcome, "from seeds", res.Evidence.Seeds)
	fmt.Println("missing:", cov.Missing)
	// Output:
	// holds from seeds [1 2 3]
	// missing: [seed=4]
}
