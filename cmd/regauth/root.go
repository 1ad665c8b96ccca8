package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/regauth/regauth/config"
)

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "regauth",
		Short:         "Authentication and authorization for a private container registry",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringP("config", "c", "", "configuration file (YAML); also REGAUTH_CONFIG")
	root.AddCommand(newServeCommand(), newUserCommand(), newGroupCommand(), newCertCommand(),
		newKeysCommand(), newACLCommand(), newTokenCommand())
	root.AddCommand(newRegistryConfigCommand(), newHashWorkerCommand())
	return root
}

// loadConfig reads the configuration named by --config (or REGAUTH_CONFIG), with the flags
// of cmd that share a setting's name overriding it.
func loadConfig(cmd *cobra.Command, flagKeys map[string]string) (*config.Config, error) {
	file, _ := cmd.Flags().GetString("config")
	if file == "" {
		file = os.Getenv("REGAUTH_CONFIG")
	}
	flags := map[string]*pflag.Flag{}
	for flagName, key := range flagKeys {
		if f := cmd.Flags().Lookup(flagName); f != nil {
			flags[key] = f
		}
	}
	return config.Load(config.LoadOptions{File: file, Flags: flags})
}

// newLogger builds the process logger from the configuration, and points the libraries that
// log through globals (gin, the registry's logrus) at the same level and stream.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
		logrus.SetFormatter(&logrus.JSONFormatter{})
	}
	gin.SetMode(gin.ReleaseMode)
	logrus.SetOutput(w)
	// The registry logs every 404 of a blob probe as an error; keep its chatter a level down.
	switch {
	case level <= slog.LevelDebug:
		logrus.SetLevel(logrus.DebugLevel)
	default:
		logrus.SetLevel(logrus.WarnLevel)
	}
	return slog.New(h)
}
