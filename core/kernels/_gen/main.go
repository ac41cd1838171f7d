// Command _gen generates the Go assembly of the avx512 and avx2 kernel
// implementations in package kernels with avo.
//
// It is its own module so that the avo dependency never reaches the root
// module. Run it through go generate in core/kernels, or directly:
//
//	go run . -isa avx512 -dir ..
//	go run . -isa avx2 -dir ..
//
// Each run writes <isa>_amd64.s and <isa>_stubs_amd64.go into dir. The
// header names the command without the output directory, so generating into
// a temporary directory (check.sh) gives byte-identical files.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
)

// c is the avo build context every generator appends to; one process
// generates one ISA's file.
var c = build.NewContext()

func main() {
	isa := flag.String("isa", "", "instruction set to generate: avx512 or avx2")
	dir := flag.String("dir", ".", "output directory")
	flag.Parse()

	gens := map[string]func(){
		"avx512": genAVX512,
		"avx2":   genAVX2,
	}
	gen, ok := gens[*isa]
	if !ok {
		fmt.Fprintf(os.Stderr, "_gen: -isa must be avx512 or avx2, not %q\n", *isa)
		os.Exit(2)
	}

	// The asm is excluded by the purego tag (and, by its file name suffix,
	// on every other architecture).
	c.ConstraintExpr("!purego")
	gen()

	if err := write(*isa, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "_gen:", err)
		os.Exit(1)
	}
}

func write(isa, dir string) error {
	asm, err := os.Create(filepath.Join(dir, isa+"_amd64.s"))
	if err != nil {
		return err
	}
	stubs, err := os.Create(filepath.Join(dir, isa+"_stubs_amd64.go"))
	if err != nil {
		return err
	}
	cfg := printer.Config{
		Argv: []string{"go", "run", ".", "-isa", isa},
		Pkg:  "kernels",
	}
	status := build.Main(&build.Config{
		ErrOut:    os.Stderr,
		MaxErrors: 10,
		Passes: []pass.Interface{
			pass.Compile,
			&pass.Output{Writer: asm, Printer: printer.NewGoAsm(cfg)},
			&pass.Output{Writer: stubs, Printer: printer.NewStubs(cfg)},
		},
	}, c)
	if status != 0 {
		return fmt.Errorf("generating %s failed", isa)
	}
	return nil
}
