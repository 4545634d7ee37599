// Package beaconhttp speaks drand's HTTP API for package timelock: Beacon
// fetches round signatures from drand relays for a pinned chain, and
// Handler serves a timelock.LocalBeacon the same way, so that Beacon (and
// drand's own clients) can use it.
//
// It is a package of its own so that timelock, and the packages that open
// files offline with it (sealer, audit), link no HTTP. The API is drand's
// (GET <url>/<chain hash>/public/<round>, GET /info); see
// doc/spec/timelock.md. A relay is never trusted: every signature is
// verified against the caller's pinned chain before it is returned.
package beaconhttp

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/segel-lpse/segel/internal/sigcache"
	"github.com/segel-lpse/segel/timelock"
)

// maxBeaconResponse caps a /public/{round} answer; real ones are ~300 bytes.
const maxBeaconResponse = 64 << 10

// beaconJSON is drand's /public/{round} document.
type beaconJSON struct {
	Round      uint64 `json:"round"`
	Randomness string `json:"randomness"`
	Signature  string `json:"signature"`
}

// Beacon is a timelock.Beacon that fetches round signatures from drand
// HTTP relays (or a LocalBeacon served by Handler) for a pinned chain.
// Every answer is verified against the pinned chain before it is returned
// or cached; a relay that answers wrongly is skipped in favour of the next.
type Beacon struct {
	chain  timelock.Chain
	urls   []string
	client *http.Client
	now    func() time.Time
	next   atomic.Uint32
	sigs   sigcache.Cache
}

// Config configures a Beacon.
type Config struct {
	// URLs are relay base URLs, such as "https://api.drand.sh"; requests go
	// to URL/<chain hash>/public/<round>. They are tried in turn.
	URLs []string
	// Timeout bounds each request to one relay; 10 s if zero.
	Timeout time.Duration
	// Client is the HTTP client; a new one if nil.
	Client *http.Client
	// Now is the clock used to answer timelock.ErrTooEarly without asking;
	// time.Now if nil. A fast clock cannot make a relay publish early.
	Now func() time.Time
}

// New returns a beacon for c that asks the relays in cfg.
func New(c timelock.Chain, cfg Config) (*Beacon, error) {
	if c.IsZero() {
		return nil, errors.New("beaconhttp: no chain given")
	}
	if len(cfg.URLs) == 0 {
		return nil, errors.New("beaconhttp: no beacon relay URLs given")
	}
	b := &Beacon{chain: c, client: cfg.Client, now: cfg.Now}
	for _, u := range cfg.URLs {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("beaconhttp: beacon URL %q is not http(s)", u)
		}
		b.urls = append(b.urls, strings.TrimSuffix(u, "/"))
	}
	if b.client == nil {
		timeout := cfg.Timeout
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		b.client = &http.Client{Timeout: timeout}
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b, nil
}

// Chain implements timelock.Beacon.
func (b *Beacon) Chain() timelock.Chain { return b.chain }

// Signature implements timelock.Beacon.
func (b *Beacon) Signature(ctx context.Context, round uint64) ([]byte, error) {
	if sig, ok := b.sigs.Get(round); ok {
		return sig, nil
	}
	if t := b.chain.TimeOf(round); b.now().Before(t) {
		return nil, fmt.Errorf("%w: round %d is at %s", timelock.ErrTooEarly, round, t.Format(time.RFC3339))
	}
	start := int(b.next.Add(1)) % len(b.urls)
	var errs []error
	for i := range b.urls {
		u := b.urls[(start+i)%len(b.urls)]
		sig, err := b.fetch(ctx, u, round)
		if err == nil {
			b.sigs.Put(round, sig)
			return sig, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	// Too early if every relay said so; otherwise report every failure.
	tooEarly := true
	for _, err := range errs {
		tooEarly = tooEarly && errors.Is(err, timelock.ErrTooEarly)
	}
	if tooEarly {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("beaconhttp: no relay gave a valid signature for round %d: %w", round, errors.Join(errs...))
}

func (b *Beacon) fetch(ctx context.Context, base string, round uint64) ([]byte, error) {
	url := base + "/" + b.chain.HashHex() + "/public/" + strconv.FormatUint(round, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBeaconResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", base, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooEarly || resp.StatusCode == http.StatusNotFound:
		// drand answers 404 (or 425) for rounds it has not produced.
		return nil, fmt.Errorf("%w: %s has not published round %d (HTTP %d)", timelock.ErrTooEarly, base, round, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: HTTP %s", base, resp.Status)
	case len(body) > maxBeaconResponse:
		return nil, fmt.Errorf("%s: answer larger than %d bytes", base, maxBeaconResponse)
	}
	var bj beaconJSON
	if err := json.Unmarshal(body, &bj); err != nil {
		return nil, fmt.Errorf("%s: answer is not drand beacon JSON: %w", base, err)
	}
	if bj.Round != round {
		return nil, fmt.Errorf("%s: asked for round %d, got round %d", base, round, bj.Round)
	}
	sig, err := hex.DecodeString(bj.Signature)
	if err != nil {
		return nil, fmt.Errorf("%s: signature is not hex: %w", base, err)
	}
	if err := b.chain.VerifySignature(round, sig); err != nil {
		return nil, fmt.Errorf("%s: %w", base, err)
	}
	return sig, nil
}
