package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/data/datatest"
	"github.com/sgdclaims/sgdclaims/runner"
)

// augment and normalize are canonicalised, and off leaves a config's
// canonical form (and so its ID) as it was before they existed.
func TestTrainConfigTransforms(t *testing.T) {
	base := `"model":"mlp:784-16-10","lr":0.1,"batch":32,"epochs":1,"seed":3`
	plain, _, err := runner.NewRun("train", json.RawMessage(`{`+base+`}`))
	if err != nil {
		t.Fatal(err)
	}
	off, _, err := runner.NewRun("train", json.RawMessage(`{`+base+`,"augment":"off","normalize":"off"}`))
	if err != nil || off.ID != plain.ID {
		t.Fatalf("off: id %s, want %s (%v)", off.ID, plain.ID, err)
	}
	on, _, err := runner.NewRun("train", json.RawMessage(`{`+base+`,"augment":" flip, crop:4 ","normalize":"train"}`))
	if err != nil || !strings.Contains(string(on.Config), `"augment":"crop:4,flip"`) || !strings.Contains(string(on.Config), `"normalize":"train"`) || on.ID == plain.ID {
		t.Fatalf("on: %s, %v", on.Config, err)
	}
	for field, cfg := range map[string]string{"augment": `,"augment":"rotate"`, "normalize": `,"normalize":"0.5/0"`} {
		_, _, err := runner.NewRun("train", json.RawMessage(`{`+base+cfg+`}`))
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
}

// A sweep trains on a generated CIFAR-10 directory with augmentation and
// normalisation; the record holds the statistics used, which are those of
// the training split. Check rejects settings the data cannot take.
func TestTrainCIFAR10Sweep(t *testing.T) {
	dir := datatest.WriteCIFAR10(t, 40, 20)
	s := plan(t, t.TempDir(), fmt.Sprintf(`{"kind":"train","base":{"data":%q,"model":"mlp:3072-16-10","epochs":1,"batch":20,
		"val_examples":40,"augment":"crop:4,flip","normalize":"train","lambda_max_examples":20},"grid":{"lr":[0.01]}}`, dir))
	sum, err := s.Execute(context.Background(), runner.All(1), runner.Options{})
	if err != nil || sum.Ran != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	r, _, err := s.Load(s.Runs()[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec runner.TrainRecord
	if err := json.Unmarshal(r.Record, &rec); err != nil || rec.TrainExamples != 160 || rec.ValExamples != 40 || rec.LambdaMax == nil {
		t.Fatalf("record: %v %+v", err, rec)
	}
	trainSet, _, err := runner.LoadTrainVal(dir, 40, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := data.ChannelStats(trainSet)
	if n := rec.Normalization; n == nil || len(n.Mean) != 3 || n.Mean[2] != want.Mean[2] || n.Std[0] != want.Std[0] {
		t.Fatalf("normalization %+v, want %+v", rec.Normalization, want)
	}

	for spec, field := range map[string]string{
		`{"kind":"train","base":{"model":"mlp:784-16-10","epochs":1,"batch":8,"train_examples":100,"normalize":"0.1,0.2,0.3/1,1,1"},"grid":{"lr":[0.1]}}`: "normalize",
		fmt.Sprintf(`{"kind":"train","base":{"data":%q,"model":"mlp:784-16-10","epochs":1,"batch":8},"grid":{"lr":[0.1]}}`, dir):                          "model",
	} {
		ps, err := runner.ParseSpec([]byte(spec))
		if err == nil {
			_, err = ps.Expand()
		}
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v, want an error naming %s", spec, err, field)
		}
	}
}

// A spec may name fashion-mnist (skipped where it is not installed).
func TestTrainFashionMNISTSpec(t *testing.T) {
	datatest.FashionMNIST(t)
	s := plan(t, t.TempDir(), `{"kind":"train","base":{"data":"fashion-mnist","model":"mlp:784-16-10","epochs":1,"batch":50,
		"train_examples":1000,"val_examples":500},"grid":{"lr":[0.1]}}`)
	sum, err := s.Execute(context.Background(), runner.All(1), runner.Options{})
	if err != nil || sum.Ran != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	r, _, _ := s.Load(s.Runs()[0])
	if acc := r.Figures["val_acc"]; !(acc > 0.5) {
		t.Fatalf("val acc %v after 1000 Fashion-MNIST examples", acc)
	}
}

// A bare CNN name in a spec takes the data's image shape and classes: a
// one-step run on generated CIFAR-10 records simplecnn:3x32x32-10; vgg11,
// which pools 32x32 down to 1x1, does not fit MNIST's 28x28, and Check
// names the model field.
func TestTrainBareCNNName(t *testing.T) {
	dir := datatest.WriteCIFAR10(t, 8, 4)
	s := plan(t, t.TempDir(), fmt.Sprintf(`{"kind":"train","base":{"data":%q,"model":"simplecnn","epochs":1,"batch":8,
		"train_examples":8,"val_examples":8},"grid":{"lr":[0.01]}}`, dir))
	sum, err := s.Execute(context.Background(), runner.All(1), runner.Options{})
	if err != nil || sum.Ran != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	r, _, err := s.Load(s.Runs()[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec runner.TrainRecord
	if err := json.Unmarshal(r.Record, &rec); err != nil || rec.Model != "simplecnn:3x32x32-10" {
		t.Fatalf("record model %q (%v), want simplecnn:3x32x32-10", rec.Model, err)
	}

	c := &runner.TrainConfig{Data: "mnist", Model: "vgg11", LR: 0.01, Batch: 8, Epochs: 1}
	err = c.Normalize()
	if err == nil {
		err = c.Check()
	}
	if err == nil || !strings.Contains(err.Error(), "model") {
		t.Errorf("vgg11 on %s: %v, want an error naming the model", c.Data, err)
	}
}
