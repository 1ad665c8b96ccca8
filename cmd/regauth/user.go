package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"

	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/config"
)

func newUserCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Add, change, delete and list the users of the htpasswd file",
		Long: `Manage the users of the htpasswd file named by auth.htpasswd (default
<data_dir>/htpasswd). Every change rewrites the file atomically and keeps its other
lines, comments and permissions; a running server picks the change up on reload.

Passwords are never taken from a flag: they are asked twice on the terminal without
echo, or read as one line from stdin with --password-stdin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage(errors.New("missing subcommand: add, passwd, del or list"))
		},
	}
	cmd.AddCommand(newUserAddCommand(), newUserPasswdCommand(), newUserDelCommand(), newUserListCommand())
	return cmd
}

// passwordFlags are the flags of the commands that set a password.
type passwordFlags struct {
	cost      int
	fromStdin bool
}

func (p *passwordFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&p.cost, "cost", bcrypt.DefaultCost, fmt.Sprintf("bcrypt cost (%d..%d); each step doubles the time of a login", bcrypt.MinCost, bcrypt.MaxCost))
	cmd.Flags().BoolVar(&p.fromStdin, "password-stdin", false, "read the password as one line from stdin instead of prompting")
}

// hash reads the new password and hashes it; the cost is checked before anyone types.
func (p *passwordFlags) hash(cmd *cobra.Command, user string) (string, error) {
	if p.cost < bcrypt.MinCost || p.cost > bcrypt.MaxCost {
		return "", usage(fmt.Errorf("--cost %d: want %d..%d", p.cost, bcrypt.MinCost, bcrypt.MaxCost))
	}
	pw, err := readNewPassword(cmd, user, p.fromStdin)
	if err != nil {
		return "", err
	}
	h, err := auth.HashBcrypt(pw, p.cost)
	if err != nil {
		return "", usage(err)
	}
	return h, nil
}

func newUserAddCommand() *cobra.Command {
	var pf passwordFlags
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a user with a bcrypt password",
		Example: `  regauth user add alice
  printf '%s\n' "$PASSWORD" | regauth user add ci-bot --password-stdin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return usage(err)
			}
			if err := auth.CheckName(name); err != nil {
				return usage(fmt.Errorf("user %w", err))
			}
			path := cfg.Auth.Htpasswd
			existsErr := func() error {
				return denied(fmt.Errorf("user %q already exists in %s: change the password with `regauth user passwd %s`", name, path, name))
			}
			// Ask before prompting, so nobody types a password for nothing.
			if f, err := auth.LoadHtpasswdFile(path); err == nil && f.Has(name) {
				return existsErr()
			}
			hash, err := pf.hash(cmd, name)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return fmt.Errorf("create the directory of auth.htpasswd: %w", err)
			}
			if err := setHash(path, name, hash, false, existsErr); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added user %q to %s\n", name, path)
			return nil
		},
	}
	pf.register(cmd)
	return cmd
}

func newUserPasswdCommand() *cobra.Command {
	var pf passwordFlags
	cmd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a new password for a user (also upgrades {SHA}, apr1 and refused lines to bcrypt)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return usage(err)
			}
			path := cfg.Auth.Htpasswd
			missing := func() error {
				return denied(fmt.Errorf("no user %q in %s: add it with `regauth user add %s`", name, path, name))
			}
			f, err := auth.LoadHtpasswdFile(path)
			if err != nil {
				return usage(err)
			}
			if !f.Has(name) {
				return missing()
			}
			hash, err := pf.hash(cmd, name)
			if err != nil {
				return err
			}
			if err := setHash(path, name, hash, true, missing); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "changed the password of %q in %s\n", name, path)
			return nil
		},
	}
	pf.register(cmd)
	return cmd
}

func newUserDelCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "del NAME",
		Short: "Delete a user and remove them from every group",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return usage(err)
			}
			lock, err := auth.LockForEdit(cfg.Auth.Htpasswd, cfg.Auth.Groups)
			if err != nil {
				return lockError(err)
			}
			defer lock.Unlock()
			users, err := auth.LoadHtpasswdFile(cfg.Auth.Htpasswd)
			if err != nil {
				return usage(err)
			}
			groups, err := auth.LoadGroupFile(cfg.Auth.Groups)
			if err != nil {
				return usage(err)
			}
			if !users.Delete(name) {
				return denied(fmt.Errorf("no user %q in %s", name, cfg.Auth.Htpasswd))
			}
			left := groups.RemoveUser(name)
			// Check both before writing either, so a bad group file cannot leave half a change.
			if err := errors.Join(users.Check(), groups.Check()); err != nil {
				return usage(err)
			}
			if err := users.Save(); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "deleted user %q from %s\n", name, cfg.Auth.Htpasswd)
			if len(left) > 0 {
				if err := groups.Save(); err != nil {
					return err
				}
				fmt.Fprintf(out, "removed %q from groups %s in %s\n", name, strings.Join(left, ", "), cfg.Auth.Groups)
			}
			return nil
		},
	}
}

func newUserListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users with their hash kind, groups and warnings",
		Long: `List the users of the htpasswd file in file order: the kind of hash ({SHA}, apr1 and
bcrypt are accepted; {SHA} and apr1 are weak), the groups from the group file, and why
a line is refused (plaintext and DES crypt passwords are never accepted). Hashes are
never printed. Exits 2 when the file has lines the server would refuse to load.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return usage(err)
			}
			users, err := auth.LoadHtpasswdFile(cfg.Auth.Htpasswd)
			if err != nil {
				return usage(err)
			}
			if !users.Exists() {
				return usage(fmt.Errorf("no user file at %s (auth.htpasswd): add a user with `regauth user add NAME`", cfg.Auth.Htpasswd))
			}
			memberOf := userGroups(cfg)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tHASH\tGROUPS\tWARNING")
			for _, u := range users.Users() {
				kind, warning := u.Kind.Label(), ""
				switch {
				case u.Refused != "":
					kind = "refused"
					warning = fmt.Sprintf("line %d: %s; the server ignores this user: set a password with `regauth user passwd %s`", u.Line, u.Refused, u.Name)
				case u.Kind.Weak():
					warning = fmt.Sprintf("weak hash: re-hash with `regauth user passwd %s`", u.Name)
				}
				groups := strings.Join(memberOf[u.Name], ",")
				if groups == "" {
					groups = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, kind, groups, warning)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if _, _, err := auth.ParseHtpasswd(bytes.NewReader(users.Bytes()), cfg.Auth.Htpasswd); err != nil {
				return usage(fmt.Errorf("the server refuses to load %s:\n%w", cfg.Auth.Htpasswd, err))
			}
			return nil
		},
	}
}

// userGroups maps each user to their groups, from the group file if there is a readable one.
func userGroups(cfg *config.Config) map[string][]string {
	out := map[string][]string{}
	g, err := auth.LoadGroupFile(cfg.Auth.Groups)
	if err != nil {
		return out
	}
	for _, grp := range g.Groups() {
		for _, m := range grp.Members {
			out[m] = append(out[m], grp.Name)
		}
	}
	return out
}

// editHtpasswd locks the user file, loads it, applies edit and saves the result.
func editHtpasswd(path string, edit func(*auth.HtpasswdFile) error) error {
	return editLocked(path, auth.LoadHtpasswdFile, edit)
}

// editGroups locks the group file, loads it, applies edit and saves the result.
func editGroups(path string, edit func(*auth.GroupFile) error) error {
	return editLocked(path, auth.LoadGroupFile, edit)
}

// editLocked holds the edit lock of path while it loads the file, applies edit and saves it.
func editLocked[F interface{ Save() error }](path string, load func(string) (F, error), edit func(F) error) error {
	lock, err := auth.LockForEdit(path)
	if err != nil {
		return lockError(err)
	}
	defer lock.Unlock()
	f, err := load(path)
	if err != nil {
		return usage(err)
	}
	if err := edit(f); err != nil {
		return err
	}
	return saveError(f.Save())
}

// lockError: another writer is a refusal (exit 1), anything else a setup problem.
func lockError(err error) error {
	if errors.Is(err, auth.ErrEditLocked) {
		return denied(err)
	}
	return usage(err)
}

// saveError: a file the server would refuse is a configuration problem (exit 2).
func saveError(err error) error {
	if err == nil {
		return nil
	}
	return usage(err)
}

// setHash writes name's new hash into the htpasswd file under the edit lock. Whether the user
// exists is checked again under the lock, since the file may have changed while the password was
// being typed: when it is not what exists says, refuse gives the error.
func setHash(path, name, hash string, exists bool, refuse func() error) error {
	return editHtpasswd(path, func(f *auth.HtpasswdFile) error {
		if f.Has(name) != exists {
			return refuse()
		}
		_, err := f.Set(name, hash)
		return err
	})
}
