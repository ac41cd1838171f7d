// Package all registers every claim of the thesis: importing it (for its
// side effect) is how a command or the runner sees them all.
//
//	import _ "github.com/sgdclaims/sgdclaims/claims/all"
//
// A new claim adds one line here, in its own folder's import: nothing else
// outside the claim's folder, its golden and its reference entries changes.
package all

import (
	_ "github.com/sgdclaims/sgdclaims/claims/exchangeability" // c1
	_ "github.com/sgdclaims/sgdclaims/claims/iterative"       // c9
	_ "github.com/sgdclaims/sgdclaims/claims/lockin"          // c3
	_ "github.com/sgdclaims/sgdclaims/claims/memorisation"    // c4
	_ "github.com/sgdclaims/sgdclaims/claims/noisememo"       // c6
	_ "github.com/sgdclaims/sgdclaims/claims/nudged"          // c7
	_ "github.com/sgdclaims/sgdclaims/claims/overshoot"       // c8
	_ "github.com/sgdclaims/sgdclaims/claims/schedules"       // c5
	_ "github.com/sgdclaims/sgdclaims/claims/stationaryloss"  // c2
)
