package clients

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// helloText is the content of /hello.txt in the test image; a pull is checked against it.
const helloText = "hello from regauth's client tests\n"

// writeRootfs makes the tiny file system of the test image: nothing can be pulled from a
// public registry here, so the tests build their own instead of using hello-world.
func writeRootfs(path string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	files := []struct {
		name, body string
		mode       int64
	}{
		{"hello.txt", helloText, 0o644},
		{"etc/regauth-test", "made by integration/clients\n", 0o644},
	}
	if err := tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime}); err != nil {
		return err
	}
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: f.mode, Size: int64(len(f.body)), ModTime: mtime}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.WriteString(tw, f.body); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// imageFromRootfs is the same file system as a one-layer image for this platform, for the
// clients that push from a file instead of a docker engine.
func imageFromRootfs(rootfs string) (v1.Image, error) {
	layer, err := tarball.LayerFromFile(rootfs)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Cmd = []string{"/hello.txt"}
	return mutate.ConfigFile(img, cf)
}

// writeImageTar writes img in `docker save` format, which skopeo (docker-archive:), crane
// and regctl all read.
func writeImageTar(path string, img v1.Image) error {
	tag, err := name.NewTag("clients/hello:v1")
	if err != nil {
		return err
	}
	return tarball.WriteToFile(path, tag, img)
}

// seedImage pushes the test image as testpush with go-containerregistry, for tests whose
// client under test only pulls first.
func seedImage(t testing.TB, r *regauth, repoTag string) v1.Hash {
	t.Helper()
	ref, err := name.ParseReference(r.Host+"/"+repoTag, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	client := r.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = remote.Write(ref, env.image,
		remote.WithAuth(&authn.Basic{Username: "testpush", Password: password}),
		remote.WithTransport(client.Transport.(*http.Transport)), remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("seed %s: %v", ref, err)
	}
	d, err := env.image.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// digestIn finds the first sha256 digest a client printed.
func digestIn(out string) (string, error) {
	m := digestRE.FindString(out)
	if m == "" {
		return "", fmt.Errorf("%w:\n%s", errNoDigest, out)
	}
	return m, nil
}

// requireHello fails the test unless img's file system holds /hello.txt as pushed: the
// layers really came back, not only a manifest.
func requireHello(t testing.TB, img v1.Image) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			t.Fatal("the pulled image has no hello.txt")
		}
		if err != nil {
			t.Fatalf("read the pulled image's layers: %v", err)
		}
		if strings.TrimPrefix(hdr.Name, "./") != "hello.txt" {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != helloText {
			t.Fatalf("hello.txt = %q, want %q", b, helloText)
		}
		return
	}
}

// requireHelloInTar checks an image saved in `docker save` format.
func requireHelloInTar(t testing.TB, path string) {
	t.Helper()
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	requireHello(t, img)
}

// requireHelloInLayout checks the single image of an OCI image layout directory.
func requireHelloInLayout(t testing.TB, dir string) {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("read OCI layout %s: %v", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("OCI layout %s holds %d manifests, want 1", dir, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	requireHello(t, img)
}
