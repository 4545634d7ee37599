package server

import (
	"fmt"
	"testing"
	"time"
)

// TestRateLimiterBounded: a rate limit remembers at most its maximum of
// addresses, forgetting the least recently seen, so a flood of addresses
// cannot grow its memory.
func TestRateLimiterBounded(t *testing.T) {
	l := newRateLimiter("requests", RateLimit{Burst: 1, Every: time.Hour}, 3)
	now := time.Now()
	for i := range 100 {
		if _, ok := l.allow(fmt.Sprint(i), now); !ok {
			t.Fatalf("first request of address %d refused", i)
		}
	}
	if len(l.buckets) != 3 || l.recent.Len() != 3 {
		t.Errorf("remembers %d addresses (%d in order), want 3", len(l.buckets), l.recent.Len())
	}
	if wait, ok := l.allow("99", now); ok || wait != time.Hour {
		t.Errorf("second request of a remembered address: allowed %v, wait %v; want refused for 1h", ok, wait)
	}
}
