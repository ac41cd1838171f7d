package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Helpers shared by the generators.

// function starts a NOSPLIT leaf function with the given Go signature and
// doc comment (copied into the stub file).
func function(name, sig string, doc ...string) {
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(sig)
	if len(doc) > 0 {
		c.Doc(doc...)
	}
}

// param returns the frame address of a parameter, for instructions that
// take a memory operand directly (VBROADCASTSS from the argument frame).
func param(name string) operand.Mem {
	b, err := c.Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// load loads an integer or pointer parameter into a fresh GP register.
func load(name string) reg.GPVirtual {
	r := c.GP64()
	c.Load(c.Param(name), r)
	return r
}

// mem is base+disp.
func mem(base reg.Register, disp int) operand.Mem {
	return operand.Mem{Base: base, Disp: disp}
}

// memi is base+index*scale+disp.
func memi(base, index reg.Register, scale uint8, disp int) operand.Mem {
	return operand.Mem{Base: base, Index: index, Scale: scale, Disp: disp}
}

// labels makes function-local label names unique.
type labels struct {
	fn string
	n  int
}

func (l *labels) new(what string) string {
	l.n++
	return fmt.Sprintf("%s_%s%d", l.fn, what, l.n)
}

func ret() {
	c.VZEROUPPER()
	c.RET()
}
