package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/segel-lpse/segel/timelock"
)

// diagnosedBeacon is an HTTP beacon that tells a wrong --beacon URL from a
// round not yet published. drand answers 404 for a round it has not
// produced, so a URL without drand's API (lpsed's root, say) looks like a
// beacon that is late for ever. When every relay says "too early" for a
// round that is due, diagnosedBeacon asks each for the chain's /info: a 404
// there means the URL serves no drand API.
type diagnosedBeacon struct {
	timelock.Beacon
	urls   []string
	client *http.Client
}

func (b *diagnosedBeacon) Signature(ctx context.Context, round uint64) ([]byte, error) {
	sig, err := b.Beacon.Signature(ctx, round)
	if !errors.Is(err, timelock.ErrTooEarly) || time.Now().Before(b.Chain().TimeOf(round)) {
		return sig, err
	}
	for _, u := range b.urls {
		u = strings.TrimSuffix(u, "/")
		if b.status(ctx, u+"/"+b.Chain().HashHex()+"/info") == http.StatusNotFound {
			return nil, fmt.Errorf("no drand API at %s (404): give the beacon's base URL, e.g. https://api.drand.sh or lpsed's http://HOST/beacon", u)
		}
	}
	return sig, err
}

// status returns the HTTP status of GET url, or 0 if there is none.
func (b *diagnosedBeacon) status(ctx context.Context, url string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
