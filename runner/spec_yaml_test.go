package runner_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/runner"
)

// expandFile parses a spec file's content by name and expands it.
func expandFile(t *testing.T, name, text string) (*runner.Spec, []runner.Run) {
	t.Helper()
	s, err := runner.ParseSpecFile(name, []byte(text))
	if err != nil {
		t.Fatalf("%s: ParseSpecFile: %v", name, err)
	}
	runs, err := s.Expand()
	if err != nil {
		t.Fatalf("%s: Expand: %v", name, err)
	}
	return s, runs
}

func sameRuns(t *testing.T, what string, got, want []runner.Run) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d runs, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Index != w.Index || g.ID != w.ID || g.Label != w.Label || g.Kind != w.Kind || !bytes.Equal(g.Config, w.Config) {
			t.Errorf("%s: run %d is %d %s %q %s, want %d %s %q %s", what, i, g.Index, g.ID, g.Label, g.Config, w.Index, w.ID, w.Label, w.Config)
		}
	}
}

func TestSpecYAMLMatchesJSON(t *testing.T) {
	const js = `{
  "kind": "test-sleep",
  "base": {"sleep_ms": 0},
  "grid": {"n": [5, 6, 7], "diverge": [false, true]}
}`
	const ym = `# the same grid as the JSON one
kind: test-sleep
base:
  sleep_ms: 0
grid:
  n: [5, 6, 7]
  diverge:
    - false
    - true
`
	sj, rj := expandFile(t, "grid.json", js)
	for _, name := range []string{"grid.yaml", "grid.yml", "GRID.YAML"} {
		sy, ry := expandFile(t, name, ym)
		sameRuns(t, name, ry, rj)
		if !bytes.Equal(sy.Raw, sj.Raw) {
			t.Errorf("%s: Raw is %s, want %s", name, sy.Raw, sj.Raw)
		}
	}
	if len(rj) != 6 || rj[1].Label != "n=5 diverge=true" {
		t.Errorf("run 1 is %q of %d, want n=5 diverge=true of 6", rj[1].Label, len(rj))
	}

	// A train grid: compare the parsed spec (Expand would load MNIST).
	const tj = `{"kind": "train",
  "base": {"model": "mlp:784-128-10", "epochs": 5, "val_examples": 5000, "lambda_max_examples": 1000},
  "grid": {"lr": [0.05, 1e-1, 0.2], "batch": [32, 128], "seed": [1, 2, 3]}}`
	const ty = `kind: train
base:
  model: mlp:784-128-10
  epochs: 5
  val_examples: 5000
  lambda_max_examples: 1000
grid:
  lr: [0.05, 1e-1, 0.2]
  batch: [32, 128]
  seed: [1, 2, 3]
`
	a, err := runner.ParseSpecFile("t.json", []byte(tj))
	if err != nil {
		t.Fatal(err)
	}
	b, err := runner.ParseSpecFile("t.yaml", []byte(ty))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Raw, b.Raw) {
		t.Errorf("train: YAML Raw %s, want %s", b.Raw, a.Raw)
	}
}

// The example of the package documentation.
func TestSpecYAMLDocExample(t *testing.T) {
	const j = `{
  "kind": "train",
  "base": {"model": "mlp:784-128-10", "epochs": 5, "val_examples": 5000,
           "lambda_max_examples": 1000},
  "grid": {"lr": [0.05, 0.1, 0.2], "batch": [32, 128], "seed": [1, 2, 3]}
}`
	const y = `kind: train
base:
  model: mlp:784-128-10
  epochs: 5
  val_examples: 5000
  lambda_max_examples: 1000
grid:                      # keys in this order: lr slowest, seed fastest
  lr: [0.05, 0.1, 0.2]
  batch: [32, 128]
  seed: [1, 2, 3]
`
	sj, err := runner.ParseSpecFile("grid.json", []byte(j))
	if err != nil {
		t.Fatal(err)
	}
	sy, err := runner.ParseSpecFile("grid.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sj.Raw, sy.Raw) || sy.Size() != 18 {
		t.Errorf("YAML %s (%d runs), want %s (18)", sy.Raw, sy.Size(), sj.Raw)
	}
	_, err = runner.ParseSpecFile("grid.yaml", []byte(strings.Replace(y, "0.1,", "x,", 1)))
	if want := "grid.lr[1]: want a number, got string (line 8)"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// The JSON path is ParseSpec's, whatever the name (JSON is also YAML, but
// it is not read as YAML).
func TestParseSpecFileJSONUnchanged(t *testing.T) {
	for _, spec := range []string{
		`{"kind":"test-sleep","grid":{"n":[1,2]}}`,
		`{"kind":"test-sleep","grid":{"n":[1,"x"]}}`,
		`{"kind":"test-sleep","grid":{"n":[1]}} {}`,
		`kind: test-sleep`,
		``,
	} {
		for _, name := range []string{"a.json", "spec", "-", "a.yaml.json", "a.txt"} {
			s1, err1 := runner.ParseSpec([]byte(spec))
			s2, err2 := runner.ParseSpecFile(name, []byte(spec))
			if fmt.Sprint(err1) != fmt.Sprint(err2) || (s1 == nil) != (s2 == nil) || s1 != nil && !bytes.Equal(s1.Raw, s2.Raw) {
				t.Errorf("%s %q: ParseSpecFile gives %v, ParseSpec %v", name, spec, err2, err1)
			}
		}
	}
}

func TestSpecYAMLKeyOrder(t *testing.T) {
	_, runs := expandFile(t, "o.yaml", "kind: test-sleep\ngrid:\n  sleep_ms: [1, 2]\n  n: [5, 6]\n")
	want := "sleep_ms=1 n=5|sleep_ms=1 n=6|sleep_ms=2 n=5|sleep_ms=2 n=6"
	var labels []string
	for _, r := range runs {
		labels = append(labels, r.Label)
	}
	if got := strings.Join(labels, "|"); got != want {
		t.Errorf("order:\n got %s\nwant %s", got, want)
	}
	_, runs = expandFile(t, "o.yaml", "grid: {n: [5, 6], sleep_ms: [1, 2]}\nkind: test-sleep\n")
	if runs[1].Label != "n=5 sleep_ms=2" {
		t.Errorf("run 1 is %q, want n=5 sleep_ms=2", runs[1].Label)
	}
}

// YAML's own spellings of values become the JSON values they mean; JSON
// numbers keep the text written.
func TestSpecYAMLScalars(t *testing.T) {
	const y = `kind: train
base:
  model: "mlp:784-16-10"
  data: 2001-12-14
  lr_schedule: 'const'
  epochs: 0x3
  batch: 1_024
  train_examples: !!int "2000"
  momentum: .9
  weight_decay: 5.
  dropout: !!float 0
  label_noise: 1e-2
grid:
  seed: [+1, 0o7, 12345678901234567890]
  lr: [1e-3, 0.10, -.5E+1]
`
	s, err := runner.ParseSpecFile("s.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"train","base":{"model":"mlp:784-16-10","data":"2001-12-14","lr_schedule":"const","epochs":3,"batch":1024,` +
		`"train_examples":2000,"momentum":0.9,"weight_decay":5.0,"dropout":0.0,"label_noise":1e-2},` +
		`"grid":{"seed":[1,7,12345678901234567890],"lr":[1e-3,0.10,-5.0]}}`
	if string(s.Raw) != want {
		t.Errorf("Raw:\n got %s\nwant %s", s.Raw, want)
	}
	// A YAML float is not an integer, however it is spelt.
	_, err = runner.ParseSpecFile("s.yaml", []byte("kind: test-sleep\ngrid: {n: [5.]}\n"))
	if err == nil || !strings.Contains(err.Error(), "grid.n[0]: want an integer, got number 5.0") {
		t.Errorf("5. as an integer: %v", err)
	}
	// Strings without HTML escapes, special characters intact.
	s, err = runner.ParseSpecFile("s.yaml", []byte("kind: train\nbase: {data: \"a<b>&\\u00e9\\n\"}\ngrid: {seed: [1]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(s.Raw), `"data":"a<b>&é\n"`) {
		t.Errorf("Raw %s", s.Raw)
	}
}

func TestSpecYAMLAliases(t *testing.T) {
	const y = `kind: test-sleep
base: {sleep_ms: &zero 0}
grid:
  n: [*zero, 1, &two 2]
  diverge: &bools [false, true]
  fail: *bools
`
	const j = `{"kind":"test-sleep","base":{"sleep_ms":0},"grid":{"n":[0,1,2],"diverge":[false,true],"fail":[false,true]}}`
	_, ry := expandFile(t, "a.yaml", y)
	_, rj := expandFile(t, "a.json", j)
	sameRuns(t, "aliases", ry, rj)
}

// yamlBomb nests ten aliases of the level below, levels deep.
func yamlBomb(levels int) string {
	var b strings.Builder
	b.WriteString("kind: test-sleep\nl0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

var yamlErrorCases = []struct{ name, spec, want string }{
	{"unknown top field", "kind: test-sleep\ngrid: {n: [1]}\nextra: 1\n", "extra: unknown field (line 3)"},
	{"unknown base field", "kind: test-sleep\nbase:\n  nn: 1\ngrid: {n: [1]}\n", "base.nn: unknown field (known: n, sleep_ms, diverge, fail, spin, seed) (line 3)"},
	{"unknown grid field", "kind: test-sleep\ngrid:\n  n: [1]\n  lrr: [0.1]\n", "grid.lrr: unknown field"},
	{"wrong type", "kind: train\ngrid:\n  lr:\n    - 0.1\n    - 0.2\n    - x\n", "grid.lr[2]: want a number, got string (line 6)"},
	{"yes is a string", "kind: test-sleep\ngrid: {n: [1], diverge: [yes]}\n", "grid.diverge[0]: want true or false, got string"},
	{"quoted number", "kind: test-sleep\nbase: {sleep_ms: \"5\"}\ngrid: {n: [1]}\n", "base.sleep_ms: want an integer, got string"},
	{"not a list", "kind: test-sleep\ngrid: {n: 1}\n", "grid.n: want a list of values, got number"},
	{"empty grid", "kind: test-sleep\ngrid: {}\n", "grid: empty"},
	{"null grid", "kind: test-sleep\ngrid:\n", "grid: missing"},
	{"no grid", "kind: test-sleep\n", "grid: missing"},
	{"empty list", "kind: test-sleep\ngrid:\n  n: []\n", "grid.n: empty list"},
	{"null value", "kind: test-sleep\ngrid:\n  n: [1, ~]\n", "grid.n[1]: null is not a value"},
	{"both", "kind: test-sleep\nbase: {n: 1}\ngrid:\n  n: [1]\n", "grid.n: also set in base; set it in one place (line 4)"},
	{"unknown kind", "kind: trian\ngrid: {n: [1]}\n", `kind: unknown kind "trian"`},
	{"duplicate grid key", "kind: test-sleep\ngrid:\n  n: [1]\n  sleep_ms: [1]\n  n: [2]\n", "grid.n: given twice (lines 3 and 5)"},
	{"duplicate top key", "kind: test-sleep\nkind: train\ngrid: {n: [1]}\n", "kind: given twice (lines 1 and 2)"},
	{"duplicate base key", "kind: test-sleep\nbase: {sleep_ms: 1, sleep_ms: 2}\ngrid: {n: [1]}\n", "base.sleep_ms: given twice"},
	{"inf", "kind: train\ngrid:\n  lr: [0.1, .inf]\n", `grid.lr[1]: ".inf" is not a finite number; a spec cannot hold it (line 3)`},
	{"minus inf", "kind: train\nbase:\n  lr: -.Inf\ngrid: {seed: [1]}\n", `base.lr: "-.Inf" is not a finite number`},
	{"nan", "kind: train\ngrid:\n  lr:\n    - .nan\n", `grid.lr[0]: ".nan" is not a finite number; a spec cannot hold it (line 4)`},
	{"custom tag", "kind: test-sleep\ngrid:\n  n: [!foo 1]\n", "grid.n[0]: tag !foo is not supported"},
	{"custom tag on a mapping", "kind: test-sleep\ngrid: !foo {n: [1]}\n", "grid: tag !foo is not supported on a mapping (line 2)"},
	{"custom tag on a list", "kind: test-sleep\ngrid: {n: !foo [1]}\n", "grid.n: tag !foo is not supported on a list"},
	{"binary", "kind: test-sleep\nbase: {sleep_ms: !!binary aGVsbG8=}\ngrid: {n: [1]}\n", "base.sleep_ms: tag !!binary is not supported"},
	{"set", "kind: test-sleep\ngrid: !!set {n: [1]}\n", "grid: tag !!set is not supported"},
	{"bad int", "kind: test-sleep\ngrid: {n: [!!int x]}\n", `grid.n[0]: cannot read "x" as !!int (line 2)`},
	{"two documents", "kind: test-sleep\ngrid: {n: [1]}\n---\nkind: test-sleep\ngrid: {n: [2]}\n", "a second YAML document starts on line 3"},
	{"two documents, second empty", "kind: test-sleep\ngrid: {n: [1]}\n---\n", "a second YAML document"},
	{"syntax", "kind: test-sleep\ngrid: {n: [1}\n", "line 2: did not find expected ',' or ']'"},
	{"syntax on line 1", "grid: {n: [1}\nkind: test-sleep\n", "line 1: did not find expected ',' or ']'"},
	{"syntax indentation", "kind: test-sleep\ngrid:\n  n: [1]\n bad: 2\n", "line 4: did not find expected key"},
	{"syntax list in a mapping", "kind: test-sleep\n- 1\n", "line 2: did not find expected key"},
	{"syntax missing colon", "kind: test-sleep\ngrid\nbase: {}\n", "line 2: could not find expected ':'"},
	{"syntax nested mapping", "kind: test-sleep: 1\n", "line 1: mapping values are not allowed in this context"},
	{"syntax unclosed quote", "kind: test-sleep\ngrid: {n: [1]}\nbase: {data: \"x}\n", "line 3: found unexpected end of stream"},
	{"tab", "kind: test-sleep\ngrid:\n\tn: [1]\n", "line 3: found character that cannot start any token"},
	{"control character", "kind: test-sleep\ngrid: {n: [1]}\nbase: {data: \x01}\n", "line 3: control characters are not allowed"},
	{"bad UTF-8", "kind: test-sleep\n\ngrid: {n: [1]}\nbase: {data: \xff}\n", "line 4: invalid leading UTF-8 octet"},
	{"unknown anchor", "kind: test-sleep\ngrid: {n: [*nope]}\n", "unknown anchor 'nope'"},
	{"empty", "", "empty: want a JSON object"},
	{"only a comment", "# nothing here\n\n", "empty: want a JSON object"},
	{"only spaces", "  \n\n", "empty: want a JSON object"},
	{"a list", "- 1\n- 2\n", "want an object, got array"},
	{"a scalar", "train\n", "want an object, got string"},
	{"merge key", "kind: test-sleep\nb: &b {n: [1]}\ngrid:\n  <<: *b\n", "grid: merge keys (<<) are not supported; write the fields out (line 4)"},
	{"list key", "kind: test-sleep\ngrid:\n  ? [n]\n  : [1]\n", "grid: a key must be a plain value, got a list (line 3)"},
	{"null key", "kind: test-sleep\ngrid: {~: [1]}\n", "grid: a key must not be null or empty"},
	{"control key", "kind: test-sleep\ngrid: {\"n\\nx\": [1]}\n", `grid: key "n\nx" holds a control character`},
	{"self alias", "kind: test-sleep\ngrid: &g {n: [1], m: *g}\n", "grid.m.m: alias *g refers to a node that contains it (line 2)"},
	{"alias bomb", yamlBomb(9), "the spec expands to more than 1048576 values or 16 MiB of JSON (through aliases?)"},
	{"deep", "kind: test-sleep\ngrid: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n", "nested more than 64 levels deep"},
}

func TestSpecYAMLErrors(t *testing.T) {
	for _, c := range yamlErrorCases {
		s, err := runner.ParseSpecFile("bad.yaml", []byte(c.spec))
		if err == nil {
			_, err = s.Expand()
		}
		if err == nil {
			t.Errorf("%s: no error, want %q", c.name, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("%s:\n got %q\nwant one line containing %q", c.name, err, c.want)
		}
	}
}

func FuzzParseSpecYAML(f *testing.F) {
	for _, c := range yamlErrorCases {
		if c.name != "alias bomb" { // slow to fuzz from; kept in the table
			f.Add([]byte(c.spec))
		}
	}
	f.Add([]byte("kind: test-sleep\nbase:\n  sleep_ms: 0\ngrid:\n  n: [5, 6, 7]\n  diverge: [false, true]\n"))
	f.Add([]byte("kind: test-sleep\nbase: {sleep_ms: &zero 0}\ngrid:\n  n: [*zero, 1]\n  diverge: &b [false, true]\n  fail: *b\n"))
	f.Add([]byte(`{"kind": "test-sleep", "grid": {"n": [1, 2]}}`))
	f.Add([]byte("kind: train\nbase: {model: \"mlp:784-16-10\", epochs: 0x3, momentum: .9}\ngrid: {lr: [1e-3, +0.5], seed: [1, 2]}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := runner.ParseSpecFile("fuzz.yaml", b)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error on more than one line: %q", err)
			}
			return
		}
		if !json.Valid(s.Raw) {
			t.Errorf("Raw is not JSON: %q", s.Raw)
		}
		if len(s.Grid) == 0 {
			t.Errorf("a spec without a grid passed")
		}
	})
}
