// Package runner executes grids of experiments that one machine cannot
// finish in one sitting: it expands a plan into runs with stable IDs,
// executes them on a bounded worker pool, stores one result file per run,
// resumes after any interruption, and shards the work over Slurm job arrays
// or Kubernetes Indexed Jobs. The `sgdclaims sweep` command is a thin layer
// over it; this page is its manual.
//
// # Runs
//
// A run is one fully specified unit of work: a kind and that kind's
// configuration, in canonical form (defaults filled in, compact JSON). Its
// ID is the first 16 hex digits of the SHA-256 of the kind and the
// configuration (IDOf), so the same configuration has the same ID in every
// plan and on every machine, and a result file says which work it holds.
// Three kinds are registered:
//
//	train   train a model with SGD (the fields of `sgdclaims train`), then
//	        measure lambda_max of the Hessian by Lanczos on a fixed set of
//	        training examples, and optionally its trace by Hutch++
//	claim-unit  run one unit of a thesis claim (package claims): one seed
//	        at one grid point (C1, C3), one seed of one tier (C2), one seed
//	        of one regulariser (C4); collect merges the units and decides
//	        the claim's verdict
//	claim   run one thesis claim at a scale and decide its verdict; a
//	        whole claim, all its seeds, is one run (for claims that do not
//	        split, and for spec files that want it so)
//
// A train configuration (TrainConfig) has these fields; those marked
// optional may be left out (zero: off, or the default named):
//
//	data                 "mnist" (default), "fashion-mnist", "cifar10", or a directory
//	                     (MNIST IDX or CIFAR-10 binary layout; core/data.Locate)
//	model                mlp:784-128-10, resmlp:784-256x2-10, ...
//	lr, lr_schedule      > 0; const (default), cosine[:MIN], step:F@E1,E2, cyclic:LOW@HALF
//	batch, batch_schedule>= 1; const (default), step:F@E1,E2, cyclic:HIGH@HALF
//	epochs               >= 1
//	seed                 root seed; init, order, split, noise, augment and dropout derive from it
//	momentum             optional, in [0, 1)
//	weight_decay         optional, >= 0
//	dropout              optional, in [0, 1)
//	label_noise          optional, fraction of training labels redrawn
//	train_examples       optional, keep the first N after the split (0: all)
//	val_examples         optional, examples held out by a seeded split (0: none)
//	augment              optional, crop:P and/or flip (e.g. crop:4,flip; image data only)
//	normalize            optional, per-channel standardisation: train, or M1,../S1,..
//	nudge                optional, GAMMA,K,M: Nudged SGD (the top-K Hessian part of each gradient scaled by GAMMA, P_K refreshed every M steps)
//	nudge_examples       optional, the Hessian's examples for nudge (default: the first min(1024, N))
//	lambda_max_examples  optional, measure lambda_max on the first N training examples
//	lambda_max_tol       optional, Lanczos relative tolerance (default 1e-3)
//	trace_budget         optional, Hutch++ trace with that many Hessian-vector products
//
// `sgdclaims train` is this kind run in the foreground: it fills a
// TrainConfig from its flags and goes through Normalize, Check and the
// training half of Execute (Setup, then Training.Run), so the command and a
// sweep's run of the same configuration validate alike and train bitwise
// the same model. The command keeps the model and the wall times that the
// stored record leaves out.
//
// A claim configuration (ClaimConfig) has claim ("c1".."c4"), scale
// ("quick" or "full", default full), seeds (optional override), data, and
// setup, the hash of the claim's spec (claims.ConfigHash: its grid, model,
// epochs, ...), filled in when the run is planned. A claim-unit
// configuration (ClaimUnitConfig) has claim, scale, data, setup, unit (the
// unit's name as the claim lists it, "eta=0.05 S=64 seed=3") and seed (the
// unit's replicate), but not the number of seeds planned: a unit's result
// does not depend on it, so `sweep plan --seeds 12 --force` over a sweep
// that ran 8 seeds keeps those units (same IDs) and adds the new ones.
// Because setup is part of the run's ID, a build whose claim runs something
// else refuses an old plan ("planned for another version of claim c2's
// setup") instead of crediting it with results of the old setup: plan
// again with --force.
//
// # Claims in units
//
// `sgdclaims sweep plan --claim c1 --scale full` plans one claim-unit run
// per unit (ClaimRuns), the costliest first, so a job array of 112 tasks
// runs C1's 14 grid points x 8 seeds side by side. Each unit's result is
// the claim's own JSON record of that piece. CollectClaims merges them
// with claims.MergeUnits into the claim's evidence and verdict: the same
// bytes as `sgdclaims verify` running the claim in one process (the claim
// runs its units through JSON there too; TestSweepSlurmClaimUnits checks
// C2 from a real Slurm job array against its golden). A sweep that is not
// finished is judged from the seeds whose every unit has a result, and the
// report and the verdict table say "partial" with what is missing; with
// fewer than two complete seeds the claim is not judged and collect exits
// with status 1.
//
// # Spec files
//
// A user's own grid is a JSON or YAML file (ParseSpecFile: YAML when the
// name ends in .yaml or .yml, JSON otherwise). In JSON:
//
//	{
//	  "kind": "train",
//	  "base": {"model": "mlp:784-128-10", "epochs": 5, "val_examples": 5000,
//	           "lambda_max_examples": 1000},
//	  "grid": {"lr": [0.05, 0.1, 0.2], "batch": [32, 128], "seed": [1, 2, 3]}
//	}
//
// The runs are the cartesian product of the grid's lists, each value
// merged into base. They are numbered like nested loops over the grid's
// keys in the order the file gives them, the last key varying fastest: the
// example gives run 0 = (lr 0.05, batch 32, seed 1), run 1 = (0.05, 32, 2),
// ..., run 17 = (0.2, 128, 3). Each run's label lists its grid values
// ("lr=0.05 batch=32 seed=1").
//
// Decoding is strict, and every run is normalised and checked (data loaded,
// sizes compared) before the plan is written, so nothing starts from a bad
// spec. Errors are one line naming the field: an unknown field
// ("grid.lrr: unknown field"), a wrong type ("base.epochs: want an integer,
// got string"), an empty grid or list, a field set in both base and grid,
// an impossible value ("grid.lr[2]: must be > 0 and finite, got -0.1"), a
// batch larger than the training set, two grid points that are the same
// run, more than MaxRuns runs.
//
// The same grid in YAML:
//
//	kind: train
//	base:
//	  model: mlp:784-128-10
//	  epochs: 5
//	  val_examples: 5000
//	  lambda_max_examples: 1000
//	grid:                      # keys in this order: lr slowest, seed fastest
//	  lr: [0.05, 0.1, 0.2]
//	  batch: [32, 128]
//	  seed: [1, 2, 3]
//
// YAML is converted to JSON (the manifest keeps that JSON as the spec) and
// then read exactly as a JSON spec, so the runs, their IDs and labels, and
// the errors are the same; errors found in the YAML also give its line
// ("grid.lr[1]: want a number, got string (line 8)"). Mapping keys keep
// their order. Values are resolved as go.yaml.in/yaml/v3 resolves them:
// yes, no, on and off are strings (so they fail by the field's name where
// a boolean is wanted), 0x10 and 1_000 are integers, 5. is a number but
// not an integer, an unquoted date is a string. Comments, and anchors with
// aliases (lr: &lrs [...] then *lrs), may be used. Refused, in one line
// naming the field or the line: a key given twice, .inf and .nan (JSON
// cannot hold them either), tags other than YAML's own for strings,
// numbers, booleans, null, lists and mappings (!!binary, !custom), merge
// keys (<<), keys that are null or not scalars, more than one document,
// and syntax errors. In flow style ([...], {...}) a value holding a comma
// must be quoted: [step:0.1@10,20] is two values. An empty file is refused
// as an empty JSON spec is.
//
// # The sweep directory
//
//	DIR/manifest.json      the plan: format, source, spec, runs (index, id, kind, label, config)
//	DIR/results/<id>.json  one result per finished run
//	DIR/logs/              scheduler logs (Slurm's --output)
//	DIR/report.md, plots/  written by collect and report
//
// A result (Result) holds the run's ID, kind and configuration, whether it
// diverged and at which step, its headline figures, the kind's full record
// (for train: per-epoch losses and accuracies, final figures, lambda_max
// and the trace with their measurement stamps; for claim: the evidence and
// the verdict; for claim-unit: the unit's name, seed and result), a stamp (ISA, GOMAXPROCS, Go version, host, start, seconds,
// scheduler task) and a checksum. Everything outside the stamp is
// deterministic: the same run on the same kernels gives the same bytes
// (Result.Deterministic), however the sweep is sharded and whatever the
// parallelism.
//
// # Reliability
//
// Results are written atomically (internal/atomicfile: temporary file,
// fsync, rename), so a file is either absent or complete, even after
// kill -9 or a node failure. Execute skips runs whose result verifies and
// redoes the rest, so running a sweep again resumes it, and a run is never
// redone once stored. A result is verified on every read: it must parse
// strictly, carry the right format, match its checksum, and its ID must be
// the hash of its stored configuration and equal the planned run's. A file
// that fails is reported as corrupt (by collect and by run) and moved
// aside to <id>.json.corrupt by run, which then redoes the run. A run whose
// loss becomes NaN or Inf is a finished run, recorded as diverged at its
// step, not a failure. A run that fails (an error, a panic) stores nothing,
// is reported, and is retried by the next run of the sweep. On an interrupt,
// Execute starts no new run (Options.Drain) and, when its context is
// cancelled, abandons the running ones within one training step, storing
// nothing for them.
//
// IDs are checked against ^[0-9a-f]{16}$ before they become file names, and
// file names are built from IDs only, never from labels, claim names or
// other user strings, so no plan or result can make the runner read or
// write outside DIR. The manifest is verified when opened: every ID must be
// the hash of its configuration, so an edited manifest cannot credit a
// result to the wrong run.
//
// # Sharding
//
// Shards select runs by index: one index (a scheduler's array task) or
// shard I of N (every N-th run from I on). Shards share nothing but DIR,
// so they may run in any order, on any machines that mount DIR, at the same
// time or one after another. Two processes that happen to run the same run
// both store the same deterministic result; the last rename wins. The
// index comes from SLURM_ARRAY_TASK_ID (Slurm job arrays) or
// JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) when no flag selects one.
// SlurmScript writes an sbatch job-array script and K8sJob an Indexed Job
// manifest for a planned sweep.
//
// # Determinism and kernels
//
// Results are bitwise reproducible for a given ISA (the kernel
// implementation, recorded in each stamp). A sweep spread over machines
// with different CPUs may mix kernels; collect warns when it does, since
// such results agree only to rounding. Set SGDCLAIMS_ISA on every node to
// force one.
package runner
