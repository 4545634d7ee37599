package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/demo"
	"github.com/segel-lpse/segel/portal"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
)

// cmdLpsed starts a real lpsed (server.Build on the embedded backend, its
// own local beacon) with one tender open for an hour, as demo.Setup
// announces it, with one bidder registered for it. It sets $LPSE to its
// URL, $TENDER to the tender's id, $BIDDER to the bidder's id and
// $BIDDER_TOKEN to its API token; and it
// writes, as an LPSE's bidders would keep them, the chain info it
// publishes to lpse-chain.json, its keys (/v1/keys) to lpse-keys.txt, and
// the bidder's API token to bidder.token.
func cmdLpsed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: lpsed")
	}
	ctx := context.Background()
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: ts.MkAbs("lpsed-data")})
	ts.Check(err)
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	ts.Check(err)
	s, err := server.Build(ctx, server.Config{Backend: b, KEK: kek, Name: "lpse.segel.test", Logger: slog.New(slog.DiscardHandler)})
	ts.Check(err)
	srv := httptest.NewServer(s.Handler())
	ts.Defer(func() { srv.Close(); b.Close() })
	tn, err := demo.Setup(ctx, srv.URL, 1, time.Hour)
	ts.Check(err)
	chain, err := client.New(srv.URL).Chain(ctx)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("lpse-chain.json"), chain.MarshalInfo(), 0o644))
	resp, err := http.Get(srv.URL + "/v1/keys")
	ts.Check(err)
	keys, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("lpse-keys.txt"), keys, 0o644))
	builds, err := client.New(srv.URL).PortalBuilds(ctx)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("lpse-builds.json"), builds, 0o644))
	ts.Setenv("PORTAL_BUILD", portal.BuildDigest())
	ts.Check(os.WriteFile(ts.MkAbs("bidder.token"), []byte(tn.Bidders[0].Token()+"\n"), 0o600))
	ts.Setenv("LPSE", srv.URL)
	ts.Setenv("TENDER", tn.ID)
	ts.Setenv("BIDDER", tn.Bidders[0].ID)
	ts.Setenv("BIDDER_TOKEN", tn.Bidders[0].Token())
}

// cmdLiar serves $LPSE through a proxy that rewrites the tender it
// answers, and sets $LIAR to its URL. Each lie is one a server could tell
// to make offers open early:
//
//	honest     nothing rewritten
//	chain      another local beacon's chain, and its round for the opening
//	round1     round 1
//	early      the round before RoundAt(opening), as tle rounds down
//	deadline   an opening a minute before the deadline (round to match)
//	past       deadline and opening an hour ago (round to match)
func cmdLiar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: liar honest|chain|round1|early|deadline|past")
	}
	ctx := context.Background()
	chain, err := client.New(ts.Getenv("LPSE")).Chain(ctx)
	ts.Check(err)
	key, err := timelock.GenerateLocalKey()
	ts.Check(err)
	other, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: chain.Genesis(), Period: chain.Period()})
	ts.Check(err)
	ago := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	lies := map[string]func(*api.Tender){
		"honest": func(*api.Tender) {},
		"chain": func(t *api.Tender) {
			t.Chain, t.Round = other.Chain().HashHex(), other.Chain().RoundAt(t.Schedule.Opening)
		},
		"round1": func(t *api.Tender) { t.Round = 1 },
		"early":  func(t *api.Tender) { t.Round-- },
		"deadline": func(t *api.Tender) {
			t.Schedule.Opening = t.Schedule.Deadline.Add(-time.Minute)
			t.Round = chain.RoundAt(t.Schedule.Opening)
		},
		"past": func(t *api.Tender) {
			t.Schedule.Deadline, t.Schedule.Opening, t.Round = ago, ago, chain.RoundAt(ago)
		},
	}
	lie, ok := lies[args[0]]
	if !ok {
		ts.Fatalf("liar: unknown lie %q", args[0])
	}
	u, err := url.Parse(ts.Getenv("LPSE"))
	ts.Check(err)
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(resp *http.Response) error {
		path := resp.Request.URL.Path
		if resp.Request.Method != "GET" || !strings.HasPrefix(path, "/v1/tenders/") || strings.Count(path, "/") != 3 || resp.StatusCode != 200 {
			return nil
		}
		var t api.Tender
		if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
			return err
		}
		resp.Body.Close()
		lie(&t)
		b, _ := json.Marshal(t)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := httptest.NewServer(p)
	ts.Defer(srv.Close)
	ts.Setenv("LIAR", srv.URL)
}

// cmdLpsedV2 starts a real lpsed, as cmdLpsed does, with N pokja members
// assigned as the committee of tender $TENDER (not announced: the script
// does that, with segel announce) and B providers. It sets $LPSE,
// $TENDER, and $POKJA1…$POKJAn and $BIDDER1…$BIDDERb to the users' ids;
// and writes lpse-chain.json, lpse-keys.txt and each user's token to
// pokjaI.token and bidderI.token.
func cmdLpsedV2(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: lpsedv2 N B")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	nb, err := strconv.Atoi(args[1])
	ts.Check(err)
	ctx := context.Background()
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: ts.MkAbs("lpsed-data")})
	ts.Check(err)
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	ts.Check(err)
	s, err := server.Build(ctx, server.Config{Backend: b, KEK: kek, Name: "lpse.segel.test", Logger: slog.New(slog.DiscardHandler)})
	ts.Check(err)
	srv := httptest.NewServer(s.Handler())
	ts.Defer(func() { srv.Close(); b.Close() })
	p, err := demo.SetupPeople(ctx, srv.URL, "T-V2-CLI", n, nb)
	ts.Check(err)
	chain, err := client.New(srv.URL).Chain(ctx)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("lpse-chain.json"), chain.MarshalInfo(), 0o644))
	resp, err := http.Get(srv.URL + "/v1/keys")
	ts.Check(err)
	keys, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("lpse-keys.txt"), keys, 0o644))
	// The same keys but another log key: a log the members never pinned.
	pinned, err := audit.ParseTrusted(keys)
	ts.Check(err)
	_, otherLog, err := auditlog.GenerateKey(pinned.Log.Name())
	ts.Check(err)
	lines := strings.Split(string(keys), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "log: ") {
			lines[i] = "log: " + otherLog
		}
	}
	ts.Check(os.WriteFile(ts.MkAbs("other-keys.txt"), []byte(strings.Join(lines, "\n")), 0o644))
	for i, u := range p.Pokja {
		ts.Setenv("POKJA"+strconv.Itoa(i+1), u.ID)
		ts.Check(os.WriteFile(ts.MkAbs("pokja"+strconv.Itoa(i+1)+".token"), []byte(u.Token+"\n"), 0o600))
	}
	for i, u := range p.Bidders {
		ts.Setenv("BIDDER"+strconv.Itoa(i+1), u.ID)
		ts.Check(os.WriteFile(ts.MkAbs("bidder"+strconv.Itoa(i+1)+".token"), []byte(u.Token+"\n"), 0o600))
	}
	ts.Setenv("LPSE", srv.URL)
	ts.Setenv("TENDER", p.ID)
}

// cmdSchedule sets $DEADLINE, $OPENING1 and $OPENING2 to times S, S+1
// and S+3 seconds from now (RFC 3339), for segel announce.
func cmdSchedule(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: schedule SECONDS")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	now := time.Now().UTC().Truncate(time.Second)
	ts.Setenv("DEADLINE", now.Add(time.Duration(n)*time.Second).Format(time.RFC3339))
	ts.Setenv("OPENING1", now.Add(time.Duration(n+1)*time.Second).Format(time.RFC3339))
	ts.Setenv("OPENING2", now.Add(time.Duration(n+3)*time.Second).Format(time.RFC3339))
}

// cmdParticipate registers the bidders of the token files given for
// $TENDER at $LPSE (a step no segel command takes).
func cmdParticipate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: participate TOKENFILE...")
	}
	for _, f := range args {
		tok := strings.TrimSpace(ts.ReadFile(f))
		ts.Check(client.New(ts.Getenv("LPSE"), client.WithToken(tok)).RegisterForTender(context.Background(), ts.Getenv("TENDER")))
	}
}

// cmdWaitUntil sleeps until the RFC 3339 time given, and a little more:
// a local beacon's round is out then.
func cmdWaitUntil(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waituntil TIME")
	}
	t, err := time.Parse(time.RFC3339, args[0])
	ts.Check(err)
	time.Sleep(time.Until(t) + 300*time.Millisecond)
}

// cmdExpand replaces $NAME in FILE with the environment's values.
func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: expand FILE")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(os.Expand(ts.ReadFile(args[0]), ts.Getenv)), 0o644))
}

// cmdEnvFile sets the environment variable NAME to FILE's content, trimmed.
func cmdEnvFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envfile NAME FILE")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
}
