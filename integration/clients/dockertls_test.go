package clients

import (
	"net"
	"strings"
	"testing"
)

// Docker neither reads certs.d nor checks the certificate of a registry on 127.0.0.0/8 (see
// trustCertsD), so the other docker tests cannot show that the daemon trusts regauth's
// certificate for the right reason. This one runs regauth on one of the machine's other
// addresses, where dockerd treats it like any remote registry: without regauth's CA in
// /etc/docker/certs.d/HOST:PORT `docker login` is refused for an unknown authority; with the
// file regauth tells the admin to install, login, push and pull work.
func TestDockerVerifiesTheCertificateOfARegauthAwayFromLoopback(t *testing.T) {
	d := needDocker(t)
	ip := nonLoopbackIPv4(t)
	reg := startRegauth(t, "", regauthOptions{ip: ip})

	docker := d.newCLI(t)
	r := docker.login(t, reg.Host, "test", password)
	if r.Err == nil || !strings.Contains(r.Output(), "certificate signed by unknown authority") {
		t.Fatalf("docker login to %s without regauth's CA: %v\n%s\nwant a refusal for an unknown authority", reg.Host, r.Err, r.Output())
	}
	t.Logf("without the CA, docker login to %s is refused: %s", reg.Host, tail(r.Output(), 1))

	untrust, err := trustCertsD(reg.Host, reg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(untrust)
	classicWalkthrough(t, d, reg)
}

// nonLoopbackIPv4 is an IPv4 address of this machine outside 127.0.0.0/8, or ends the test.
func nonLoopbackIPv4(t testing.TB) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatalf("list the machine's addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	missingPeer(t, "a non-loopback IPv4 address", "the machine has only loopback")
	return ""
}
