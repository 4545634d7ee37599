package server

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"sync"

	"github.com/segel-lpse/segel/vault"
)

// plaintextTable maps tender/bidder to the digest of the opened document
// as stored (encrypted) in the vault.
const plaintextTable = "server_plaintexts"

// vaultSink is the committee's storage at an opening: each opened offer
// is streamed into the vault, encrypted at rest under the deployment's
// document key, and only the tender's committee may read it back.
type vaultSink struct {
	ctx    context.Context
	s      *Server
	tender string
	file   int // a v2 tender's file part; 0 or 1 keep version 1's names
	max    int64

	mu      sync.Mutex
	writers map[string]*sinkWriter // by bidder, until closed or discarded
}

func plaintextAD(tender, bidder string) []byte {
	return []byte("segel-opened-offer/v1 " + tender + " " + bidder)
}

// plaintextName returns the vault's name, and the associated data, of the
// opened document of bidder's file part file (0 or 1: the only file, or
// File I, under version 1's names).
func plaintextName(tender, bidder string, file int) (string, []byte) {
	if file <= 1 {
		return tender + "/" + bidder, plaintextAD(tender, bidder)
	}
	suffix := "/" + strconv.Itoa(file)
	return tender + "/" + bidder + suffix, []byte("segel-opened-offer/v1 " + tender + " " + bidder + suffix)
}

func (k *vaultSink) Create(bidder string, sealed [32]byte) (io.WriteCloser, error) {
	pr, pw := io.Pipe()
	w := &sinkWriter{pw: pw, done: make(chan error, 1)}
	k.mu.Lock()
	if k.writers == nil {
		k.writers = map[string]*sinkWriter{}
	}
	k.writers[bidder] = w
	k.mu.Unlock()
	go func() {
		name, ad := plaintextName(k.tender, bidder, k.file)
		info, err := k.s.opened.Put(k.ctx, pr, k.max, ad)
		if err == nil {
			err = k.s.cfg.Backend.Update(k.ctx, func(tx vault.Tx) error {
				return tx.Put(plaintextTable, name, []byte(hex.EncodeToString(info.Digest[:])))
			})
		}
		pr.CloseWithError(err) // unblocks the writer if Put stopped early
		w.done <- err
	}()
	return w, nil
}

// Discard abandons a document whose offer failed part-way: the pipe ends
// with an error, so the vault stores nothing.
func (k *vaultSink) Discard(bidder string, sealed [32]byte) error {
	k.mu.Lock()
	w := k.writers[bidder]
	delete(k.writers, bidder)
	k.mu.Unlock()
	if w == nil {
		return nil
	}
	w.pw.CloseWithError(errDiscarded)
	if err := <-w.done; err != nil && !errors.Is(err, errDiscarded) {
		return err
	}
	return nil
}

var errDiscarded = errors.New("server: the offer failed to open; its partial document is discarded")

type sinkWriter struct {
	pw   *io.PipeWriter
	done chan error
}

func (w *sinkWriter) Write(p []byte) (int, error) { return w.pw.Write(p) }

// Close ends the document and waits until it is durably stored.
func (w *sinkWriter) Close() error {
	w.pw.Close()
	err := <-w.done
	w.done <- err // Discard may still wait for it
	return err
}
