package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Report is everything a run found; report.json is it verbatim.
type Report struct {
	Started time.Time      `json:"started"`
	Seconds float64        `json:"seconds"`
	Config  Config         `json:"config"`
	Machine Machine        `json:"machine"`
	Opening *OpeningResult `json:"opening,omitempty"`
	Rush    []*RushResult  `json:"rush,omitempty"`
	// RushRatio is the engine's accepted/s over the baseline's; PeakRatio
	// the same for the best bucket.
	RushRatio float64 `json:"rush_ratio,omitempty"`
	PeakRatio float64 `json:"rush_peak_ratio,omitempty"`
	// LPSEDRatio is lpsed's accepted/s over the baseline's; LPSEDPeakRatio
	// the same for the best bucket.
	LPSEDRatio     float64  `json:"lpsed_ratio,omitempty"`
	LPSEDPeakRatio float64  `json:"lpsed_peak_ratio,omitempty"`
	Plots          []string `json:"plots,omitempty"`
	OK             bool     `json:"ok"`
	Problems       []string `json:"problems,omitempty"`
}

// Machine is where the run happened.
type Machine struct {
	CPUModel   string `json:"cpu_model"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Memory     int64  `json:"memory_bytes"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	LoadAvg    string `json:"loadavg_at_start"` // the machine is shared
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		var kb int64
		fmt.Sscanf(v, "%d", &kb)
		m.Memory = kb << 10
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		m.LoadAvg = strings.Join(f[:min(3, len(f))], " ")
	}
	return m
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func writeReport(dir string, r *Report) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(markdown(r)), 0o644)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func markdown(r *Report) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	verdict := "PASS"
	if !r.OK {
		verdict = "FAIL"
	}
	c, m := r.Config, r.Machine
	p("# Segel bench: preset %s — %s", c.Preset, verdict)
	p("")
	p("Run %s, %.0f s. Backend: %s. Seed %d.", r.Started.Format(time.RFC3339), r.Seconds, c.Backend, c.Seed)
	p("")
	p("**Machine:** %s; %d cores (GOMAXPROCS %d); %s memory; %s %s; load average at start %s (the machine is shared: other work competes).",
		m.CPUModel, m.Cores, m.GOMAXPROCS, mib(m.Memory), m.GoVersion, m.OS, m.LoadAvg)
	p("")
	if o := r.Opening; o != nil {
		p("## Opening peak")
		p("")
		p("T = %d tenders × N = %d offers, plaintext sizes log-normal (median %s, sigma %.2f, cap %s), local beacon period %s, %d open workers per tender. All tenders open at once; the sink checksums and discards.",
			c.Tenders, c.Offers, c.Median, c.Sigma, c.MaxSize, c.Period, workersOf(c))
		p("")
		p("| figure | value |")
		p("|---|---|")
		p("| offers | %d (%s plaintext, %s sealed) |", o.Offers, mib(o.PlainBytes), mib(o.SealedBytes))
		p("| **wall time** | **%.3f s** |", o.Usage.WallSeconds)
		p("| **limit** | **%.3f s** |", o.LimitSeconds)
		p("| **wall / limit** | **%.2f** (target ≤ 1.25: %s) |", o.Ratio, met(o.Ratio <= 1.25))
		p("| CPU used / CPU the limit counts | %.2f (the run got %.2f of %d cores) |", o.CPURatio, o.Usage.CPUCores, o.Limit.Cores)
		p("| per-offer fixed cost with %d cores busy / with one | %.2f (the limit assumes 1) |", o.Limit.Cores, o.Limit.ParallelCost)
		p("| offers/s | %.1f |", o.OffersPerS)
		p("| MB/s (plaintext, 10⁶ B) | %.1f |", o.MBPerS)
		p("| per-offer latency p50 / p95 / p99 / max | %.1f / %.1f / %.1f / %.1f ms |", o.PerOffer.P50, o.PerOffer.P95, o.PerOffer.P99, o.PerOffer.Max)
		p("| per-tender wall p50 / max | %.1f / %.1f ms |", o.PerTender.P50, o.PerTender.Max)
		p("| CPU | %.2f s user+sys = %.2f cores busy |", o.Usage.CPUSeconds, o.Usage.CPUCores)
		p("| peak RSS (VmHWM) / Go memory | %s / %s |", mib(o.Usage.PeakRSS), mib(int64(o.Usage.PeakGoBytes)))
		p("| submission (not measured phase) | %.1f offers/s, %.2f cores |", o.SubmitRate, o.Submit.CPUCores)
		p("")
		l := o.Limit
		p("**Limit**, measured in this run on one goroutine in its thread's CPU time (so other load on the machine does not inflate it), the median of %d readings (per-offer fixed cost %.2f–%.2f ms): age payload decryption %.0f MB/s; per-offer fixed cost %.2f ms (age.Decrypt of an empty sealed offer: header, pairing, ML-KEM-768 + X25519, MAC); one pairing %.2f ms; %d cores. limit = (%s / age rate + %d × fixed) / %d. Not counted in it: SHA-256 at %.0f MB/s, which the engine runs twice per offer (the vault re-checks the sealed file's digest; the report needs the plaintext's).",
			l.Readings, float64(l.PerOfferMin)/1e6, float64(l.PerOfferMax)/1e6, l.AgeRate/1e6, float64(l.PerOffer)/1e6, float64(l.Pairing)/1e6, l.Cores, mib(o.PlainBytes), o.Offers, l.Cores, l.SHA256Rate/1e6)
		p("")
		p("*Per-offer latency* is the time from the engine opening an offer's sealed blob to the sink's Close of its plaintext: the whole decryption of one offer including storage reads, not the wait before a worker takes it.")
		p("")
		p("**Verification:** %d/%d opening reports verify; %d opened, %d failed; %d/%d receipts verify and bind the bytes sent; %d proof files verify.",
			o.ReportsVerified, o.Tenders, o.Opened, o.Failed, o.ReceiptsVerified, o.Offers, o.ProofsVerified)
		p("")
	}
	if len(r.Rush) > 0 {
		p("## Deadline rush")
		p("")
		p("B = %d bidders over %d tenders, one pre-sealed offer each (plaintext median %s, sigma %.2f), arrivals in the last %s before the deadline on the %s curve (steepness %.1f), deadline %s after the window, at most %d offers in flight. Latency runs from the scheduled arrival to the response, so waiting for a slot counts.",
			c.Bidders, c.RushTenders, c.RushMedian, c.RushSigma, c.Window, c.Curve, c.Steep, c.Grace, c.Conns)
		p("")
		p("| server | accepted | errors | accepted/s | peak/s | MB/s | drain | p50 / p95 / p99 / max ms | CPU cores | client CPU share | receipts verified | lost |")
		p("|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, x := range r.Rush {
			share, cores, mode := "n/a (same process)", fmt.Sprintf("%.2f", x.Usage.CPUCores), x.Mode
			if x.ClientCPUShare >= 0 {
				share = fmt.Sprintf("%.0f%%", 100*x.ClientCPUShare)
			}
			if x.Server != "" {
				share, cores, mode = "n/a (another machine)", "n/a (client only: "+cores+")", x.Mode+" at "+x.Server
			}
			rc := "n/a"
			if x.Mode != modeBaseline {
				rc = fmt.Sprintf("%d/%d", x.ReceiptsVerified, x.Accepted)
			}
			p("| %s | %d/%d | %s | %.1f | %.1f | %.1f | %.2f s | %.0f / %.0f / %.0f / %.0f | %s | %s | %s | %d |",
				mode, x.Accepted, x.Offered, errorsText(x.Errors), x.AcceptedPS, x.PeakPS, x.MBPerS, x.DrainSeconds,
				x.Latency.P50, x.Latency.P95, x.Latency.P99, x.Latency.Max, cores, share, rc, x.Lost)
		}
		p("")
		if r.RushRatio > 0 {
			p("**Engine ÷ baseline:** accepted/s %.2f, peak accepted/s %.2f (target ≥ 0.5). While both keep up with the arrivals, accepted/s follows the offered load; the peak and the drain time are what differ.", r.RushRatio, r.PeakRatio)
			p("")
		}
		if r.LPSEDRatio > 0 {
			p("**lpsed ÷ baseline:** accepted/s %.2f, peak accepted/s %.2f (target ≥ 0.5).", r.LPSEDRatio, r.LPSEDPeakRatio)
			p("")
		}
		p("The baseline's client CPU share is the process's CPU minus the CPU its handlers used on their own OS threads. The engine is called in-process without HTTP: its client only opens a file and calls Submit, so no share is given. lpsed (`-lpsed`) runs as its own process: its CPU is read from /proc/PID/stat, the client's is this process's, and the CPU cores column is their sum; its offers are sealed to its own tenders (same sizes and arrival times, other bytes), every receipt and proof file is verified against /v1/keys, and after the deadline every tender is closed and opened through the API and its audit bundle verified (audit.Verify) and checked for every acknowledged entry.")
		p("")
		for _, x := range r.Rush {
			if x.Server != "" {
				p("The lpsed rushed here runs at %s (`-lpsed-url`), not started by the bench: its CPU is not read, so the CPU column is the client's alone and no client share is given. The run's accounts and tenders carry a run number in their emails and ids, and stay on that server.", x.Server)
				p("")
			}
		}
		for _, x := range r.Rush {
			if x.Mode == modeEngine || x.Mode == modeLPSED {
				p("%s: target B=20,000 within 60 s, zero lost, p99 < 500 ms: accepted %d/%d, lost %d, p99 %.0f ms (%s for this run's B and window).", shortMode(x.Mode), x.Accepted, x.Offered, x.Lost, x.Latency.P99, met(x.Lost == 0 && x.Accepted == x.Offered && x.Latency.P99 < 500))
				p("")
			}
		}
	}
	if len(r.Plots) > 0 {
		p("## Plots")
		p("")
		for _, f := range r.Plots {
			if strings.HasSuffix(f, ".svg") {
				p("![%s](%s)", strings.TrimSuffix(f, ".svg"), f)
			}
		}
		p("")
	}
	p("## Configuration")
	p("")
	js, _ := json.MarshalIndent(c, "", "  ")
	p("```json\n%s\n```", js)
	if len(r.Problems) > 0 {
		p("")
		p("## Problems")
		p("")
		for _, s := range r.Problems {
			p("- %s", s)
		}
	}
	return b.String()
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

func errorsText(m map[string]int) string {
	if len(m) == 0 {
		return "0"
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func workersOf(c Config) int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}
