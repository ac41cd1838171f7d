package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sgdclaims/sgdclaims/runner"
)

// plan writes a sweep from spec text into a fresh directory and opens it.
func plan(t *testing.T, dir, spec string) *runner.Sweep {
	t.Helper()
	s, err := runner.ParseSpec([]byte(spec))
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	runs, err := s.Expand()
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	if _, err := runner.WritePlan(dir, "test", s.Raw, runs, false); err != nil {
		t.Fatalf("WritePlan: %v", err)
	}
	sw, err := runner.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return sw
}

func sleepSpec(n, ms int) string {
	var ns []string
	for i := 0; i < n; i++ {
		ns = append(ns, fmt.Sprint(i))
	}
	return fmt.Sprintf(`{"kind":"test-sleep","base":{"sleep_ms":%d},"grid":{"n":[%s]}}`, ms, strings.Join(ns, ","))
}

// deterministic returns every run's Result.Deterministic bytes by index, and
// fails unless every run is finished.
func deterministic(t *testing.T, s *runner.Sweep) [][]byte {
	t.Helper()
	var out [][]byte
	for _, rs := range s.Status().Runs {
		if !rs.State.Finished() {
			t.Fatalf("run %d: %v (%v)", rs.Run.Index, rs.State, rs.Err)
		}
		out = append(out, rs.Result.Deterministic())
	}
	return out
}

func TestIDIsCanonical(t *testing.T) {
	a, _, err := runner.NewRun("train", json.RawMessage(`{"model":"mlp:784-16-10","lr":0.1,"batch":32,"epochs":1,"seed":3}`))
	if err != nil {
		t.Fatal(err)
	}
	// Same run: other key order, defaults spelt out, whitespace.
	b, _, err := runner.NewRun("train", json.RawMessage(`{ "seed":3, "epochs":1, "batch":32, "lr_schedule":"const",
		"data":"mnist", "lr":0.1, "model":"mlp:784-16-10", "dropout":0 }`))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || !bytes.Equal(a.Config, b.Config) {
		t.Errorf("same configuration, different ids %s %s or configs\n%s\n%s", a.ID, b.ID, a.Config, b.Config)
	}
	c, _, _ := runner.NewRun("train", json.RawMessage(`{"model":"mlp:784-16-10","lr":0.2,"batch":32,"epochs":1,"seed":3}`))
	if c.ID == a.ID {
		t.Errorf("lr 0.1 and 0.2 share id %s", a.ID)
	}
	if !runner.ValidID(a.ID) || a.ID != runner.IDOf("train", a.Config) {
		t.Errorf("id %s is not IDOf its config", a.ID)
	}
	// Pinned: an ID must not change between versions for the same config,
	// or every stored sweep would be redone.
	if a.ID != "a2be296ca651af62" {
		t.Errorf("id of the reference config is %s, was a2be296ca651af62: stored sweeps would be redone", a.ID)
	}
}

func TestSpecOrderAndLabels(t *testing.T) {
	s, err := runner.ParseSpec([]byte(`{"kind":"test-sleep","grid":{"n":[5,6],"sleep_ms":[1,2,3]}}`))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for i, r := range runs {
		if r.Index != i {
			t.Errorf("run %d has index %d", i, r.Index)
		}
		labels = append(labels, r.Label)
	}
	want := "n=5 sleep_ms=1|n=5 sleep_ms=2|n=5 sleep_ms=3|n=6 sleep_ms=1|n=6 sleep_ms=2|n=6 sleep_ms=3"
	if got := strings.Join(labels, "|"); got != want {
		t.Errorf("order:\n got %s\nwant %s", got, want)
	}
	// Key order in the file decides: sleep_ms first now varies slowest.
	s, _ = runner.ParseSpec([]byte(`{"kind":"test-sleep","grid":{"sleep_ms":[1,2],"n":[5,6]}}`))
	runs, _ = s.Expand()
	if runs[1].Label != "sleep_ms=1 n=6" {
		t.Errorf("run 1 is %q, want sleep_ms=1 n=6", runs[1].Label)
	}
}

func TestSpecErrorsNameTheField(t *testing.T) {
	base := `"model":"mlp:784-16-10","epochs":1,"train_examples":1000`
	cases := []struct{ spec, want string }{
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[0.1]},"extra":1}`, `extra: unknown field`},
		{`{"kind":"train","base":{` + base + `,"batch":8,"lrr":1},"grid":{"lr":[0.1]}}`, `base.lrr: unknown field`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lrr":[0.1]}}`, `grid.lrr: unknown field`},
		{`{"kind":"train","base":{` + base + `,"batch":"8"},"grid":{"lr":[0.1]}}`, `base.batch: want an integer, got string`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[0.1,"x"]}}`, `grid.lr[1]: want a number, got string`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":0.1}}`, `grid.lr: want a list of values, got number`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{}}`, `grid: empty`},
		{`{"kind":"train","base":{` + base + `,"batch":8}}`, `grid: missing`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[]}}`, `grid.lr: empty list`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[0.1,0.2,-0.1]}}`, `grid.lr[2]: must be > 0`},
		{`{"kind":"train","base":{` + base + `,"lr":0.1},"grid":{"batch":[8,2000]}}`, `grid.batch[1]: batch size 2000 at epoch 1 exceeds the 1000 training examples`},
		{`{"kind":"train","base":{` + base + `,"batch":8,"dropout":1.5},"grid":{"lr":[0.1]}}`, `base.dropout: must be in [0, 1)`},
		{`{"kind":"train","base":{"epochs":1,"batch":8},"grid":{"lr":[0.1]}}`, `base.model: required`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[0.1],"lr":[0.2]}}`, `grid.lr: given twice`},
		{`{"kind":"train","base":{` + base + `,"batch":8,"lr":0.1},"grid":{"lr":[0.1]}}`, `grid.lr: also set in base`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[0.1,0.1]}}`, `grid: runs 0 (lr=0.1) and 1 (lr=0.1) are the same configuration`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[null]}}`, `grid.lr[0]: null is not a value`},
		{`{"kind":"trian","grid":{"lr":[0.1]}}`, `kind: unknown kind "trian"`},
		{`{"kind":"train","kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[0.1]}}`, `kind: given twice`},
		{`{"kind":"train","base":{` + base + `,"batch":8,"a\nb":1},"grid":{"lr":[0.1]}}`, `"base.a\nb": unknown field`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[0.1]`, `truncated JSON`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"lr":[0.1]}} {}`, `unexpected data after the JSON value`},
		{`{"kind":"train","base":{` + base + `,"batch":8},"grid":{"seed":[-1]}}`, `grid.seed[0]: want a non-negative integer, got number -1`},
		{`{"kind":"train","base":{"epochs":1,"batch":8},"grid":{"model":["mlp:784-16-10","mlp:784-x-10"],"lr":[0.1]}}`, `grid.model[1]: `},
		{`{"kind":"train","base":{"epochs":1,"batch":8,"model":"mlp:100-10"},"grid":{"lr":[0.1]}}`, `base.model: mlp:100-10 takes 100 inputs, the data have 784`},
	}
	for _, c := range cases {
		s, err := runner.ParseSpec([]byte(c.spec))
		if err == nil {
			_, err = s.Expand()
		}
		if err == nil {
			t.Errorf("%s: no error, want %q", c.spec, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s:\n got %q\nwant one line containing %q", c.spec, err, c.want)
		}
	}
	if _, err := runner.ParseSpec([]byte(`{"kind":"train","grid":{"seed":[1]}} `)); err != nil {
		t.Errorf("trailing space refused: %v", err)
	}
}

func TestResumeSkipsFinishedAndRedoesCorrupt(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	t.Setenv("RUNNER_TEST_LOG", log)
	s := plan(t, dir, sleepSpec(6, 0))
	sum, err := s.Execute(context.Background(), runner.All(6), runner.Options{Workers: 2})
	if err != nil || sum.Ran != 6 {
		t.Fatalf("first pass: %+v, %v", sum, err)
	}
	want := deterministic(t, s)

	// Damage three results three ways: truncated, one byte changed (the
	// JSON stays valid, the checksum catches it), another run's result.
	runs := s.Runs()
	path := func(i int) string { return filepath.Join(dir, "results", runs[i].ID+".json") }
	b, _ := os.ReadFile(path(1))
	os.WriteFile(path(1), b[:len(b)/2], 0o644)
	b, _ = os.ReadFile(path(2))
	os.WriteFile(path(2), bytes.Replace(b, []byte(`"square": 4`), []byte(`"square": 5`), 1), 0o644)
	b, _ = os.ReadFile(path(4))
	os.WriteFile(path(3), b, 0o644)

	st := s.Status()
	if st.Count(runner.Corrupt) != 3 || st.Count(runner.Done) != 3 {
		t.Fatalf("status after damage: %v", st.Summary())
	}
	for _, i := range []int{1, 2, 3} {
		if st.Runs[i].State != runner.Corrupt {
			t.Errorf("run %d: %v, want corrupt", i, st.Runs[i].State)
		}
	}
	os.Remove(log)
	var redo []int
	sum, err = s.Execute(context.Background(), runner.All(6), runner.Options{Workers: 2, Events: func(e runner.Event) {
		if e.Type == runner.Redo {
			redo = append(redo, e.Run.Index)
		}
	}})
	if err != nil || sum.Ran != 3 || sum.Skipped != 3 || sum.Redone != 3 {
		t.Fatalf("resume: %+v, %v", sum, err)
	}
	if got := readLog(t, log); got != "start 1,start 2,start 3" {
		t.Errorf("resume executed %q, want the three damaged runs once each", got)
	}
	if got := deterministic(t, s); !equalBytes(got, want) {
		t.Errorf("redone results differ from the originals")
	}
	if _, err := os.Stat(path(1) + ".corrupt"); err != nil {
		t.Errorf("corrupt file not kept aside: %v", err)
	}
	// A third pass does nothing.
	os.Remove(log)
	sum, err = s.Execute(context.Background(), runner.All(6), runner.Options{})
	if err != nil || sum.Ran != 0 || sum.Skipped != 6 {
		t.Errorf("third pass: %+v, %v", sum, err)
	}
}

func readLog(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	lines := strings.Fields(strings.ReplaceAll(string(b), "start ", "start_"))
	slices.Sort(lines)
	return strings.ReplaceAll(strings.Join(lines, ","), "start_", "start ")
}

func equalBytes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestDivergedAndFailedRuns(t *testing.T) {
	dir := t.TempDir()
	s := plan(t, dir, `{"kind":"test-sleep","grid":{"n":[1,2,3],"diverge":[false,true],"fail":[false,true]}}`)
	sum, err := s.Execute(context.Background(), runner.All(s.Len()), runner.Options{Workers: 3})
	if err == nil || sum.Failed != 6 || sum.Ran != 6 || sum.Diverged != 3 {
		t.Fatalf("got %+v, %v; want 6 failed, 6 ran of which 3 diverged", sum, err)
	}
	st := s.Status()
	if st.Count(runner.Diverged) != 3 || st.Count(runner.Missing) != 6 {
		t.Errorf("status: %v", st.Summary())
	}
	// Diverged runs are finished: not redone. Failed ones are retried.
	sum, _ = s.Execute(context.Background(), runner.All(s.Len()), runner.Options{})
	if sum.Skipped != 6 || sum.Failed != 6 {
		t.Errorf("second pass: %+v", sum)
	}
}

func TestInterruptLeavesNoPartialResult(t *testing.T) {
	dir := t.TempDir()
	s := plan(t, dir, sleepSpec(6, 300))
	// Drain after the first start: the two running runs finish, no other
	// run starts.
	drain := make(chan struct{})
	var once sync.Once
	sum, err := s.Execute(context.Background(), runner.All(6), runner.Options{Workers: 2, Drain: drain, Events: func(e runner.Event) {
		if e.Type == runner.Started {
			once.Do(func() { close(drain) })
		}
	}})
	if !errors.Is(err, runner.ErrInterrupted) || sum.Ran < 1 || sum.Ran > 2 || sum.NotStarted != 6-sum.Ran {
		t.Fatalf("drain: %+v, %v", sum, err)
	}
	// Cancel while running: the running runs are abandoned.
	ctx, cancel := context.WithCancel(context.Background())
	sum, err = s.Execute(ctx, runner.All(6), runner.Options{Workers: 2, Events: func(e runner.Event) {
		if e.Type == runner.Started {
			time.AfterFunc(50*time.Millisecond, cancel)
		}
	}})
	if !errors.Is(err, runner.ErrInterrupted) || sum.Abandoned == 0 || sum.Ran != 0 {
		t.Fatalf("cancel: %+v, %v", sum, err)
	}
	st := s.Status()
	if st.Count(runner.Corrupt) != 0 || len(st.Temps) != 0 {
		t.Errorf("partial files left: %v", st.Summary())
	}
	if _, err := s.Execute(context.Background(), runner.All(6), runner.Options{Workers: 3}); err != nil {
		t.Fatal(err)
	}
	if !s.Status().Complete() {
		t.Error("not complete after resume")
	}
}

// TestShardsEqualSingleProcess trains six tiny MNIST models (1000 examples,
// one epoch, lambda_max on 200 examples): once as one sweep with two
// workers, once as three shards run in reverse order, one of them with
// GOMAXPROCS 1. Every result must be identical byte for byte.
func TestShardsEqualSingleProcess(t *testing.T) {
	// (No validation split: it copies the whole training file per run,
	// which would dominate this test's time.)
	spec := `{"kind":"train","base":{"model":"mlp:784-16-10","epochs":1,"batch":50,"train_examples":1000,"momentum":0.9,
		"lambda_max_examples":200,"trace_budget":12},"grid":{"lr":[0.05,0.1],"seed":[1,2,3]}}`
	one := plan(t, t.TempDir(), spec)
	if _, err := one.Execute(context.Background(), runner.All(6), runner.Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	sharded := plan(t, t.TempDir(), spec)
	for _, i := range []int{2, 1, 0} {
		if i == 1 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		}
		// A fresh Open per shard, as separate processes would.
		s, err := runner.Open(sharded.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Execute(context.Background(), runner.Shard(6, i, 3), runner.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := deterministic(t, one), deterministic(t, sharded)
	if !equalBytes(a, b) {
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				t.Errorf("run %d differs:\n%s\n%s", i, a[i], b[i])
			}
		}
	}
	var rec runner.TrainRecord
	r, _, _ := one.Load(one.Runs()[0])
	if err := json.Unmarshal(r.Record, &rec); err != nil || rec.LambdaMax == nil || rec.Trace == nil || len(rec.Epochs) != 1 {
		t.Errorf("train record incomplete: %v %+v", err, rec)
	}
}

func TestTrainDivergenceIsRecorded(t *testing.T) {
	s := plan(t, t.TempDir(), `{"kind":"train","base":{"model":"mlp:784-16-10","epochs":1,"batch":50,"train_examples":1000,
		"lambda_max_examples":100},"grid":{"lr":[1e20]}}`)
	sum, err := s.Execute(context.Background(), runner.All(1), runner.Options{})
	if err != nil || sum.Diverged != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	r, st, err := s.Load(s.Runs()[0])
	if err != nil || st != runner.Diverged || !r.Diverged || r.DivergedStep < 1 {
		t.Fatalf("stored: %v %v %+v", st, err, r)
	}
}

// TestKill9ThenResume runs a sweep in a child process, kills it with
// SIGKILL once two results exist, and runs the sweep again: every run
// finished before the kill is not run again, no file is corrupt, and the
// results equal an uninterrupted sweep's.
func TestKill9ThenResume(t *testing.T) {
	if os.Getenv("RUNNER_TEST_HELPER_DIR") != "" {
		t.Skip("helper mode")
	}
	const n, ms = 10, 120
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	s := plan(t, dir, sleepSpec(n, ms))
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSweep$")
	cmd.Env = append(os.Environ(), "RUNNER_TEST_HELPER_DIR="+dir, "RUNNER_TEST_LOG="+log)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.Status().Count(runner.Done) < 2 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child made no progress")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill() // SIGKILL: no chance to clean up
	cmd.Wait()
	st := s.Status()
	doneAtKill := map[string]bool{}
	for _, r := range st.Runs {
		if r.State == runner.Done {
			doneAtKill[fmt.Sprint(r.Run.Index)] = true
		}
	}
	if st.Count(runner.Corrupt) != 0 || st.Complete() {
		t.Fatalf("after kill: %v", st.Summary())
	}
	os.Remove(log)
	t.Setenv("RUNNER_TEST_LOG", log)
	if _, err := s.Execute(context.Background(), runner.All(n), runner.Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(mustRead(t, log)), "\n") {
		if doneAtKill[strings.TrimPrefix(line, "start ")] {
			t.Errorf("%q after the kill: that run had finished before it", line)
		}
	}
	clean := plan(t, t.TempDir(), sleepSpec(n, 0))
	if _, err := clean.Execute(context.Background(), runner.All(n), runner.Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	got, want := deterministic(t, s), deterministic(t, clean)
	// The sleep differs between the two plans, so compare the records.
	for i := range got {
		var a, b runner.Result
		json.Unmarshal(got[i], &a)
		json.Unmarshal(want[i], &b)
		if !bytes.Equal(a.Record, b.Record) || a.Diverged != b.Diverged {
			t.Errorf("run %d: %s, uninterrupted %s", i, a.Record, b.Record)
		}
	}
	if st := s.Status(); st.Count(runner.Corrupt) != 0 || !st.Complete() {
		t.Errorf("final: %v", st.Summary())
	}
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHelperSweep is the child process of TestKill9ThenResume.
func TestHelperSweep(t *testing.T) {
	dir := os.Getenv("RUNNER_TEST_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := runner.Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s.Execute(context.Background(), runner.All(s.Len()), runner.Options{Workers: 2})
	os.Exit(0)
}

func TestIDsCannotEscapeDir(t *testing.T) {
	for _, id := range []string{"../../etc/passwd", "0123456789abcdef/..", "0123456789ABCDEF", "0123456789abcde", "", "0123456789abcdef0"} {
		if runner.ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
	}
	dir := t.TempDir()
	s := plan(t, dir, sleepSpec(2, 0))
	m := s.Manifest
	tamper := func(edit func(*runner.Manifest)) error {
		c := *m
		c.Runs = append([]runner.Run(nil), m.Runs...)
		edit(&c)
		b, _ := json.Marshal(&c)
		os.WriteFile(runner.ManifestPath(dir), b, 0o644)
		_, err := runner.Open(dir)
		return err
	}
	if err := tamper(func(m *runner.Manifest) { m.Runs[0].ID = "../../../tmp/x" }); err == nil || !strings.Contains(err.Error(), "not 16 hex digits") {
		t.Errorf("path id accepted: %v", err)
	}
	if err := tamper(func(m *runner.Manifest) { m.Runs[1].ID = m.Runs[0].ID }); err == nil {
		t.Error("id not matching its config accepted")
	}
	if err := tamper(func(m *runner.Manifest) {
		m.Runs[0].Kind = "claim"
		m.Runs[0].Config = json.RawMessage(`{"claim":"../../x"}`)
	}); err == nil || !strings.Contains(err.Error(), "unknown claim") {
		t.Errorf("claim path accepted: %v", err)
	}
	// A result file claiming another ID is corrupt, not credited.
	tamper(func(*runner.Manifest) {})
	s, _ = runner.Open(dir)
	s.Execute(context.Background(), runner.All(2), runner.Options{})
	r0 := filepath.Join(dir, "results", s.Runs()[0].ID+".json")
	b, _ := os.ReadFile(filepath.Join(dir, "results", s.Runs()[1].ID+".json"))
	os.WriteFile(r0, b, 0o644)
	if _, st, _ := s.Load(s.Runs()[0]); st != runner.Corrupt {
		t.Errorf("foreign result: %v, want corrupt", st)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "manifest.json" && e.Name() != "results" {
			t.Errorf("unexpected %s in DIR", e.Name())
		}
	}
}

func TestPlanRefusesADifferentPlan(t *testing.T) {
	dir := t.TempDir()
	plan(t, dir, sleepSpec(3, 0))
	s, _ := runner.ParseSpec([]byte(sleepSpec(3, 0)))
	runs, _ := s.Expand()
	if same, err := runner.WritePlan(dir, "test", s.Raw, runs, false); err != nil || !same {
		t.Errorf("same plan again: %v, %v", same, err)
	}
	s, _ = runner.ParseSpec([]byte(sleepSpec(4, 0)))
	runs, _ = s.Expand()
	if _, err := runner.WritePlan(dir, "test", s.Raw, runs, false); !errors.Is(err, runner.ErrPlanDiffers) {
		t.Errorf("different plan: %v", err)
	}
	if _, err := runner.WritePlan(dir, "test", s.Raw, runs, true); err != nil {
		t.Errorf("forced: %v", err)
	}
}

func TestIndexFromEnvAndShards(t *testing.T) {
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	t.Setenv("JOB_COMPLETION_INDEX", "3")
	if i, from, ok, err := runner.IndexFromEnv(); i != 3 || from != "JOB_COMPLETION_INDEX" || !ok || err != nil {
		t.Errorf("k8s: %d %s %v %v", i, from, ok, err)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "7")
	if i, from, _, _ := runner.IndexFromEnv(); i != 7 || from != "SLURM_ARRAY_TASK_ID" {
		t.Errorf("slurm first: %d %s", i, from)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "x")
	if _, _, _, err := runner.IndexFromEnv(); err == nil {
		t.Error("bad index accepted")
	}
	var all []int
	for i := 0; i < 3; i++ {
		all = append(all, runner.Shard(10, i, 3)...)
	}
	slices.Sort(all)
	if fmt.Sprint(all) != fmt.Sprint(runner.All(10)) {
		t.Errorf("shards cover %v", all)
	}
	for _, bad := range []string{"3/3", "-1/2", "1", "a/b", "0/0"} {
		if _, _, err := runner.ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	if got := runner.FormatRanges([]int{0, 1, 2, 5, 7, 8}); got != "0-2,5,7-8" {
		t.Errorf("FormatRanges: %s", got)
	}
}

// A run that had the process to itself records its CPU time; runs that
// overlapped (two workers) do not, since the process's CPU time would
// mix theirs. The CPU-seconds column appears in the run table only when
// some run has the figure.
func TestCPUSecondsOnlyForSoloRuns(t *testing.T) {
	spin := `{"kind":"test-sleep","base":{"sleep_ms":150,"spin":true},"grid":{"n":[0,1]}}`
	for _, tc := range []struct {
		workers int
		solo    bool
	}{{1, true}, {2, false}} {
		dir := t.TempDir()
		s := plan(t, dir, spin)
		if _, err := s.Execute(context.Background(), runner.All(2), runner.Options{Workers: tc.workers}); err != nil {
			t.Fatal(err)
		}
		st := s.Status()
		for _, r := range st.Runs {
			cpu := r.Result.Stamp.CPUSeconds
			if tc.solo && cpu < 0.01 { // well under the 150 ms: the machine may be shared
				t.Errorf("workers %d, run %d: cpu_seconds %g after a 150 ms busy wait, want >= 0.01", tc.workers, r.Run.Index, cpu)
			}
			if !tc.solo && cpu != 0 {
				t.Errorf("workers %d, run %d: cpu_seconds %g recorded for overlapping runs", tc.workers, r.Run.Index, cpu)
			}
		}
		header, _ := st.RunTable()
		if has := slices.Contains(header, "cpu seconds"); has != tc.solo {
			t.Errorf("workers %d: run table header %v: cpu seconds column %v, want %v", tc.workers, header, has, tc.solo)
		}
	}
}

// Budget prices the missing runs of a grid point measured at another seed
// at that point's mean CPU time and only counts those of points not
// measured at all.
func TestBudgetPricesMeasuredGridPoints(t *testing.T) {
	dir := t.TempDir()
	s := plan(t, dir, `{"kind":"test-sleep","base":{"sleep_ms":60,"spin":true},"grid":{"n":[0,1],"seed":[1,2,3]}}`)
	if got := s.Status().Budget(); got != "" {
		t.Errorf("budget before any run: %q, want none", got)
	}
	var first []int // n=0 at seed 1 only: the other five runs are missing
	for _, r := range s.Runs() {
		if r.Label == "n=0 seed=1" {
			first = append(first, r.Index)
		}
	}
	if len(first) != 1 {
		t.Fatalf("no single run labelled n=0 seed=1 in %v", s.Runs())
	}
	if _, err := s.Execute(context.Background(), first, runner.Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	got := s.Status().Budget()
	for _, want := range []string{"budget: 1 runs measured alone", "the 2 missing runs at measured grid points need about", "; 3 missing runs at grid points not measured yet"} {
		if !strings.Contains(got, want) {
			t.Errorf("budget %q does not say %q", got, want)
		}
	}
	if !slices.Contains(s.Status().Summary(), got) {
		t.Errorf("summary %v does not carry the budget line", s.Status().Summary())
	}
}
