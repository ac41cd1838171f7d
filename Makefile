# Common tasks. `make help` lists them.
GO ?= go

.PHONY: help test ci fmt vet train bench
help:
	@echo "make train   - the main job: train mlp:784-128-128-10 on MNIST for one epoch"
	@echo "make test    - go test ./..."
	@echo "make ci      - what CI runs (.ci/run)"
	@echo "make fmt     - gofmt -w"
	@echo "make vet     - go vet"
	@echo "make bench   - kernel benchmarks (see bench/README.md)"

train:
	$(GO) run ./cmd/sgdclaims train --data mnist --model mlp:784-128-128-10 --lr 0.1 --batch 64 --epochs 1 --seed 1

test:
	$(GO) test ./...

ci:
	bash .ci/run

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...
