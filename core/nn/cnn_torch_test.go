package nn

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
)

// The PyTorch fixtures (testdata/torch, see its README): float64 values
// from PyTorch 1.13 for the contract's models on a small batch. Every Go
// path here is float32 (weights, activations and products), compared with
// PyTorch's float64 reference: the bars are the float64 ones (loss
// 1e-5, gradient and HVP 1e-4 relative) where float32 rounding leaves room,
// which it does (see the logged errors), and 1e-3 for the train-mode values.

// torchFixture loads NAME.weights.safetensors as spec (or arch a) and the
// batch and references of NAME.ref.safetensors.
type torchFixture struct {
	m   *Model
	b   data.Batch
	ref map[string][]float32
}

func loadTorchFixture(t *testing.T, name, spec string, a *arch) *torchFixture {
	t.Helper()
	dir := filepath.Join("testdata", "torch")
	wpath := filepath.Join(dir, name+".weights.safetensors")
	var m *Model
	var err error
	if a == nil {
		m, err = LoadSafetensors(wpath, spec)
	} else {
		ts, meta, rerr := ReadSafetensors(wpath)
		if rerr != nil {
			t.Fatal(rerr)
		}
		m, err = cnnFromTensors(ts, meta, a)
	}
	if err != nil {
		t.Fatal(err)
	}
	ts, _, err := ReadSafetensors(filepath.Join(dir, name+".ref.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	f := &torchFixture{m: m, ref: map[string][]float32{}}
	for _, x := range ts {
		f.ref[x.Name] = x.Data
	}
	lab := f.ref["labels"]
	f.b = data.Batch{N: len(lab), X: f.ref["input"], Y: make([]int32, len(lab))}
	for i, y := range lab {
		f.b.Y[i] = int32(y)
	}
	if len(f.ref["grad"]) != m.NumParams() {
		t.Fatalf("%s: fixture has %d parameters, model %s %d", name, len(f.ref["grad"]), m.Spec(), m.NumParams())
	}
	return f
}

// relErr is ||got - want|| / ||want||.
func relErr(got, want []float32) float64 {
	var d, n float64
	for i := range want {
		e := float64(got[i]) - float64(want[i])
		d += e * e
		n += float64(want[i]) * float64(want[i])
	}
	return math.Sqrt(d / n)
}

// torchBlockArch is tiny_block: Sequential(BasicBlock(2, 3, stride=2),
// AdaptiveAvgPool2d(1), Flatten, Linear(3, 4)) on 2x6x5.
func torchBlockArch(t *testing.T) *arch {
	b := newCNNBuilder(cshape{2, 6, 5})
	x := b.cur
	b.conv("0.conv1", 3, 3, 2, 1, false)
	b.batchNorm("0.bn1")
	b.relu("0.bn1")
	b.conv("0.conv2", 3, 3, 1, 1, false)
	main := b.batchNorm("0.bn2")
	b.cur = x
	b.conv("0.downsample.0", 3, 1, 2, 0, false)
	short := b.batchNorm("0.downsample.1")
	b.cur = main
	b.add("0", short)
	b.relu("0")
	b.gap("1")
	b.flatten()
	b.dense("3", 4, false)
	a, err := b.finish("torch-tiny-block")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTorchFixtures(t *testing.T) {
	cases := []struct {
		name, spec string
		block      bool
	}{
		{"tiny_conv", "cnn:2x6x5:c3k3s2p1-relu-f-d4", false},
		{"tiny_pool", "cnn:2x6x5:c3k3p1-relu-m2-f-d4", false},
		{"tiny_bn", "cnn:2x4x3:c2k3p1nb-bn-relu-f-d4", false},
		{"tiny_gap", "cnn:2x6x5:c3k3p1-relu-gap-f-d4", false},
		{"tiny_block", "", true},
		{"simplecnn", "simplecnn:1x28x28-10", false},
		{"resnet20", "resnet20:3x32x32-10", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && !strings.HasPrefix(c.name, "tiny") {
				t.Skip("large fixture")
			}
			var a *arch
			if c.block {
				a = torchBlockArch(t)
			}
			f := loadTorchFixture(t, c.name, c.spec, a)
			m, b, ref := f.m, f.b, f.ref
			p := m.NumParams()
			logits := make([]float32, b.N*m.OutputDim())
			m.Forward(b, logits)
			g := make([]float32, p)
			loss, _ := m.LossGrad(b, false, g)
			hv := make([]float32, p)
			m.HVP(b, ref["v"], 1, hv)
			lossErr := math.Abs(loss-float64(ref["loss"][0])) / math.Abs(float64(ref["loss"][0]))
			le, ge, he := relErr(logits, ref["logits"]), relErr(g, ref["grad"]), relErr(hv, ref["hv"])
			t.Logf("%s: relative errors vs PyTorch float64: logits %.2g, loss %.2g, gradient %.2g, Hv %.2g", c.name, le, lossErr, ge, he)
			if lossErr > 1e-5 || le > 1e-4 || ge > 1e-4 || he > 1e-4 {
				t.Errorf("%s: logits %.3g, loss %.3g (bar 1e-5), gradient %.3g, Hv %.3g (bar 1e-4)", c.name, le, lossErr, ge, he)
			}
			if ref["hessian"] != nil {
				H := denseOp(m, func(vs []float32, k int, out []float32) { m.HVP(b, vs, k, out) })
				e := relErr(H, ref["hessian"])
				t.Logf("%s: dense Hessian relative error %.2g", c.name, e)
				if e > 1e-4 {
					t.Errorf("%s: dense Hessian relative error %.3g", c.name, e)
				}
			}
			if tl := ref["train_loss"]; tl != nil {
				saved := append([]float32(nil), m.State()...)
				tg := make([]float32, p)
				l, _ := m.LossGrad(b, true, tg)
				e := math.Abs(l-float64(tl[0])) / math.Abs(float64(tl[0]))
				var sm float64
				for _, bb := range m.Buffers() {
					if w := ref["train."+bb.Name]; w != nil {
						sm = math.Max(sm, relErr(m.State()[bb.Offset:bb.Offset+bb.Size()], w))
					} else {
						t.Errorf("fixture lacks train.%s", bb.Name)
					}
				}
				t.Logf("%s: train mode: loss %.2g, running statistics %.2g", c.name, e, sm)
				if e > 1e-3 || sm > 1e-3 {
					t.Errorf("%s: train-mode loss %.3g, running statistics %.3g (bar 1e-3)", c.name, e, sm)
				}
				if w := ref["train_grad"]; w != nil {
					e := relErr(tg, w)
					t.Logf("%s: train-mode gradient %.2g", c.name, e)
					if e > 1e-3 {
						t.Errorf("%s: train-mode gradient %.3g", c.name, e)
					}
				}
				copy(m.State(), saved)
			}
		})
	}
}
