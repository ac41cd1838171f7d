// Package exchangeability is claim C1: learning rate and batch size are
// exchangeable through their ratio eta/S (P1, Jastrzebski et al. 2017;
// thesis Sec. 3.2, Fig. 3.1a). SGD runs with the same eta/S reach endpoints
// of similar curvature and validation accuracy, and a higher ratio reaches
// a flatter endpoint. What is measured, the checks and their thresholds
// with the reasons are written beside the constants in exchangeability.go.
//
// The claim registers itself as "c1" (claims.Register); claims/all imports
// it. Its units are one SGD run per (eta, S) and seed (claims.GridUnits
// over a claims.CurvGrid, shared with C3).
//
//	exchangeability.go  Info, the grid at both scales, Spec, the record, Merge
//	verdict.go          the summary over seeds, the checks, the verdict, the figures
//	report.go           tables, plots and notes
package exchangeability
