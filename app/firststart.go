package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/config"
	"github.com/regauth/regauth/internal/atomicfile"
)

// AdminPasswordFile holds the generated admin password (0600) under the data directory.
const AdminPasswordFile = "admin-password"

// firstStart writes the files a zero-config start needs, but only where the configuration
// leaves them at their defaults under the data directory: a path the admin named must exist.
// It returns the generated admin password when it created the user file.
func firstStart(cfg *config.Config, logger *slog.Logger) (auth.Password, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data_dir: %w", err)
	}
	def := config.Default()
	def.DataDir = cfg.DataDir
	def.Resolve()

	var password auth.Password
	if cfg.Auth.Htpasswd == def.Auth.Htpasswd && missing(cfg.Auth.Htpasswd) {
		pw, err := randomPassword()
		if err != nil {
			return "", err
		}
		hash, err := auth.HashBcrypt(pw, 0)
		if err != nil {
			return "", err
		}
		if err := atomicfile.Write(filepath.Join(cfg.DataDir, AdminPasswordFile), []byte(pw.Reveal()+"\n"), 0o600); err != nil {
			return "", err
		}
		content := "# Users, in Apache htpasswd format. Manage them with `regauth user add|passwd|del`.\nadmin:" + hash + "\n"
		if err := atomicfile.Write(cfg.Auth.Htpasswd, []byte(content), 0o600); err != nil {
			return "", err
		}
		logger.Info("created user file with an admin user", "path", cfg.Auth.Htpasswd)
		password = pw
	}
	if cfg.Auth.Groups == def.Auth.Groups && missing(cfg.Auth.Groups) {
		content := "# Groups, in Apache group-file format: \"group: user user ...\".\n# pusher may push (see acl.yaml); admins may do everything.\npusher:\nadmins: admin\n"
		if err := atomicfile.Write(cfg.Auth.Groups, []byte(content), 0o644); err != nil {
			return "", err
		}
		logger.Info("created group file", "path", cfg.Auth.Groups)
	}
	if cfg.ACL.File == def.ACL.File && missing(cfg.ACL.File) {
		if err := atomicfile.Write(cfg.ACL.File, acl.ClassicYAML(), 0o644); err != nil {
			return "", err
		}
		logger.Info("created example ACL with the classic rules", "path", cfg.ACL.File)
	}
	return password, nil
}

func missing(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// randomPassword is 26 base32 characters: 130 random bits.
func randomPassword() (auth.Password, error) {
	return auth.Password(rand.Text()), nil
}
