package claims

import "testing"

// C1 and C3 split into one unit per grid point and seed; these run the
// split contract (checkSplit) on miniature grids: a 784-8-10 network, 1,024
// training images, 1-3 epochs, 3 seeds.

func TestC1Split(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 30 tiny networks")
	}
	c := exchangeability{}
	spec := c.Spec(Quick)
	cfg := c.config(Quick)
	cfg.Model, cfg.TrainN, cfg.ValN, cfg.ProbeN, cfg.Epochs, cfg.TraceBudget = "mlp:784-8-10", 1024, 256, 64, 1, 9
	cfg.Points = []c1Point{{0.05, 64, c1Family}, {0.1, 128, c1Family}, {0.0125, 64, c1Control}, {0.2, 64, c1Control}, {0.4, 512, c1Break}}
	spec.Config, spec.Seeds = cfg, 3
	if n := len(c.Units(spec)); n != 15 {
		t.Fatalf("%d units, want 5 points x 3 seeds", n)
	}
	checkSplit(t, c, spec)
}

func TestC3Split(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 9 tiny networks")
	}
	c := lockIn{}
	spec := c.Spec(Quick)
	cfg := c.config(Quick)
	cfg.Model, cfg.TrainN, cfg.ValN, cfg.ProbeN, cfg.Epochs, cfg.ZoomPoints = "mlp:784-8-10", 1024, 256, 64, 3, 4
	cfg.Points = []c3Point{{0.05, 32}, {0.1, 128}, {0.05, 512}}
	spec.Config, spec.Seeds = cfg, 3
	checkSplit(t, c, spec)
}
