package exchangeability

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/claims"
)

// startFullSetups starts the first and last unit (seed 1) of every
// full-scale setup of c whose data are here, for a moment, and requires
// that each got past its setup (model built from the data's shape, data
// split, first measurement under way) and stops promptly when cancelled:
// claims/all does this for the first setup only, and the papers' setups
// (SimpleCNN, the 20-layer MLP) are the ones a cluster would run.
func startFullSetups(t *testing.T, c claims.Claim) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the full-scale units")
	}
	s := c.(claims.Splitter)
	for _, spec := range claims.Specs(c, claims.Full)[1:] {
		if absent, _ := claims.DataAbsent(spec); absent {
			t.Logf("%s: data absent, not started", spec.SetupID)
			continue
		}
		var first []claims.Unit
		for _, u := range s.Units(spec) {
			if u.Seed == 1 {
				first = append(first, u)
			}
		}
		for _, u := range []claims.Unit{first[0], first[len(first)-1]} {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			start := time.Now()
			_, err := claims.RunUnit(ctx, &claims.Env{Workers: 1}, s, spec, u)
			cancel()
			// One Hessian-vector product of SimpleCNN on 2,250 images takes
			// up to ~15 s on a busy 2-core machine (measured): the unit may
			// finish the product it is in.
			switch took := time.Since(start); {
			case err != nil && !errors.Is(err, context.DeadlineExceeded):
				t.Errorf("%s %s: %v", spec.SetupID, u.Name, err)
			case took > 60*time.Second:
				t.Errorf("%s %s: took %v to stop", spec.SetupID, u.Name, took.Round(time.Millisecond))
			}
		}
	}
}

func TestFullSetupsStart(t *testing.T) { startFullSetups(t, Claim{}) }
