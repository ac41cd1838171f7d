package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/core/data"
)

func init() {
	RegisterKind(Kind{Name: "claim", Summary: "run one thesis claim at a scale and decide its verdict", New: func() Config { return &ClaimConfig{} }})
}

// ClaimConfig is a run of kind "claim": a whole claim (all its seeds and
// grid points) at one scale, as `sgdclaims verify --claims ID` runs it.
type ClaimConfig struct {
	// Claim is the claim's ID ("c1" .. "c4").
	Claim string `json:"claim"`
	// Scale is "quick" or "full" (default "full": sweeps exist for the
	// paper's regime).
	Scale string `json:"scale"`
	// Seeds overrides the spec's number of replicates (0: the spec's).
	Seeds int `json:"seeds,omitempty"`
	// Data is "mnist" (default) or a directory of MNIST IDX files; claims
	// on synthetic data ignore it.
	Data string `json:"data"`
}

// ClaimRecord is the stored record of a claim run: the evidence and the
// verdict, with the wall time and GOMAXPROCS moved to the result's stamp so
// that the record is deterministic.
type ClaimRecord = claims.Result

// Normalize fills in defaults and checks the fields.
func (c *ClaimConfig) Normalize() error {
	c.Claim = strings.ToLower(strings.TrimSpace(c.Claim))
	if c.Scale == "" {
		c.Scale = string(claims.Full)
	}
	if c.Data == "" {
		c.Data = "mnist"
	}
	if c.Claim == "" {
		return fieldErr("claim", "required (known: %s)", strings.Join(claims.IDs(), ", "))
	}
	if _, err := claims.Lookup(c.Claim); err != nil {
		return fieldErr("claim", "%v", err)
	}
	if _, err := claims.ParseScale(c.Scale); err != nil {
		return fieldErr("scale", "%v", err)
	}
	if c.Seeds < 0 || c.Seeds == 1 {
		return fieldErr("seeds", "need 0 (the claim's default) or at least 2 for an interval, got %d", c.Seeds)
	}
	return nil
}

// Check resolves the data when the claim trains on MNIST.
func (c *ClaimConfig) Check() error {
	cl, _ := claims.Lookup(c.Claim)
	if cl.Spec(claims.Scale(c.Scale)).Data == "mnist" {
		if _, err := data.ResolveData(c.Data); err != nil {
			return fieldErr("data", "%v", err)
		}
	}
	return nil
}

// Execute runs the claim and judges it.
func (c *ClaimConfig) Execute(ctx context.Context, env *Env) (*Output, error) {
	cl, err := claims.Lookup(c.Claim)
	if err != nil {
		return nil, err
	}
	cenv := &claims.Env{Data: c.Data, Seeds: c.Seeds}
	if env != nil {
		cenv.Workers = env.Workers
	}
	if env != nil && env.Progress != nil {
		cenv.Progress = func(p claims.Progress) { env.Progress(p.Done, p.Total) }
	}
	res, err := claims.RunClaim(ctx, cl, claims.Scale(c.Scale), cenv)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if res.Evidence == nil || res.Verdict == nil {
		return nil, errors.New("claim returned no evidence or verdict")
	}
	isa := res.Evidence.ISA
	res.Evidence.Seconds, res.Evidence.GOMAXPROCS = 0, 0
	figs := map[string]float64{}
	for k, v := range res.Evidence.Figures {
		figs[k] = v
	}
	return &Output{Record: res, Figures: figs, ISA: isa}, nil
}

// claimLabel is the label of a claim run in a manifest.
func claimLabel(c *ClaimConfig) string {
	l := fmt.Sprintf("%s %s", c.Claim, c.Scale)
	if c.Seeds > 0 {
		l += fmt.Sprintf(" seeds=%d", c.Seeds)
	}
	return l
}
