package all_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	_ "github.com/sgdclaims/sgdclaims/claims/all"
	"github.com/sgdclaims/sgdclaims/claims/claimtest"
)

// TestRegistry: importing claims/all registers the thesis's claims, and the
// registry finds, lists and selects them.
func TestRegistry(t *testing.T) {
	ids := claims.IDs()
	if len(ids) == 0 {
		t.Fatal("no claims registered")
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			t.Errorf("IDs not sorted: %v", ids)
		}
	}
	c, err := claims.Lookup("C2")
	if err != nil || c.Info().ID != "c2" {
		t.Errorf("Lookup(C2) = %v, %v", c, err)
	}
	_, err = claims.Lookup("c99")
	if err == nil || !strings.Contains(err.Error(), "known: ") || !strings.Contains(err.Error(), "c2") {
		t.Errorf("unknown id error %v should list the known ids", err)
	}
	sel, err := claims.Select("c2, c2")
	if err != nil || len(sel) != 1 {
		t.Errorf("Select(c2, c2) = %d claims, %v", len(sel), err)
	}
	if _, err := claims.Select("c2,nope"); err == nil {
		t.Error("Select accepted an unknown id")
	}
	if all, _ := claims.Select(""); len(all) != len(ids) {
		t.Errorf("Select(\"\") gave %d claims, want all %d", len(all), len(ids))
	}
	if want := []string{"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"}; !slices.Equal(ids, want) {
		t.Errorf("registered claims %v, want %v", ids, want)
	}
	for _, c := range claims.All() {
		claimtest.Info(t, c)
	}
}
