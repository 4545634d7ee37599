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
	return targetOf(ctx, cl, lpse, id, nil)
}

// targetOf is tenderTarget with a client, retrying with r if not nil.
func targetOf(ctx context.Context, cl *client.Client, lpse, id string, r *retrier) (sealer.Target, error) {
	return partTargetOf(ctx, cl, lpse, id, 0, r)
}

// partTargetOf is targetOf for file part part of a v2 tender
// (client.FileTarget: the calling bidder's), or of a v1 tender if part is 0.
func partTargetOf(ctx context.Context, cl *client.Client, lpse, id string, part int, r *retrier) (sealer.Target, error) {
	var t sealer.Target
	get := func() (err error) {
		if part == 0 {
			t, err = cl.Target(ctx, id)
		} else {
			t, err = cl.FileTarget(ctx, id, part)
		}
		return err
	}
	var err error
	if r != nil {
		err = r.do("fetching tender "+id, get)
	} else {
		err = get()
	}
	if errors.Is(err, client.ErrUnsafeTarget) {
		return sealer.Target{}, err
	} else if err != nil {
		return sealer.Target{}, netErr(fmt.Errorf("failed to get tender %s from %s: %w", id, lpse, err), "run the same command again")
	}
	return t, nil
}
