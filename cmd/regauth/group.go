package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/config"
)

func newGroupCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Add users to groups, remove them, delete and list groups",
		Long: `Manage the Apache group file named by auth.groups (default <data_dir>/groups),
whose lines read "group: user1 user2". The ACL grants by group (the classic rules let
group pusher push and group admins do everything). Every change rewrites the file
atomically and keeps its other lines, comments and permissions.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage(errors.New("missing subcommand: add, del or list"))
		},
	}
	cmd.AddCommand(newGroupAddCommand(), newGroupDelCommand(), newGroupListCommand())
	return cmd
}

func newGroupAddCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "add GROUP [USER...]",
		Short:   "Add users to a group, creating the group if needed",
		Example: "  regauth group add pusher alice bob",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			group, users := args[0], args[1:]
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return usage(err)
			}
			for _, name := range args {
				if err := auth.CheckName(name); err != nil {
					return usage(err)
				}
			}
			path := cfg.Auth.Groups
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return fmt.Errorf("create the directory of auth.groups: %w", err)
			}
			var added []string
			created := false
			err = editGroups(path, func(f *auth.GroupFile) error {
				created = !f.Has(group)
				added, err = f.Add(group, users...)
				return err
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if created {
				fmt.Fprintf(out, "created group %q in %s\n", group, path)
			}
			if len(added) > 0 {
				fmt.Fprintf(out, "added %s to group %q\n", strings.Join(added, ", "), group)
			}
			if already := without(users, added); len(already) > 0 {
				fmt.Fprintf(out, "already in group %q: %s\n", group, strings.Join(already, ", "))
			}
			warnUnknownUsers(cmd, cfg, added)
			return nil
		},
	}
}

func newGroupDelCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "del GROUP [USER...]",
		Short: "Remove users from a group, or delete the group when no user is named",
		Long: `Remove the named users from GROUP; the group stays, even when it becomes empty.
Without users, delete the group and all its lines. Naming a user who is not a member
changes nothing and exits 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			group, users := args[0], args[1:]
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return usage(err)
			}
			path := cfg.Auth.Groups
			var members []string
			err = editGroups(path, func(f *auth.GroupFile) error {
				i := slices.IndexFunc(f.Groups(), func(g auth.Group) bool { return g.Name == group })
				if i < 0 {
					return denied(fmt.Errorf("no group %q in %s", group, path))
				}
				members = f.Groups()[i].Members
				if len(users) == 0 {
					f.DeleteGroup(group)
					return nil
				}
				if missing := without(users, members); len(missing) > 0 {
					return denied(fmt.Errorf("not in group %q: %s (nothing changed)", group, strings.Join(missing, ", ")))
				}
				f.Remove(group, users...)
				return nil
			})
			if err != nil {
				return err
			}
			if len(users) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "deleted group %q (%d members) from %s\n", group, len(members), path)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s from group %q\n", strings.Join(dedupe(users), ", "), group)
			return nil
		},
	}
}

func newGroupListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List groups and their members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return usage(err)
			}
			f, err := auth.LoadGroupFile(cfg.Auth.Groups)
			if err != nil {
				return usage(err)
			}
			if !f.Exists() {
				fmt.Fprintf(cmd.ErrOrStderr(), "no group file at %s (auth.groups): create a group with `regauth group add GROUP USER...`\n", cfg.Auth.Groups)
				return nil
			}
			known := knownUsers(cfg)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "GROUP\tMEMBERS\tWARNING")
			for _, g := range f.Groups() {
				members := strings.Join(g.Members, " ")
				if members == "" {
					members = "-"
				}
				warning := ""
				if known != nil {
					var unknown []string
					for _, m := range g.Members {
						if !known[m] {
							unknown = append(unknown, m)
						}
					}
					if len(unknown) > 0 {
						warning = "not in the user file: " + strings.Join(unknown, ", ")
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Name, members, warning)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if _, err := auth.ParseGroups(bytes.NewReader(f.Bytes()), cfg.Auth.Groups); err != nil {
				return usage(fmt.Errorf("the server refuses to load %s:\n%w", cfg.Auth.Groups, err))
			}
			return nil
		},
	}
}

// knownUsers is the set of user names in the htpasswd file, or nil when it cannot be read.
func knownUsers(cfg *config.Config) map[string]bool {
	f, err := auth.LoadHtpasswdFile(cfg.Auth.Htpasswd)
	if err != nil || !f.Exists() {
		return nil
	}
	known := map[string]bool{}
	for _, u := range f.Users() {
		known[u.Name] = true
	}
	return known
}

// warnUnknownUsers points out group members who cannot log in (yet); it is not an error, as
// admins may fill the group file first.
func warnUnknownUsers(cmd *cobra.Command, cfg *config.Config, users []string) {
	known := knownUsers(cfg)
	if known == nil {
		return
	}
	for _, u := range users {
		if !known[u] {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %q is not in the user file %s yet: add it with `regauth user add %s`\n", u, cfg.Auth.Htpasswd, u)
		}
	}
}

// without returns the items of list that are not in remove, once each, in order.
func without(list, remove []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(remove, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func dedupe(list []string) []string { return without(list, nil) }
