#!/usr/bin/python3
"""Reads the raw lines of bench/compare/compare.sh (Go benchmark lines from
our benchmarks and from the OpenBLAS and PyTorch scripts, '#' lines about
the machine) and prints the comparison as markdown: per figure the median
over rounds of each side, the ratio (> 1: ours is faster) and issue 14's
goal. PyTorch and our training steps are each taken at their best thread
count (the medians per count, then the best).

    /usr/bin/python3 bench/compare/table.py bench/out/compare/raw.txt
"""
import math
import re
import statistics
import sys

LINE = re.compile(r"^(Benchmark\S+)\s+(\d+)\s+(.*)$")


def parse(path):
    runs, notes = {}, []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("#"):
            notes.append(line[1:].strip())
            continue
        m = LINE.match(line)
        if not m:
            continue
        name, rest = m.group(1), m.group(3).split()
        metrics = {rest[i + 1]: float(rest[i]) for i in range(0, len(rest) - 1, 2)}
        runs.setdefault(name, []).append(metrics)
    return runs, notes


def med(runs, name, unit):
    vals = [r[unit] for r in runs.get(name, []) if unit in r]
    return statistics.median(vals) if vals else None


def best(runs, pattern, unit, lower=False):
    """The best median over the names matching pattern, and that name."""
    found = [(med(runs, n, unit), n) for n in runs if re.fullmatch(pattern, n)]
    found = [f for f in found if f[0] is not None]
    if not found:
        return None, None
    return (min if lower else max)(found)


def fmt(x, digits=3):
    if x is None:
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def suffix(name):
    """The GOMAXPROCS or thread count a name ends in, as '1 core(s)'."""
    m = re.search(r"-(\d+)$", name or "")
    return m.group(1) if m else "1"


def main():
    runs, notes = parse(sys.argv[1])
    isa = next((re.search(r"ISA (\w+)", n).group(1) for n in notes if "ISA " in n), "avx512")
    rows, short = [], []

    def row(what, ours, theirs, ratio, goal, how):
        met = "n/a" if ratio is None else ("yes" if ratio >= goal else "no")
        shown = "n/a" if ratio is None else f"{fmt(ratio)}x"
        rows.append(f"| {what} | {ours} | {theirs} | {shown} | >= {goal}x | {met} | {how} |")
        if met == "no":
            short.append(what)

    # SGEMM, one core, GFLOP/s (wall) and GFLOP/cpu-s.
    ratios = []
    for tr in ("", "Trans/NT/", "Trans/TN/"):
        for shape in ("128x784x512", "128x512x512", "512x512x128", "1024x784x512", "32x784x512", "512x32x784"):
            base = f"BenchmarkGemm{'/' if not tr else tr}{shape}"
            ours = med(runs, f"{base}/{isa}", "GFLOP/s") or med(runs, f"{base}/{isa}-1", "GFLOP/s")
            theirs = med(runs, f"{base}/openblas", "GFLOP/s")
            if ours is None or theirs is None:
                continue
            oc = med(runs, f"{base}/{isa}", "GFLOP/cpu-s") or med(runs, f"{base}/{isa}-1", "GFLOP/cpu-s")
            tc = med(runs, f"{base}/openblas", "GFLOP/cpu-s")
            # GFLOP/cpu-s: what a core does while the process runs; on a
            # shared machine wall time mostly measures the other work.
            r = oc / tc if oc and tc else None
            ratios.append(r)
            label = ("NN " if not tr else tr.split("/")[1] + " ") + shape
            row(f"SGEMM {label}, 1 core (GFLOP/cpu-s)", fmt(oc), fmt(tc), r, 1.05,
                f"wall GFLOP/s: {fmt(ours)} vs {fmt(theirs)} = {fmt(ours / theirs)}x")
    if ratios:
        g = math.exp(sum(map(math.log, ratios)) / len(ratios))
        row("SGEMM geomean of the shapes above", "", "", g, 1.05, "")

    # Training steps: samples/s, each side at its best thread count.
    for s, goal in ((128, 2.0), (32, 2.5)):
        o, on = best(runs, rf"BenchmarkTrainStep/mlp:784-512-512-10/S={s}/{isa}(-\d+)?", "samples/s")
        t, tn = best(runs, rf"BenchmarkTrainStep/mlp/S={s}/pytorch-\d+", "samples/s")
        oc, tc = med(runs, on, "samples/cpu-s") if on else None, med(runs, tn, "samples/cpu-s") if tn else None
        row(f"mlp:784-512-512-10 step S={s} (samples/s)", f"{fmt(o)} ({suffix(on)} cores)",
            f"{fmt(t)} ({suffix(tn)} threads)", o / t if o and t else None, goal,
            f"best thread count each; samples/cpu-s {fmt(oc)} vs {fmt(tc)}")
    o, on = best(runs, rf"BenchmarkTrainStepCNN/simplecnn/S=128/{isa}(-\d+)?", "samples/s")
    t, tn = best(runs, r"BenchmarkTrainStep/simplecnn/S=128/pytorch-\d+", "samples/s")
    oc, tc = med(runs, on, "samples/cpu-s") if on else None, med(runs, tn, "samples/cpu-s") if tn else None
    row("simplecnn step S=128 (samples/s)", f"{fmt(o)} ({suffix(on)} cores)", f"{fmt(t)} ({suffix(tn)} threads)",
        o / t if o and t else None, 1.5,
        f"Go: MNIST, PyTorch: Fashion-MNIST (same shape); samples/cpu-s {fmt(oc)} vs {fmt(tc)}")

    # Curvature on 1024 MNIST images: lower is better.
    cc = r"BenchmarkCompareCurvature/"
    o, on = best(runs, cc + r"hvp(-\d+)?", "ms/hvp", lower=True)
    t, tn = best(runs, r"BenchmarkHVPCached/mlp/N=1024/pytorch-\d+", "ns/op", lower=True)
    t = t / 1e6 if t else None
    row("HVP, kept passes, N=1024 (ms)", f"{fmt(o)} ({suffix(on)} cores)", f"{fmt(t)} ({suffix(tn)} threads)",
        t / o if o and t else None, 3, "at initialisation; best thread count each")
    o, on = best(runs, cc + r"lambdamax/lanczos(-\d+)?", "ns/op", lower=True)
    oh = med(runs, on, "hvps/op") if on else None
    t, tn = best(runs, r"BenchmarkLambdaMaxPower/mlp/epoch1/pytorch-\d+", "ns/op", lower=True)
    th = med(runs, tn, "hvps/op") if tn else None
    row("lambda_max at epoch 1, Lanczos 1e-3 vs PyTorch power iteration (s)",
        f"{fmt(o / 1e9 if o else None)} ({fmt(oh)} HVPs)", f"{fmt(t / 1e9 if t else None)} ({fmt(th)} HVPs)",
        t / o if o and t else None, 4, "cold start, value rule")
    ot, otn = best(runs, cc + r"tracking(-\d+)?", "ms/measurement", lower=True)
    oth = med(runs, otn, "hvps/measurement") if otn else None
    row("lambda_max tracking, warm Lanczos vs PyTorch power iteration (s/measurement)",
        f"{fmt(ot / 1e3 if ot else None)} ({fmt(oth)} HVPs)", f"{fmt(t / 1e9 if t else None)} ({fmt(th)} HVPs)",
        t / 1e6 / ot if ot and t else None, 4, "1 SGD step apart, residual rule 1e-3")
    t, tn = best(runs, r"BenchmarkTraceHutchinson/mlp/epoch1/pytorch-\d+", "ns/op", lower=True)
    tse = med(runs, tn, "relse") if tn else None
    bestr, bestn = None, None
    for est in ("Hutchinson", "HutchPlusPlus", "XTrace"):  # those that ran
        o, on = best(runs, cc + rf"trace/{est}(-\d+)?", "ns/op", lower=True)
        ose = med(runs, on, "relse") if on else None
        if not (o and ose and t and tse):
            continue
        # Hutchinson's variance falls as 1/probes: PyTorch needs
        # (tse/ose)^2 times its 100 probes to reach our standard error.
        r = t * (tse / ose) ** 2 / o
        rows.append(f"| trace at epoch 1, {est} 100 HVPs vs PyTorch Hutchinson (s, rel. SE) | "
                    f"{fmt(o / 1e9)} ({fmt(ose)}) | {fmt(t / 1e9)} ({fmt(tse)}) | {fmt(r)}x | (equal SE) | | "
                    f"PyTorch time x (its SE / ours)^2 |")
        if bestr is None or r > bestr:
            bestr, bestn = r, est
    if bestr is not None:
        row(f"trace at equal standard error (best: {bestn})", "", "", bestr, 4, "")

    print("# bench-compare\n")
    for n in notes:
        print(f"- {n}")
    print("\nMedians over the rounds; ratio > 1 means ours is faster.\n")
    print("| figure | ours | OpenBLAS / PyTorch | ratio | goal | met | how |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for r in rows:
        print(r)
    if short:
        print("\nShort of the goal: " + "; ".join(short) + ".")


if __name__ == "__main__":
    main()
