package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/core/curvature"
	"github.com/sgdclaims/sgdclaims/core/data"
	"github.com/sgdclaims/sgdclaims/core/nn"
)

// saveModel writes a freshly initialised model to dir/name.
func saveModel(t *testing.T, dir, name, spec string, seed uint64) (string, *nn.Model) {
	t.Helper()
	m, err := nn.New(spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := m.SaveSafetensors(path); err != nil {
		t.Fatal(err)
	}
	return path, m
}

// The command's numbers must be the library's numbers on the same examples
// (the first 300 MNIST training images), and its JSON must carry the stamp.
func TestCurvatureCommandJSON(t *testing.T) {
	dir := t.TempDir()
	const spec = "mlp:784-16-10"
	weights, model := saveModel(t, dir, "w.safetensors", spec, 1)
	vector, vmodel := saveModel(t, dir, "v.safetensors", spec, 2)
	code, stdout, stderr := runCmd("curvature", "--weights", weights, "--examples", "300", "--top", "2", "--bottom", "1",
		"--trace", "12", "--density", "--density-probes", "2", "--density-steps", "10", "--vector", vector, "--seed", "5", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Model, ISA       string
		Params, Examples int
		Loss             float64
		GradNorm         float64 `json:"grad_norm"`
		HVPs             int
		Seconds          float64
		Eigenvalues      struct {
			Top, Bottom  []curvature.Eigenpair
			Applications int
		}
		Trace struct {
			Value        float64
			StdErr       float64 `json:"std_err"`
			Applications int
		}
		Density struct {
			Applications int
			Grid, Values []float64
		}
		Vector struct {
			VHv    float64 `json:"vhv"`
			NormHv float64 `json:"norm_hv"`
		}
		Stamp curvature.Stamp
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}

	// Recompute with the library on the same examples.
	dirData, err := data.ResolveData("mnist")
	if err != nil {
		t.Fatal(err)
	}
	trainSet, _, err := data.LoadMNIST(dirData)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := trainSet.Head(300)
	op, err := curvature.NewHessian(model, head.All(), curvature.NetworkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := curvature.Lanczos(op, curvature.LanczosConfig{Top: 2, Bottom: 1, Tol: 1e-3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := model.Evaluate(head.All())
	if len(rep.Eigenvalues.Top) != 2 || len(rep.Eigenvalues.Bottom) != 1 ||
		rep.Eigenvalues.Top[0].Value != want.Top[0].Value || rep.Eigenvalues.Bottom[0].Value != want.Bottom[0].Value {
		t.Errorf("eigenvalues %+v, library %+v", rep.Eigenvalues, want)
	}
	if rep.Eigenvalues.Top[0].Residual <= 0 || rep.Eigenvalues.Top[0].Residual > 1e-3*rep.Eigenvalues.Top[0].Value {
		t.Errorf("top residual %g for eigenvalue %g", rep.Eigenvalues.Top[0].Residual, rep.Eigenvalues.Top[0].Value)
	}
	if math.Abs(rep.Loss-loss) > 1e-6 || rep.GradNorm <= 0 {
		t.Errorf("loss %v (Evaluate %v), gradient norm %v", rep.Loss, loss, rep.GradNorm)
	}
	if rep.Trace.Applications != 12 || !(rep.Trace.StdErr > 0) || rep.Trace.Value < rep.Eigenvalues.Top[0].Value {
		t.Errorf("trace %+v", rep.Trace)
	}
	if rep.Density.Applications != 20 || len(rep.Density.Grid) != len(rep.Density.Values) || len(rep.Density.Grid) == 0 {
		t.Errorf("density: %d applications, %d grid points", rep.Density.Applications, len(rep.Density.Grid))
	}
	// v^T H v against the library's product.
	v := make([]float64, op.Dim())
	for i, x := range vmodel.Params() {
		v[i] = float64(x)
	}
	hv := make([]float64, len(v))
	op.Apply(v, hv)
	vhv := 0.0
	for i := range v {
		vhv += v[i] * hv[i]
	}
	if math.Abs(rep.Vector.VHv-vhv) > 1e-9*math.Abs(vhv) || rep.Vector.NormHv <= 0 {
		t.Errorf("v^T H v = %v, library %v", rep.Vector.VHv, vhv)
	}
	total := rep.Eigenvalues.Applications + rep.Trace.Applications + rep.Density.Applications + 1
	if rep.HVPs != total || rep.Stamp.Budget != total {
		t.Errorf("hvps %d, stamp budget %d, sum of the parts %d", rep.HVPs, rep.Stamp.Budget, total)
	}
	s := rep.Stamp
	if s.Operator != "Hessian" || s.Examples != 300 || s.Mode != "eval (dropout off)" || s.Loss != "mean cross-entropy" ||
		!strings.Contains(s.Selection, "first 300 training images") || s.Model != spec || s.Params != model.NumParams() {
		t.Errorf("stamp %+v", s)
	}
	if rep.ISA == "" || rep.Seconds <= 0 || rep.Params != model.NumParams() {
		t.Errorf("isa %q, seconds %v, params %d", rep.ISA, rep.Seconds, rep.Params)
	}
}

func TestCurvatureCommandTable(t *testing.T) {
	dir := t.TempDir()
	weights, _ := saveModel(t, dir, "w.safetensors", "mlp:784-8-10", 1)
	code, stdout, stderr := runCmd("curvature", "--weights", weights, "--examples", "200", "--trace", "6", "--operator", "ggn")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"generalized Gauss-Newton eigenvalues", "top 1", "trace", "HVPs in", "stamp: generalized Gauss-Newton of mlp:784-8-10; 200 examples"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// The noise covariance and the empirical Fisher from the command: the
// library's numbers on the same examples, C's exact trace printed and
// within the estimator's reach, and F = C + g g^T above C (lambda_max(F) >=
// lambda_max(C), Tr F = Tr C + ||g||^2).
func TestCurvatureCommandCovariance(t *testing.T) {
	dir := t.TempDir()
	weights, model := saveModel(t, dir, "w.safetensors", "mlp:784-8-10", 1)
	run := func(operator string) curvatureReport {
		t.Helper()
		code, stdout, stderr := runCmd("curvature", "--weights", weights, "--examples", "200", "--trace", "30", "--operator", operator, "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", operator, code, stderr)
		}
		var rep curvatureReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	c, f := run("covariance"), run("fisher")
	if c.TraceExact == nil || f.TraceExact != nil {
		t.Fatalf("trace_exact %v (covariance) / %v (fisher)", c.TraceExact, f.TraceExact)
	}
	if !strings.Contains(c.Stamp.Operator, "gradient covariance") || !strings.Contains(f.Stamp.Operator, "empirical Fisher") {
		t.Errorf("stamps %q / %q", c.Stamp.Operator, f.Stamp.Operator)
	}
	trainSet, _, err := data.Load("mnist")
	if err != nil {
		t.Fatal(err)
	}
	head, _ := trainSet.Head(200)
	lib, err := curvature.NewGradientCovariance(model, head.All(), curvature.CovarianceConfig{Products: curvature.CovarianceStored})
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(*c.TraceExact-lib.Trace()) / lib.Trace(); d > 1e-9 {
		t.Errorf("Tr(C) %g from the command, %g from the library", *c.TraceExact, lib.Trace())
	}
	if d := math.Abs(c.Trace.Value - *c.TraceExact); d > 4*c.Trace.StdErr+1e-3**c.TraceExact {
		t.Errorf("Hutch++ Tr(C) %g ± %g, exact %g", c.Trace.Value, c.Trace.StdErr, *c.TraceExact)
	}
	want := *c.TraceExact + c.GradNorm*c.GradNorm
	if d := math.Abs(f.Trace.Value - want); d > 4*f.Trace.StdErr+1e-3*want {
		t.Errorf("Tr(F) %g ± %g, Tr(C) + ||g||^2 = %g", f.Trace.Value, f.Trace.StdErr, want)
	}
	lc, lf := c.Eigen.Top[0].Value, f.Eigen.Top[0].Value
	if !(lc > 0) || lf < lc*(1-1e-3) {
		t.Errorf("lambda_max: C %g, F %g", lc, lf)
	}
	if math.Abs(c.GradNorm-f.GradNorm) > 1e-6*f.GradNorm {
		t.Errorf("gradient norms %g / %g", c.GradNorm, f.GradNorm)
	}
}

func TestCurvatureCommandXTrace(t *testing.T) {
	dir := t.TempDir()
	weights, _ := saveModel(t, dir, "w.safetensors", "mlp:784-8-10", 1)
	code, stdout, stderr := runCmd("curvature", "--weights", weights, "--examples", "200", "--trace", "20", "--trace-estimator", "xtrace", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep curvatureReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Trace == nil || !strings.HasPrefix(rep.Trace.Stamp.Estimator, "XTrace") || rep.Trace.Applications != 20 || !(rep.Trace.Value > 0) || !(rep.Trace.StdErr > 0) {
		t.Errorf("trace %+v", rep.Trace)
	}
	if code, _, _ := runCmd("curvature", "--weights", weights, "--trace", "20", "--trace-estimator", "xtrac"); code != 2 {
		t.Errorf("unknown estimator: exit %d, want 2", code)
	}
}

func TestCurvatureCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	weights, m := saveModel(t, dir, "w.safetensors", "mlp:784-8-10", 1)
	small, _ := saveModel(t, dir, "small.safetensors", "mlp:100-8-10", 1)
	other, _ := saveModel(t, dir, "other.safetensors", "mlp:784-9-10", 1)
	nanPath := filepath.Join(dir, "nan.safetensors")
	var ts []nn.Tensor
	for _, b := range m.Blocks() {
		d := append([]float32(nil), m.Params()[b.Offset:b.Offset+b.Size()]...)
		ts = append(ts, nn.Tensor{Name: b.Name, DType: "F32", Shape: b.Shape, Data: d})
	}
	ts[1].Data[0] = float32(math.NaN())
	if err := nn.WriteSafetensors(nanPath, ts, nil); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"no weights":           {},
		"missing file":         {"--weights", filepath.Join(dir, "nope.safetensors")},
		"input size mismatch":  {"--weights", small},
		"NaN in weights":       {"--weights", nanPath},
		"NaN in vector":        {"--weights", weights, "--vector", nanPath},
		"vector wrong shape":   {"--weights", weights, "--vector", other},
		"too many examples":    {"--weights", weights, "--examples", "60001"},
		"top above dimension":  {"--weights", weights, "--top", "7000", "--bottom", "1000"},
		"too few trace probes": {"--weights", weights, "--trace", "3"},
		"bad tol":              {"--weights", weights, "--tol", "0"},
		"bad operator":         {"--weights", weights, "--operator", "kfac"},
		"covariance with wd":   {"--weights", weights, "--operator", "covariance", "--weight-decay", "0.01"},
		"bad stop rule":        {"--weights", weights, "--stop", "never"},
		"positional argument":  {"--weights", weights, "extra"},
	}
	for name, args := range cases {
		code, stdout, stderr := runCmd(append([]string{"curvature"}, args...)...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, code, stderr)
		}
		if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 || stdout != "" {
			t.Errorf("%s: want one line on stderr and nothing on stdout, got %q / %q", name, stderr, stdout)
		}
	}
}
