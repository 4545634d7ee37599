package server

import (
	lru "container/list"
	"errors"
	"fmt"
	"github.com/segel-lpse/segel/member"
	"io"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/tender"
)

// Limits bound what a request may make the server read and do
// (Config.Limits): a cap on every request body, fitting its route, and
// per-client rate limits on the routes anyone may call without a token.
// A zero field takes its default.
type Limits struct {
	// MaxDocumentSize caps each registration document (the scan of a
	// KTP, an akta, an NPWP card…); 5 MiB if zero. An over-large one is
	// refused with 413, naming the document and the limit.
	MaxDocumentSize int64
	// MaxRegistration caps the documents of one registration together;
	// 15 MiB if zero. The request body, which carries them in base64,
	// may be 4/3 of this and 64 KiB more; a larger one is refused with
	// 413 before it is read.
	MaxRegistration int64
	// Register (POST /v1/register and /v1/bootstrap together), Login and
	// Proofs are rate limits per client address; over one, a request is
	// refused with 429 and Retry-After. Defaults: 30 registrations at
	// once, then one every 20 s; 30 logins, then one every 2 s; 60
	// proofs, then one a second. (An office registers its staff from
	// one address, and `lpsed demo` registers and logs in 18 people.)
	Register, Login, Proofs RateLimit
	// MaxClients bounds the addresses each rate limit remembers (the
	// least recently seen is forgotten first); 10 000 if zero.
	MaxClients int
	// ClientIPHeader names the header holding the client's address when
	// the server is reached only through a trusted reverse proxy or load
	// balancer, such as "X-Forwarded-For" (its last address is the one
	// the proxy added) or "X-Real-IP". Empty (the default): the address
	// of the connection. Never set it on a server clients reach directly:
	// they could then pick their own address.
	ClientIPHeader string
}

// RateLimit is a token bucket: Burst requests at once, then one more every
// Every. A negative Burst turns the limit off.
type RateLimit struct {
	Burst int
	Every time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxDocumentSize <= 0 {
		l.MaxDocumentSize = 5 << 20
	}
	if l.MaxRegistration <= 0 {
		l.MaxRegistration = 15 << 20
	}
	def := func(r *RateLimit, burst int, every time.Duration) {
		if r.Burst == 0 {
			r.Burst = burst
		}
		if r.Every <= 0 {
			r.Every = every
		}
	}
	def(&l.Register, 30, 20*time.Second)
	def(&l.Login, 30, 2*time.Second)
	def(&l.Proofs, 60, time.Second)
	if l.MaxClients <= 0 {
		l.MaxClients = 10000
	}
	return l
}

// registrationBody caps a registration request: the base64 of its
// documents, and 64 KiB for the rest.
func (l Limits) registrationBody() int64 { return (l.MaxRegistration+2)/3*4 + 64<<10 }

// maxNoBody caps the body of a route that takes none (a stray "{}"
// passes).
const maxNoBody = 4 << 10

// bodyLimit is the cap on rt's request body, and what to say about it.
func (s *Server) bodyLimit(rt route) (int64, string) {
	switch rt.method + " " + rt.path {
	case "POST /v1/register", "POST /v1/bootstrap":
		return s.limits.registrationBody(), fmt.Sprintf("the documents together may have %d bytes (each at most %d), sent as base64",
			s.limits.MaxRegistration, s.limits.MaxDocumentSize)
	case "POST /v1/tenders/{tender}/files/{file}/contributions":
		return member.MaxBatchSize, "a batch's limit"
	case "POST /v1/tenders/{tender}/offers", "POST /v1/tenders/{tender}/files/{file}/offers":
		max := s.cfg.MaxOfferSize
		if max == 0 {
			max = 256 << 20 // tender.Config's default
		}
		return max, "a sealed offer's limit"
	case "PUT /v1/uploads/{upload}":
		return tender.MaxChunk, "the limit of one chunk; send the rest in further chunks"
	case "POST /v1/documents":
		return maxDocument, "a tender document's limit"
	case "POST /v1/proofs":
		return auditlog.MaxReceiptSize, "a signed receipt's limit"
	}
	switch rt.inType {
	case jsonBody:
		return maxJSON, "a JSON request's limit"
	case "":
		return maxNoBody, "this request takes no body"
	}
	return maxJSON, ""
}

// rateFor returns the rate limiter of rt, or nil.
func (s *Server) rateFor(rt route) *rateLimiter {
	switch rt.method + " " + rt.path {
	case "POST /v1/register", "POST /v1/bootstrap":
		return s.rates[0]
	case "POST /v1/login":
		return s.rates[1]
	case "POST /v1/proofs":
		return s.rates[2]
	}
	return nil
}

func newRates(l Limits) [3]*rateLimiter {
	return [3]*rateLimiter{
		newRateLimiter("registrations", l.Register, l.MaxClients),
		newRateLimiter("logins", l.Login, l.MaxClients),
		newRateLimiter("proof requests", l.Proofs, l.MaxClients),
	}
}

// limit applies rt's rate limit and body cap before h. A body declared
// larger than the cap is refused before it is read; one that turns out
// larger fails its handler's read with a bodyLimitError.
func (s *Server) limit(rt route, h http.HandlerFunc) http.HandlerFunc {
	max, hint := s.bodyLimit(rt)
	rl := s.rateFor(rt)
	return func(w http.ResponseWriter, r *http.Request) {
		if rl != nil {
			if wait, ok := rl.allow(s.clientKey(r), s.now()); !ok {
				secs := int64(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
				s.fail(w, r, &rateError{what: rl.what, rate: rl.rate, secs: secs})
				return
			}
		}
		if r.ContentLength > max {
			s.fail(w, r, &bodyLimitError{limit: max, size: r.ContentLength, hint: hint})
			return
		}
		r.Body = &limitedBody{rc: http.MaxBytesReader(w, r.Body, max), limit: max, hint: hint}
		h(w, r)
	}
}

// bodyLimitError refuses a request body over its route's cap (413).
type bodyLimitError struct {
	limit, size int64 // size is -1 if not declared
	hint        string
}

func (e *bodyLimitError) Error() string {
	msg := fmt.Sprintf("request body over this endpoint's limit of %d bytes", e.limit)
	if e.size > 0 {
		msg = fmt.Sprintf("request body of %d bytes over this endpoint's limit of %d bytes", e.size, e.limit)
	}
	if e.hint != "" {
		msg += ": " + e.hint
	}
	return msg
}

func (e *bodyLimitError) Unwrap() error { return errBodyTooLarge }

// limitedBody reports the end of http.MaxBytesReader as a bodyLimitError.
type limitedBody struct {
	rc    io.ReadCloser
	limit int64
	hint  string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = &bodyLimitError{limit: b.limit, size: -1, hint: b.hint}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// rateError refuses a request over its route's rate limit (429).
type rateError struct {
	what string
	rate RateLimit
	secs int64
}

func (e *rateError) Error() string {
	return fmt.Sprintf("too many %s from your address: %d are allowed at once, then one every %v; try again in %d s",
		e.what, e.rate.Burst, e.rate.Every, e.secs)
}

func (e *rateError) Unwrap() error { return errRateLimited }

var errRateLimited = errors.New("rate limited")

// clientKey is the address a rate limit counts r under: the connection's,
// or the one the trusted proxy put in Limits.ClientIPHeader; an IPv6
// address counts as its /64, which one host usually holds whole.
func (s *Server) clientKey(r *http.Request) string {
	addr := r.RemoteAddr
	if h := s.limits.ClientIPHeader; h != "" {
		if v := r.Header.Values(h); len(v) > 0 {
			last := v[len(v)-1]
			addr = strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:])
		}
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return addr
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// rateLimiter keeps a token bucket per client key, for at most max keys.
type rateLimiter struct {
	what string
	rate RateLimit
	max  int

	mu      sync.Mutex
	buckets map[string]*lru.Element // of *bucket
	recent  *lru.List               // most recently seen first
}

type bucket struct {
	key    string
	tokens float64
	at     time.Time
}

func newRateLimiter(what string, rate RateLimit, max int) *rateLimiter {
	if rate.Burst < 0 {
		return nil
	}
	return &rateLimiter{what: what, rate: rate, max: max, buckets: map[string]*lru.Element{}, recent: lru.New()}
}

// allow takes a token from key's bucket, or says how long until there is
// one. A key forgotten to stay within max starts again with a full bucket.
func (l *rateLimiter) allow(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b *bucket
	if el, ok := l.buckets[key]; ok {
		l.recent.MoveToFront(el)
		b = el.Value.(*bucket)
	} else {
		if l.recent.Len() >= l.max {
			old := l.recent.Back()
			l.recent.Remove(old)
			delete(l.buckets, old.Value.(*bucket).key)
		}
		b = &bucket{key: key, tokens: float64(l.rate.Burst), at: now}
		l.buckets[key] = l.recent.PushFront(b)
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(float64(l.rate.Burst), b.tokens+float64(d)/float64(l.rate.Every))
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) * float64(l.rate.Every)), false
}
