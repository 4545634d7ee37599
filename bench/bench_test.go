package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// TestSmoke runs the smoke preset, as CI does, and checks that the report
// is written and that every receipt, proof file and opening report verified.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the smoke preset (~15 s)")
	}
	dir := t.TempDir()
	var stderr strings.Builder
	if code := run([]string{"-preset", "smoke", "-out", dir}, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, tail(stderr.String()))
	}
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err != nil {
		t.Fatal(err)
	}
	r := readReport(t, dir)
	if !r.OK || len(r.Problems) > 0 {
		t.Errorf("report not OK: %q", r.Problems)
	}
	o := r.Opening
	if o == nil || o.Offers != 30 || o.ReceiptsVerified != o.Offers || o.ProofsVerified != o.Offers || o.Opened != o.Offers || o.ReportsVerified != o.Tenders {
		t.Errorf("opening: %+v", o)
	}
	if o != nil && (o.Ratio <= 0 || o.Limit.AgeRate <= 0 || o.PerOffer.N != o.Offers) {
		t.Errorf("opening figures missing: ratio %v, limit %+v, latencies %d", o.Ratio, o.Limit, o.PerOffer.N)
	}
	if len(r.Rush) != 2 {
		t.Fatalf("got %d rushes, want baseline and engine", len(r.Rush))
	}
	for _, x := range r.Rush {
		if x.Accepted == 0 || x.Lost != 0 {
			t.Errorf("%s: %d accepted, %d lost", x.Mode, x.Accepted, x.Lost)
		}
	}
	if e := r.Rush[1]; e.ReceiptsVerified != e.Accepted || e.InClosing != e.Accepted {
		t.Errorf("engine rush: %d accepted, %d receipts verified, %d in the closing", e.Accepted, e.ReceiptsVerified, e.InClosing)
	}
	for _, f := range []string{"opening_timeline.svg", "rush_throughput.svg", "rush_latency.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func tail(s string) string { return s[max(0, len(s)-2000):] }

// readReport reads DIR/report.json.
func readReport(t *testing.T, dir string) Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLPSEDSmoke rushes a real lpsed, built and run as its own process,
// with 40 offers over HTTP, and checks that every acknowledged offer's
// receipt and proof file verified and that it is in its tender's closing
// and verified audit bundle.
func TestLPSEDSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs lpsed (~40 s)")
	}
	dir := t.TempDir()
	var stderr strings.Builder
	args := []string{"-preset", "smoke", "-opening=false", "-lpsed", "-bidders", "40", "-rush-tenders", "2", "-out", dir}
	if code := run(args, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, tail(stderr.String()))
	}
	r := readReport(t, dir)
	if !r.OK || len(r.Rush) != 3 {
		t.Fatalf("report: ok %v, %d rushes, problems %q", r.OK, len(r.Rush), r.Problems)
	}
	lp := r.Rush[2]
	if lp.Mode != modeLPSED || lp.Accepted != 40 || lp.ReceiptsVerified != 40 || lp.ProofsVerified != 40 || lp.InClosing != 40 || lp.Lost != 0 {
		t.Errorf("lpsed rush: %s: %d accepted, %d receipts and %d proofs verified, %d in the closing, %d lost; errors %v",
			lp.Mode, lp.Accepted, lp.ReceiptsVerified, lp.ProofsVerified, lp.InClosing, lp.Lost, lp.ErrorSamples)
	}
	if lp.ServerCPU <= 0 || lp.ClientCPUShare <= 0 || lp.ClientCPUShare >= 1 || r.LPSEDRatio <= 0 {
		t.Errorf("lpsed CPU: server %.3f s, client share %.2f, ratio %.2f", lp.ServerCPU, lp.ClientCPUShare, r.LPSEDRatio)
	}
}

func TestConfigFlagsOverridePreset(t *testing.T) {
	c, err := parseConfig([]string{"-preset", "target", "-tenders", "7", "-median", "2MiB"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Tenders != 7 || c.Offers != 100 || c.Median != 2<<20 || c.Bidders != 20000 {
		t.Errorf("got T=%d N=%d median=%v B=%d", c.Tenders, c.Offers, c.Median, c.Bidders)
	}
	if _, err := parseConfig([]string{"-preset", "nope"}, io.Discard); err == nil {
		t.Error("unknown preset accepted")
	}
}

func TestWorkloadIsReproducible(t *testing.T) {
	a, b := sizes(1, 2, 100, 256<<10, 0.6, 8<<20), sizes(1, 2, 100, 256<<10, 0.6, 8<<20)
	for i := range a {
		if a[i] != b[i] || a[i] < 1 || a[i] > 8<<20 {
			t.Fatalf("size %d: %d, %d", i, a[i], b[i])
		}
	}
	at := arrivals(1, 1000, time.Minute, "exp", 3)
	if at[0] < 0 || at[999] >= time.Minute || at[500] < 30*time.Second {
		t.Errorf("exp arrivals: first %v, median %v, last %v; want them packed toward the end", at[0], at[500], at[999])
	}
}

// TestLPSEDRemoteSmoke rushes an lpsed the harness did not start
// (-lpsed-url), twice, as an operator would rush a staging server: it
// logs in as the given admin instead of bootstrapping, and the second
// run's people and tenders must not collide with the first's.
func TestLPSEDRemoteSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs lpsed (~40 s)")
	}
	ctx := t.Context()
	c := presets["smoke"]
	p, err := startLPSED(ctx, c, filepath.Join(t.TempDir(), "lpsed"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const email, password = "admin@lpse.staging.go.id", "rahasia-staging-2026"
	anon := client.New(p.url)
	if _, err := anon.Bootstrap(ctx, api.Registration{Role: "admin", Email: email, Password: password, Name: "Admin Staging",
		NIK: "3171015505900001", Documents: map[api.DocumentKind][]byte{api.DocSuratTugas: []byte("Surat tugas admin")}}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(adminPasswordEnv, password)
	for round := range 2 {
		dir := t.TempDir()
		var stderr strings.Builder
		args := []string{"-preset", "smoke", "-opening=false", "-lpsed-url", p.url, "-lpsed-admin", email, "-bidders", "20", "-rush-tenders", "2", "-out", dir}
		if code := run(args, &stderr); code != 0 {
			t.Fatalf("run %d: exit code %d; stderr:\n%s", round, code, tail(stderr.String()))
		}
		r := readReport(t, dir)
		if !r.OK || len(r.Rush) != 3 {
			t.Fatalf("run %d: ok %v, %d rushes, problems %q", round, r.OK, len(r.Rush), r.Problems)
		}
		lp := r.Rush[2]
		if lp.Server != p.url || lp.Accepted != 20 || lp.ReceiptsVerified != 20 || lp.InClosing != 20 || lp.Lost != 0 {
			t.Errorf("run %d: lpsed rush at %q: %d accepted, %d receipts verified, %d in the closing, %d lost; errors %v",
				round, lp.Server, lp.Accepted, lp.ReceiptsVerified, lp.InClosing, lp.Lost, lp.ErrorSamples)
		}
		if report, _ := os.ReadFile(filepath.Join(dir, "report.md")); !strings.Contains(string(report), "another machine") {
			t.Errorf("run %d: the report does not say the server's CPU is not measured", round)
		}
	}
}
