// Command regauth is a private container registry with real authentication: a Docker/OAuth2
// token service, a TLS front on one port, and the stock distribution registry behind it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit codes shared by every command.
const (
	exitOK     = 0
	exitDenied = 1 // denied, not found, a check that failed
	exitUsage  = 2 // bad flags, bad configuration
)

// run executes one command line; it is main without the process, so tests can call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "regauth:", err)
		if code, ok := err.(exitError); ok {
			return code.code
		}
		return exitUsage
	}
	return exitOK
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// denied marks err as a refusal or a missing thing (exit 1).
func denied(err error) error { return exitError{exitDenied, err} }

// usage marks err as a bad command line or configuration (exit 2).
func usage(err error) error { return exitError{exitUsage, err} }
