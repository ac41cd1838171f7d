// Package datatest holds what tests across the project need from core/data:
// the real Fashion-MNIST, skipped where it is not installed (or required,
// in CI), and small generated CIFAR-10 directories in the binary layout.
package datatest
