// Package sigcache remembers beacon round signatures that verified, for
// timelock's beacons and its HTTP client alike: a round then costs one
// fetch and one pairing check however many files are opened with it.
package sigcache

import (
	"bytes"
	"sync"
)

// Cache maps rounds to verified signatures. The zero value is empty and
// ready; it is safe for concurrent use. Only put signatures that verified
// against the pinned chain: Get's callers trust them.
type Cache struct {
	mu   sync.Mutex
	sigs map[uint64][]byte
}

// Get returns a copy of round's signature, if it was put.
func (c *Cache) Get(round uint64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sig, ok := c.sigs[round]
	return bytes.Clone(sig), ok
}

// Put remembers a copy of round's verified signature.
func (c *Cache) Put(round uint64, sig []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sigs == nil {
		c.sigs = make(map[uint64][]byte)
	}
	c.sigs[round] = bytes.Clone(sig)
}
