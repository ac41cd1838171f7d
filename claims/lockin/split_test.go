package lockin

import (
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
)

// C3 splits into one unit per (eta, S) and seed; this runs the split
// contract (claimtest.Split) on a miniature grid: a 784-8-10 network,
// 1,024 training images, 3 epochs, 3 seeds.

func TestC3Split(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 9 tiny networks")
	}
	c := Claim{}
	spec := c.Spec(claims.Quick)
	cfg := c.config(claims.Quick)
	cfg.Model, cfg.TrainN, cfg.ValN, cfg.ProbeN, cfg.Epochs, cfg.ZoomPoints = "mlp:784-8-10", 1024, 256, 64, 3, 4
	cfg.Points = []point{at(0.05, 32), at(0.1, 128), at(0.05, 512)}
	spec.Config, spec.Seeds = cfg, 3
	claimtest.Split(t, c, spec)
}
