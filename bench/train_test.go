package bench

import (
	"fmt"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/core/optim"
)

// benchModel is the MLP the kernels issue sets its training goals on.
const benchModel = "mlp:784-512-512-10"

// mnistTrain loads the MNIST training file once per benchmark binary.
func mnistTrain(b *testing.B) *data.Dataset {
	dir, err := data.MNISTDir()
	if err != nil {
		b.Fatal(err)
	}
	train, _, err := data.LoadMNISTShared(dir)
	if err != nil {
		b.Fatal(err)
	}
	return train
}

// BenchmarkTrainStep is one plain-SGD step of mlp:784-512-512-10 on MNIST
// (gather the mini-batch from memory, forward, backward, update), the
// training loop's inner work, per ISA and batch size. samples/s is the
// training throughput without data loading (the data are in memory, as in
// core/train); an epoch of 60,000 images takes 60000/(samples/s) seconds.
// The order of examples is a fixed permutation, as in one epoch.
func BenchmarkTrainStep(b *testing.B) {
	train := mnistTrain(b)
	for _, s := range []int{32, 128} {
		b.Run(fmt.Sprintf("%s/S=%d", benchModel, s), func(b *testing.B) {
			forEachISA(b, func(b *testing.B) {
				m, err := nn.New(benchModel, 1)
				if err != nil {
					b.Fatal(err)
				}
				timeTrainSteps(b, m, train, s)
			})
		})
	}
}

// timeTrainSteps times plain-SGD steps (lr 0.01) of m on S-example batches
// of d, taken in a fixed permutation as in one epoch: gather, forward,
// backward, update. One untimed step first sizes the workspaces. It
// reports samples/s and, where the process CPU time is known,
// samples/cpu-s.
func timeTrainSteps(b *testing.B, m *nn.Model, d *data.Dataset, s int) {
	order := data.NewEpochOrder(d.N, 1, 0)
	grad := make([]float32, m.NumParams())
	opt := &optim.SGD{}
	var batch data.Batch
	step := func(i int) {
		lo := (i * s) % (d.N - s + 1)
		d.Gather(order[lo:lo+s], &batch)
		m.LossGrad(batch, true, grad)
		opt.Step(m.Params(), grad, 0.01)
	}
	step(0) // size the workspaces outside the timed loop
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(i + 1)
	}
	b.StopTimer()
	b.ReportMetric(float64(s*b.N)/b.Elapsed().Seconds(), "samples/s")
	if cpu := cpuSeconds() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(float64(s*b.N)/cpu, "samples/cpu-s")
	}
}
