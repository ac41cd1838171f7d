package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/runner"
)

// `sgdclaims train` sets up its run through the runner's train kind, so
// the command and a sweep's run of the same configuration must train the
// same model: every figure the runner reports equals the command's, to the
// bit.
func TestTrainSameAsRunnerKind(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCmd("train", "--model", "mlp:784-16-10", "--train-examples", "1500", "--val", "300",
		"--batch", "32", "--batch-schedule", "step:2@1", "--lr", "0.05", "--lr-schedule", "cosine", "--epochs", "2",
		"--momentum", "0.5", "--weight-decay", "1e-4", "--dropout", "0.1", "--label-noise", "0.05", "--seed", "9",
		"--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	_, cfg, err := runner.NewRun("train", json.RawMessage(`{"model":"mlp:784-16-10","train_examples":1500,"val_examples":300,
		"batch":32,"batch_schedule":"step:2@1","lr":0.05,"lr_schedule":"cosine","epochs":2,
		"momentum":0.5,"weight_decay":1e-4,"dropout":0.1,"label_noise":0.05,"seed":9}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	res, err := cfg.Execute(context.Background(), &runner.Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"train_loss", "train_acc", "val_loss", "val_acc", "steps"} {
		got, ok := sum[f].(float64)
		if !ok {
			t.Fatalf("--json summary has no %s: %v", f, sum)
		}
		if want := res.Figures[f]; math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("%s: command %v, runner %v", f, got, want)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec trainRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	seeds := cfg.(*runner.TrainConfig).Seeds()
	if len(rec.Seeds) != 6 || len(rec.Seeds) != len(seeds) { // init, order, dropout, split, noise, augment
		t.Fatalf("run.json seeds %v, runner %v", rec.Seeds, seeds)
	}
	for k, v := range seeds {
		if rec.Seeds[k] != v {
			t.Errorf("seed %s: run.json %d, runner %d", k, rec.Seeds[k], v)
		}
	}
	if rec.LRSchedule != "cosine" || rec.BatchSchedule == "" || rec.BatchSchedule == "const" {
		t.Errorf("run.json schedules %q / %q, want the parsed forms", rec.LRSchedule, rec.BatchSchedule)
	}
}

// The runner reports bad settings by JSON field; the command must name the
// flag instead, in its one-line error.
func TestTrainErrorsNameFlags(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]string{
		"--lr":             {"--lr", "-1"},
		"--lr-schedule":    {"--lr-schedule", "cosine:2"},
		"--batch":          {"--batch", "0"},
		"--batch-schedule": {"--train-examples", "100", "--batch", "50", "--batch-schedule", "step:4@1", "--epochs", "2"},
		"--epochs":         {"--epochs", "-2"},
		"--momentum":       {"--momentum", "-0.5"},
		"--weight-decay":   {"--weight-decay", "-1"},
		"--dropout":        {"--dropout", "-0.1"},
		"--label-noise":    {"--label-noise", "1.5"},
		"--train-examples": {"--train-examples", "-1"},
		"--val":            {"--val", "-1"},
		"--model":          {"--model", "mlp:100-10"},
		"--data":           {"--data", filepath.Join(dir, "missing")},
	}
	for flag, args := range cases {
		out := filepath.Join(dir, strings.TrimLeft(flag, "-"))
		code, _, stderr := runCmd(append([]string{"train", "--out", out}, args...)...)
		if code != 2 || !strings.HasPrefix(stderr, "sgdclaims train: "+flag+": ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %s", args, code, stderr, flag)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: output directory was created", args)
		}
	}
}
