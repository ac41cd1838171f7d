package reports_test

import (
	"os"

	"github.com/sgdclaims/sgdclaims/reports"
)

func ExampleTable() {
	reports.Table(os.Stdout, []string{"claim", "verdict"}, [][]string{{"c2", "holds"}})
	// Output:
	// | claim | verdict |
	// |:------|:--------|
	// | c2    | holds   |
}
