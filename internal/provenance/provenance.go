package provenance

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
)

// Info is the source of a build.
type Info struct {
	// Revision is the commit hash, "" when unknown (a build outside a
	// repository).
	Revision string `json:"revision"`
	// Dirty is true when tracked files differed from the commit.
	Dirty bool `json:"dirty"`
	// Source says how it was found: "build info" (stamped by go build),
	// "git" (asked at run time, for go run and go test binaries, which the
	// toolchain does not stamp) or "unknown".
	Source string `json:"source"`
}

// String is "3fa9c1e2b4d0" or "3fa9c1e2b4d0+dirty", "unknown" when there is
// no revision.
func (i Info) String() string {
	if i.Revision == "" {
		if strings.HasPrefix(i.Source, "units from") {
			return i.Source
		}
		return "unknown"
	}
	r := i.Revision
	if len(r) > 12 {
		r = r[:12]
	}
	if i.Dirty {
		r += "+dirty"
	}
	return r
}

var (
	once    sync.Once
	current Info
)

// Current returns the provenance of the running binary, found once.
func Current() Info {
	once.Do(func() { current = find() })
	return current
}

func find() Info {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var in Info
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Revision = s.Value
			case "vcs.modified":
				in.Dirty = s.Value == "true"
			}
		}
		if in.Revision != "" {
			in.Source = "build info"
			return in
		}
	}
	if in, ok := fromGit(); ok {
		return in
	}
	return Info{Source: "unknown"}
}

// fromGit asks git about the repository holding the working directory's
// module (go run and go test build without VCS stamps).
func fromGit() (Info, bool) {
	dir, ok := moduleRoot()
	if !ok {
		return Info{}, false
	}
	rev, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return Info{}, false
	}
	st, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil {
		return Info{}, false
	}
	return Info{Revision: strings.TrimSpace(string(rev)), Dirty: len(strings.TrimSpace(string(st))) > 0, Source: "git"}, true
}

func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", false
		}
		dir = up
	}
}
