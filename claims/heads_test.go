package claims

import (
	"strings"
	"testing"
)

func TestLoadHeads(t *testing.T) {
	env := &Env{Data: "mnist"}
	hd, err := LoadHeads(env, 100, 50, 10, "simplecnn")
	if err != nil {
		t.Fatal(err)
	}
	if hd.Train.N != 100 || hd.Val.N != 50 || hd.Model != "simplecnn:1x28x28-10" {
		t.Errorf("heads: %d train, %d val, model %q; want 100, 50, simplecnn:1x28x28-10", hd.Train.N, hd.Val.N, hd.Model)
	}
	trainAll, _, err := env.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range hd.Train.Row(99) {
		if x != trainAll.Row(99)[i] {
			t.Fatalf("training head row 99 differs from the file's row 99 at %d", i)
		}
	}
	for _, tc := range []struct {
		train, val, probe int
	}{
		{trainAll.N + 1, 50, 10}, // more training rows than the file has
		{100, 50, 101},           // a probe larger than the training part
	} {
		if _, err := LoadHeads(env, tc.train, tc.val, tc.probe, "mlp:784-10"); err == nil || !strings.Contains(err.Error(), "asked of") {
			t.Errorf("LoadHeads(%d, %d, %d): error %v, want sizes refused", tc.train, tc.val, tc.probe, err)
		}
	}
}
