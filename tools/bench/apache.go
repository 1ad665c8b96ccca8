package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"
)

// Where Debian's apache2 package puts the server and its modules.
const (
	apacheBin     = "/usr/sbin/apache2"
	apacheModules = "/usr/lib/apache2/modules"
)

// apacheModuleList is what the classic front needs: TLS, a reverse proxy, and the basics.
var apacheModuleList = []string{"mpm_event", "unixd", "authz_core", "ssl", "proxy", "proxy_http", "headers"}

type apacheOptions struct {
	bin       string
	dir       string
	port      int
	upstream  string // http://127.0.0.1:port of the plain registry
	cert, key string
}

// apacheVersion is "Apache/2.4.x (Debian)", or "" when Apache cannot run here.
func apacheVersion(bin string) string {
	out, err := exec.Command(bin, "-v").Output()
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Server version: "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// startApache runs httpd with a minimal configuration of its own (no /etc/apache2), in the
// foreground: mod_ssl terminates TLS with the same certificate as regauth and mod_proxy_http
// forwards /v2/ to the registry, passing the client's Authorization header through. It is a
// pure TLS proxy here, without the Basic-auth checks the classic setup adds, which favours it.
func startApache(ctx context.Context, o apacheOptions, roots *x509.CertPool) (*process, error) {
	compiled, err := exec.Command(o.bin, "-l").Output()
	if err != nil {
		return nil, fmt.Errorf("%s -l: %w", o.bin, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ServerName 127.0.0.1\nListen 127.0.0.1:%d\n", o.port)
	fmt.Fprintf(&b, "PidFile %q\nDefaultRuntimeDir %q\nErrorLog %q\nLogLevel warn\n",
		filepath.Join(o.dir, "httpd.pid"), o.dir, filepath.Join(o.dir, "apache-error.log"))
	for _, m := range apacheModuleList {
		if strings.Contains(string(compiled), "mod_"+m+".c") {
			continue // built into the binary
		}
		fmt.Fprintf(&b, "LoadModule %s_module %q\n", m, filepath.Join(apacheModules, "mod_"+m+".so"))
	}
	if os.Geteuid() == 0 {
		// httpd refuses to run its workers as root.
		u, g := "nobody", "nogroup"
		if _, err := user.Lookup("www-data"); err == nil {
			u, g = "www-data", "www-data"
		}
		fmt.Fprintf(&b, "User %s\nGroup %s\n", u, g)
	}
	fmt.Fprintf(&b, `Timeout 300
LimitRequestBody 0
<VirtualHost 127.0.0.1:%d>
  SSLEngine on
  SSLCertificateFile %q
  SSLCertificateKeyFile %q
  SSLProtocol -all +TLSv1.2 +TLSv1.3
  ProxyRequests Off
  ProxyPreserveHost On
  RequestHeader set X-Forwarded-Proto "https"
  ProxyPass /v2/ %s/v2/
  ProxyPassReverse /v2/ %s/v2/
</VirtualHost>
`, o.port, o.cert, o.key, o.upstream, o.upstream)
	conf := filepath.Join(o.dir, "httpd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, o.bin, "-t", "-f", conf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("apache configuration: %v\n%s", err, out)
	}
	p, err := startProcess("apache", filepath.Join(o.dir, "apache.log"), nil, o.bin, "-f", conf, "-DFOREGROUND")
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d/v2/", o.port)
	if err := waitReady(ctx, p, 30*time.Second, func(ctx context.Context) error {
		return expectStatus(ctx, roots, url, http.StatusUnauthorized)
	}); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w\n%s", err, readTail(filepath.Join(o.dir, "apache-error.log")))
	}
	return p, nil
}

func readTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
