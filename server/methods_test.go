package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
)

// beaconRoutes are the endpoints of drand's HTTP API a deployment's local
// beacon serves under /beacon/, at the root and under its chain's hash.
func beaconRoutes(hash string) []server.RouteInfo {
	var rts []server.RouteInfo
	for _, prefix := range []string{"/beacon", "/beacon/" + hash} {
		for _, p := range []string{"/info", "/public/latest", "/public/{round}"} {
			rts = append(rts, server.RouteInfo{Method: "GET", Path: prefix + p})
		}
	}
	return append(rts, server.RouteInfo{Method: "GET", Path: "/beacon/chains"})
}

// chainHash returns the hash of the chain the server at url publishes.
func chainHash(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/v1/chain")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct{ Hash string }
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || len(info.Hash) != 64 {
		t.Fatalf("GET /v1/chain: hash %q (%v), want 64 hex digits", info.Hash, err)
	}
	return info.Hash
}

// call makes one request without a token and returns its status, Allow
// header and error code.
func call(t *testing.T, method, url string) (status int, allow, code, msg string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Code, Error string }
	if method != "HEAD" {
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &e)
	}
	return resp.StatusCode, resp.Header.Get("Allow"), e.Code, e.Error
}

var allMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// TestWrongMethod asks every route's path, table and local beacon alike,
// with every method it does not serve: each gets 405 method-not-allowed,
// with Allow naming the methods the path serves (HEAD wherever GET is, as
// Go's mux has it), while unknown paths get 404 no-route.
func TestWrongMethod(t *testing.T) {
	t.Parallel()
	s := build(t, mustEmbedded(t))
	ts := serve(t, s)

	routes := append(s.Routes(), beaconRoutes(chainHash(t, ts.URL))...)
	serves := map[string][]string{} // path → the methods it serves
	for _, rt := range routes {
		serves[rt.Path] = append(serves[rt.Path], rt.Method)
		if rt.Method == "GET" {
			serves[rt.Path] = append(serves[rt.Path], "HEAD")
		}
	}
	n := 0
	for path, methods := range serves {
		slices.Sort(methods)
		want := strings.Join(methods, ", ")
		concrete := templateParam.ReplaceAllString(path, "x")
		for _, m := range allMethods {
			if slices.Contains(methods, m) {
				continue
			}
			n++
			status, allow, code, msg := call(t, m, ts.URL+concrete)
			if status != http.StatusMethodNotAllowed || allow != want {
				t.Errorf("%s %s (%s): got %d, Allow %q; want 405, Allow %q", m, concrete, path, status, allow, want)
			}
			if m != "HEAD" && (code != "method-not-allowed" || !strings.HasSuffix(msg, "allowed: "+want)) {
				t.Errorf("%s %s: error {%q, %q}, want method-not-allowed ending %q", m, concrete, code, msg, "allowed: "+want)
			}
		}
	}
	if n < len(serves) {
		t.Errorf("only %d wrong-method requests for %d paths", n, len(serves))
	}

	// HEAD is served wherever GET is.
	if status, _, _, _ := call(t, "HEAD", ts.URL+"/healthz"); status != http.StatusOK {
		t.Errorf("HEAD /healthz: got %d, want 200", status)
	}

	// Unknown paths, under /v1 and /beacon alike, are 404 no-route with
	// any method, and name no methods.
	for _, path := range []string{"/v1/no-such-endpoint", "/v1/tenders/x/no-such", "/v1/tenders/x/offers/x", "/v2/chain",
		"/beacon/", "/beacon/no-such", "/beacon/public/1/x", "/beacon/" + strings.Repeat("0", 64) + "/info"} {
		for _, m := range []string{"GET", "DELETE"} {
			if status, allow, code, _ := call(t, m, ts.URL+path); status != http.StatusNotFound || code != "no-route" || allow != "" {
				t.Errorf("%s %s: got %d %q, Allow %q; want 404 no-route, no Allow", m, path, status, code, allow)
			}
		}
	}
}

// TestNoLocalBeacon checks that a deployment on another beacon serves and
// documents nothing under /beacon/.
func TestNoLocalBeacon(t *testing.T) {
	t.Parallel()
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	fb, err := timelock.NewFixedBeacon(timelock.Quicknet, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.Build(context.Background(), server.Config{
		Backend: mustEmbedded(t), KEK: kek, Name: "lpse.test", Beacon: fb,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := serve(t, s)
	for _, rt := range beaconRoutes(timelock.Quicknet.HashHex()) {
		path := templateParam.ReplaceAllString(rt.Path, "1")
		if status, _, code, _ := call(t, "GET", ts.URL+path); status != http.StatusNotFound || code != "no-route" {
			t.Errorf("GET %s without a local beacon: got %d %q, want 404 no-route", path, status, code)
		}
	}
	doc := getOpenAPI(t, ts.URL)
	for path := range doc.Paths {
		if strings.HasPrefix(path, "/beacon") {
			t.Errorf("%s: documented without a local beacon", path)
		}
	}
	if got, want := len(doc.Paths), len(pathsOf(s.Routes())); got != want {
		t.Errorf("the document has %d paths, the table %d", got, want)
	}
}

func pathsOf(rts []server.RouteInfo) map[string]bool {
	paths := map[string]bool{}
	for _, rt := range rts {
		paths[rt.Path] = true
	}
	return paths
}

// TestBeaconRoutes reads the local beacon through the documented routes:
// its info is /v1/chain's, it names its one chain, and the latest round
// and that round by number agree, at the root and under the chain hash.
func TestBeaconRoutes(t *testing.T) {
	t.Parallel()
	s := build(t, mustEmbedded(t))
	ts := serve(t, s)
	hash := chainHash(t, ts.URL)
	get := func(path string) []byte {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d %s, want 200", path, resp.StatusCode, brief(b))
		}
		return b
	}
	chain := get("/v1/chain")
	if got := get("/beacon/chains"); strings.TrimSpace(string(got)) != `["`+hash+`"]` {
		t.Errorf("GET /beacon/chains: %s, want [%q]", got, hash)
	}
	for _, prefix := range []string{"/beacon", "/beacon/" + hash} {
		if got := get(prefix + "/info"); string(got) != string(chain) {
			t.Errorf("GET %s/info: %s, want /v1/chain's %s", prefix, got, chain)
		}
		var latest, byNumber struct {
			Round     uint64
			Signature string
		}
		json.Unmarshal(get(prefix+"/public/latest"), &latest)
		if latest.Round == 0 || latest.Signature == "" {
			t.Errorf("GET %s/public/latest: round %d, signature %q", prefix, latest.Round, latest.Signature)
			continue
		}
		json.Unmarshal(get(prefix+"/public/"+strconv.FormatUint(latest.Round, 10)), &byNumber)
		if byNumber != latest {
			t.Errorf("GET %s/public/%d: %+v, want the latest round's %+v", prefix, latest.Round, byNumber, latest)
		}
	}
}
