package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/app"
)

func newServeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the token service, the TLS front and the registry on one port",
		Long: `Run regauth: /auth (token service), /v2/ (the registry) and health checks on one
TLS port (default :5043).

With no configuration at all, regauth creates under ./regauth-data a development
certificate, a token signing key, an admin user with a random password (printed once
and kept in regauth-data/admin-password), a group file and an example ACL, and
embeds the registry with its storage in regauth-data/registry.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"listen": "listen", "data-dir": "data_dir", "public-url": "public_url", "log-level": "log.level", "shutdown-grace": "shutdown_grace"})
			if err != nil {
				return err
			}
			logger := newLogger(cfg, cmd.ErrOrStderr())
			collectGarbageLessOften(os.Getenv)
			hasher, stopHashing := passwordHasher(runtime.GOMAXPROCS(0), cmd.ErrOrStderr(), logger)
			defer stopHashing()
			a, err := app.New(cmd.Context(), cfg, logger, hasher)
			if err != nil {
				return exitError{exitUsage, err}
			}
			spareProcsForHashes(os.Getenv, a.Users.HashSlots())
			ln, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "regauth is serving %s (token realm %s, service %q)\n", cfg.PublicURL, cfg.Realm(), cfg.Token.Service)
			if a.AdminPassword != "" {
				fmt.Fprintf(out, "\nCreated user \"admin\" with password: %s\n(also saved in %s; it is shown only once)\n",
					a.AdminPassword.Reveal(), filepath.Join(cfg.DataDir, app.AdminPasswordFile))
			}
			if a.DevCAFile != "" {
				host := hostPort(cfg.PublicURL)
				fmt.Fprintf(out, "\nServing a development certificate. To trust it for docker:\n  sudo mkdir -p /etc/docker/certs.d/%s && sudo cp %s /etc/docker/certs.d/%s/ca.crt\n",
					host, a.DevCAFile, host)
			}
			fmt.Fprintln(out)
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go func() {
				for range hup {
					logger.Info("SIGHUP: reloading every file")
					a.Watcher.ReloadAll()
				}
			}()
			return a.Serve(cmd.Context(), ln, cfg.ShutdownGrace)
		},
	}
	f := cmd.Flags()
	f.String("listen", "", "address of the TLS front (default :5043)")
	f.String("data-dir", "", "directory for keys, certificates, users and registry storage (default ./regauth-data)")
	f.String("public-url", "", "URL clients use to reach the front (default https://localhost:<port>)")
	f.String("log-level", "", "debug, info, warn or error")
	f.Duration("shutdown-grace", 0, "how long requests and uploads in flight may run after SIGTERM (default 30s)")
	return cmd
}

// gcPercent is regauth's garbage-collection target when GOGC is not set. regauth keeps little
// alive (users, rules, keys: about 3 MiB under load) but allocates about 13 KiB per token, so
// at Go's default of 100 a busy token service collects every few milliseconds. Each collection
// stops the world and then takes a P for marking: on two cores, warm tokens served during one
// wait behind it, and those waits make the tail. At 1000 the heap may grow to about 40 MiB
// (memoryLimit caps it) and a collection comes every ~0.3 s at 10,000 tokens/s instead of
// every ~0.1 s at 400: warm p99 at that rate went from 10–55 ms to 5–16 ms (six interleaved
// rounds each, same binary).
const gcPercent = 1000

// memoryLimit caps the heap growth gcPercent allows: past it the collector runs as often as it
// must to stay under (a soft limit, never an error). regauth's live heap stays far below it
// (a few MiB for tokens, about 30 MiB with HTTP/2 layer uploads in flight), and with it the
// process stays under 100 MiB resident during multi-GiB transfers.
const memoryLimit = 64 << 20

// collectGarbageLessOften applies gcPercent and memoryLimit unless the administrator set GOGC
// or GOMEMLIMIT (an installation with a very large htpasswd file may want a higher limit).
func collectGarbageLessOften(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// spareProcsForHashes adds a P for each password hash that may run at once, unless the
// administrator set GOMAXPROCS. Hashes run in worker processes, but when a worker is too slow
// (a machine busy with other work) or none could start, they run here on a thread of lowered
// priority that holds a P while it runs (auth.InProcess): with a P to spare for each, warm
// token requests, TLS handshakes and transfers keep every core, and the kernel runs them before
// the hashes. Setting GOMAXPROCS fixes it from then on: a container CPU limit changed at run
// time is no longer followed.
func spareProcsForHashes(getenv func(string) string, hashSlots int) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + hashSlots)
	}
}

// hostPort is the host:port part of the public URL, as docker names its certs.d directory.
func hostPort(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil {
		return publicURL
	}
	return u.Host
}
