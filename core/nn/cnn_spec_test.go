package nn

import (
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
)

func TestSpecForData(t *testing.T) {
	fashion := &data.Dataset{Name: "fashion-mnist", Classes: 10, Shape: data.Shape{C: 1, H: 28, W: 28}}
	flat := &data.Dataset{Name: "gaussian-mixture", Classes: 3}
	for _, tc := range []struct {
		spec string
		d    *data.Dataset
		want string
		err  string
	}{
		{"simplecnn", fashion, "simplecnn:1x28x28-10", ""},
		{"resnet20", fashion, "resnet20:1x28x28-10", ""},
		{"mlp:784-128-10", fashion, "mlp:784-128-10", ""},
		{"mlp:784-128-10", flat, "mlp:784-128-10", ""},
		{"simplecnn:1x28x28-10", flat, "simplecnn:1x28x28-10", ""},
		{"simplecnn", flat, "", "simplecnn takes images, but gaussian-mixture has no image shape"},
	} {
		got, err := SpecForData(tc.spec, tc.d)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("SpecForData(%q, %s) error = %v, want %q", tc.spec, tc.d.Name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("SpecForData(%q, %s) = %q, %v; want %q", tc.spec, tc.d.Name, got, err, tc.want)
		}
	}
}
