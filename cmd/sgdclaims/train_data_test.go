package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/data/datatest"
)

// Bad data and bad transform flags: exit 2, one line naming the file (or
// the fix), no output directory.
func TestTrainDataBadInputExits2(t *testing.T) {
	corrupt := func(file string, edit func([]byte) []byte) string {
		dir := datatest.WriteCIFAR10(t, 2, 2)
		p := filepath.Join(dir, file)
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, edit(raw), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	truncated := corrupt("data_batch_2.bin", func(b []byte) []byte { return b[:len(b)-7] })
	label := corrupt("test_batch.bin", func(b []byte) []byte { b[0] = 12; return b })
	extra := datatest.WriteCIFAR10(t, 2, 2)
	if err := os.WriteFile(filepath.Join(extra, "data_batch_6.bin"), datatest.CIFARRecords(0, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := datatest.WriteCIFAR10(t, 2, 2)
	if err := os.Remove(filepath.Join(missing, "data_batch_4.bin")); err != nil {
		t.Fatal(err)
	}
	emptyRoot := t.TempDir()
	cases := []struct {
		name string
		env  string // SGDCLAIMS_DATA
		args []string
		want string
	}{
		{"cifar10 absent", "", []string{"--data", "cifar10"}, "cifar-10-binary.tar.gz"},
		{"fashion-mnist absent", emptyRoot, []string{"--data", "fashion-mnist"}, "apt-get install dataset-fashion-mnist"},
		{"truncated batch", "", []string{"--data", truncated}, filepath.Join(truncated, "data_batch_2.bin") + ": "},
		{"label >= 10", "", []string{"--data", label, "--model", "mlp:3072-8-10", "--val", "2"}, filepath.Join(label, "test_batch.bin") + ": label 12"},
		{"sixth batch", "", []string{"--data", extra}, filepath.Join(extra, "data_batch_6.bin") + ": unexpected"},
		{"missing batch", "", []string{"--data", missing}, filepath.Join(missing, "data_batch_4.bin") + ": missing"},
		{"bad augment", "", []string{"--augment", "rotate"}, "--augment"},
		{"bad normalize", "", []string{"--normalize", "0.5/0"}, "--normalize"},
		{"normalize channels", "", []string{"--normalize", "0.1,0.2,0.3/1,1,1", "--train-examples", "100", "--batch", "10"}, "--normalize: normalize: 3 channel(s) given"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Setenv(data.DataEnv, c.env)
		out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
		code, _, stderr := runCmd(append([]string{"train", "--out", out}, c.args...)...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line containing %q", c.name, code, stderr, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output directory was created", c.name)
		}
	}
}

// run.json records the transforms: the augment spec and the statistics the
// inputs were normalised with.
func TestTrainCIFAR10RecordsTransforms(t *testing.T) {
	dir := datatest.WriteCIFAR10(t, 20, 10)
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCmd("train", "--data", dir, "--model", "mlp:3072-16-10", "--val", "20", "--batch", "10",
		"--lr", "0.01", "--augment", "crop:4,flip", "--normalize", "train", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec trainRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Augment != "crop:4,flip" || rec.Normalization == nil || len(rec.Normalization.Std) != 3 || rec.Seeds["augment"] == 0 || rec.TrainExamples != 80 {
		t.Fatalf("run.json: augment %q, normalization %+v, seeds %v, %d examples", rec.Augment, rec.Normalization, rec.Seeds, rec.TrainExamples)
	}
	// Off is recorded as off.
	out2 := filepath.Join(t.TempDir(), "run")
	if code, _, stderr := runCmd("train", "--data", dir, "--model", "mlp:3072-16-10", "--val", "20", "--batch", "10", "--out", out2); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, _ = os.ReadFile(filepath.Join(out2, "run.json"))
	if !strings.Contains(string(raw), `"augment": "off"`) || !strings.Contains(string(raw), `"normalization": null`) {
		t.Fatalf("run.json without transforms:\n%s", raw)
	}
}
