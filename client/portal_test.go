package client_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/canon"
	"golang.org/x/mod/sumdb/note"
)

// portalBuildsDoc makes a portal builds document as lpsed answers it, from
// a log of its own: two builds among other entries, under a key made from
// a fixed seed, so that the fuzz corpus's seeds keep verifying.
func portalBuildsDoc(tb testing.TB) ([]byte, note.Verifier) {
	tb.Helper()
	ctx := context.Background()
	skey, vkey, err := auditlog.KeyFromSeed("lpse.fuzz.test/log", bytes.Repeat([]byte{7}, auditlog.SeedSize))
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	verifier, err := auditlog.NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: "lpse.fuzz.test/log", Signer: signer})
	if err != nil {
		tb.Fatal(err)
	}
	doc := api.PortalBuilds{Serving: api.Digest{2}}
	for i, d := range []api.Digest{{1}, {2}} {
		other, _ := auditlog.MarshalEntry("participant-registered", "tender", "T-1", "bidder", "u-1", "time", "2026-01-02T03:04:05Z")
		if _, err := l.Append(ctx, other); err != nil {
			tb.Fatal(err)
		}
		at := time.Date(2026, 1, 2+i, 3, 4, 5, 0, time.UTC)
		e, err := auditlog.MarshalEntry("portal-build", "digest", d.String(), "time", canon.FormatTime(at))
		if err != nil {
			tb.Fatal(err)
		}
		ix, err := l.Append(ctx, e)
		if err != nil {
			tb.Fatal(err)
		}
		doc.Builds = append(doc.Builds, api.PortalBuild{Digest: d, Time: at, Index: ix[0], Entry: string(e)})
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	doc.Checkpoint = string(cp)
	for i, b := range doc.Builds {
		proof, err := l.ProveInclusion(ctx, b.Index, l.Size())
		if err != nil {
			tb.Fatal(err)
		}
		doc.Builds[i].Proof = []string{}
		for _, h := range proof {
			doc.Builds[i].Proof = append(doc.Builds[i].Proof, base64.StdEncoding.EncodeToString(h[:]))
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return out, verifier
}

// TestVerifyPortalBuilds checks the verification at its edges: the
// honest document, the size cap, and the strict decoding.
func TestVerifyPortalBuilds(t *testing.T) {
	doc, key := portalBuildsDoc(t)
	pb, c, err := client.VerifyPortalBuilds(doc, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(pb.Builds) != 2 || c.Size != 4 || pb.Builds[1].Index != 3 {
		t.Errorf("verified %+v in a checkpoint of size %d", pb.Builds, c.Size)
	}
	for name, bad := range map[string][]byte{
		"over the cap":     append(doc, bytes.Repeat([]byte(" "), client.MaxPortalBuildsSize)...),
		"a second value":   append(append([]byte{}, doc...), []byte(`{}`)...),
		"an unknown field": bytes.Replace(doc, []byte(`{"serving"`), []byte(`{"x":1,"serving"`), 1),
		"a digest in caps": bytes.Replace(doc, []byte(strings.Repeat("0", 62)), []byte(strings.Repeat("A", 62)), 1),
		"an empty proof":   bytes.Replace(doc, []byte(`"proof":["`), []byte(`"proof":[],"x":["`), 1),
	} {
		if _, _, err := client.VerifyPortalBuilds(bad, key); err == nil {
			t.Errorf("%s: verifies", name)
		}
	}
}

// FuzzVerifyPortalBuilds checks that no document makes the verification
// panic, and that one that verifies proves only portal-build entries.
func FuzzVerifyPortalBuilds(f *testing.F) {
	doc, key := portalBuildsDoc(f)
	f.Add(doc)
	f.Add([]byte(`{"serving":"` + strings.Repeat("0", 64) + `","checkpoint":"","builds":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pb, _, err := client.VerifyPortalBuilds(b, key)
		if err != nil {
			return
		}
		for _, build := range pb.Builds {
			e, err := auditlog.ParseEntry([]byte(build.Entry))
			if err != nil || e.Type != "portal-build" || e.Value("digest") != build.Digest.String() {
				t.Errorf("verified a build whose entry is %q", build.Entry)
			}
		}
	})
}
