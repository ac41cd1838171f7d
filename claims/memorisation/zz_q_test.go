package memorisation

import (
	"context"
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data"
)

func TestZZQuickTiming(t *testing.T) {
	trainAll, test, err := data.LoadShared("mnist")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Claim{}.config(claims.Quick, mlpMNIST)
	d, err := prepareData(cfg, 0.5, trainAll, test, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg
	c.Epochs, c.FixedEpoch, c.Window, c.EarlyEpoch = 4, -1, 1, 1
	for k := 0; k < 2; k++ {
		for _, ri := range []int{0, 3, 1} {
			reg := cfg.Rows[ri]
			reg.CSRCurve = false
			t0 := time.Now()
			if _, err := trainRow(context.Background(), c, reg, d, 1, func() {}); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %.2f s for 4 epochs", reg.Name, time.Since(t0).Seconds())
		}
	}
}
