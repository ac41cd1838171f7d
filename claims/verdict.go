package claims

import (
	"fmt"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// Outcome is a claim's (or a check's) decision.
type Outcome string

const (
	// Holds: the measured statistic, including its uncertainty, meets the
	// threshold.
	Holds Outcome = "holds"
	// DoesNotHold: the statistic, including its uncertainty, is on the wrong
	// side of the threshold: the claim does not reproduce here.
	DoesNotHold Outcome = "does not hold"
	// Inconclusive: the interval straddles the threshold, or the measurement
	// could not be made (a diverged run, too few points). Not a pass.
	Inconclusive Outcome = "inconclusive"
	// Mixed: a claim's setups disagree (SetupRule); only claim-level
	// verdicts across setups are mixed.
	Mixed Outcome = "mixed"
	// NotRun: the setup's data are absent on this machine; it does not
	// count for or against the claim.
	NotRun Outcome = "not run"
)

// Check is one statistic compared with one threshold. A claim's verdict has
// one check per measurable part (C2 has one per tier).
type Check struct {
	Name      string         `json:"name"`      // "a: least squares"
	Statistic string         `json:"statistic"` // what Value is, in words
	Value     stats.Interval `json:"value"`     // estimate and interval, with its method
	Threshold string         `json:"threshold"` // the rule, e.g. "95% CI inside [0.9, 1.1] at every grid point"
	Reason    string         `json:"reason"`    // why that threshold (fixed before the results were seen)
	Outcome   Outcome        `json:"outcome"`
	Detail    string         `json:"detail"` // what decided the outcome, e.g. the worst grid point
	// Information marks a check that is reported but does not decide the
	// verdict (RegisteredCheck.Information).
	Information bool `json:"information,omitempty"`
}

// Verdict is a claim's decision with its checks.
type Verdict struct {
	Claim   string  `json:"claim"`
	Outcome Outcome `json:"outcome"`
	Checks  []Check `json:"checks"`
	Summary string  `json:"summary"` // one or two sentences for the report
	// Registration is the stamp of the registered checks that decided it
	// (Registration.Stamp), "" for a claim without a registration.
	Registration string `json:"registration,omitempty"`
}

// Combine returns the claim-level outcome of its checks: DoesNotHold if any
// check does not hold, Holds if all hold, Inconclusive otherwise (and for no
// checks at all). Information checks do not count.
func Combine(checks []Check) Outcome {
	all, n := true, 0
	for _, c := range checks {
		if c.Information {
			continue
		}
		n++
		switch c.Outcome {
		case DoesNotHold:
			return DoesNotHold
		case Holds:
		default:
			all = false
		}
	}
	if all && n > 0 {
		return Holds
	}
	return Inconclusive
}

// Within decides an equivalence test: Holds when the whole interval lies in
// [lo, hi], DoesNotHold when the interval lies entirely outside it, and
// Inconclusive when it straddles an end. This is the two one-sided tests
// (TOST) rule: "holds" means the data exclude every value outside the
// margin, not merely that they fail to exclude the target.
func Within(iv stats.Interval, lo, hi float64) Outcome {
	switch {
	case iv.Lo >= lo && iv.Hi <= hi:
		return Holds
	case iv.Hi < lo || iv.Lo > hi:
		return DoesNotHold
	}
	return Inconclusive
}

// Above decides a one-sided threshold: Holds when the interval lies above
// t, DoesNotHold when it lies below, Inconclusive when it contains t.
func Above(iv stats.Interval, t float64) Outcome {
	switch {
	case iv.Lo > t:
		return Holds
	case iv.Hi < t:
		return DoesNotHold
	}
	return Inconclusive
}

// Below is Above mirrored.
func Below(iv stats.Interval, t float64) Outcome {
	switch {
	case iv.Hi < t:
		return Holds
	case iv.Lo > t:
		return DoesNotHold
	}
	return Inconclusive
}

// AllOf combines per-point outcomes of one check (e.g. every grid point must
// hold): the intersection-union rule, which needs no multiplicity correction
// for "holds" because every point must pass on its own. It returns the
// combined outcome and the index of the deciding point (the first that does
// not hold, else the first inconclusive, else -1).
func AllOf(outcomes []Outcome) (Outcome, int) {
	if len(outcomes) == 0 {
		return Inconclusive, -1
	}
	firstInc := -1
	for i, o := range outcomes {
		if o == DoesNotHold {
			return DoesNotHold, i
		}
		if o != Holds && firstInc < 0 {
			firstInc = i
		}
	}
	if firstInc >= 0 {
		return Inconclusive, firstInc
	}
	return Holds, -1
}

// Failed returns a check that could not be computed: Inconclusive, with the
// reason in Detail.
func Failed(name, statistic, threshold, reason string, err error) Check {
	return Check{Name: name, Statistic: statistic, Threshold: threshold, Reason: reason,
		Outcome: Inconclusive, Detail: fmt.Sprintf("not measured: %v", err),
		Value: stats.NaNInterval()}
}

// PerCheck is the opening of a verdict's summary: every check's name and
// outcome, "Per check: a: holds; b: inconclusive."
func PerCheck(checks []Check) string {
	var parts []string
	for _, ck := range checks {
		info := ""
		if ck.Information {
			info = " (information)"
		}
		parts = append(parts, fmt.Sprintf("%s: %s%s", ck.Name, ck.Outcome, info))
	}
	return "Per check: " + strings.Join(parts, "; ") + "."
}
