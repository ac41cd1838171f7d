package rng

import (
	"math"
	"math/rand/v2"
)

// Stream is a deterministic random source for one purpose. It is not safe for
// concurrent use; derive one stream per goroutine instead.
type Stream struct {
	r        *rand.Rand
	spare    float64
	hasSpare bool
}

// splitmix64 is the finaliser of SplitMix64: a bijective mixer with good
// avalanche, used to turn (seed, purpose) into PCG state.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// fnv64 hashes a purpose label (FNV-1a).
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Derive returns the sub-seed for purpose and index under root. Different
// purposes (or indices) give unrelated seeds.
func Derive(root uint64, purpose string, index uint64) uint64 {
	return splitmix64(splitmix64(root^fnv64(purpose)) + splitmix64(index+0x632be59bd9b4e019))
}

// New returns the stream for purpose and index under root.
func New(root uint64, purpose string, index uint64) *Stream {
	s := Derive(root, purpose, index)
	return &Stream{r: rand.New(rand.NewPCG(s, splitmix64(s)))}
}

// Uint64 returns 64 random bits.
func (s *Stream) Uint64() uint64 { return s.r.Uint64() }

// IntN returns a uniform integer in [0, n).
func (s *Stream) IntN(n int) int { return s.r.IntN(n) }

// Float64 returns a uniform float in [0, 1).
func (s *Stream) Float64() float64 { return s.r.Float64() }

// Float32 returns a uniform float in [0, 1).
func (s *Stream) Float32() float32 { return s.r.Float32() }

// Normal returns a standard normal variate (Box-Muller).
func (s *Stream) Normal() float64 {
	if s.hasSpare {
		s.hasSpare = false
		return s.spare
	}
	u1 := 1 - s.r.Float64() // (0, 1]: log is finite
	u2 := s.r.Float64()
	r := math.Sqrt(-2 * math.Log(u1))
	s.spare = r * math.Sin(2*math.Pi*u2)
	s.hasSpare = true
	return r * math.Cos(2*math.Pi*u2)
}

// Rademacher returns -1 or +1 with equal probability.
func (s *Stream) Rademacher() float64 {
	if s.r.Uint64()&1 == 0 {
		return -1
	}
	return 1
}

// Perm returns a random permutation of [0, n) (Fisher-Yates).
func (s *Stream) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	s.Shuffle(p)
	return p
}

// Shuffle permutes p in place (Fisher-Yates).
func (s *Stream) Shuffle(p []int) {
	for i := len(p) - 1; i > 0; i-- {
		j := s.r.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}
