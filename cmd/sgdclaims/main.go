// Command sgdclaims trains models on the project's training core, measures
// curvature, and verifies the thesis claims. See doc.go for the manual.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	_ "github.com/sgdclaims/sgdclaims/claims/all" // every claim, registered
)

// usageError marks a bad flag, bad input file or impossible hyperparameter:
// the command prints its one line and exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef builds a usageError.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// command is one subcommand: it reads args, writes results to stdout and
// progress to stderr, and returns an error (usageError for status 2).
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func register(c command) { commands = append(commands, c) }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sgdclaims <command> [flags]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "Run 'sgdclaims <command> -h' for a command's flags.")
}

// exitCode maps an error to the documented exit statuses: 0 success, 1 a
// claim does not hold (errClaimFails), 2 usage or input error.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	case errors.Is(err, errClaimFails):
		return 1
	default:
		return 2
	}
}

// errClaimFails is returned by commands whose verdict is "a claim does not hold".
var errClaimFails = errors.New("a claim does not hold")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			if err != nil && !errors.Is(err, errHelp) {
				fmt.Fprintf(stderr, "sgdclaims %s: %v\n", c.name, err)
			}
			if errors.Is(err, errHelp) {
				return 0
			}
			return exitCode(err)
		}
	}
	fmt.Fprintf(stderr, "sgdclaims: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}
