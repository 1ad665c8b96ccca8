package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// PasswordEnv carries the password of `regauth token`, for scripts.
const PasswordEnv = "REGAUTH_PASSWORD"

type tokenOptions struct {
	server   string
	user     string
	scopes   []string
	offline  bool
	json     bool
	service  string
	insecure bool
	caCert   string
	timeout  time.Duration
}

func newTokenCommand() *cobra.Command {
	var o tokenOptions
	cmd := &cobra.Command{
		Use:   "token --server URL --user USER [--scope SCOPE]...",
		Short: "Fetch a registry token from a regauth server, as docker does (for scripts and curl)",
		Long: `Ask URL/auth for a token with Basic credentials, the way docker and curl do, and print
the token alone (or the whole JSON answer with --json). The password comes from ` + PasswordEnv + `,
else one line of stdin (asked without echo on a terminal); never from a flag.

A login that fails prints the server's message and exits 1. Scopes the ACL does not
grant are not an error: the token then carries less (see "regauth acl check").
--server defaults to public_url of the configuration.`,
		Example: `  TOKEN=$(REGAUTH_PASSWORD=... regauth token --server https://registry.example.com:5043 \
      --user ci-bot --scope repository:team/app:pull,push)
  curl -H "Authorization: Bearer $TOKEN" https://registry.example.com:5043/v2/team/app/tags/list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runToken(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.server, "server", "", "regauth base URL (default: public_url)")
	f.StringVar(&o.user, "user", "", "user name")
	f.StringArrayVar(&o.scopes, "scope", nil, "scope to ask for, e.g. repository:team/app:pull,push (repeatable)")
	f.BoolVar(&o.offline, "offline", false, "also ask for a refresh token (as docker login does)")
	f.BoolVar(&o.json, "json", false, "print the whole JSON answer instead of the token")
	f.StringVar(&o.service, "service", "", "service (audience) to ask for; default: the server's own")
	f.BoolVar(&o.insecure, "insecure", false, "do not verify the server's certificate")
	f.StringVar(&o.caCert, "cacert", "", "PEM file of the CA to trust for the server's certificate")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up after this long")
	_ = cmd.MarkFlagRequired("user")
	cmd.MarkFlagsMutuallyExclusive("insecure", "cacert")
	return cmd
}

func runToken(cmd *cobra.Command, o tokenOptions) error {
	if o.server == "" {
		cfg, err := loadConfig(cmd, nil)
		if err != nil {
			return usage(err)
		}
		o.server = cfg.PublicURL
	}
	endpoint, err := authURL(o)
	if err != nil {
		return usage(err)
	}
	password, err := clientPassword(cmd, o.user)
	if err != nil {
		return err
	}
	client, err := tokenClient(o)
	if err != nil {
		return usage(err)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return usage(err)
	}
	req.SetBasicAuth(o.user, password)
	req.Header.Set("User-Agent", "regauth-token")
	resp, err := client.Do(req)
	if err != nil {
		return denied(fmt.Errorf("ask %s: %w", redact(endpoint), err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return denied(fmt.Errorf("read the answer of %s: %w", redact(endpoint), err))
	}
	if resp.StatusCode != http.StatusOK {
		msg := fmt.Errorf("%s: %s", resp.Status, serverMessage(body))
		if resp.StatusCode == http.StatusBadRequest {
			return usage(msg)
		}
		return denied(msg)
	}
	var answer struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return denied(fmt.Errorf("the answer of %s is not a token response: %w", redact(endpoint), err))
	}
	token := cmp.Or(answer.Token, answer.AccessToken)
	if token == "" {
		return denied(errors.New("the answer holds no token"))
	}
	out := cmd.OutOrStdout()
	if o.json {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, body, "", "  "); err != nil {
			return denied(err)
		}
		fmt.Fprintln(out, pretty.String())
		return nil
	}
	fmt.Fprintln(out, token)
	return nil
}

// authURL is the token endpoint: the server's /auth with the query docker would send.
func authURL(o tokenOptions) (string, error) {
	u, err := url.Parse(o.server)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("--server %q: want https://host[:port]", o.server)
	}
	if u.User != nil {
		return "", errors.New("--server: put the user in --user and the password in " + PasswordEnv + ", not in the URL")
	}
	if !strings.HasSuffix(u.Path, "/auth") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/auth"
	}
	q := url.Values{}
	q.Set("account", o.user)
	q.Set("client_id", "regauth-token")
	if o.service != "" {
		q.Set("service", o.service)
	}
	if o.offline {
		q.Set("offline_token", "true")
	}
	for _, s := range o.scopes {
		q.Add("scope", s)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// clientPassword reads the password from the environment, else stdin (without echo on a
// terminal).
func clientPassword(cmd *cobra.Command, user string) (string, error) {
	if pw, ok := os.LookupEnv(PasswordEnv); ok && pw != "" {
		return pw, nil
	}
	if fd, ok := terminalFd(cmd.InOrStdin()); ok {
		pw, err := prompt(cmd, fd, fmt.Sprintf("Password for %s: ", user))
		if err != nil {
			return "", err
		}
		return pw, nil
	}
	pw, err := readLine(cmd.InOrStdin())
	if err != nil {
		return "", usage(fmt.Errorf("no password: set %s or pipe it on stdin (%w)", PasswordEnv, err))
	}
	return pw, nil
}

func tokenClient(o tokenOptions) (*http.Client, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case o.insecure:
		tlsCfg.InsecureSkipVerify = true
	case o.caCert != "":
		pemData, err := os.ReadFile(o.caCert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, fmt.Errorf("--cacert %s: no PEM certificate found", o.caCert)
		}
		tlsCfg.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	return &http.Client{
		Transport: transport,
		// A redirect must not carry the credentials to another host.
		CheckRedirect: func(req *http.Request, via []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// serverMessage extracts the human part of a regauth (or registry, or OAuth2) error answer.
func serverMessage(body []byte) string {
	var e struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
		Description string `json:"error_description"`
		Error       string `json:"error"`
		Details     string `json:"details"`
	}
	if json.Unmarshal(body, &e) == nil {
		switch {
		case e.Description != "":
			return e.Description
		case len(e.Errors) > 0 && e.Errors[0].Message != "":
			return e.Errors[0].Message
		case e.Error != "":
			return e.Error
		case e.Details != "":
			return e.Details
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(no message)"
	}
	return s
}

// redact drops the query from a URL for messages.
func redact(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i]
	}
	return raw
}
