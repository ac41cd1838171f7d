# Common tasks. `make help` lists them.
GO ?= go

.PHONY: help test ci fmt vet train verify report-quick goldens generate
help:
	@echo "make verify  - the main job: run the claims, print verdicts, write reports/latest"
	@echo "make report-quick - regenerate the committed quick-scale report in reports/quick"
	@echo "make goldens - rewrite goldens/*.json from a fresh quick-scale run"
	@echo "make train   - train mlp:784-128-128-10 on MNIST for one epoch"
	@echo "make test    - go test ./..."
	@echo "make ci      - what CI runs (.ci/run)"
	@echo "make fmt     - gofmt -w"
	@echo "make vet     - go vet"
	@echo "make bench   - benchmarks per ISA (see bench/README.md); benchstat-isa, benchstat-compare"
	@echo "make bench-compare - side by side with OpenBLAS and PyTorch, ratios (bench/compare/)"
	@echo "make generate - regenerate the avo assembly (core/kernels/_gen)"

verify:
	$(GO) run ./cmd/sgdclaims verify

report-quick:
	# exit 1 means a claim does not hold; the report is written all the same
	$(GO) run ./cmd/sgdclaims verify --scale quick --out reports/quick || [ $$? -eq 1 ]

goldens:
	# every package whose tests use claimtest (the claims), with -update
	$(GO) test $$($(GO) list -f '{{.ImportPath}} {{.TestImports}}' ./claims/... | grep ' \[.*claims/claimtest' | cut -d' ' -f1) -run 'TestClaim' -update -timeout 30m

generate:
	$(GO) generate ./core/kernels
	core/kernels/_gen/check.sh

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

# ---- Kernel benchmarks (bench/; see bench/README.md) ------------------------
# `make bench` runs every benchmark in bench/ once per ISA this CPU has, on
# one core and on all (-cpu 1,N); `make benchstat-isa` compares the ISAs
# (generic is the base column) and writes a text table (benchstat) and a
# markdown one (sgdclaims bench-report --col /isa); `make benchstat-compare
# OLD=a.txt NEW=b.txt` compares two runs (before/after a change), as text and
# as markdown (sgdclaims bench-report OLD NEW).
BENCH_COUNT ?= 6
BENCH_CPU   ?= 1,$(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
BENCH_RUN   ?= .
BENCH_OUT   ?= bench/out
# benchstat at the version of golang.org/x/perf in go.mod (its dependencies
# are in go.sum because bench-report uses x/perf's packages).
BENCHSTAT   ?= $(GO) run golang.org/x/perf/cmd/benchstat
# The markdown tables: the same statistics as benchstat, from x/perf's
# packages at the go.mod version (cmd/sgdclaims/benchreport.go).
BENCH_REPORT ?= $(GO) run ./cmd/sgdclaims bench-report
# The last element of every benchmark name is the ISA (or gonum); the sed
# rewrites it to a key=value pair so benchstat can make it the column.
BENCH_ISA_SED = s\#^(Benchmark[^ \t]*)/(generic|avx2|avx512|cuda|gonum|openblas)(-[0-9]+)?([ \t])\#\1/isa=\2\3\4\#

.PHONY: bench benchstat-isa benchstat-compare bench-compare
bench:
	@mkdir -p $(BENCH_OUT)
	@echo "$(GO) test -bench '$(BENCH_RUN)' -count $(BENCH_COUNT) -cpu $(BENCH_CPU) ./bench/ > $(BENCH_OUT)/bench.txt"
	@$(GO) test -run '^$$' -bench '$(BENCH_RUN)' -count $(BENCH_COUNT) -cpu $(BENCH_CPU) ./bench/ > $(BENCH_OUT)/bench.txt; \
		status=$$?; cat $(BENCH_OUT)/bench.txt; exit $$status

benchstat-isa: bench
	sed -E '$(BENCH_ISA_SED)' $(BENCH_OUT)/bench.txt > $(BENCH_OUT)/bench-isa.txt
	$(BENCHSTAT) -col /isa $(BENCH_OUT)/bench-isa.txt | tee $(BENCH_OUT)/benchstat-isa.txt
	$(BENCH_REPORT) --col /isa --out $(BENCH_OUT)/benchstat-isa.md $(BENCH_OUT)/bench-isa.txt
	@echo "wrote $(BENCH_OUT)/benchstat-isa.txt and $(BENCH_OUT)/benchstat-isa.md"

benchstat-compare:
	@test -n "$(OLD)" -a -n "$(NEW)" || { echo "usage: make benchstat-compare OLD=old.txt NEW=new.txt" >&2; exit 2; }
	$(BENCHSTAT) old=$(OLD) new=$(NEW)
	$(BENCH_REPORT) old=$(OLD) new=$(NEW)

# `make bench-compare` runs our SGEMM, MLP and simplecnn steps, HVP,
# lambda_max and trace next to OpenBLAS and PyTorch 1.13 in interleaved
# rounds (ROUNDS=3) and prints medians and ratios with the machine
# (bench/compare/compare.sh; needs python3-torch and libopenblas0-pthread).
bench-compare:
	@BENCH_OUT=$(BENCH_OUT) GO=$(GO) sh bench/compare/compare.sh
