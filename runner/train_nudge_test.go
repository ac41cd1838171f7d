package runner

import (
	"errors"
	"testing"
)

// The nudge field is stored in its canonical form, off is the empty string,
// and bad values are field errors naming nudge (or nudge_examples).
func TestTrainConfigNudgeNormalize(t *testing.T) {
	base := func() TrainConfig {
		return TrainConfig{Model: "mlp:784-10", LR: 0.1, Batch: 10, Epochs: 1}
	}
	c := base()
	c.Nudge = " 0.50,5,010 "
	if err := c.Normalize(); err != nil || c.Nudge != "0.5,5,10" {
		t.Fatalf("nudge %q, err %v; want 0.5,5,10", c.Nudge, err)
	}
	c = base()
	c.Nudge = "off"
	if err := c.Normalize(); err != nil || c.Nudge != "" {
		t.Fatalf("off: nudge %q, err %v", c.Nudge, err)
	}
	for field, mod := range map[string]func(*TrainConfig){
		"nudge":          func(c *TrainConfig) { c.Nudge = "1,2" },
		"nudge_examples": func(c *TrainConfig) { c.NudgeExamples = 5 },
	} {
		c := base()
		mod(&c)
		var fe *FieldError
		if err := c.Normalize(); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: error %v, want a field error on %s", field, err, field)
		}
	}
}
