package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// balancer is what TestScaleOut puts in front of the instances: any HTTP load
// balancer with health checks. It sends call n to instance n mod len(urls) and,
// when an instance does not answer (connection refused or reset), the
// same call to the next one. It keeps no session: a caller's calls land
// on any instance.
type balancer struct {
	urls      []string
	http      *http.Client
	mu        sync.Mutex
	dead      map[int]bool
	failovers atomic.Int64 // calls sent on to the next instance
}

func (lb *balancer) down(i int) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.dead == nil {
		lb.dead = map[int]bool{}
	}
	lb.dead[i] = true
}

func (lb *balancer) alive() []int {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var a []int
	for i := range lb.urls {
		if !lb.dead[i] {
			a = append(a, i)
		}
	}
	return a
}

// do runs call against instance n mod 3, then the following ones while the
// instance does not answer. A refusal by a live instance (an *APIError)
// is final, except 5xx: a server error is retried on the next instance.
func (lb *balancer) do(n int, token string, call func(c *client.Client) error) error {
	var err error
	for k := range len(lb.urls) {
		i := (n + k) % len(lb.urls)
		lb.mu.Lock()
		dead := lb.dead[i]
		lb.mu.Unlock()
		if dead {
			continue
		}
		err = call(client.New(lb.urls[i], client.WithHTTPClient(lb.http), client.WithToken(token)))
		var ae *client.APIError
		if err == nil || errors.As(err, &ae) && ae.Status < 500 {
			return err
		}
		lb.failovers.Add(1)
	}
	return err
}

// submit submits sealed through the balancer. A retry of an offer whose
// first attempt was logged by an instance that died before answering is
// refused as a duplicate: it was logged, but never acknowledged.
func (lb *balancer) submit(ctx context.Context, token, id string, sealed []byte, n int) (*api.Receipt, error) {
	var rc *api.Receipt
	err := lb.do(n, token, func(c *client.Client) error {
		var err error
		rc, err = c.SubmitOffer(ctx, id, bytes.NewReader(sealed))
		return err
	})
	return rc, err
}

// upload submits sealed by a resumable upload of two chunks whose four
// calls go to four consecutive instances: begin, the first chunk, the
// status (where to resume), the second chunk from there, and finish.
func (lb *balancer) upload(ctx context.Context, token, id string, sealed []byte, n int) (*api.Receipt, error) {
	var u *api.Upload
	if err := lb.do(n, token, func(c *client.Client) (err error) {
		u, err = c.BeginUpload(ctx, id, int64(len(sealed)))
		return err
	}); err != nil {
		return nil, err
	}
	half := len(sealed) / 2
	// A chunk whose answer was lost may be stored all the same: resume
	// from where the upload stands, as a bidder's tool does.
	put := func(n int, from, to int) error {
		return lb.do(n, token, func(c *client.Client) error {
			st, err := c.UploadStatus(ctx, u.ID)
			if err != nil {
				return err
			}
			if st.Received >= int64(to) {
				return nil
			}
			_, err = c.PutChunk(ctx, u.ID, st.Received, bytes.NewReader(sealed[st.Received:to]))
			return err
		})
	}
	if err := put(n+1, 0, half); err != nil {
		return nil, err
	}
	if err := put(n+2, half, len(sealed)); err != nil {
		return nil, err
	}
	var rc *api.Receipt
	err := lb.do(n+3, token, func(c *client.Client) (err error) {
		rc, err = c.FinishUpload(ctx, u.ID)
		return err
	})
	return rc, err
}
