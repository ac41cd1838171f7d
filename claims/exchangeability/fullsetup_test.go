package exchangeability

import (
	"testing"

	"github.com/sgdclaims/sgdclaims/claims/claimtest"
)

func TestFullSetupsStart(t *testing.T) { claimtest.StartFullSetups(t, Claim{}) }
