package ui

import (
	"net/http"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestClassifyTellsIndexesImagesAndTheRestApart(t *testing.T) {
	cases := []struct {
		name, body, contentType string
		kind                    manifestKind
		mediaType               string
	}{
		{"OCI index", `{"schemaVersion":2,"mediaType":"` + mtOCIIndex + `","manifests":[]}`, mtOCIIndex, kindIndex, mtOCIIndex},
		{"Docker manifest list", `{"schemaVersion":2,"mediaType":"` + mtDockerList + `","manifests":[]}`, mtDockerList, kindIndex, mtDockerList},
		{"OCI index without mediaType", `{"schemaVersion":2,"manifests":[]}`, "", kindIndex, mtOCIIndex},
		{"OCI image", `{"schemaVersion":2,"mediaType":"` + mtOCIManifest + `","config":{},"layers":[]}`, mtOCIManifest, kindImage, mtOCIManifest},
		{"Docker image", `{"schemaVersion":2,"mediaType":"` + mtDockerV2 + `","config":{},"layers":[]}`, mtDockerV2, kindImage, mtDockerV2},
		{"content type only", `{"schemaVersion":2,"config":{},"layers":[]}`, mtDockerV2, kindImage, mtDockerV2},
		{"schema 1", `{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}`, mtDockerSchema1, kindSchema1, mtDockerSchema1},
		{"not JSON", `{nope`, "text/plain", kindUnknown, "text/plain"},
		{"something else", `{"schemaVersion":2,"mediaType":"application/x-other"}`, "", kindUnknown, "application/x-other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kind, mt := classify(rawManifest{Body: []byte(tc.body), MediaType: tc.contentType})
			if kind != tc.kind || mt != tc.mediaType {
				t.Errorf("classify = %s, %q; want %s, %q", kind, mt, tc.kind, tc.mediaType)
			}
		})
	}
}

func TestIndexEntriesPutPlatformsFirstAndMarkAttestations(t *testing.T) {
	body := `{"schemaVersion":2,"mediaType":"` + mtOCIIndex + `","manifests":[
	  {"mediaType":"` + mtOCIManifest + `","size":1,"digest":"sha256:` + hex64('a') + `","platform":{"os":"unknown","architecture":"unknown"},
	   "annotations":{"vnd.docker.reference.type":"attestation-manifest"}},
	  {"mediaType":"` + mtOCIManifest + `","size":2,"digest":"sha256:` + hex64('b') + `","platform":{"os":"linux","architecture":"arm","variant":"v7"}},
	  {"mediaType":"` + mtOCIManifest + `","size":3,"digest":"sha256:` + hex64('c') + `","platform":{"os":"windows","architecture":"amd64","os.version":"10.0.20348.2227"}},
	  {"mediaType":"` + mtOCIManifest + `","size":4,"digest":"sha256:` + hex64('d') + `"}
	]}`
	entries, err := indexEntries(rawManifest{Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		platform    string
		attestation bool
	}{{"linux/arm/v7", false}, {"windows/amd64 (10.0.20348.2227)", false}, {"unspecified", false}, {"unknown/unknown", true}}
	if len(entries) != len(want) {
		t.Fatalf("entries = %+v", entries)
	}
	for i, w := range want {
		if entries[i].Platform != w.platform || entries[i].Attestation != w.attestation {
			t.Errorf("entry %d = %+v, want %+v", i, entries[i], w)
		}
	}
	if got := pickPlatform(entries, ""); got != "sha256:"+hex64('b') {
		t.Errorf("default platform = %s, want the first real one", got)
	}
}

func hex64(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func TestADockerManifestListShowsItsPlatformsAndHidesItsAttestation(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	created := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	amd, arm := f.image("amd64", created), f.image("arm64", created)
	att := f.image("unknown", created)
	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	idx = mutate.AppendManifests(idx,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest"},
		}},
	)
	if err := remote.WriteIndex(f.ref("team/list:1"), idx, remote.WithTransport(pushTransport{f.issuer})); err != nil {
		t.Fatal(err)
	}
	c := f.signedIn("test")
	page := c.get("/ui/repo/team/list/-/tag/1")
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page, "application/vnd.docker.distribution.manifest.list.v2&#43;json", ">linux/amd64<", ">linux/arm64/v8<", "attestation ")
	wantNotBody(t, page, ">unknown/unknown<")
	repo := c.get("/ui/repo/team/list")
	wantBody(t, repo, "multi-arch", ">linux/arm64/v8<")
	wantNotBody(t, repo, "unknown/unknown")
}

func TestSealedSessionsRoundTripAndRefuseEveryChange(t *testing.T) {
	codec := newSessionCodec([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Unix(1_800_000_000, 0)
	s := session{User: "alice", Issued: now.Unix(), CSRF: make([]byte, 32), Password: []byte("0123456789abcdef")}
	v, err := codec.seal(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.open(v, now.Add(time.Hour))
	if err != nil || got.User != "alice" {
		t.Fatalf("open = %+v, %v", got, err)
	}
	if _, err := codec.open(v, now.Add(sessionTTL+time.Second)); err == nil {
		t.Error("an expired session opened")
	}
	if _, err := codec.open(v, now.Add(-2*clockSkew)); err == nil {
		t.Error("a session from the future opened")
	}
	for i := range len(v) {
		b := []byte(v)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if _, err := codec.open(string(b), now); err == nil {
			t.Fatalf("changing character %d still opened", i)
		}
	}
	if !codec.checkForm(&s, codec.formToken(&s)) || codec.checkForm(&s, "") || codec.checkForm(nil, "x") {
		t.Error("form tokens check wrongly")
	}
	other := s
	other.CSRF = append([]byte{1}, s.CSRF[1:]...)
	if codec.checkForm(&other, codec.formToken(&s)) {
		t.Error("a form token fits another session")
	}
}
