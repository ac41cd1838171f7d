package curvature

import (
	"context"
	"fmt"
)

// interrupted returns nil while ctx is live, and once it is done an error
// naming the estimator that wraps ctx.Err() ("curvature: Lanczos: context
// canceled"), so that errors.Is(err, ctx.Err()) holds. The Context variants
// call it before every operator application (or LASS step); it reads ctx
// only, so it changes nothing in the arithmetic or its order.
func interrupted(ctx context.Context, who string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("curvature: %s: %w", who, err)
	}
	return nil
}
