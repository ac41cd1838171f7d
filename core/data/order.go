package data

import (
	"fmt"

	"github.com/sgdclaims/sgdclaims/core/rng"
)

// NewEpochOrder returns the order in which an epoch visits n examples: a
// uniformly random permutation of [0, n), drawn from the stream
// (seed, "order", epoch). Each epoch therefore samples without replacement,
// every example exactly once, and the order of epoch e depends only on seed
// and e, so a resumed run sees the same data order as an uninterrupted one.
func NewEpochOrder(n int, seed uint64, epoch int) []int {
	if n < 0 || epoch < 0 {
		panic(fmt.Sprintf("data: NewEpochOrder(%d, _, %d): negative argument", n, epoch))
	}
	return rng.New(seed, "order", uint64(epoch)).Perm(n)
}

// Sampler walks the epoch orders of NewEpochOrder in mini-batches. The batch
// size is an argument of Next rather than of the sampler, so batch-size
// schedules can change it between steps.
//
// Batches never straddle epochs: the last batch of an epoch holds whatever is
// left (between 1 and b indices) and the next call starts the next epoch.
// Whether to train on that partial batch, skip it, or scale its step is the
// caller's decision; Sampler only reports it.
type Sampler struct {
	n     int
	seed  uint64
	epoch int
	order []int
	pos   int
}

// NewSampler returns a sampler over n examples starting at epoch 0.
func NewSampler(n int, seed uint64) (*Sampler, error) {
	return NewSamplerAt(n, seed, 0)
}

// NewSamplerAt returns a sampler over n examples positioned at the start of
// epoch, for resuming a run.
func NewSamplerAt(n int, seed uint64, epoch int) (*Sampler, error) {
	if n < 1 {
		return nil, fmt.Errorf("data: sampler over %d examples", n)
	}
	if epoch < 0 {
		return nil, fmt.Errorf("data: sampler starting at epoch %d", epoch)
	}
	return &Sampler{n: n, seed: seed, epoch: epoch, order: NewEpochOrder(n, seed, epoch)}, nil
}

// Next returns the indices of the next batch of at most b examples and the
// epoch they belong to. It returns fewer than b indices only for the last
// batch of an epoch. The returned slice must not be modified; it stays valid
// after later calls. Next panics if b < 1.
func (s *Sampler) Next(b int) (idx []int, epoch int) {
	if b < 1 {
		panic(fmt.Sprintf("data: Sampler.Next(%d): batch size must be positive", b))
	}
	if s.pos == s.n {
		s.epoch++
		s.order = NewEpochOrder(s.n, s.seed, s.epoch)
		s.pos = 0
	}
	end := min(s.pos+b, s.n)
	idx = s.order[s.pos:end:end]
	s.pos = end
	return idx, s.epoch
}

// Epoch returns the epoch the next batch comes from.
func (s *Sampler) Epoch() int {
	if s.pos == s.n {
		return s.epoch + 1
	}
	return s.epoch
}

// EpochDone reports whether the current epoch has been fully handed out, that
// is, whether the next call to Next starts a new epoch.
func (s *Sampler) EpochDone() bool { return s.pos == s.n }
