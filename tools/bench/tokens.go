package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// scenario is one kind of token request, sent over and over by every client.
type scenario struct {
	Name string
	// Doc says what one request is, for the report.
	Doc string
	// newRequest builds one request; it is called for every request, as real clients do.
	newRequest func(ctx context.Context) *http.Request
	// wantAccess is the scope the token must grant, checked once before the load.
	wantAccess string
	// metricsURL is regauth's /metrics, read at both ends of each window.
	metricsURL string
	// coldRequest builds client i's login that costs a hash (levels with cold clients only).
	coldRequest func(ctx context.Context, i int) *http.Request
}

// The scenarios, in report order. cold is warm's request against a regauth without the
// credential cache: every token pays one bcrypt compare, the bcrypt-bound baseline.
const (
	scWarm      = "warm"
	scCold      = "cold"
	scRefresh   = "refresh"
	scAnonymous = "anonymous"
	scBurst     = "burst"
)

var scenarioOrder = []string{scWarm, scCold, scRefresh, scAnonymous, scBurst}

// burstRate and burstClients shape the burst scenario: warm clients paced to half the target
// rate, first alone, then alongside clients whose every login costs a password hash.
const (
	burstRate    = targetWarmPerSecond / 2
	burstClients = 32
)

// burstScenario is warm's request, with unknown users guessing passwords as the cold traffic:
// each guess costs one bcrypt compare (against a hash like the file's), as a first login does,
// and is refused.
func burstScenario(base, password string) scenario {
	sc := basicScenario(scWarm, base, password)
	sc.Name = scBurst
	sc.Doc = fmt.Sprintf("warm's request from %d clients paced to %d/s, alone and then while %d more clients send logins of unknown users "+
		"with random passwords back to back (lockout off): each costs one bcrypt compare like a first login, and is refused",
		targetClients, burstRate, burstClients)
	u := authURL(base, "repository:"+tokenRepo+":pull,push")
	sc.coldRequest = func(ctx context.Context, i int) *http.Request {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.SetBasicAuth(fmt.Sprintf("guess-%d", i), rand.Text())
		return req
	}
	return sc
}

// authURL is a Docker token spec request for the bench's service and one scope.
func authURL(base, scope string) string {
	return base + "/auth?" + url.Values{"service": {service}, "scope": {scope}}.Encode()
}

func basicScenario(name, base, password string) scenario {
	u := authURL(base, "repository:"+tokenRepo+":pull,push")
	doc := "`GET /auth?service&scope=repository:bench/app:pull,push` with Basic credentials (bcrypt cost 10); "
	if name == scWarm {
		doc += "credential cache on (`auth.cache_ttl: 5m`): one bcrypt compare, then cache hits"
	} else {
		doc += "credential cache off (`auth.cache_ttl: 0`): one bcrypt compare per token — the bcrypt-bound baseline"
	}
	return scenario{
		Name: name, Doc: doc, wantAccess: "repository:" + tokenRepo + ":pull,push",
		newRequest: func(ctx context.Context) *http.Request {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			req.SetBasicAuth(benchUser, password)
			return req
		},
	}
}

func refreshScenario(base, refreshToken string) scenario {
	form := url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {"bench"},
		"service": {service}, "scope": {"repository:" + tokenRepo + ":pull,push"},
	}.Encode()
	return scenario{
		Name:       scRefresh,
		Doc:        "`POST /auth` `grant_type=refresh_token` (what docker sends after `docker login`), refresh token obtained once",
		wantAccess: "repository:" + tokenRepo + ":pull,push",
		newRequest: func(ctx context.Context) *http.Request {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/auth", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return req
		},
	}
}

func anonymousScenario(base string) scenario {
	u := authURL(base, "repository:"+publicRepo+":pull")
	return scenario{
		Name:       scAnonymous,
		Doc:        "`GET /auth?service&scope=repository:public/app:pull` with no credentials (the ACL lets anonymous users pull public/*)",
		wantAccess: "repository:" + publicRepo + ":pull",
		newRequest: func(ctx context.Context) *http.Request {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			return req
		},
	}
}

// tokenResponse is the part of /auth's answer the bench reads.
type tokenResponse struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
}

// fetchToken sends one request and decodes the answer.
func fetchToken(ctx context.Context, client *http.Client, req *http.Request) (tokenResponse, error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return tokenResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return tokenResponse{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return tokenResponse{}, fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.Token == "" {
		return tokenResponse{}, fmt.Errorf("%s %s: no token in %s", req.Method, req.URL.Path, body)
	}
	return tr, nil
}

// refreshTokenFor logs in the way `docker login` does and returns the refresh token.
func refreshTokenFor(ctx context.Context, roots *x509.CertPool, base, password string) (string, error) {
	u := base + "/auth?" + url.Values{"service": {service}, "account": {benchUser}, "client_id": {"bench"}, "offline_token": {"true"}}.Encode()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.SetBasicAuth(benchUser, password)
	client := newTokenClient(roots)
	defer client.CloseIdleConnections()
	tr, err := fetchToken(ctx, client, req)
	if err != nil {
		return "", err
	}
	if tr.RefreshToken == "" {
		return "", fmt.Errorf("login with offline_token=true returned no refresh_token")
	}
	return tr.RefreshToken, nil
}

// checkScenario sends one request and checks that the token grants what the scenario asks,
// so a misconfigured run cannot report a fast stream of useless tokens.
func checkScenario(ctx context.Context, roots *x509.CertPool, sc scenario) error {
	client := newTokenClient(roots)
	defer client.CloseIdleConnections()
	tr, err := fetchToken(ctx, client, sc.newRequest(ctx))
	if err != nil {
		return fmt.Errorf("%s: %w", sc.Name, err)
	}
	parts := strings.Split(tr.Token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%s: token is not a JWT", sc.Name)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("%s: token payload: %w", sc.Name, err)
	}
	var claims struct {
		Access []struct {
			Type, Name string
			Actions    []string
		} `json:"access"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return fmt.Errorf("%s: token claims: %w", sc.Name, err)
	}
	var got []string
	for _, a := range claims.Access {
		slices.Sort(a.Actions)
		got = append(got, a.Type+":"+a.Name+":"+strings.Join(a.Actions, ","))
	}
	if strings.Join(got, " ") != sc.wantAccess {
		return fmt.Errorf("%s: token grants %q, want %q", sc.Name, got, sc.wantAccess)
	}
	return nil
}

// newTokenClient is one keep-alive client: its own transport, so N clients hold N
// connections, HTTP/1.1 over TLS as docker's token requests are.
func newTokenClient(roots *x509.CertPool) *http.Client {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots},
		Protocols:           protocols,
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
	}}
}
