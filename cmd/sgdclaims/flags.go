package main

import (
	"errors"
	"flag"
	"io"
)

// errHelp reports that -h was asked for: the usage was printed, exit 0.
var errHelp = errors.New("help requested")

// newFlagSet returns a FlagSet that reports errors instead of exiting, so the
// command decides the exit status (2 for a bad flag).
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sgdclaims "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, mapping -h to errHelp and any other parse problem
// to a usage error. Positional arguments are refused: every input is a flag.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
