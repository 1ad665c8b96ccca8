package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/app"
)

func newRegistryConfigCommand() *cobra.Command {
	var outDir, mountDir string
	var env bool
	cmd := &cobra.Command{
		Use:   "registry-config",
		Short: "Print the auth.token block a stock registry:2/registry:3 needs, and write its files",
		Long: `Writes the token root certificate bundle and the JWKS into --out (default
<data_dir>/registry-auth) and prints the registry configuration that trusts regauth:
the auth.token block for config.yml, or REGISTRY_AUTH_TOKEN_* variables with --env.
Use --mount-path when the registry runs in a container that sees --out elsewhere.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return exitError{exitUsage, err}
			}
			if outDir == "" {
				outDir = filepath.Join(cfg.DataDir, "registry-auth")
			}
			ra, err := app.WriteRegistryAuth(cfg, newLogger(cfg, cmd.ErrOrStderr()), outDir, mountDir)
			if err != nil {
				return err
			}
			if env {
				fmt.Fprint(cmd.OutOrStdout(), ra.Env)
			} else {
				fmt.Fprint(cmd.OutOrStdout(), ra.YAML)
			}
			for _, f := range ra.Files {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", f)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&outDir, "out", "", "directory for root.crt and jwks.json (default <data_dir>/registry-auth)")
	cmd.Flags().StringVar(&mountDir, "mount-path", "", "where the registry sees --out (e.g. /etc/docker/registry/auth)")
	cmd.Flags().BoolVar(&env, "env", false, "print REGISTRY_AUTH_TOKEN_* environment variables instead of YAML")
	return cmd
}
