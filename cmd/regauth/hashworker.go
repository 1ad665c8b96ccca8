package main

import (
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

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
		// Signals sent to the whole group (Ctrl-C, a terminal hanging up, systemd stopping the
		// unit) do not end a worker in the middle of a check: run catches SIGINT and SIGTERM
		// for every command and this one ignores them, and SIGHUP (regauth's reload) too. A
		// worker ends when regauth closes its input, or exits.
		RunE: func(cmd *cobra.Command, _ []string) error {
			signal.Ignore(syscall.SIGHUP)
			return hashproc.Work(cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}

// passwordHasher is what regauth serve hashes passwords with: one worker process per hash
// slot at idle priority where the system has them, otherwise, or if they cannot start,
// threads of its own at lowered priority. slots must be the auth store's bound on concurrent
// hashes (both are GOMAXPROCS when serve starts).
func passwordHasher(slots int, stderr io.Writer, logger *slog.Logger) (auth.Hasher, func()) {
	if !hashproc.Supported {
		logger.Info("password hashes run in process: hash workers need Linux")
		return auth.InProcess{}, func() {}
	}
	pool, err := hashproc.New(hashproc.Options{
		Workers: slots, Path: "/proc/self/exe", Args: []string{os.Args[0], hashWorkerCommand},
		Env: []string{"GOMAXPROCS=1"}, Stderr: stderr, Fallback: auth.InProcess{}, Logger: logger,
	})
	if err != nil {
		logger.Warn("password hashes run in process", slog.Any("reason", err))
		return auth.InProcess{}, func() {}
	}
	return pool, pool.Close
}
