package claimtest

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
)

var register = flag.Bool("register", false, "lock the claim's current registration in registrations/<claim>.json (commit it before any result of it)")

// RegistrationDir returns the repository's registrations/ folder.
func RegistrationDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(filepath.Dir(GoldenDir(t)), "registrations")
}

// Registered asserts that claim c's registration is well formed
// (claims.Registration.Validate) and locked in
// registrations/<id>.json at its version with its hash: it fails when the
// registered checks changed without a version bump, and when a new version
// is not locked yet. With -register it locks a new version instead (and
// still refuses a changed hash at a locked version).
func Registered(t *testing.T, c claims.Claim) claims.Registration {
	t.Helper()
	return RegisteredAt(t, c, RegistrationDir(t))
}

// RegisteredAt is Registered against the lock files in dir.
func RegisteredAt(t *testing.T, c claims.Claim, dir string) claims.Registration {
	t.Helper()
	r, ok := c.(claims.Registrant)
	if !ok {
		t.Fatalf("claim %s has no Registration: every claim's checks are pre-registered", c.Info().ID)
	}
	reg := r.Registration()
	if reg.Claim != c.Info().ID {
		t.Fatalf("registration names claim %q, the claim is %q", reg.Claim, c.Info().ID)
	}
	if err := reg.Validate(); err != nil {
		t.Fatal(err)
	}
	lock, err := claims.ReadRegistrationLock(dir, reg.Claim)
	if errors.Is(err, os.ErrNotExist) {
		lock, err = &claims.RegistrationLock{Claim: reg.Claim}, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	problem, appendable := lock.CheckLock(reg)
	switch {
	case problem == "":
	case appendable && *register:
		if err := claims.WriteRegistrationLock(dir, lock, reg); err != nil {
			t.Fatal(err)
		}
		t.Logf("locked %s in %s: commit it on its own, before any result of it", reg.Stamp(), claims.RegistrationPath(dir, reg.Claim))
	default:
		t.Fatal(problem)
	}
	return reg
}

// RegisteredBefore checks, in the repository's git history, that the
// registration every golden of claim id was decided by was committed
// before that golden: the first commit whose registrations/<id>.json holds
// the golden's registration hash must be an ancestor of, and not the same
// as, the first commit whose golden file carries that stamp. It skips
// where there is no git history (a source archive) and for a golden not
// committed yet (its commit is still to be made, after the lock's).
func RegisteredBefore(t *testing.T, id string) {
	t.Helper()
	gdir := GoldenDir(t)
	root := filepath.Dir(gdir)
	if _, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err != nil {
		t.Skipf("no git history: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(gdir, id+"-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("claim %s has no goldens in %s", id, gdir)
	}
	for _, f := range files {
		setup := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), id+"-"), ".json")
		g, err := claims.ReadGolden(gdir, id, setup)
		if err != nil {
			t.Fatal(err)
		}
		if g.Registration == "" {
			t.Errorf("%s: decided by no registration", f)
			continue
		}
		hash := g.Registration[strings.LastIndexByte(g.Registration, ' ')+1:]
		rel, _ := filepath.Rel(root, f)
		goldenAt := firstCommitWith(t, root, g.Registration, rel)
		if goldenAt == "" {
			t.Logf("%s: stamp %q not committed yet", rel, g.Registration)
			continue
		}
		lockAt := firstCommitWith(t, root, hash, filepath.Join("registrations", id+".json"))
		if lockAt == "" {
			t.Errorf("%s (committed in %.12s) was decided by %s, which no commit of registrations/%s.json holds", rel, goldenAt, g.Registration, id)
			continue
		}
		if lockAt == goldenAt {
			t.Errorf("%s: registration %s and its first golden arrived in the same commit %.12s; the registration must land in a commit of its own, first", rel, g.Registration, lockAt)
			continue
		}
		if err := exec.Command("git", "-C", root, "merge-base", "--is-ancestor", lockAt, goldenAt).Run(); err != nil {
			t.Errorf("%s: registration %s (commit %.12s) is not an ancestor of its first golden (commit %.12s)", rel, g.Registration, lockAt, goldenAt)
			continue
		}
		t.Logf("%s: %s locked in %.12s, first golden in %.12s", rel, g.Registration, lockAt, goldenAt)
	}
}

// firstCommitWith returns the oldest commit (reachable from HEAD) that
// added the string s to path, "" when none did.
func firstCommitWith(t *testing.T, root, s, path string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "log", "--format=%H", "--reverse", "-S", s, "--", path).Output()
	if err != nil {
		t.Fatalf("git log -S %q -- %s: %v", s, path, err)
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}
