// Package reference holds what the papers behind the thesis report, as data
// with its source, so that a report can put the paper's setup and findings
// next to what this suite measured.
//
// Two sources are used, and every entry names which:
//
//   - the thesis text itself (../shared/seeds/thesis.txt in the working
//     tree; "Jastrzębski, Deep Networks Generalization and Optimization
//     Trajectory, Jagiellonian University 2018"), cited by section, figure or
//     equation and the page its table of contents gives for the section;
//   - CLAIMS.md (the project's distillation of the claims), which records
//     paper setups read from the papers and the authors' public code. These
//     are second-hand here and marked as such.
//
// Only numbers actually stated in one of the two are recorded. Where the
// thesis gives no number (it states no accuracies, no curvature values, and
// none of P1's cyclic batch-size versus cyclic learning-rate results), the
// entry says "not stated" rather than recalling one from memory. The
// thesis's Fig. 3.1 caption attributes panel (b) (critical sample ratio,
// dropout) to P3 and panel (c) (sharpest direction) to P2; from the section
// text (Sec. 3.3 and 3.4) they belong to P2 and P3 respectively, and the
// entries below follow the section text.
package reference

import "fmt"

// Source says where an entry comes from.
type Source struct {
	Document string `json:"document"` // "thesis" or "CLAIMS.md"
	Where    string `json:"where"`    // "Sec. 3.2, Eq. (3.3)", "C1 paper setup"
	Page     string `json:"page"`     // thesis page from its table of contents; "" for CLAIMS.md
}

func (s Source) String() string {
	if s.Page != "" {
		return fmt.Sprintf("%s, %s, p. %s", s.Document, s.Where, s.Page)
	}
	return fmt.Sprintf("%s, %s", s.Document, s.Where)
}

// Kind sorts entries for display.
type Kind string

const (
	Setup   Kind = "setup"   // what the paper ran: models, data, grids
	Finding Kind = "finding" // what the paper reports, in words
	Number  Kind = "number"  // a reported value
)

// Entry is one thing a paper reports.
type Entry struct {
	Claim  string `json:"claim"` // "c1".."c4"; "" for general entries
	Paper  string `json:"paper"` // "P1".."P4"
	Kind   Kind   `json:"kind"`
	Item   string `json:"item"`  // what it is: "learning rates", "Eq. (3.3)"
	Value  string `json:"value"` // the reported value or statement; "not stated" when the sources give none
	Source Source `json:"source"`
}

// NotStated is the Value of an entry the sources give no number for.
const NotStated = "not stated"

// Papers maps the thesis's paper labels to their citations (thesis Sec. 1.1).
var Papers = map[string]string{
	"P1": "S. Jastrzębski, Z. Kenton, D. Arpit, N. Ballas, A. Fischer, Y. Bengio, A. Storkey. Width of Minima Reached by Stochastic Gradient Descent is Influenced by Learning Rate to Batch Size Ratio. ICANN 2018, LNCS 392-402 (extended version: Three Factors Influencing Minima in SGD, arXiv:1711.04623).",
	"P2": "D. Arpit, S. Jastrzębski, N. Ballas, D. Krueger, E. Bengio, M. S. Kanwal, T. Maharaj, A. Fischer, A. Courville, Y. Bengio, S. Lacoste-Julien. A Closer Look at Memorization in Deep Networks. ICML 2017, PMLR 70:233-242.",
	"P3": "S. Jastrzębski, Z. Kenton, N. Ballas, A. Fischer, Y. Bengio, A. Storkey. DNN's Sharpest Directions Along the SGD Trajectory. ICML 2018 workshop (Modern Trends in Nonconvex Optimization for Machine Learning).",
	"P4": "S. Jastrzębski, D. Arpit, N. Ballas, V. Verma, T. Che, Y. Bengio. Residual Connections Encourage Iterative Inference. ICLR 2018 (the thesis writes 'International Conference on Learning Algorithms').",
}

var (
	thesis = func(where, page string) Source { return Source{Document: "thesis", Where: where, Page: page} }
	claims = func(where string) Source { return Source{Document: "CLAIMS.md", Where: where} }
)

// entries is the table of everything recorded. Keep each Value to what the
// source says, in its words where possible.
var entries = []Entry{
	// C1: exchangeability of eta and S (P1).
	{"c1", "P1", Finding, "eta/S and endpoint curvature", "SGD runs with the same ratio of learning rate to batch size reach similar learning dynamics and similar curvature of the final endpoint; the learning rate, not only the batch size, influences the curvature of the final minima", thesis("Sec. 3 contributions and Fig. 3.1a", "12-13")},
	{"c1", "P1", Finding, "Fig. 3.1a, left", "spectral norm of the Hessian at the final endpoint (y) against the ratio of learning rate to batch size (x): higher ratio, flatter endpoint", thesis("Fig. 3.1a caption", "13")},
	{"c1", "P1", Finding, "Fig. 3.1a, right", "validation accuracy (y) against the ratio of learning rate to batch size (x)", thesis("Fig. 3.1a caption", "13")},
	{"c1", "P1", Number, "Hessian spectral norms, validation accuracies in Fig. 3.1a", NotStated, thesis("Fig. 3.1a (values only in the figure, not in the text)", "13")},
	{"c1", "P1", Finding, "where it breaks", "follow-up work finds regimes where learning rate and batch size are not exchangeable; the extended P1 states the theory applies when the batch size is close to the size of the training set [sic]; small batches permit a larger maximum learning rate than the linear relation predicts", thesis("Sec. 3.2", "17")},
	{"c1", "P1", Setup, "MLP experiment", "20-layer ReLU MLP on Fashion-MNIST, eta in [5e-3, 5e-2], S in [50, 1000], single runs", claims("C1 paper setup")},
	{"c1", "P1", Setup, "CNN experiments", "ResNet56 and VGG-11 on CIFAR-10, eta = 0.1 beta, S = 50 beta, beta in {0.25, 1, 4}, single runs", claims("C1 paper setup")},
	{"c1", "P1", Finding, "schedules (extended P1)", "decreasing the learning rate during training can be replaced by an equivalent linear increase of the batch size", thesis("Sec. 3.2", "17")},
	{"c1", "P1", Number, "cyclic batch-size vs cyclic learning-rate accuracies (extended P1)", NotStated, thesis("Sec. 3.2 mentions varying batch-size schedules; no accuracies are given", "17")},

	// C2: stationary loss (P1).
	{"c2", "P1", Finding, "Eq. (3.1), noise model", "theta(t+1) = theta(t) - eta (g(theta) + N(0, C^S(theta))), with C^S = C/S", thesis("Sec. 3.1.2, Eq. (3.1)", "15")},
	{"c2", "P1", Finding, "Eq. (3.2), SDE", "d theta = -g(theta) dt + sqrt(eta/S) R(theta) dW(t): the noise is scaled by eta/S", thesis("Sec. 3.2, Eq. (3.2)", "16")},
	{"c2", "P1", Finding, "Eq. (3.3)", "E(L) = eta/(4S) Tr(H), L and H the loss and Hessian at the final minimum, 'under certain assumptions' (C = H)", thesis("Sec. 3.2, Eq. (3.3)", "16-17")},
	{"c2", "P1", Finding, "implication", "assuming the same height, a higher ratio of learning rate to batch size steers SGD towards a wider minimum", thesis("Sec. 3.2", "17")},
	{"c2", "P1", Finding, "support for the stationarity assumption", "Baity-Jesi et al. find that at the end of training the dynamics closely resemble a stationary diffusion", thesis("Sec. 3.2", "17")},
	{"c2", "P1", Number, "measured E(L) or Tr(H) values", NotStated, thesis("Sec. 3.2 ('further supported by an empirical investigation'; no values in the text)", "17")},

	// C3: early-phase curvature (P3, with P2).
	{"c3", "P3", Finding, "curvature follows eta and S", "curvature of the loss surface throughout training is a function of the learning rate and batch size; a large learning rate or a small batch size locates a flat region early, typically within the first few epochs", thesis("Sec. 3.4", "18-19")},
	{"c3", "P3", Finding, "oscillation along sharp directions", "immediately after the early phase SGD oscillates in the subspace of the sharpest direction while descending along the others; curvature along the sharpest direction first grows, then stabilises or decays with a peak set by learning rate and batch size", thesis("Sec. 3.4 and Fig. 3.1c", "13, 19")},
	{"c3", "P3", Finding, "Nudged SGD", "can be steered towards flatter or sharper regions while keeping generalisation: curvature of the final minimum does not fully determine generalisation", thesis("Sec. 3.4", "19")},
	{"c3", "P3", Setup, "models and data", "SimpleCNN and ResNet-32 on CIFAR-10 / Fashion-MNIST", claims("C3 paper setup")},
	{"c3", "P3", Setup, "grid", "eta in {0.1, 0.01, 0.001} at S = 128; S in {8, 128, 1024} at eta = 0.05", claims("C3 paper setup")},
	{"c3", "P3", Setup, "measurement", "top-5/10 Hessian eigenvalues by Lanczos on ~2,500 training examples every epoch, every 1-4 steps in an early zoom phase", claims("C3 paper setup")},
	{"c3", "P3", Number, "lambda_max values", NotStated, thesis("Sec. 3.4 (none in the text)", "18-19")},

	// C4: regularisers slow memorisation (P2).
	{"c4", "P2", Finding, "regularisers and noisy labels", "dropout or weight decay limit the speed at which the network memorises the perturbed part of the training data while not hindering learning from the clean examples", thesis("Sec. 3.3", "18")},
	{"c4", "P2", Finding, "critical sample ratio", "a model that memorises has a higher CSR; model complexity is largely set early in training, typically rising in the first epochs, and is larger with more label noise", thesis("Sec. 3.3 and Fig. 3.1b", "13, 18")},
	{"c4", "P2", Setup, "MNIST", "2 x 4096 ReLU MLP, SGD eta = 0.01", claims("C4 paper setup")},
	{"c4", "P2", Setup, "CIFAR-10", "small CNN", claims("C4 paper setup")},
	{"c4", "P2", Setup, "noise and dropout", "label-noise fractions 20-80%, dropout 0-0.9", claims("C4 paper setup")},
	{"c4", "P2", Number, "accuracies on noisy and clean parts", NotStated, thesis("Sec. 3.3 and Fig. 3.1b (values only in the figure)", "13, 18")},

	// C5: growing the batch size replaces decaying the rate (extended P1).
	{"c5", "P1", Finding, "schedules (extended P1)", "decreasing learning rate during training can be replaced by an equivalent linear increase of batch size", thesis("Sec. 3.2", "17")},
	{"c5", "P1", Finding, "practical relevance", "particularly relevant to practitioners that have access to large computing resources, in which case using large batch sizes is desirable; varying batch size schedules offer potential for better use of large computing resources", thesis("Sec. 3.2 and Sec. 3.5", "17, 19-20")},
	{"c5", "P1", Setup, "models, data, decay factor and milestones of the schedule experiment", NotStated, thesis("Sec. 3.2 (the extended P1's experiment is summarised in one sentence)", "17")},
	{"c5", "P1", Number, "accuracy or curvature of the decayed-rate and grown-batch runs", NotStated, thesis("Sec. 3.2 (no values in the text)", "17")},
	{"c5", "P1", Number, "cyclic batch-size vs cyclic learning-rate results", NotStated, thesis("Sec. 3.5 mentions varying batch-size schedules; no results are given", "19-20")},

	// C6: a higher eta/S memorises less (extended P1).
	{"c6", "P1", Finding, "eta/S and memorisation (extended P1)", "the extended version of P1 shows the positive impact of the learning rate to batch size ratio on the final robustness of the model to memorization", thesis("Sec. 3.2", "17")},
	{"c6", "P1", Finding, "noisy labels in practice", "learning a DNN on any dataset with noisy labels will be affected by the memorization phenomena characterised in P2", thesis("Sec. 3.5", "19-20")},
	{"c6", "P1", Setup, "models, data, noise level and grid of the memorisation experiment", NotStated, thesis("Sec. 3.2 (the extended P1's experiment is summarised in one sentence)", "17")},
	{"c6", "P1", Number, "accuracies on the noisy part, or their dependence on eta/S", NotStated, thesis("Sec. 3.2 (no values in the text)", "17")},

	// C7: Nudged SGD steers the endpoint's curvature, not its generalisation (P3).
	{"c7", "P3", Finding, "Nudged SGD", "Nudged SGD was demonstrated to be easily steerable towards flatter or sharper regions of the loss surface, while maintaining generalization performance: empirical evidence that curvature of the final minima does not fully determine generalization", thesis("Sec. 3.4", "19")},
	{"c7", "P3", Finding, "endpoint curvature and generalisation", "the curvature of the region that SGD converges to in certain situations is not predictive of generalization (which was suggested by prior work)", thesis("Sec. 3.5", "19-20")},
	{"c7", "P3", Setup, "models and data", "SimpleCNN and ResNet-32 on CIFAR-10 / Fashion-MNIST", claims("C3 paper setup (P3)")},
	{"c7", "P3", Number, "gamma, K, M and the curvatures and accuracies reached", NotStated, thesis("Sec. 3.4 (none in the text)", "18-19")},

	// C8: the step is too large along the sharpest directions (P3).
	{"c8", "P3", Finding, "too large step", "in most iterations the loss surface along the sharpest direction resembles a bowl, such that SGD crosses its minima, often taking a too large step", thesis("Fig. 3.1c caption", "13")},
	{"c8", "P3", Finding, "oscillation along the sharpest direction", "immediately after the early phase SGD oscillates in the subspace corresponding to the sharpest direction, while successfully descending along other directions", thesis("Sec. 3.4", "19")},
	{"c8", "P3", Finding, "inefficiency", "vanilla SGD-based training is inefficient and unstable in the sense that SGD largely oscillates along the sharpest direction in the loss surface", thesis("Sec. 3.5", "19")},
	{"c8", "P3", Setup, "models and data", "SimpleCNN and ResNet-32 on CIFAR-10 / Fashion-MNIST", claims("C3 paper setup (P3)")},
	{"c8", "P3", Number, "loss-minimising fraction of the step along e_1", NotStated, thesis("Fig. 3.1c (a schematic, no values) and Sec. 3.4", "13, 19")},

	// C9: residual networks do iterative inference (P4).
	{"c9", "P4", Finding, "blocks descend a local loss", "blocks in residual layers are implicitly encouraged towards moving representations in the direction that minimizes a notion of a local to the block loss, which resembles gradient descent on a loss surface", thesis("Sec. 4.1", "21")},
	{"c9", "P4", Finding, "architecture as a bias", "the architecture of residual network adds a somewhat surprising bias towards performing iterative inference", thesis("Sec. 4.4", "23")},
	{"c9", "P4", Finding, "measurable form", "each block moves the representation against the loss gradient, cos(F_i(h_i), dL/dh_i) < 0; smaller updates in later blocks; dropping late blocks costs little", claims("Beyond the four, P4")},
	{"c9", "P4", Setup, "models, data and training of P4's experiments", NotStated, thesis("Sec. 4.1 (P4 is summarised in words; no setup is given)", "21")},
	{"c9", "P4", Number, "cosines, relative block changes, accuracy after removing blocks", NotStated, thesis("Sec. 4.1 (no values in the text)", "21")},
}

// All returns every entry, in table order.
func All() []Entry { return append([]Entry(nil), entries...) }

// ForClaim returns the entries for a claim ID ("c1".."c4"), setups first,
// then findings, then numbers.
func ForClaim(id string) []Entry {
	var out []Entry
	for _, k := range []Kind{Setup, Finding, Number} {
		for _, e := range entries {
			if e.Claim == id && e.Kind == k {
				out = append(out, e)
			}
		}
	}
	return out
}
