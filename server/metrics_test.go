package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// parseMetrics reads Prometheus text exposition into samples keyed by
// name and sorted labels: `name{a="x",b="y"}`, or the name alone.
func parseMetrics(t *testing.T, text []byte) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("metrics: bad line %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metrics: bad value in %q", line)
		}
		var labels []string
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			labels = append(labels, p[1]+`="`+p[2]+`"`)
		}
		sort.Strings(labels)
		key := m[1]
		if len(labels) > 0 {
			key += "{" + strings.Join(labels, ",") + "}"
		}
		out[key] = v
	}
	return out
}

// TestMetrics runs submissions (accepted and refused) and an opening, and
// checks what /metrics reports of them.
func TestMetrics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	// The server's clock is the test's: a loaded machine cannot make an
	// offer late, nor the round come before the early attempt.
	clk := &clock{now: time.Now()}
	f := newFixture(t, b, server.Config{DataDir: dir, Now: clk.Now})
	deadline := clk.Now().Add(time.Hour).Truncate(time.Second)
	tv := f.announce("T-MET", deadline)
	clk.set(time.Now()) // the announcement's submission starts a second before the wall clock's now
	offers := "/v1/tenders/T-MET/offers"
	bin := "application/octet-stream"
	other := f.seal(tv, tv.Round+1, f.key.Recipient(), []byte("ronde lain"))
	a := f.seal(tv, tv.Round, f.key.Recipient(), []byte("Penawaran A"))
	broken := f.seal(tv, tv.Round, f.key.Recipient(), []byte("Penawaran B, rusak setelah disegel"))
	broken[len(broken)-3] ^= 0x40 // damaged after sealing: opens to a witness report
	for _, c := range []struct {
		caller, ctype string
		body          []byte
		want          int
	}{
		{"provider", bin, a, 201},
		{"provider", bin, a, 409},           // duplicate
		{"provider2", bin, other, 422},      // wrong-seal
		{"provider2", "text/plain", a, 415}, // unsupported-media-type
		{"provider2", bin, broken, 201},
	} {
		if got, body := f.do(c.caller, "POST", offers, c.ctype, c.body); got != c.want {
			t.Fatalf("submission: got %d %s, want %d", got, brief(body), c.want)
		}
	}
	// Closed but before the round: the beacon has no signature yet.
	clk.set(deadline.Add(100 * time.Millisecond))
	open := map[string]any{"identity": f.key.String(), "witnesses": f.ids("pokja", "pokja2", "pokja3")}
	if !tv.RoundTime.After(clk.Now()) {
		t.Fatalf("round time %v is not after the deadline %v: the early attempt would not be early", tv.RoundTime, deadline)
	}
	if got, body := f.do("pokja", "POST", "/v1/tenders/T-MET/open", "application/json", mustMarshal(t, open)); got != 425 {
		t.Errorf("opening before the round: got %d %s, want 425", got, brief(body))
	}
	clk.set(tv.RoundTime.Add(time.Second))
	f.mustJSON("pokja", "POST", "/v1/tenders/T-MET/open", open, nil)

	status, text := f.do("", "GET", "/metrics", "", nil)
	if status != 200 {
		t.Fatalf("GET /metrics: %d", status)
	}
	m := parseMetrics(t, text)
	want := map[string]float64{
		`segel_submissions_total{outcome="accepted"}`:                                               2,
		`segel_submissions_total{outcome="duplicate"}`:                                              1,
		`segel_submissions_total{outcome="wrong-seal"}`:                                             1,
		`segel_submissions_total{outcome="unsupported-media-type"}`:                                 1,
		`segel_offers_opened_total{outcome="opened"}`:                                               1,
		`segel_offers_opened_total{outcome="failed"}`:                                               1,
		`segel_opening_duration_seconds_count`:                                                      1,
		`segel_offer_bytes_stored_total`:                                                            float64(len(a) + len(broken)),
		`segel_http_request_duration_seconds_count{code="201",route="/v1/tenders/{tender}/offers"}`: 2,
		`segel_http_request_duration_seconds_count{code="409",route="/v1/tenders/{tender}/offers"}`: 1,
		`segel_http_request_duration_seconds_count{code="422",route="/v1/tenders/{tender}/offers"}`: 1,
		`segel_http_request_duration_seconds_count{code="415",route="/v1/tenders/{tender}/offers"}`: 1,
		`segel_http_request_duration_seconds_count{code="201",route="/v1/tenders"}`:                 1,
		`segel_http_request_duration_seconds_count{code="200",route="/v1/tenders/{tender}/open"}`:   1,
		`segel_log_entries`: float64(f.s.Log.Size()),
		`segel_http_request_duration_seconds_count{code="425",route="/v1/tenders/{tender}/open"}`: 1,
		`segel_beacon_errors_total{kind="too-early"}`:                                             1,
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for _, k := range []string{
		`segel_submissions_total{outcome="bad-request"}`, // the media-type refusal has its own code
	} {
		if v, ok := m[k]; ok {
			t.Errorf("%s = %v, want absent", k, v)
		}
	}
	positive := []string{
		`segel_beacon_fetch_duration_seconds_count`,
		`segel_opening_duration_seconds_sum`,
		`segel_http_request_duration_seconds_count{code="200",route="/v1/login"}`,
		`segel_data_dir_free_bytes`,
		`go_memstats_alloc_bytes`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	}
	for _, k := range positive {
		if got := m[k]; !(got > 0) {
			t.Errorf("%s = %v, want > 0", k, got)
		}
	}
	// Histograms have buckets: the offers route's +Inf bucket counts all.
	if got := m[`segel_http_request_duration_seconds_bucket{code="201",le="+Inf",route="/v1/tenders/{tender}/offers"}`]; got != 2 {
		t.Errorf("offers route +Inf bucket = %v, want 2", got)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
