package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/kernels"
	"github.com/sgdclaims/sgdclaims/core/nn"
	"github.com/sgdclaims/sgdclaims/runner"
)

func init() {
	register(command{name: "curvature", summary: "Hessian eigenvalues, trace and spectral density of a model's weights (safetensors)", run: runCurvature})
}

// curvatureReport is the --json output.
type curvatureReport struct {
	Weights    string  `json:"weights"`
	Model      string  `json:"model"`
	Params     int     `json:"params"`
	Data       string  `json:"data"`
	Examples   int     `json:"examples"`
	Loss       float64 `json:"loss"`
	Accuracy   float64 `json:"accuracy"`
	GradNorm   float64 `json:"grad_norm"`
	Operator   string  `json:"operator"`
	Tol        float64 `json:"tol"`
	Stop       string  `json:"stop"`
	Seed       uint64  `json:"seed"`
	HVPs       int     `json:"hvps"`
	Seconds    float64 `json:"seconds"`
	ISA        string  `json:"isa"`
	GOMAXPROCS int     `json:"gomaxprocs"`

	// TraceExact is Tr(C) under --operator covariance, summed exactly
	// from the per-example gradients.
	TraceExact *float64 `json:"trace_exact,omitempty"`

	Eigen   *curvature.Eigenpairs    `json:"eigenvalues,omitempty"`
	Trace   *curvature.TraceEstimate `json:"trace,omitempty"`
	Density *densityReport           `json:"density,omitempty"`
	Vector  *vectorReport            `json:"vector,omitempty"`
	// Stamp is the operator's measurement stamp, with Budget the HVPs of
	// the whole run; each estimate above carries its own.
	Stamp curvature.Stamp `json:"stamp"`
}

type densityReport struct {
	*curvature.Density
	ImpliedTrace   float64 `json:"implied_trace"`
	ImpliedTraceSE float64 `json:"implied_trace_std_err"`
}

type vectorReport struct {
	File      string  `json:"file"`
	Norm      float64 `json:"norm_v"`
	NormHv    float64 `json:"norm_hv"`
	VHv       float64 `json:"vhv"`
	Rayleigh  float64 `json:"rayleigh_quotient"`
	HVPs      int     `json:"hvps"`
	Operation string  `json:"operation"`
}

func runCurvature(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("curvature", stderr)
	weights := fs.String("weights", "", "model weights `FILE.safetensors` (PyTorch nn.Sequential names; required)")
	spec := fs.String("model", "", "model `spec` (default: inferred from the tensor names and shapes, or the spec in the file's metadata); "+
		"a bare simplecnn, resnet20, resnet32, resnet56 or vgg11 takes the data's image shape and class count")
	dataName := fs.String("data", "mnist", "`mnist`, fashion-mnist, cifar10 (see the README's \"How data is found\") or a directory of MNIST IDX or CIFAR-10 binary files")
	examples := fs.Int("examples", 1024, "use the first `N` training images, in file order")
	top := fs.Int("top", 1, "number of largest eigenvalues (0 = none)")
	bottom := fs.Int("bottom", 0, "number of smallest eigenvalues")
	probes := fs.Int("trace", 0, "estimate Tr(H) with `PROBES` HVPs (at least 6; 0 = off)")
	estimator := fs.String("trace-estimator", "hutch++", "trace estimator: hutch++, xtrace (exchangeable Hutch++: a smaller error on decaying spectra, 1.5x the sketch memory) or hutchinson")
	density := fs.Bool("density", false, "estimate the spectral density by stochastic Lanczos quadrature")
	densityProbes := fs.Int("density-probes", 5, "random probes for --density")
	densitySteps := fs.Int("density-steps", 50, "Lanczos steps per probe for --density")
	vector := fs.String("vector", "", "a direction v in `FILE.safetensors`, under the weights' keys: print ||Hv|| and v^T H v")
	operator := fs.String("operator", "hessian", "curvature matrix: hessian, ggn (generalized Gauss-Newton), fisher (empirical Fisher, mean of per-example gradient outer products) "+
		"or covariance (the per-example gradient covariance C = F - g g^T, SGD's noise at batch size 1; its exact trace is printed)")
	wd := fs.Float64("weight-decay", 0, "include an L2 term wd/2 ||theta||^2 in the loss (adds wd*I)")
	seed := fs.Uint64("seed", 1, "seed of the Lanczos start vector and the probes")
	tol := fs.Float64("tol", 1e-3, "relative tolerance of the eigenvalues (see --stop)")
	stop := fs.String("stop", "residual", "Lanczos stopping rule: residual (||Hy - ly|| <= tol |l|, a rigorous bound) or value (eigenvalue error estimate <= tol |l|, about half the HVPs)")
	maxIter := fs.Int("max-iter", 0, "cap on Lanczos iterations (0 = min(params, max(100, 4*(top+bottom))))")
	asJSON := fs.Bool("json", false, "print the results as JSON on stdout")
	mode := fs.String("mode", "eval", "network mode of the curvature: eval (the only one supported: dropout off, BatchNorm running statistics)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := kernels.EnvError(); err != nil {
		return usageError{err}
	}

	// Cheap checks first, before reading any file.
	switch {
	case *weights == "":
		return usagef("--weights: required (a .safetensors file of the model's weights)")
	case *examples < 1:
		return usagef("--examples %d: must be at least 1", *examples)
	case *top < 0 || *bottom < 0:
		return usagef("--top %d / --bottom %d: must not be negative", *top, *bottom)
	case *probes != 0 && *probes < 6:
		return usagef("--trace %d: needs at least 6 HVPs (or 0 for off)", *probes)
	case *estimator != "hutch++" && *estimator != "hutchinson" && *estimator != "xtrace":
		return usagef("--trace-estimator %q: must be hutch++, xtrace or hutchinson", *estimator)
	case *density && (*densityProbes < 1 || *densitySteps < 1):
		return usagef("--density-probes %d / --density-steps %d: must be positive", *densityProbes, *densitySteps)
	case *operator != "hessian" && *operator != "ggn" && *operator != "fisher" && *operator != "covariance":
		return usagef("--operator %q: must be hessian, ggn, fisher or covariance", *operator)
	case *wd != 0 && (*operator == "fisher" || *operator == "covariance"):
		return usagef("--weight-decay %g: not with --operator %s (an L2 term adds wd*theta to every example's gradient; it is not part of the gradient noise)", *wd, *operator)
	case !(*wd >= 0) || math.IsInf(*wd, 0):
		return usagef("--weight-decay %g: must be finite and non-negative", *wd)
	case !(*tol > 0 && *tol < 1):
		return usagef("--tol %g: must be in (0, 1)", *tol)
	case *stop != "residual" && *stop != "value":
		return usagef("--stop %q: must be residual or value", *stop)
	case *maxIter < 0:
		return usagef("--max-iter %d: must not be negative", *maxIter)
	}

	if *mode != "eval" {
		return usagef("--mode %q: curvature is measured in evaluation mode only (dropout off, BatchNorm with its running statistics); "+
			"a training-mode Hessian depends on how the examples are batched and is not supported", *mode)
	}

	// A bare CNN name ("simplecnn") takes its input shape and class count
	// from the data, so the data comes first.
	var trainSet *data.Dataset
	var err error
	modelSpec := *spec
	if nn.IsBareName(*spec) {
		if trainSet, err = loadCurvatureData(*dataName); err != nil {
			return err
		}
		if modelSpec, err = runner.ModelSpecFor(*spec, trainSet); err != nil {
			var fe *runner.FieldError
			if errors.As(err, &fe) {
				return usagef("--model: %s", fe.Msg)
			}
			return usagef("--model: %v", err)
		}
	}
	model, err := nn.LoadSafetensors(*weights, modelSpec)
	if err != nil {
		return usagef("--weights: %v", err)
	}
	p := model.NumParams()
	switch {
	case *top+*bottom > p:
		return usagef("--top %d + --bottom %d: exceeds the model's %d parameters", *top, *bottom, p)
	case *maxIter != 0 && (*maxIter < *top+*bottom || *maxIter > p):
		return usagef("--max-iter %d: must be in [top+bottom, params] = [%d, %d]", *maxIter, *top+*bottom, p)
	case *density && *densitySteps > p:
		return usagef("--density-steps %d: exceeds the model's %d parameters", *densitySteps, p)
	}
	var v []float64
	if *vector != "" {
		vm, err := nn.LoadSafetensors(*vector, model.Spec())
		if err != nil {
			return usagef("--vector: %v", err)
		}
		v = make([]float64, p)
		for i, x := range vm.Params() {
			v[i] = float64(x)
		}
	}

	if trainSet == nil {
		if trainSet, err = loadCurvatureData(*dataName); err != nil {
			return err
		}
	}
	if model.InputDim() != trainSet.Dim {
		return usagef("--weights %s: model %s takes %d inputs, but the images of %s have %d pixels", *weights, model.Spec(), model.InputDim(), *dataName, trainSet.Dim)
	}
	if *examples > trainSet.N {
		return usagef("--examples %d: the training split of %s has only %d images", *examples, *dataName, trainSet.N)
	}
	head, err := trainSet.Head(*examples)
	if err != nil {
		return usagef("--examples: %v", err)
	}
	batch := head.All()
	if err := model.CheckBatch(batch); err != nil {
		return usagef("--weights %s: %v", *weights, err)
	}

	isa := kernels.Active().Name()
	fmt.Fprintf(stderr, "curvature: %s (%d params) on the first %d training images of %s, ISA %s, GOMAXPROCS %d\n",
		model.Spec(), p, batch.N, *dataName, isa, runtime.GOMAXPROCS(0))
	started := time.Now()
	cfg := curvature.NetworkConfig{
		WeightDecay: *wd,
		Selection:   fmt.Sprintf("first %d training images of %s, in file order", batch.N, *dataName),
	}
	var op curvatureOperator
	switch *operator {
	case "ggn":
		op, err = curvature.NewGGN(model, batch, cfg)
	case "fisher":
		op, err = curvature.NewEmpiricalFisher(model, batch, cfg)
	case "covariance":
		// Fisher products: no N x P matrix of per-example gradients.
		var c *curvature.Covariance
		c, err = curvature.NewGradientCovariance(model, batch, curvature.CovarianceConfig{Products: curvature.CovarianceFisher, Selection: cfg.Selection})
		op = covarianceOperator{c}
	default:
		op, err = curvature.NewHessian(model, batch, cfg)
	}
	if err != nil {
		return usagef("%v", err)
	}

	rep := &curvatureReport{
		Weights: *weights, Model: model.Spec(), Params: p, Data: *dataName, Examples: batch.N,
		Operator: *operator, Tol: *tol, Stop: *stop, Seed: *seed, ISA: isa, GOMAXPROCS: runtime.GOMAXPROCS(0),
	}
	loss, hits := op.Loss()
	rep.Loss, rep.Accuracy = loss, float64(hits)/float64(batch.N)
	g := op.Gradient()
	for _, x := range g {
		rep.GradNorm += x * x
	}
	rep.GradNorm = math.Sqrt(rep.GradNorm)

	if *top+*bottom > 0 {
		rule := curvature.StopResidual
		if *stop == "value" {
			rule = curvature.StopValue
		}
		if rep.Eigen, err = curvature.Lanczos(op, curvature.LanczosConfig{
			Top: *top, Bottom: *bottom, Tol: *tol, Stop: rule, MaxIter: *maxIter, Seed: *seed,
		}); err != nil {
			return err
		}
	}
	if *probes > 0 {
		tc := curvature.TraceConfig{Budget: *probes, Seed: *seed}
		switch *estimator {
		case "xtrace":
			rep.Trace, err = curvature.XTrace(op, tc)
		case "hutchinson":
			rep.Trace, err = curvature.Hutchinson(op, tc)
		default:
			rep.Trace, err = curvature.HutchPlusPlus(op, tc)
		}
		if err != nil {
			return err
		}
	}
	if *density {
		d, err := curvature.SpectralDensity(op, curvature.SLQConfig{Probes: *densityProbes, Steps: *densitySteps, Seed: *seed})
		if err != nil {
			return err
		}
		rep.Density = &densityReport{Density: d}
		rep.Density.ImpliedTrace, rep.Density.ImpliedTraceSE = d.Trace()
	}
	if c, ok := op.(covarianceOperator); ok {
		t := c.Trace()
		rep.TraceExact = &t
	}
	if v != nil {
		hv := make([]float64, p)
		op.Apply(v, hv)
		var vv, hh, vh float64
		for i := range v {
			vv += v[i] * v[i]
			hh += hv[i] * hv[i]
			vh += v[i] * hv[i]
		}
		rep.Vector = &vectorReport{File: *vector, Norm: math.Sqrt(vv), NormHv: math.Sqrt(hh), VHv: vh, HVPs: 1,
			Operation: "v as stored (not normalised)"}
		if vv > 0 {
			rep.Vector.Rayleigh = vh / vv
		}
	}
	rep.HVPs = int(op.Applications())
	rep.Seconds = time.Since(started).Seconds()
	rep.Stamp = op.Describe()
	rep.Stamp.Params = p
	rep.Stamp.Estimator = "see each estimate"
	rep.Stamp.Budget = rep.HVPs
	rep.Stamp.Seed = *seed

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printCurvature(stdout, rep)
	return nil
}

// printCurvature writes the human-readable report.
func printCurvature(w io.Writer, r *curvatureReport) {
	opName := r.Stamp.Operator
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s (%d parameters), weights %s\n", r.Model, r.Params, r.Weights)
	fmt.Fprintf(tw, "examples\t%s; %s\n", r.Stamp.Selection, r.Stamp.Mode)
	wd := "weight decay excluded"
	if r.Stamp.WeightDecay != 0 {
		wd = fmt.Sprintf("weight decay %g included", r.Stamp.WeightDecay)
	}
	fmt.Fprintf(tw, "loss\t%.6g (%s, %s), accuracy %.2f%%, gradient norm %.4g\n", r.Loss, r.Stamp.Loss, wd, 100*r.Accuracy, r.GradNorm)
	tw.Flush()

	if e := r.Eigen; e != nil {
		rule := "residual ||Hy - ly||"
		if r.Stop == "value" {
			rule = "eigenvalue error estimate"
		}
		fmt.Fprintf(w, "\n%s eigenvalues: Lanczos, full reorthogonalisation, %d HVPs, stop when %s <= %g |l|\n", opName, e.Applications, rule, r.Tol)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\teigenvalue\tresidual ||Hy-ly||\terror estimate\tconverged\t\n")
		row := func(label string, p curvature.Eigenpair) {
			conv := "yes"
			if !p.Converged {
				conv = "NO"
			}
			fmt.Fprintf(tw, "%s\t%.6g\t%.2e\t%.2e\t%s\t\n", label, p.Value, p.Residual, p.ErrorEstimate, conv)
		}
		for i, p := range e.Top {
			row(fmt.Sprintf("top %d", i+1), p)
		}
		for i, p := range e.Bottom {
			row(fmt.Sprintf("bottom %d", i+1), p)
		}
		tw.Flush()
		if !e.Converged {
			fmt.Fprintf(w, "warning: not every eigenvalue reached the tolerance in %d iterations (raise --max-iter or --tol)\n", e.Iterations)
		}
	}
	if t := r.TraceExact; t != nil {
		fmt.Fprintf(w, "\n%s trace: %.6g (exact, from the %d per-example gradients)\n", opName, *t, r.Examples)
	}
	if t := r.Trace; t != nil {
		fmt.Fprintf(w, "\n%s trace: %.6g ± %.2g (standard error; %s, %d HVPs)\n", opName, t.Value, t.StdErr, t.Stamp.Estimator, t.Applications)
	}
	if d := r.Density; d != nil {
		fmt.Fprintf(w, "\nspectral density: %s, %d HVPs\n", d.Stamp.Estimator, d.Applications)
		fmt.Fprintf(w, "implied trace %.6g ± %.2g; spectral mass by eigenvalue range (bars: log scale, 1e-6 to 1):\n", d.ImpliedTrace, d.ImpliedTraceSE)
		printDensity(w, d.Density)
	}
	if v := r.Vector; v != nil {
		fmt.Fprintf(w, "\nvector %s: ||v|| = %.6g, ||Hv|| = %.6g, v^T H v = %.6g, v^T H v / v^T v = %.6g\n",
			v.File, v.Norm, v.NormHv, v.VHv, v.Rayleigh)
	}
	fmt.Fprintf(w, "\n%d HVPs in %.2f s, ISA %s, GOMAXPROCS %d\n", r.HVPs, r.Seconds, r.ISA, r.GOMAXPROCS)
	fmt.Fprintf(w, "stamp: %s\n", r.Stamp)
}

// printDensity bins the quadrature nodes into 10 equal ranges and prints the
// weight in each, with a bar on a log scale (1e-6 to 1): the mass of a
// network Hessian's spectrum sits near zero, and the outliers that matter
// carry weights of 1e-5 or less, which a linear bar would not show.
func printDensity(w io.Writer, d *curvature.Density) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ns := range d.Nodes {
		for _, t := range ns {
			lo, hi = math.Min(lo, t), math.Max(hi, t)
		}
	}
	const bins = 10
	mass := make([]float64, bins)
	width := (hi - lo) / bins
	for l, ns := range d.Nodes {
		for j, t := range ns {
			b := bins - 1
			if width > 0 {
				b = min(int((t-lo)/width), bins-1)
			}
			mass[b] += d.Weights[l][j] / float64(len(d.Nodes))
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for b, m := range mass {
		bar := ""
		if m > 0 {
			bar = strings.Repeat("#", max(1, int(math.Round(40*(1+math.Log10(m)/6)))))
		}
		fmt.Fprintf(tw, "  [%.4g, %.4g)\t%.2e\t%s\n", lo+float64(b)*width, lo+float64(b+1)*width, m, bar)
	}
	tw.Flush()
}

// curvatureOperator is what the command needs of an operator: products,
// their count, a stamp, and the loss and gradient at the weights.
type curvatureOperator interface {
	curvature.Operator
	curvature.Counter
	Describe() curvature.Stamp
	Loss() (float64, int)
	Gradient() []float64
}

// covarianceOperator gives the covariance the Network's Gradient method.
type covarianceOperator struct{ *curvature.Covariance }

func (c covarianceOperator) Gradient() []float64 { return c.MeanGradient() }

// loadCurvatureData loads the training split the curvature is measured on.
func loadCurvatureData(name string) (*data.Dataset, error) {
	trainSet, _, err := data.Load(name)
	if err != nil {
		return nil, usagef("--data: %v", err)
	}
	return trainSet, nil
}
