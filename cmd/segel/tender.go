package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// tenderTarget asks the LPSE at lpse for tender id's round and committee
// key, checked against the pinned chain c by client.Target: the server
// names the tender, never the chain or a round that c does not give.
func tenderTarget(ctx context.Context, lpse, id string, c timelock.Chain) (sealer.Target, error) {
	if !strings.HasPrefix(lpse, "https://") && !strings.HasPrefix(lpse, "http://") {
		return sealer.Target{}, fmt.Errorf("--lpse %q is not an http(s) URL, such as https://lpse.example.go.id", lpse)
	}
	cl := client.New(lpse, client.WithChain(c), client.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	t, err := cl.Target(ctx, id)
	if errors.Is(err, client.ErrUnsafeTarget) {
		return sealer.Target{}, err
	} else if err != nil {
		return sealer.Target{}, fmt.Errorf("failed to get tender %s from %s: %w", id, lpse, err)
	}
	return t, nil
}
