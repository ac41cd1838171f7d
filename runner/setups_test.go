package runner

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/claims/stats"
)

// twoSetupClaim is a claim with a synthetic setup and one on CIFAR-10,
// which these machines do not have: planning keeps the first and leaves
// the second out with a note; a config naming the second is refused by
// Check with the data's own message.
type twoSetupClaim struct{}

func (twoSetupClaim) Info() claims.Info {
	return claims.Info{ID: "rs2", Short: "runner-setups", Name: "two setups", Paper: "none", Statement: "x"}
}
func (c twoSetupClaim) Spec(s claims.Scale) claims.Spec { return c.Specs(s)[0] }
func (twoSetupClaim) Specs(s claims.Scale) []claims.Spec {
	return []claims.Spec{
		{Scale: s, Seeds: 2, Data: claims.Synthetic, SetupID: "toy-synthetic", Setup: []string{"x"}, Config: map[string]int{"n": 1}},
		{Scale: s, Seeds: 2, Data: "cifar10", SetupID: "toy-cifar10", Setup: []string{"x"}, Config: map[string]int{"n": 2}},
	}
}
func (twoSetupClaim) Run(context.Context, *claims.Env, claims.Spec) (*claims.Evidence, error) {
	ev := &claims.Evidence{Figures: map[string]float64{"x": 1}}
	return ev, ev.SetMeasurements(1)
}
func (twoSetupClaim) Verdict(*claims.Evidence) (*claims.Verdict, error) {
	ck := claims.Check{Name: "x", Statistic: "x", Value: stats.NaNInterval(), Threshold: "t", Reason: "r", Outcome: claims.Holds}
	return &claims.Verdict{Outcome: claims.Holds, Checks: []claims.Check{ck}}, nil
}

func init() { claims.Register(twoSetupClaim{}) }

func TestClaimRunsPlansEverySetupWhoseDataAreHere(t *testing.T) {
	t.Setenv("SGDCLAIMS_DATA", t.TempDir()) // no cifar10/ in it
	runs, skipped, err := ClaimRuns("runner-setups", "quick", 0, "all")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || len(skipped) != 1 || !strings.Contains(skipped[0], "toy-cifar10: not planned: data absent") {
		t.Fatalf("runs %d, skipped %q", len(runs), skipped)
	}
	var cc ClaimConfig
	if err := json.Unmarshal(runs[0].Config, &cc); err != nil {
		t.Fatal(err)
	}
	if cc.Claim != "rs2" || cc.SetupID != "toy-synthetic" || cc.Data != claims.Synthetic {
		t.Errorf("planned %+v: want the ID, the setup and its data filled in", cc)
	}
	// Synthetic setups are kept by every filter.
	if runs, skipped, err := ClaimRuns("rs2", "quick", 0, "cifar10"); err != nil || len(runs) != 1 || len(skipped) != 1 {
		t.Errorf("--data cifar10: %d runs, skipped %q, %v", len(runs), skipped, err)
	}
	if _, _, err := ClaimRuns("rs2", "quick", 0, "/some/dir"); err == nil || !strings.Contains(err.Error(), "SGDCLAIMS_DATA") {
		t.Errorf("a directory as --data: %v", err)
	}
	// The setup names its data: a contradicting data field is refused.
	bad := ClaimConfig{Claim: "rs2", Scale: "quick", SetupID: "toy-synthetic", Data: "fashion-mnist"}
	if err := bad.Normalize(); err == nil || !strings.Contains(err.Error(), "trains on synthetic") {
		t.Errorf("contradicting data: %v", err)
	}
	unknown := ClaimConfig{Claim: "rs2", Scale: "quick", SetupID: "nope"}
	if err := unknown.Normalize(); err == nil || !strings.Contains(err.Error(), "toy-synthetic, toy-cifar10") {
		t.Errorf("unknown setup: %v", err)
	}
	// Each setup has its own configuration hash.
	a := ClaimConfig{Claim: "rs2", Scale: "quick", SetupID: "toy-synthetic"}
	b := ClaimConfig{Claim: "rs2", Scale: "quick", SetupID: "toy-cifar10"}
	if err := a.Normalize(); err != nil {
		t.Fatal(err)
	}
	if err := b.Normalize(); err != nil {
		t.Fatal(err)
	}
	if a.Setup == b.Setup {
		t.Errorf("two setups share the hash %s", a.Setup)
	}
	if err := b.Check(); err == nil || !strings.Contains(err.Error(), "cifar10") {
		t.Errorf("Check of the absent setup: %v", err)
	}
}

// A sweep planned before setups existed (no setup_id; "mnist" as the data
// of a synthetic claim) opens after Upgrade with its stored results, which
// keep their records; a second Upgrade changes nothing, and a run this
// build would compute differently is refused without touching anything.
func TestUpgradeReidentifiesOldClaimSweeps(t *testing.T) {
	dir := t.TempDir()
	runs, _, err := ClaimRuns("rs2", "quick", 0, "all")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WritePlan(dir, "test", nil, runs, false); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(context.Background(), All(s.Len()), Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	// Rewrite the plan and its result as an older build wrote them.
	var cc map[string]any
	if err := json.Unmarshal(runs[0].Config, &cc); err != nil {
		t.Fatal(err)
	}
	delete(cc, "setup_id")
	cc["data"] = "mnist"
	oldCfg, _ := json.Marshal(cc)
	oldID := IDOf(runs[0].Kind, oldCfg)
	res, _, err := s.Load(runs[0])
	if err != nil {
		t.Fatal(err)
	}
	res.ID, res.Config = oldID, oldCfg
	res.Checksum, _ = res.computeChecksum()
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(s.resultPath(oldID), b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(s.resultPath(runs[0].ID))
	old := []Run{{Index: 0, ID: oldID, Kind: runs[0].Kind, Label: runs[0].Label, Config: oldCfg}}
	if _, err := WritePlan(dir, "test", nil, old, true); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "does not match its configuration") {
		t.Fatalf("the old plan opens: %v", err)
	}
	n, err := Upgrade(dir)
	if err != nil || n != 1 {
		t.Fatalf("Upgrade: %d, %v", n, err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, st, err := s.Load(s.Runs()[0])
	if err != nil || st != Done || string(got.Record) != string(res.Record) {
		t.Fatalf("upgraded result: %v %v", st, err)
	}
	if _, err := os.Stat(s.resultPath(oldID)); !os.IsNotExist(err) {
		t.Errorf("the old result file is still there: %v", err)
	}
	if n, err := Upgrade(dir); n != 0 || err != nil {
		t.Errorf("second Upgrade: %d, %v", n, err)
	}
	// Another setup hash: refused, nothing changed.
	cc["setup"] = "000000000000"
	bad, _ := json.Marshal(cc)
	if _, err := WritePlan(dir, "test", nil, []Run{{ID: IDOf(runs[0].Kind, bad), Kind: runs[0].Kind, Config: bad}}, true); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(ManifestPath(dir))
	if _, err := Upgrade(dir); err == nil || !strings.Contains(err.Error(), "only planned again") {
		t.Errorf("Upgrade of another setup: %v", err)
	}
	after, _ := os.ReadFile(ManifestPath(dir))
	if string(before) != string(after) {
		t.Error("a refused upgrade changed the manifest")
	}
}

// --setups plans only the named setups: the others are neither planned nor
// listed as skipped, and a name that is no setup of the claim is refused.
func TestClaimRunsOfNamedSetups(t *testing.T) {
	t.Setenv("SGDCLAIMS_DATA", t.TempDir())
	runs, skipped, err := ClaimRunsOf("rs2", "quick", 0, "all", "toy-synthetic")
	if err != nil || len(runs) != 1 || len(skipped) != 0 {
		t.Fatalf("--setups toy-synthetic: %d runs, skipped %q, %v", len(runs), skipped, err)
	}
	if _, _, err := ClaimRunsOf("rs2", "quick", 0, "all", "toy-cifar10"); err == nil || !strings.Contains(err.Error(), "nothing to plan") {
		t.Errorf("--setups of a setup whose data are absent: %v", err)
	}
	if _, _, err := ClaimRunsOf("rs2", "quick", 0, "all", "toy-synthetic,nope"); err == nil || !strings.Contains(err.Error(), `"nope": not a quick setup`) || !strings.Contains(err.Error(), "toy-cifar10") {
		t.Errorf("unknown setup: %v", err)
	}
}
