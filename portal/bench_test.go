package portal_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/browsertest"
	"github.com/segel-lpse/segel/portal"
	"github.com/segel-lpse/segel/timelock"
)

// BenchmarkBrowserSeal seals a 50 MiB document in headless Chromium with
// the portal's WebAssembly, and the same file with segel seal (a native
// binary built from this tree) in the same iteration; it reports both
// times, their ratio, the WebAssembly memory after sealing, and
// segel.wasm's size as served (gzip at lpsed's level, and brotli -q 11
// when the brotli command is installed):
//
//	go test -run '^$' -bench BrowserSeal -benchtime 5x ./portal
func BenchmarkBrowserSeal(b *testing.B) {
	const size = 50 << 20
	ctx := browsertest.New(b)
	dir := b.TempDir()
	segel := filepath.Join(dir, "segel")
	if out, err := exec.Command("go", "build", "-o", segel, "github.com/segel-lpse/segel/cmd/segel").CombinedOutput(); err != nil {
		b.Fatalf("building segel: %v\n%s", err, out)
	}
	key, _ := timelock.GenerateLocalKey()
	beacon, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: time.Unix(1_760_000_000, 0), Period: 3 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	committee, _ := age.GenerateHybridIdentity()
	chain := beacon.Chain()
	round := chain.RoundAt(time.Now().Add(24 * time.Hour))
	chainFile := filepath.Join(dir, "chain.json")
	doc := filepath.Join(dir, "penawaran.pdf")
	data := make([]byte, size)
	rand.Read(data)
	if os.WriteFile(chainFile, chain.MarshalInfo(), 0o644) != nil || os.WriteFile(doc, data, 0o644) != nil {
		b.Fatal("writing the inputs")
	}
	target, _ := json.Marshal(map[string]any{"chain": json.RawMessage(chain.MarshalInfo()), "round": round, "committee_key": committee.Recipient().String()})

	warmUp()
	s := newSite(b, nil, chain.MarshalInfo(), nil)
	openPage(b, ctx, s)
	setFiles(b, ctx, "#doc", doc)

	var browser, native time.Duration
	var memory float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var r struct {
			MS     float64 `json:"ms"`
			Size   int64   `json:"size"`
			Memory float64 `json:"memory"`
		}
		must(b, ctx, fmt.Sprintf(`const t0 = performance.now();
			const r = await segel.seal(document.getElementById("doc").files[0], %s);
			return {ms: performance.now() - t0, size: r.size, memory: segel.memoryBytes()};`, target), &r)
		browser += time.Duration(r.MS * float64(time.Millisecond))
		memory = max(memory, r.Memory)

		out := filepath.Join(dir, "sealed.age")
		cmd := exec.Command(segel, "seal", "--chain", chainFile, "--round", fmt.Sprint(round), "--committee", committee.Recipient().String(), "-o", out, doc)
		start := time.Now()
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("segel seal: %v\n%s", err, o)
		}
		native += time.Since(start)
		if st, err := os.Stat(out); err != nil || st.Size() != r.Size {
			b.Fatalf("segel seal wrote %v bytes (%v), the browser %d", st.Size(), err, r.Size)
		}
	}
	b.StopTimer()
	b.ReportMetric(browser.Seconds()*1e3/float64(b.N), "browser-ms/op")
	b.ReportMetric(native.Seconds()*1e3/float64(b.N), "segel-seal-ms/op")
	b.ReportMetric(float64(browser)/float64(native), "browser/segel-seal")
	b.ReportMetric(memory/(1<<20), "wasm-memory-MiB")
	reportSizes(b)
}

// reportSizes reports segel.wasm's size, raw and as served.
func reportSizes(b *testing.B) {
	wasm, err := fs.ReadFile(portal.Files(), "segel.wasm")
	if err != nil {
		b.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	zw.Write(wasm)
	zw.Close()
	b.ReportMetric(float64(len(wasm))/1e6, "wasm-MB")
	b.ReportMetric(float64(gz.Len())/1e6, "wasm-gzip-MB")
	if _, err := exec.LookPath("brotli"); err == nil {
		cmd := exec.Command("brotli", "-c", "-q", "11")
		cmd.Stdin = bytes.NewReader(wasm)
		br, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(br))/1e6, "wasm-brotli-MB")
	}
}
