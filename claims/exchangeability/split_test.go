package exchangeability

import (
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
)

// C1 splits into one unit per grid point and seed; this runs the split
// contract (claimtest.Split) on a miniature grid: a 784-8-10 network,
// 1,024 training images, 1 epoch, 3 seeds.

func TestC1Split(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 30 tiny networks")
	}
	c := Claim{}
	spec := c.Spec(claims.Quick)
	cfg := c.config(claims.Quick)
	cfg.Model, cfg.TrainN, cfg.ValN, cfg.ProbeN, cfg.Epochs, cfg.TraceBudget = "mlp:784-8-10", 1024, 256, 64, 1, 9
	cfg.Points = []point{at(0.05, 64, roleFamily), at(0.1, 128, roleFamily), at(0.0125, 64, roleControl), at(0.2, 64, roleControl), at(0.4, 512, roleBreak)}
	spec.Config, spec.Seeds = cfg, 3
	if n := len(c.Units(spec)); n != 15 {
		t.Fatalf("%d units, want 5 points x 3 seeds", n)
	}
	claimtest.Split(t, c, spec)
}
