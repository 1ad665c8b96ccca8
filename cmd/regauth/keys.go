package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/config"
	"github.com/regauth/regauth/tokens"
)

func newKeysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the token signing key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage(errors.New("missing subcommand: init or rotate"))
		},
	}
	cmd.AddCommand(newKeysInitCommand(), newKeysRotateCommand())
	return cmd
}

func newKeysRotateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Replace the token signing key with a new one from the same root",
		Long: `Write a new signing key under <data_dir>/token, signed by the existing root, so the
registry's rootcertbundle needs no change. A running regauth signs with the new key as soon
as it sees the files; the old key stays in the JWKS until the tokens it signed expire, and
refresh tokens it signed keep working.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := generatedKeysConfig(cmd, "rotate it by replacing that file")
			if err != nil {
				return err
			}
			kp, err := tokens.RotateSigningKey(cfg.TokenDir(), cfg.Token.Algorithm, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new signing key %s (%s), signed by the root in %s\n",
				kp.KeyID, kp.Method.Alg(), filepath.Join(cfg.TokenDir(), tokens.RootCertFile))
			return nil
		},
	}
	cmd.Flags().String("algorithm", "", "ES256 or RS256 (default: token.algorithm)")
	return cmd
}

func newKeysInitCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the token signing key and root certificate (or reuse them) and print the registry settings",
		Long: `Create, under <data_dir>/token, a root certificate and a signing key signed by it, as
serve does on first start; existing keys are reused (and a signing certificate close to
expiry renewed from the same root). Prints the key id and the root certificate a stock
registry needs as auth.token.rootcertbundle, with the whole auth.token block.

--algorithm (or token.algorithm) chooses ES256 (default) or RS256 for new keys only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := generatedKeysConfig(cmd, "keys init only manages generated keys; leave them empty to use it")
			if err != nil {
				return err
			}
			gen, err := tokens.EnsureKeys(cfg.TokenDir(), cfg.Token.Algorithm, time.Now())
			if err != nil {
				return err
			}
			kp := gen.KeyPair
			out := cmd.OutOrStdout()
			if gen.Created {
				fmt.Fprintf(out, "created the %s token signing key in %s\n", kp.Method.Alg(), cfg.TokenDir())
			} else {
				fmt.Fprintf(out, "reusing the %s token signing key in %s\n", kp.Method.Alg(), cfg.TokenDir())
			}
			if kp.Method.Alg() != cfg.Token.Algorithm {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: the existing key is %s, not %s; to change, move %s away and run keys init again (registries must then trust the new root)\n",
					kp.Method.Alg(), cfg.Token.Algorithm, cfg.TokenDir())
			}
			root, err := filepath.Abs(gen.RootFile)
			if err != nil {
				root = gen.RootFile
			}
			fmt.Fprintf(out, "key id:           %s\n", kp.KeyID)
			fmt.Fprintf(out, "root certificate: %s\n", root)
			fmt.Fprintf(out, "\nFor a stock registry (registry:2 or registry:3), configure:\n\nauth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n",
				cfg.Realm(), cfg.Token.Service, cfg.Token.Issuer, root)
			fmt.Fprintln(out, "\n(`regauth registry-config` also writes the JWKS for registry:3 and prints the block as environment variables.)")
			return nil
		},
	}
	cmd.Flags().String("algorithm", "", "ES256 or RS256, for a new key (default ES256, or token.algorithm)")
	return cmd
}

// generatedKeysConfig loads the configuration for a command that manages the generated key
// under data_dir/token, and refuses when token.key names a key of the admin's own.
func generatedKeysConfig(cmd *cobra.Command, hint string) (*config.Config, error) {
	cfg, err := loadConfig(cmd, map[string]string{"algorithm": "token.algorithm"})
	if err != nil {
		return nil, usage(err)
	}
	if cfg.Token.Key != "" {
		return nil, usage(fmt.Errorf("token.key and token.cert are configured (%s): %s", cfg.Token.Key, hint))
	}
	return cfg, nil
}
