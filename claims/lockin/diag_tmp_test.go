package lockin

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
)

func TestDiagFashion(t *testing.T) {
	if os.Getenv("C1C3_DIAG") == "" {
		t.Skip()
	}
	c := Claim{}
	spec := c.Spec(claims.Quick)
	spec.Data = "fashion-mnist"
	ev, err := c.Run(context.Background(), &claims.Env{Data: "fashion-mnist"}, spec)
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Verdict(ev)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(struct{ E, V any }{ev, v}, "", " ")
	os.WriteFile("/tmp/c1c3diag/c3-fashion-v1.json", b, 0o644)
}
