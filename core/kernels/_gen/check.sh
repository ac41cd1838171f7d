#!/bin/sh
# check.sh regenerates the kernel assembly into a temporary directory and
# fails if it differs from the committed files in core/kernels, so that the
# .s files and their Go stubs never drift from the generators.
#
# Needs the generator's module dependencies (avo) in the module cache: the
# first run downloads them (go mod download in this directory), later runs
# work offline.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

status=0
for isa in avx512 avx2; do
	go run . -isa "$isa" -dir "$tmp"
	for f in "${isa}_amd64.s" "${isa}_stubs_amd64.go"; do
		if ! diff -u "../$f" "$tmp/$f"; then
			echo "check.sh: core/kernels/$f differs from its generator: run 'go generate ./core/kernels' and commit the result" >&2
			status=1
		fi
	done
done
if [ "$status" -eq 0 ]; then
	echo "check.sh: generated assembly is up to date"
fi
exit "$status"
