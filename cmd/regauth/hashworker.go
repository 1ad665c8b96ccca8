package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/auth/hashproc"
)

// hashWorkerCommand is the name regauth serve starts its password-hashing workers under.
const hashWorkerCommand = "hash-worker"

func newHashWorkerCommand() *cobra.Command {
	return &cobra.Command{
		Use:    hashWorkerCommand,
		Short:  "Check passwords for regauth serve, at idle priority (started by it; speaks on standard input and output)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return hashproc.Work(cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}

// passwordHasher is what regauth serve hashes passwords with: worker processes at idle
// priority where the system has them (one per hash slot), otherwise, or if they cannot start,
// threads of its own at lowered priority.
func passwordHasher(slots int, stderr io.Writer, logger *slog.Logger) (auth.Hasher, func()) {
	if !hashproc.Supported {
		return auth.InProcess{}, func() {}
	}
	self, err := os.Executable()
	if err == nil {
		var pool *hashproc.Pool
		pool, err = hashproc.New(hashproc.Options{
			Workers: slots, Path: self, Args: []string{hashWorkerCommand},
			Env: []string{"GOMAXPROCS=1"}, Stderr: stderr, Fallback: auth.InProcess{}, Logger: logger,
		})
		if err == nil {
			return pool, pool.Close
		}
	}
	logger.Warn("password hashes run in process", slog.String("reason", fmt.Sprint(err)))
	return auth.InProcess{}, func() {}
}
