package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/timelock"
)

// liar serves the real server behind it, but rewrites the tender it
// answers at GET /v1/tenders/ID with lie, and its /v1/chain with chain if
// not zero: a server that names whatever chain and round it likes.
func liar(t *testing.T, real *httptest.Server, chain timelock.Chain, lie func(*api.Tender)) *httptest.Server {
	t.Helper()
	h := real.Config.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		switch {
		case r.URL.Path == "/v1/chain" && !chain.IsZero():
			body = chain.MarshalInfo()
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v1/tenders/") && strings.Count(r.URL.Path, "/") == 3 && rec.Code == 200:
			var tn api.Tender
			if err := json.Unmarshal(body, &tn); err != nil {
				t.Errorf("liar: %v", err)
			}
			lie(&tn)
			body, _ = json.Marshal(tn)
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestTargetRefusesLyingServer checks that Target seals only to the
// pinned chain's RoundAt(opening), after the deadline and in the future,
// whatever chain, round and times the server names.
func TestTargetRefusesLyingServer(t *testing.T) {
	ctx := context.Background()
	real := startServer(t)
	w, err := setup(ctx, real.URL, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id := w.tender.ID
	// The deployment's own local beacon, pinned as its bidders would pin
	// it: fetched once, kept.
	pinned, err := client.New(real.URL).Chain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Another local beacon, whose custodian is the lying server.
	key, err := timelock.GenerateLocalKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: pinned.Genesis(), Period: pinned.Period()})
	if err != nil {
		t.Fatal(err)
	}
	ago := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)

	// The honest answer, through the same proxy, is accepted.
	target, err := client.New(liar(t, real, timelock.Chain{}, func(*api.Tender) {}).URL, client.WithChain(pinned)).Target(ctx, id)
	if err != nil {
		t.Fatalf("honest tender refused: %v", err)
	}
	if !target.Chain.Equal(pinned) || target.Round != pinned.RoundAt(w.tender.Schedule.Opening) || target.Round != w.tender.Round {
		t.Errorf("Target = round %d of %v, want round %d of %v", target.Round, target.Chain, w.tender.Round, pinned)
	}

	for _, tt := range []struct {
		name  string
		chain timelock.Chain // what the liar publishes at /v1/chain
		lie   func(*api.Tender)
		want  []string
	}{
		{"another chain", other.Chain(), func(tn *api.Tender) {
			tn.Chain, tn.Round = other.Chain().HashHex(), other.Chain().RoundAt(tn.Schedule.Opening)
		}, []string{"names beacon chain \"" + other.Chain().HashHex() + "\"", "pinned to " + pinned.HashHex(), "client.WithChain"}},
		{"round 1", timelock.Chain{}, func(tn *api.Tender) { tn.Round = 1 },
			[]string{"names round 1, published at " + pinned.Genesis().Format(time.RFC3339), "RoundAt(opening)", "is " + itoa(w.tender.Round) + " "}},
		{"a round early", timelock.Chain{}, func(tn *api.Tender) { tn.Round-- },
			[]string{"names round " + itoa(w.tender.Round-1), "at or after its opening " + w.tender.Schedule.Opening.UTC().Format(time.RFC3339) + " is " + itoa(w.tender.Round) + " "}},
		{"a round late", timelock.Chain{}, func(tn *api.Tender) { tn.Round++ },
			[]string{"names round " + itoa(w.tender.Round+1)}},
		{"opening before deadline", timelock.Chain{}, func(tn *api.Tender) {
			tn.Schedule.Opening = tn.Schedule.Deadline.Add(-time.Minute)
			tn.Round = pinned.RoundAt(tn.Schedule.Opening)
		}, []string{"before its deadline " + w.tender.Schedule.Deadline.UTC().Format(time.RFC3339)}},
		{"round in the past", timelock.Chain{}, func(tn *api.Tender) {
			tn.Schedule.Deadline, tn.Schedule.Opening = ago, ago
			tn.Round = pinned.RoundAt(ago)
		}, []string{"opens at round " + itoa(pinned.RoundAt(ago)), "already past", "opened at once"}},
	} {
		ts := liar(t, real, tt.chain, tt.lie)
		_, err := client.New(ts.URL, client.WithChain(pinned)).Target(ctx, id)
		if !errors.Is(err, client.ErrUnsafeTarget) {
			t.Errorf("%s: Target = %v, want ErrUnsafeTarget", tt.name, err)
			continue
		}
		for _, s := range tt.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %v\ndoes not say %q", tt.name, err, s)
			}
		}
	}

	// A client pinned to nothing seals to quicknet, so the deployment's own
	// local beacon is refused too, both hashes named.
	_, err = client.New(real.URL).Target(ctx, id)
	if !errors.Is(err, client.ErrUnsafeTarget) || !strings.Contains(err.Error(), pinned.HashHex()) || !strings.Contains(err.Error(), timelock.QuicknetHash) {
		t.Errorf("unpinned client: Target = %v, want a refusal naming %s and quicknet", err, pinned.HashHex())
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
