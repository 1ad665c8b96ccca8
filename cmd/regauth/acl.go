package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/tokens"
)

func newACLCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acl",
		Short: "Ask the access rules a question, or check the rules file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage(errors.New("missing subcommand: check or lint"))
		},
	}
	cmd.AddCommand(newACLCheckCommand(), newACLLintCommand())
	return cmd
}

func newACLCheckCommand() *cobra.Command {
	var (
		user   string
		groups []string
		ip     string
	)
	cmd := &cobra.Command{
		Use:   "check --user USER [--group GROUP]... [--ip IP] SCOPE...",
		Short: "Show what the ACL grants a user for each scope, and the rule that decides",
		Long: `Answer "why can't alice push to team/app?": for each SCOPE (type:name:actions, as a
client asks for it, e.g. repository:team/app:pull,push) print the actions the ACL in
acl.file grants and the rule that decided. Exits 0 when everything asked for is
granted, 1 otherwise.

The user's groups come from the group file unless --group is given. --user "" asks for
the anonymous user. The password is not checked.`,
		Example: `  regauth acl check --user alice repository:team/app:pull,push
  regauth acl check --user ci-bot --ip 10.1.2.3 repository:team/app:push registry:catalog:*`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return usage(err)
			}
			var scopes []tokens.Scope
			for _, a := range args {
				s, err := tokens.ParseScope(a)
				if err != nil {
					return usage(err)
				}
				scopes = append(scopes, s)
			}
			var addr netip.Addr
			if ip != "" {
				if addr, err = netip.ParseAddr(ip); err != nil {
					return usage(fmt.Errorf("--ip: %w", err))
				}
				addr = addr.Unmap()
			}
			policy, err := acl.Load(cfg.ACL.File)
			if err != nil {
				return usage(err)
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			groupSource := "--group"
			if !cmd.Flags().Changed("group") {
				groupSource = cfg.Auth.Groups
				if user != "" {
					g, err := auth.LoadGroups(cfg.Auth.Groups)
					if err != nil {
						fmt.Fprintf(errOut, "warning: %v; checking without groups\n", err)
					}
					groups = g.Of(user)
				}
			}
			if user != "" {
				if known := knownUsers(cfg); known != nil && !known[user] {
					fmt.Fprintf(errOut, "note: %q is not in the user file %s, so they cannot log in\n", user, cfg.Auth.Htpasswd)
				}
			}
			who := fmt.Sprintf("user %q", user)
			if user == "" {
				who = "the anonymous user"
			}
			where := "unknown address (ip rules do not match)"
			if addr.IsValid() {
				where = addr.String()
			}
			fmt.Fprintf(out, "%s, groups [%s] (from %s), from %s\n", who, strings.Join(groups, " "), groupSource, where)
			all := true
			for _, s := range scopes {
				d := policy.Authorize(acl.Request{
					Account: user, Groups: groups, IP: addr, Service: cfg.Token.Service,
					Type: s.Type, Name: s.Name, Actions: s.Actions,
				})
				var missing []string
				for _, a := range s.Actions {
					if !d.Allowed(a) {
						missing = append(missing, a)
					}
				}
				verdict := "ok"
				if len(missing) > 0 {
					verdict, all = "DENIED "+strings.Join(missing, ","), false
				}
				fmt.Fprintf(out, "%s: %s\n  %s\n", s, verdict, d)
			}
			if !all {
				return exitError{exitDenied, errors.New("not everything asked for is granted")}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", `the account asking ("" for anonymous)`)
	f.StringArrayVar(&groups, "group", nil, "a group of the user (repeatable); default: the user's groups in the group file")
	f.StringVar(&ip, "ip", "", "the client address, for rules with ip")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func newACLLintCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "lint [FILE]",
		Short: "Check an ACL file and report every problem with its line",
		Long: `Parse an ACL file strictly, as the server does on start and reload, and print every
problem as file:line: message. Exits 2 when there is any, 0 with "ok: N rules"
otherwise. FILE defaults to acl.file of the configuration.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var file string
			if len(args) == 1 {
				file = args[0]
			} else {
				cfg, err := loadConfig(cmd, nil)
				if err != nil {
					return usage(err)
				}
				file = cfg.ACL.File
			}
			policy, err := acl.Load(file)
			if err != nil {
				problems := []error{err}
				if joined, ok := err.(interface{ Unwrap() []error }); ok {
					problems = joined.Unwrap()
				}
				for _, p := range problems {
					fmt.Fprintln(cmd.OutOrStdout(), p)
				}
				return usage(fmt.Errorf("%s: %d problem(s)", file, len(problems)))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d rules in %s\n", policy.Len(), file)
			return nil
		},
	}
}
