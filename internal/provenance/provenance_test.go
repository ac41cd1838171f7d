package provenance

import (
	"os/exec"
	"strings"
	"testing"
)

func TestCurrentNamesTheCheckedOutCommit(t *testing.T) {
	want, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("no git repository here: %v", err)
	}
	in := Current()
	if in.Revision != strings.TrimSpace(string(want)) {
		t.Fatalf("Current() = %+v, git says HEAD is %s", in, want)
	}
	if in.Source != "git" && in.Source != "build info" {
		t.Errorf("source %q", in.Source)
	}
}

func TestString(t *testing.T) {
	for _, c := range []struct {
		in   Info
		want string
	}{
		{Info{}, "unknown"},
		{Info{Revision: "0123456789abcdef0123"}, "0123456789ab"},
		{Info{Revision: "0123456789abcdef0123", Dirty: true}, "0123456789ab+dirty"},
	} {
		if got := c.in.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.in, got, c.want)
		}
	}
}
