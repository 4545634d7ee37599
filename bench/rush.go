package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/tender"
)

// Rush modes, as the report labels them.
const (
	modeBaseline = "baseline: fsync only, HTTP"
	modeEngine   = "engine, no HTTP (tender.Engine called in-process)"
	modeLPSED    = "lpsed, HTTP"
)

// RushResult is every figure of one rush against one server.
type RushResult struct {
	Mode     string         `json:"mode"`
	Server   string         `json:"server,omitempty"` // the URL of an lpsed the bench did not start (-lpsed-url)
	Offered  int            `json:"offered"`
	Accepted int            `json:"accepted"`
	Errors   map[string]int `json:"errors"` // by kind
	// ErrorSamples are the first refusals, verbatim. Refusals are findings
	// (a server that cannot keep up refuses late offers), not failures of
	// the run; a lost acknowledged offer is.
	ErrorSamples []string    `json:"error_samples,omitempty"`
	Bytes        int64       `json:"accepted_bytes"`
	Usage        Usage       `json:"usage"`
	SpanSeconds  float64     `json:"span_s"` // first arrival to last completion
	AcceptedPS   float64     `json:"accepted_per_s"`
	MBPerS       float64     `json:"mb_per_s"`
	Latency      Percentiles `json:"latency"` // scheduled arrival to response
	// ClientCPUShare is the client's part of the CPU the rush used; -1 when
	// client and server cannot be told apart.
	ClientCPUShare float64 `json:"client_cpu_share"`
	ServerCPU      float64 `json:"server_cpu_s"`
	ClientCPU      float64 `json:"client_cpu_s"`
	// PeakPS is the most offers accepted in one bucket of the timeline,
	// per second; DrainSeconds is how long after the window's end the last
	// response came. While a server keeps up, AcceptedPS only follows the
	// arrivals; these two tell servers apart.
	PeakPS       float64  `json:"peak_accepted_per_s"`
	DrainSeconds float64  `json:"drain_s"`
	Timeline     []Bucket `json:"timeline"`

	ReceiptsVerified int      `json:"receipts_verified"`
	ProofsVerified   int      `json:"proofs_verified"`
	InClosing        int      `json:"acknowledged_in_closing"`
	Lost             int      `json:"lost"` // acknowledged but missing or wrong afterwards
	Problems         []string `json:"problems,omitempty"`
}

// Bucket is one slice of the rush's timeline, by completion time.
type Bucket struct {
	T        float64 `json:"t_s"` // start of the bucket, since the window opened
	Arrived  int     `json:"arrived"`
	Accepted int     `json:"accepted"`
	Errors   int     `json:"errors"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
}

// rushOffer is one bidder's pre-sealed offer, on disk.
type rushOffer struct {
	bidder, tender string
	path           string
	sent           sealed
	at             time.Duration // arrival, within the window
}

// outcome is what one submission got back.
type outcome struct {
	done    time.Duration // since the window opened
	latency time.Duration
	err     error
	kind    string
	receipt *tender.Receipt
}

// submitter is a server under rush.
type submitter interface {
	submit(ctx context.Context, o *rushOffer) (*tender.Receipt, error)
}

// engineSubmitter calls the engine directly: no HTTP, no JSON.
type engineSubmitter struct{ d *deployment }

func (e engineSubmitter) submit(ctx context.Context, o *rushOffer) (*tender.Receipt, error) {
	f, err := os.Open(o.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return e.d.engine.Submit(ctx, o.bidder, o.tender, f)
}

// httpSubmitter posts the sealed file to a server's /offers/TENDER/BIDDER.
type httpSubmitter struct {
	base   string
	client *http.Client
}

func newHTTPSubmitter(base string, conns int) *httpSubmitter {
	tr := &http.Transport{MaxConnsPerHost: conns, MaxIdleConnsPerHost: conns, DisableCompression: true}
	return &httpSubmitter{base: base, client: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

func (h *httpSubmitter) submit(ctx context.Context, o *rushOffer) (*tender.Receipt, error) {
	f, err := os.Open(o.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/offers/"+o.tender+"/"+o.bidder, f)
	if err != nil {
		return nil, err
	}
	req.ContentLength = o.sent.Size
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return nil, &statusError{code: resp.StatusCode, msg: string(bytes.TrimSpace(body))}
	}
	return nil, nil // the baseline gives no receipt
}

type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.msg) }

// errorKind names an error for the report's errors-by-kind table.
func errorKind(err error) string {
	var se *statusError
	var ae *client.APIError
	var ne net.Error
	for _, k := range []struct {
		err  error
		kind string
	}{
		{tender.ErrLate, "late"}, {tender.ErrDuplicate, "duplicate"}, {tender.ErrTooLarge, "too-large"},
		{tender.ErrWrongSeal, "wrong-seal"}, {tender.ErrNotRegistered, "not-registered"},
		{tender.ErrForbidden, "forbidden"}, {tender.ErrState, "state"}, {tender.ErrNotYetOpen, "not-yet-open"},
		{context.DeadlineExceeded, "timeout"},
		{syscall.ECONNREFUSED, "connection-refused"}, {syscall.ECONNRESET, "connection-reset"},
	} {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	switch {
	case errors.As(err, &ae) && ae.Code != "":
		return string(ae.Code)
	case errors.As(err, &ae):
		return fmt.Sprintf("http-%d", ae.Status)
	case errors.As(err, &se):
		return fmt.Sprintf("http-%d", se.code)
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other"
}

// sealRush seals every bidder's offer to its tender into dir, before any
// rush starts, as bidders do on their own machines.
func sealRush(ctx context.Context, c Config, d *deployment, dir string, stderr io.Writer) ([]*rushOffer, []*tender.Tender, time.Time, error) {
	var deadline time.Time
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, deadline, err
	}
	per := (c.Bidders + c.RushTenders - 1) / c.RushTenders
	bidders := make([]string, per)
	for j := range bidders {
		bidders[j] = fmt.Sprintf("penyedia-%05d", j+1)
	}
	// A far deadline: registration and sealing take what they take, then
	// the harness moves its clock to the rush's start, window + grace
	// before the deadline.
	deadline = d.now().Add(6 * time.Hour).Truncate(time.Second)
	tenders := make([]*tender.Tender, c.RushTenders)
	for i := range tenders {
		t, err := d.announce(ctx, fmt.Sprintf("Paket tenggat %d", i+1), deadline, bidders)
		if err != nil {
			return nil, nil, deadline, err
		}
		tenders[i] = t
	}
	sz := sizes(c.Seed, 1<<32, c.Bidders, c.RushMedian, c.RushSigma, c.MaxSize)
	at := arrivals(c.Seed, c.Bidders, c.Window, c.Curve, c.Steep)
	offers := make([]*rushOffer, c.Bidders)
	bar := newProgress(stderr, "rush: seal", c.Bidders)
	defer bar.Done()
	work := make(chan int)
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var doc []byte
			var buf bytes.Buffer
			for k := range work {
				if errs[w] != nil {
					continue
				}
				t := tenders[k%c.RushTenders]
				o := &rushOffer{bidder: bidders[k/c.RushTenders], tender: t.ID, path: filepath.Join(dir, fmt.Sprintf("%06d.age", k)), at: at[k]}
				doc = plaintext(doc, sz[k], c.Seed, 1<<20+k%c.RushTenders, k)
				target, err := t.Target(d.engine)
				if err == nil {
					o.sent, err = sealTo(&buf, doc, target)
				}
				if err == nil {
					err = os.WriteFile(o.path, buf.Bytes(), 0o644)
				}
				errs[w] = err
				offers[k] = o
				bar.Add(1)
			}
		}()
	}
	for k := range offers {
		work <- k
	}
	close(work)
	wg.Wait()
	return offers, tenders, deadline, errors.Join(errs...)
}

// rush sends every offer at its arrival time within the window and
// records what came back. Latency runs from the scheduled arrival, so
// time spent waiting for one of the conns slots counts.
// serverCPU reads a server's CPU time so far. external is true when the
// server is another process, whose CPU is not in this process's.
type serverCPU struct {
	read     func() time.Duration
	external bool
}

func rush(ctx context.Context, c Config, mode string, s submitter, offers []*rushOffer, start time.Time, server *serverCPU, stderr io.Writer) (*RushResult, []outcome) {
	syscall.Sync() // earlier phases' dirty pages are not this rush's work
	time.Sleep(time.Until(start))
	res := &RushResult{Mode: mode, Offered: len(offers), Errors: map[string]int{}}
	outs := make([]outcome, len(offers))
	bar := newProgress(stderr, "rush: "+shortMode(mode), len(offers))
	slots := make(chan struct{}, c.Conns)
	var wg sync.WaitGroup
	var srv0 time.Duration
	if server != nil {
		srv0 = server.read()
	}
	meter := startUsage()
	start = meter.start
	for k, o := range offers {
		time.Sleep(time.Until(start.Add(o.at)))
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.submit(ctx, o)
			<-slots
			done := time.Since(start)
			outs[k] = outcome{done: done, latency: done - o.at, err: err, receipt: r}
			if err != nil {
				outs[k].kind = errorKind(err)
				bar.Fail(1)
			}
			bar.Add(1)
		}()
	}
	wg.Wait()
	res.Usage = meter.Stop()
	bar.Done()

	var lat []time.Duration
	var last time.Duration
	for k, o := range outs {
		last = max(last, o.done)
		if o.err != nil {
			res.Errors[o.kind]++
			if len(res.ErrorSamples) < 10 {
				res.ErrorSamples = append(res.ErrorSamples, fmt.Sprintf("%s/%s: %v", offers[k].tender, offers[k].bidder, o.err))
			}
			continue
		}
		res.Accepted++
		res.Bytes += offers[k].sent.Size
		lat = append(lat, o.latency)
	}
	res.Latency = percentiles(lat)
	res.SpanSeconds = (last - offers[0].at).Seconds()
	res.AcceptedPS = float64(res.Accepted) / res.SpanSeconds
	res.MBPerS = float64(res.Bytes) / 1e6 / res.SpanSeconds
	res.ClientCPUShare = -1
	if server != nil {
		res.ServerCPU = (server.read() - srv0).Seconds()
		if server.external {
			// Usage counts this process, the client, alone: add the server.
			res.Usage.CPUSeconds += res.ServerCPU
			res.Usage.CPUCores = res.Usage.CPUSeconds / res.Usage.WallSeconds
		}
		res.ClientCPU = res.Usage.CPUSeconds - res.ServerCPU
		res.ClientCPUShare = res.ClientCPU / res.Usage.CPUSeconds
	}
	res.Timeline = timeline(c.Window, offers, outs)
	res.DrainSeconds = max(0, (last - c.Window).Seconds())
	width := res.Timeline[1%len(res.Timeline)].T - res.Timeline[0].T
	for _, b := range res.Timeline {
		if width > 0 {
			res.PeakPS = max(res.PeakPS, float64(b.Accepted)/width)
		}
	}
	return res, outs
}

func shortMode(m string) string {
	switch m {
	case modeBaseline:
		return "baseline"
	case modeEngine:
		return "engine"
	}
	return "lpsed"
}

// timeline buckets arrivals and completions over the run.
func timeline(window time.Duration, offers []*rushOffer, outs []outcome) []Bucket {
	width := time.Second
	if window < 20*time.Second {
		width = 250 * time.Millisecond
	}
	var end time.Duration
	for _, o := range outs {
		end = max(end, o.done)
	}
	n := int(end/width) + 1
	buckets := make([]Bucket, n)
	lat := make([][]time.Duration, n)
	for k, o := range outs {
		buckets[int(offers[k].at/width)].Arrived++
		b := int(o.done / width)
		if o.err != nil {
			buckets[b].Errors++
			continue
		}
		buckets[b].Accepted++
		lat[b] = append(lat[b], o.latency)
	}
	for i := range buckets {
		buckets[i].T = (time.Duration(i) * width).Seconds()
		p := percentiles(lat[i])
		buckets[i].P50, buckets[i].P99 = p.P50, p.P99
	}
	return buckets
}

// verifyRush checks every acknowledged offer of the engine rush: its
// receipt and proof file, and, once the tenders are closed, that the
// closing's offer set holds exactly the bytes acknowledged.
func verifyRush(ctx context.Context, d *deployment, res *RushResult, offers []*rushOffer, outs []outcome, tenders []*tender.Tender, deadline time.Time) {
	problem := func(format string, args ...any) {
		if len(res.Problems) < 50 {
			res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
		}
	}
	for k, o := range outs {
		if o.err != nil {
			continue
		}
		if o.receipt == nil || !verifyReceipt(ctx, d, submitted{sent: offers[k].sent, receipt: o.receipt}, problem) {
			res.Lost++
			continue
		}
		res.ReceiptsVerified++
		res.ProofsVerified++
	}
	d.jumpTo(deadline.Add(time.Second))
	closed := map[string]map[string][32]byte{}
	for _, t := range tenders {
		ct, err := d.engine.Close(ctx, t.ID)
		if err != nil {
			problem("closing %s: %v", t.ID, err)
			continue
		}
		set := map[string][32]byte{}
		for _, o := range ct.Closing.Offers {
			set[o.Bidder] = o.SHA256
		}
		closed[t.ID] = set
	}
	for k, o := range outs {
		if o.err != nil {
			continue
		}
		if got, ok := closed[offers[k].tender][offers[k].bidder]; ok && got == offers[k].sent.SHA256 {
			res.InClosing++
		} else {
			res.Lost++
			problem("%s/%s: acknowledged offer not in the closing", offers[k].tender, offers[k].bidder)
		}
	}
}

// verifyBaseline checks the baseline kept every acknowledged byte.
func verifyBaseline(dir string, res *RushResult, offers []*rushOffer, outs []outcome) {
	var want, got int64
	for k, o := range outs {
		if o.err == nil {
			want += offers[k].sent.Size
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if info, err := e.Info(); err == nil {
			got += info.Size()
		}
	}
	if got != want {
		res.Problems = append(res.Problems, fmt.Sprintf("baseline holds %d bytes, %d were acknowledged", got, want))
	}
}
