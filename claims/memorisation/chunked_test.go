package memorisation

import (
	"context"
	"math"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// TestPartAccuraciesChunkingIsBitwise pins what partAccuracies' comment
// says: the chunked forward pass gives every row the logits of one pass
// over the whole training part, bit for bit, on the quick and the
// full-scale networks; and a cancelled context stops it.
func TestPartAccuraciesChunkingIsBitwise(t *testing.T) {
	trainAll, test, err := data.LoadShared("mnist")
	if err != nil {
		t.Skip(err)
	}
	cfg := Claim{}.config(claims.Quick, mlpMNIST)
	d, err := prepareData(cfg, 0.5, trainAll, test, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{cfg.Model, "mlp:784-512-512-10"} {
		m, err := nn.New(spec, 3)
		if err != nil {
			t.Fatal(err)
		}
		k := m.OutputDim()
		whole := make([]float32, d.train.N*k)
		m.Forward(d.train.All(), whole)
		chunked := make([]float32, d.train.N*k)
		if _, _, _, err := partAccuracies(context.Background(), m, d, chunked); err != nil {
			t.Fatal(err)
		}
		for i := range whole {
			if math.Float32bits(whole[i]) != math.Float32bits(chunked[i]) {
				t.Fatalf("%s: logit %d (row %d) is %v chunked, %v in one pass", spec, i, i/k, chunked[i], whole[i])
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, _ := nn.New(cfg.Model, 3)
	if _, _, _, err := partAccuracies(ctx, m, d, make([]float32, d.train.N*m.OutputDim())); err == nil {
		t.Error("a cancelled context did not stop it")
	}
}
