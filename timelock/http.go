package timelock

import (
	"context"
	"crypto/sha256"
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
)

// maxBeaconResponse caps a /public/{round} answer; real ones are ~300 bytes.
const maxBeaconResponse = 64 << 10

// beaconJSON is drand's /public/{round} document.
type beaconJSON struct {
	Round      uint64 `json:"round"`
	Randomness string `json:"randomness"`
	Signature  string `json:"signature"`
}

// HTTPBeacon fetches round signatures from drand HTTP relays (or a
// LocalBeacon's Handler) for a pinned chain. Every answer is verified
// against the pinned chain before it is returned or cached; a relay that
// answers wrongly is skipped in favour of the next.
type HTTPBeacon struct {
	chain  Chain
	urls   []string
	client *http.Client
	now    func() time.Time
	next   atomic.Uint32
	sigs   sigCache
}

// HTTPConfig configures an HTTPBeacon.
type HTTPConfig struct {
	// URLs are relay base URLs, such as "https://api.drand.sh"; requests go
	// to URL/<chain hash>/public/<round>. They are tried in turn.
	URLs []string
	// Timeout bounds each request to one relay; 10 s if zero.
	Timeout time.Duration
	// Client is the HTTP client; a new one if nil.
	Client *http.Client
	// Now is the clock used to answer ErrTooEarly without asking; time.Now
	// if nil. A fast clock cannot make a relay publish early.
	Now func() time.Time
}

// NewHTTPBeacon returns a beacon for c that asks the relays in cfg.
func NewHTTPBeacon(c Chain, cfg HTTPConfig) (*HTTPBeacon, error) {
	if c.IsZero() {
		return nil, errors.New("timelock: no chain given")
	}
	if len(cfg.URLs) == 0 {
		return nil, errors.New("timelock: no beacon relay URLs given")
	}
	b := &HTTPBeacon{chain: c, client: cfg.Client, now: cfg.Now}
	for _, u := range cfg.URLs {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("timelock: beacon URL %q is not http(s)", u)
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

// Chain implements Beacon.
func (b *HTTPBeacon) Chain() Chain { return b.chain }

// Signature implements Beacon.
func (b *HTTPBeacon) Signature(ctx context.Context, round uint64) ([]byte, error) {
	if sig, ok := b.sigs.get(round); ok {
		return sig, nil
	}
	if t := b.chain.TimeOf(round); b.now().Before(t) {
		return nil, fmt.Errorf("%w: round %d is at %s", ErrTooEarly, round, t.Format(time.RFC3339))
	}
	start := int(b.next.Add(1)) % len(b.urls)
	var errs []error
	for i := range b.urls {
		u := b.urls[(start+i)%len(b.urls)]
		sig, err := b.fetch(ctx, u, round)
		if err == nil {
			b.sigs.put(round, sig)
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
		tooEarly = tooEarly && errors.Is(err, ErrTooEarly)
	}
	if tooEarly {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("timelock: no relay gave a valid signature for round %d: %w", round, errors.Join(errs...))
}

func (b *HTTPBeacon) fetch(ctx context.Context, base string, round uint64) ([]byte, error) {
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
		return nil, fmt.Errorf("%w: %s has not published round %d (HTTP %d)", ErrTooEarly, base, round, resp.StatusCode)
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

// Handler serves the beacon over drand's HTTP API, both at the root and
// under /<chain hash>/: GET /info, /public/latest and /public/<round>.
// Rounds not yet published get 425 Too Early.
func (b *LocalBeacon) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, prefix := range []string{"", "/" + b.chain.HashHex()} {
		mux.HandleFunc("GET "+prefix+"/info", b.serveInfo)
		mux.HandleFunc("GET "+prefix+"/public/{round}", b.servePublic)
	}
	mux.HandleFunc("GET /chains", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []string{b.chain.HashHex()})
	})
	return mux
}

func (b *LocalBeacon) serveInfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.chain.MarshalInfo())
}

func (b *LocalBeacon) servePublic(w http.ResponseWriter, r *http.Request) {
	var round uint64
	if s := r.PathValue("round"); s == "latest" {
		round = b.latest()
	} else {
		var err error
		if round, err = ParseRound(s); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	}
	sig, err := b.Signature(r.Context(), round)
	if errors.Is(err, ErrTooEarly) {
		w.Header().Set("Retry-After", strconv.Itoa(int(b.chain.TimeOf(round).Sub(b.now()).Seconds())+1))
		writeJSON(w, http.StatusTooEarly, map[string]string{"error": err.Error()})
		return
	} else if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	rnd := sha256.Sum256(sig)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	writeJSON(w, http.StatusOK, beaconJSON{Round: round, Randomness: hex.EncodeToString(rnd[:]), Signature: hex.EncodeToString(sig)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
