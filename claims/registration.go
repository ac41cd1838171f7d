package claims

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sgdclaims/sgdclaims/claims/stats"
	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
)

// Pre-registration. Every check a claim's verdict carries is written down,
// with its statistic, threshold and reason, in the claim's Registration: one
// value per claim, with a version. Its hash is stamped into every result,
// golden and report, and registrations/<id>.json keeps every version that
// was ever registered, so that anyone can check from the repository that a
// verdict was decided by a rule fixed before its results:
//
//   - the verdict's checks must be the registered ones, word for word
//     (judge refuses a check that is not);
//   - a test (claimtest.Registered) fails when the registration changes
//     without a version bump, and when a new version has no dated entry in
//     the claim's change log saying what results had been seen;
//   - a new version is locked (written to registrations/<id>.json) in a
//     commit of its own, before the commit that adds its first results and
//     goldens; claimtest.RegisteredBefore checks that order in git history.

// Registrant is a claim whose checks are pre-registered. Every claim of the
// thesis is one.
type Registrant interface {
	Registration() Registration
}

// Registration is a claim's registered checks at one version.
type Registration struct {
	Claim   string            `json:"claim"`
	Version int               `json:"version"`
	Checks  []RegisteredCheck `json:"checks"`
	// Changes is the claim's change log, oldest first: one dated entry per
	// version after the first (and for any change of setup made after
	// results were seen). It is not hashed: the log may be amended without
	// changing what was registered.
	Changes []Change `json:"-"`
}

// RegisteredCheck is one check as registered: the Check a verdict carries
// has exactly these words.
type RegisteredCheck struct {
	Name      string `json:"name"`
	Statistic string `json:"statistic"`
	Threshold string `json:"threshold"`
	Reason    string `json:"reason"`
	// Information marks a check that is reported but does not decide the
	// verdict (a superseded check kept with its history, a comparison that
	// is not the paper's).
	Information bool `json:"information,omitempty"`
}

// Change is one entry of a claim's change log.
type Change struct {
	Date    string `json:"date"`    // YYYY-MM-DD
	Version int    `json:"version"` // the registration version it introduced (or the current one, for a setup change)
	What    string `json:"what"`    // what changed
	Seen    string `json:"seen"`    // which results had been seen when the change was made ("none" is an answer)
}

// Hash is the first 12 hex digits of SHA-256 over the claim, the version
// and the checks (not the change log).
func (r Registration) Hash() string {
	b, err := json.Marshal(struct {
		Claim   string            `json:"claim"`
		Version int               `json:"version"`
		Checks  []RegisteredCheck `json:"checks"`
	}{r.Claim, r.Version, r.Checks})
	if err != nil {
		panic(err) // strings and ints only
	}
	h := sha256.Sum256(append([]byte("sgdclaims-registration/1\n"), b...))
	return hex.EncodeToString(h[:])[:12]
}

// Stamp is how results name the registration: "c1 v2 3fa9c1e2b4d0".
func (r Registration) Stamp() string {
	return fmt.Sprintf("%s v%d %s", r.Claim, r.Version, r.Hash())
}

// Check returns the registered check named name. A name that is not
// registered is a programming error (the claim's own tests catch it), so
// it panics.
func (r Registration) Check(name string) RegisteredCheck {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	panic(fmt.Sprintf("claims: %s: check %q is not registered (v%d)", r.Claim, name, r.Version))
}

// New is the check decided: the registered words with the measured value,
// its outcome and what decided it.
func (rc RegisteredCheck) New(value stats.Interval, outcome Outcome, detail string) Check {
	return Check{Name: rc.Name, Statistic: rc.Statistic, Value: value, Threshold: rc.Threshold, Reason: rc.Reason,
		Outcome: outcome, Detail: detail, Information: rc.Information}
}

// Failed is the check that could not be computed: Inconclusive, with the
// reason in Detail.
func (rc RegisteredCheck) Failed(err error) Check {
	c := Failed(rc.Name, rc.Statistic, rc.Threshold, rc.Reason, err)
	c.Information = rc.Information
	return c
}

// Validate checks the registration's form: a claim ID, a version >= 1,
// checks with distinct names and every field written, and a change log
// with a dated entry (saying what was seen) for every version after the
// first.
func (r Registration) Validate() error {
	if r.Claim == "" || r.Version < 1 {
		return fmt.Errorf("registration of %q: version %d (want a claim ID and a version >= 1)", r.Claim, r.Version)
	}
	if len(r.Checks) == 0 {
		return fmt.Errorf("registration %s: no checks", r.Stamp())
	}
	seen := map[string]bool{}
	for _, c := range r.Checks {
		if c.Name == "" || c.Statistic == "" || c.Threshold == "" || c.Reason == "" {
			return fmt.Errorf("registration %s: check %q lacks its name, statistic, threshold or reason", r.Stamp(), c.Name)
		}
		if seen[c.Name] {
			return fmt.Errorf("registration %s: check %q registered twice", r.Stamp(), c.Name)
		}
		seen[c.Name] = true
	}
	for i, ch := range r.Changes {
		if _, err := time.Parse(time.DateOnly, ch.Date); err != nil {
			return fmt.Errorf("registration %s: change log entry %d: date %q is not YYYY-MM-DD", r.Stamp(), i+1, ch.Date)
		}
		if ch.Version < 1 || ch.Version > r.Version || strings.TrimSpace(ch.What) == "" || strings.TrimSpace(ch.Seen) == "" {
			return fmt.Errorf("registration %s: change log entry %d (%s) needs a version in 1..%d, what changed and which results had been seen", r.Stamp(), i+1, ch.Date, r.Version)
		}
		if i > 0 && ch.Date < r.Changes[i-1].Date {
			return fmt.Errorf("registration %s: change log entry %d (%s) is dated before the one above it", r.Stamp(), i+1, ch.Date)
		}
	}
	for v := 2; v <= r.Version; v++ {
		if !slices.ContainsFunc(r.Changes, func(c Change) bool { return c.Version == v }) {
			return fmt.Errorf("registration %s: version %d has no entry in the change log (date, what changed, which results had been seen)", r.Stamp(), v)
		}
	}
	return nil
}

// conforms reports the first check of v that is not registered in r word
// for word ("" when every one is).
func (r Registration) conforms(v *Verdict) string {
	for _, c := range v.Checks {
		i := slices.IndexFunc(r.Checks, func(rc RegisteredCheck) bool { return rc.Name == c.Name })
		if i < 0 {
			return fmt.Sprintf("check %q is not registered", c.Name)
		}
		rc := r.Checks[i]
		if rc.Statistic != c.Statistic || rc.Threshold != c.Threshold || rc.Reason != c.Reason || rc.Information != c.Information {
			return fmt.Sprintf("check %q does not carry its registered statistic, threshold, reason and role", c.Name)
		}
	}
	return ""
}

// LockedRegistration is one version as registrations/<id>.json keeps it.
type LockedRegistration struct {
	Version int               `json:"version"`
	Hash    string            `json:"hash"`
	Checks  []RegisteredCheck `json:"checks"`
}

// RegistrationLock is registrations/<id>.json: every version of a claim's
// registration, oldest first. It only grows.
type RegistrationLock struct {
	Claim    string               `json:"claim"`
	Versions []LockedRegistration `json:"versions"`
}

// RegistrationPath returns dir/<id>.json.
func RegistrationPath(dir, id string) string { return filepath.Join(dir, id+".json") }

// ReadRegistrationLock reads dir/<id>.json.
func ReadRegistrationLock(dir, id string) (*RegistrationLock, error) {
	b, err := os.ReadFile(RegistrationPath(dir, id))
	if err != nil {
		return nil, err
	}
	var l RegistrationLock
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", RegistrationPath(dir, id), err)
	}
	return &l, nil
}

// CheckLock compares r with the lock: "" when r's version is locked with
// r's hash; otherwise what is wrong, and whether appending r would fix it
// (r is a new version above every locked one).
func (l *RegistrationLock) CheckLock(r Registration) (problem string, appendable bool) {
	for _, v := range l.Versions {
		if v.Version == r.Version {
			if v.Hash == r.Hash() {
				return "", false
			}
			return fmt.Sprintf("%s changed its registered checks (hash %s, locked %s) without a version bump: bump Version, add a dated change-log entry saying which results had been seen, and lock it in a commit of its own",
				r.Claim, r.Hash(), v.Hash), false
		}
	}
	if n := len(l.Versions); n > 0 && l.Versions[n-1].Version > r.Version {
		return fmt.Sprintf("%s is at version %d, below the locked version %d", r.Claim, r.Version, l.Versions[n-1].Version), false
	}
	return fmt.Sprintf("%s version %d (hash %s) is not locked: lock it with -register and commit the lock before any result of it", r.Claim, r.Version, r.Hash()), true
}

// WriteRegistrationLock appends r to dir/<id>.json (creating it), after
// CheckLock found it appendable.
func WriteRegistrationLock(dir string, l *RegistrationLock, r Registration) error {
	l.Claim = r.Claim
	l.Versions = append(l.Versions, LockedRegistration{Version: r.Version, Hash: r.Hash(), Checks: r.Checks})
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(RegistrationPath(dir, r.Claim), append(b, '\n'), 0o644)
}
