package kernels

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// fakeImpl is a registry entry that never runs a kernel.
type fakeImpl struct {
	generic
	name string
}

func (f fakeImpl) Name() string { return f.name }

// withRegistry runs f with the registry holding only entries, and restores
// the real one afterwards, so the fakes never leak into other tests.
func withRegistry(t *testing.T, entries map[string]entry, f func()) {
	t.Helper()
	regMu.Lock()
	saved := registry
	registry = entries
	regMu.Unlock()
	defer func() {
		regMu.Lock()
		registry = saved
		regMu.Unlock()
	}()
	f()
}

func fakeRegistry() map[string]entry {
	yes := func() bool { return true }
	no := func() bool { return false }
	return map[string]entry{
		"generic": {impl: generic{}, available: yes, rank: 0},
		"fast":    {impl: fakeImpl{name: "fast"}, available: yes, rank: 10},
		"fastest": {impl: fakeImpl{name: "fastest"}, available: no, rank: 20},
	}
}

func TestRegistry(t *testing.T) {
	withRegistry(t, fakeRegistry(), func() {
		all := All()
		if len(all) != 2 || all[0].Name() != "fast" || all[1].Name() != "generic" {
			t.Errorf("All() = %v, want [fast generic]: available only, best first", all)
		}
		if got := strings.Join(Names(), ","); got != "fast,fastest,generic" {
			t.Errorf("Names() = %s, want every registered name, sorted", got)
		}
		if impl, err := Lookup("fast"); err != nil || impl.Name() != "fast" {
			t.Errorf("Lookup(fast) = %v, %v", impl, err)
		}
		if _, err := Lookup("fastest"); err == nil || !strings.Contains(err.Error(), "not supported by this CPU") {
			t.Errorf("Lookup of an unavailable ISA: err = %v, want 'not supported by this CPU'", err)
		}
		if _, err := Lookup("sse9"); err == nil || !strings.Contains(err.Error(), "unknown ISA") ||
			!strings.Contains(err.Error(), "fast, fastest, generic") {
			t.Errorf("Lookup of an unknown ISA: err = %v, want 'unknown ISA' listing the known ones", err)
		}
		defer func() {
			if recover() == nil {
				t.Error("registering a duplicate name did not panic")
			}
		}()
		Register(fakeImpl{name: "fast"}, 5, nil)
	})
}

func TestChoose(t *testing.T) {
	withRegistry(t, fakeRegistry(), func() {
		for _, c := range []struct {
			env, want, err string
		}{
			{"", "fast", ""},
			{"generic", "generic", ""},
			{"fast", "fast", ""},
			{"fastest", "fast", "SGDCLAIMS_ISA: ISA \"fastest\" is not supported by this CPU"},
			{"sse9", "fast", "SGDCLAIMS_ISA: unknown ISA \"sse9\""},
		} {
			impl, err := choose(c.env)
			if impl.Name() != c.want {
				t.Errorf("choose(%q) = %s, want %s", c.env, impl.Name(), c.want)
			}
			if (err == nil) != (c.err == "") || err != nil && !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("choose(%q) error = %v, want %q", c.env, err, c.err)
			}
		}
	})
	withRegistry(t, map[string]entry{}, func() {
		defer func() {
			if recover() == nil {
				t.Error("choose with nothing registered did not panic")
			}
		}()
		choose("")
	})
}

// TestUseBeforeActive checks that an explicit Use is not undone by the
// start-up selection that the first Active call makes.
func TestUseBeforeActive(t *testing.T) {
	if err := Use("generic"); err != nil {
		t.Fatal(err)
	}
	if got := Active().Name(); got != "generic" {
		t.Errorf("Active() = %s after Use(generic)", got)
	}
	if err := Use("no-such-isa"); err == nil {
		t.Error("Use of an unknown ISA succeeded")
	}
	if got := Active().Name(); got != "generic" {
		t.Errorf("a failed Use changed the active implementation to %s", got)
	}
}

func TestCPUFeatures(t *testing.T) {
	// AVX-512 F+DQ+BW+VL implies AVX2 and FMA on every CPU that has it.
	if HasAVX512() && !HasAVX2FMA() {
		t.Error("HasAVX512 without HasAVX2FMA")
	}
}

// TestEnvSelection checks the start-up selection end to end: a fresh
// process with SGDCLAIMS_ISA set runs TestEnvChild, which reports what it
// got.
func TestEnvSelection(t *testing.T) {
	for _, c := range []struct{ env, want, envErr string }{
		{"generic", "active=generic err=<nil>", ""},
		{"sse9", "", "SGDCLAIMS_ISA: unknown ISA \"sse9\""},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvChild$", "-test.v")
		cmd.Env = append(os.Environ(), "SGDCLAIMS_ISA="+c.env, "KERNELS_ENV_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("SGDCLAIMS_ISA=%s: child failed: %v\n%s", c.env, err, out)
		}
		if c.want != "" && !strings.Contains(string(out), c.want) {
			t.Errorf("SGDCLAIMS_ISA=%s: child reported\n%s\nwant %q", c.env, out, c.want)
		}
		if c.envErr != "" {
			best := "active=" + All()[0].Name()
			if !strings.Contains(string(out), best) || !strings.Contains(string(out), c.envErr) {
				t.Errorf("SGDCLAIMS_ISA=%s: child reported\n%s\nwant %q and error %q", c.env, out, best, c.envErr)
			}
		}
	}
}

// TestEnvChild prints the start-up selection; it runs only as the child of
// TestEnvSelection, before anything else in its process calls Active.
func TestEnvChild(t *testing.T) {
	if os.Getenv("KERNELS_ENV_CHILD") == "" {
		t.Skip("runs only as the child of TestEnvSelection")
	}
	t.Logf("active=%s err=%v", Active().Name(), EnvError())
}
