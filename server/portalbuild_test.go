package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/portal"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

// portalBuilds returns the portal-build entries of s's log.
func portalBuilds(t *testing.T, s *server.Server) []auditlog.Entry {
	t.Helper()
	ctx := context.Background()
	ents, err := s.Log.Entries(ctx, 0, s.Log.Size())
	if err != nil {
		t.Fatal(err)
	}
	var out []auditlog.Entry
	for _, b := range ents {
		e, err := auditlog.ParseEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type == "portal-build" {
			out = append(out, e)
		}
	}
	return out
}

// TestPortalBuildLogged: a deployment logs the build it serves when it
// first serves it, once, whatever the restarts; GET /v1/portal/builds
// proves the entry against the pinned log key.
func TestPortalBuildLogged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := mustEmbedded(t)
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Backend: b, KEK: kek, Name: "lpse.test", Logger: slog.New(slog.DiscardHandler)}
	s, err := server.Build(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if s, err = server.Build(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	builds := portalBuilds(t, s)
	if len(builds) != 1 || builds[0].Value("digest") != portal.BuildDigest() {
		t.Fatalf("portal-build entries after three starts: %+v, want one for %s", builds, portal.BuildDigest())
	}
	ts := serve(t, s)
	doc, err := client.New(ts.URL).PortalBuilds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pb, c, err := client.VerifyPortalBuilds(doc, s.Keys.Log)
	if err != nil {
		t.Fatal(err)
	}
	if len(pb.Builds) != 1 || pb.Builds[0].Digest.String() != portal.BuildDigest() || pb.Serving.String() != portal.BuildDigest() || c.Size < 1 {
		t.Errorf("GET /v1/portal/builds: %+v (checkpoint size %d)", pb, c.Size)
	}

	// Every change to the document fails its verification.
	tampered := map[string]func(m map[string]any){
		"another digest": func(m map[string]any) {
			m["builds"].([]any)[0].(map[string]any)["digest"] = strings.Repeat("0", 64)
		},
		"another entry": func(m map[string]any) {
			bd := m["builds"].([]any)[0].(map[string]any)
			bd["entry"] = strings.Replace(bd["entry"].(string), portal.BuildDigest(), strings.Repeat("0", 64), 1)
		},
		"another index": func(m map[string]any) {
			bd := m["builds"].([]any)[0].(map[string]any)
			bd["index"] = bd["index"].(float64) + 1
		},
		"a proof hash changed": func(m map[string]any) {
			bd := m["builds"].([]any)[0].(map[string]any)
			p := bd["proof"].([]any)
			if len(p) == 0 {
				bd["proof"] = []any{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
				return
			}
			p[0] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		},
		"the checkpoint changed": func(m map[string]any) {
			m["checkpoint"] = strings.Replace(m["checkpoint"].(string), "\n"+strings.Split(m["checkpoint"].(string), "\n")[1]+"\n", "\n999\n", 1)
		},
		"a build twice":    func(m map[string]any) { m["builds"] = append(m["builds"].([]any), m["builds"].([]any)[0]) },
		"an unknown field": func(m map[string]any) { m["extra"] = 1 },
	}
	for name, change := range tampered {
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		bad, _ := json.Marshal(m)
		if _, _, err := client.VerifyPortalBuilds(bad, s.Keys.Log); err == nil {
			t.Errorf("%s: verifies", name)
		}
	}
}

// TestPortalBuildCompleted: a decision recorded but not appended (a crash
// between the two) is appended at the next start; one appended but not
// recorded is found in the log, not appended again.
func TestPortalBuildCompleted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := mustEmbedded(t)
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Backend: b, KEK: kek, Name: "lpse.test", Logger: slog.New(slog.DiscardHandler)}
	digest := portal.BuildDigest()
	decided := time.Now().Add(-time.Hour).UTC()
	ent, err := auditlog.MarshalEntry("portal-build", "digest", digest, "time", canon.FormatTime(decided))
	if err != nil {
		t.Fatal(err)
	}
	pending, _ := json.Marshal(map[string]any{"Digest": digest, "Time": decided, "Entry": ent, "LogSize": 0})
	put := func() {
		err := b.Update(ctx, func(tx vault.Tx) error { return tx.Put("portal_builds", digest, pending) })
		if err != nil {
			t.Fatal(err)
		}
	}
	put()
	s, err := server.Build(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	builds := portalBuilds(t, s)
	if len(builds) != 1 || builds[0].Value("time") != canon.FormatTime(decided) {
		t.Fatalf("after a decision left pending: %+v, want the decided entry appended once", builds)
	}
	put() // as if the crash came after the append
	if s, err = server.Build(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if builds := portalBuilds(t, s); len(builds) != 1 {
		t.Errorf("after an append left unrecorded: %d portal-build entries, want 1", len(builds))
	}
}
