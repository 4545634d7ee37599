package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// tenderTarget asks the LPSE at lpse for tender id's round and committee
// key, checked against the pinned chain c by client.Target: the server
// names the tender, never the chain or a round that c does not give.
func tenderTarget(ctx context.Context, lpse, id string, c timelock.Chain) (sealer.Target, error) {
	cl, err := newLPSEClient(lpse, c, "", nil)
	if err != nil {
		return sealer.Target{}, err
	}
	return targetOf(ctx, cl, lpse, id)
}

// targetOf is tenderTarget with a client.
func targetOf(ctx context.Context, cl *client.Client, lpse, id string) (sealer.Target, error) {
	t, err := cl.Target(ctx, id)
	if errors.Is(err, client.ErrUnsafeTarget) {
		return sealer.Target{}, err
	} else if err != nil {
		return sealer.Target{}, netErr(fmt.Errorf("failed to get tender %s from %s: %w", id, lpse, err), "run the same command again")
	}
	return t, nil
}
