package timelock

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/cloudflare/circl/sign/bls"
	"github.com/segel-lpse/segel/internal/sigcache"
)

// LocalBeacon is a beacon whose BLS key the deployment holds: quicknet's
// scheme (key on G2, signatures on G1), its own genesis and period. It
// publishes a round's signature only once the round's time has passed by
// its clock. Package beaconhttp serves it over drand's HTTP API, so that
// beaconhttp.Beacon (and drand's own clients) can use it.
//
// Whoever holds the key can sign future rounds and so open files early:
// a local beacon moves trust from drand's threshold network to the key's
// custodian. Use it for demos, tests and isolated deployments; production
// tenders should be locked to quicknet. See doc/spec/timelock.md.
type LocalBeacon struct {
	chain Chain
	key   *bls.PrivateKey[bls.KeyG2SigG1]
	now   func() time.Time
	sigs  sigcache.Cache
}

// LocalKeySize is the size of a local beacon's secret key.
const LocalKeySize = 32

// GenerateLocalKey returns a new local beacon secret key.
func GenerateLocalKey() ([]byte, error) {
	ikm := make([]byte, 32)
	if _, err := rand.Read(ikm); err != nil {
		return nil, err
	}
	return LocalKeyFromSeed(ikm)
}

// LocalKeyFromSeed derives a local beacon secret key from a secret seed of
// at least 32 bytes (BLS KeyGen, draft-irtf-cfrg-bls-signature), so that a
// deployment can keep the seed in its vault.
func LocalKeyFromSeed(seed []byte) ([]byte, error) {
	if len(seed) < 32 {
		return nil, fmt.Errorf("timelock: local beacon seed is %d bytes, want at least 32", len(seed))
	}
	k, err := bls.KeyGen[bls.KeyG2SigG1](seed, nil, []byte("segel local beacon"))
	if err != nil {
		return nil, err
	}
	return k.MarshalBinary()
}

// LocalConfig configures a LocalBeacon.
type LocalConfig struct {
	// Key is the secret key from GenerateLocalKey.
	Key []byte
	// Genesis is the time of round 1, a whole unix second.
	Genesis time.Time
	// Period is the time between rounds, a whole number of seconds:
	// 1 s for demos, 30–60 s in production.
	Period time.Duration
	// BeaconID names the beacon in its chain info; "segel-local" if empty.
	BeaconID string
	// Now is the beacon's clock; time.Now if nil.
	Now func() time.Time
}

// NewLocalBeacon returns the beacon for cfg.
func NewLocalBeacon(cfg LocalConfig) (*LocalBeacon, error) {
	if len(cfg.Key) != LocalKeySize {
		return nil, fmt.Errorf("timelock: local beacon key is %d bytes, want %d", len(cfg.Key), LocalKeySize)
	}
	key := new(bls.PrivateKey[bls.KeyG2SigG1])
	if err := key.UnmarshalBinary(cfg.Key); err != nil {
		return nil, fmt.Errorf("timelock: local beacon key: %w", err)
	}
	pk, err := key.PublicKey().MarshalBinary()
	if err != nil {
		return nil, err
	}
	id := cfg.BeaconID
	if id == "" {
		id = "segel-local"
	}
	// The genesis seed only needs to make the chain hash unique; derive
	// it from the key so the same key and schedule give the same chain.
	seed := sha256.Sum256(append([]byte("segel local beacon genesis seed\x00"), pk...))
	c, err := NewChain(ChainParams{
		Scheme:      SchemeQuicknet,
		PublicKey:   pk,
		Genesis:     cfg.Genesis.Truncate(time.Second),
		Period:      cfg.Period,
		GenesisSeed: seed[:],
		BeaconID:    id,
	})
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &LocalBeacon{chain: c, key: key, now: now}, nil
}

// Chain implements Beacon.
func (b *LocalBeacon) Chain() Chain { return b.chain }

// Signature implements Beacon: it signs the round once the round's time has
// passed, and refuses with ErrTooEarly before.
func (b *LocalBeacon) Signature(ctx context.Context, round uint64) ([]byte, error) {
	if round == 0 {
		return nil, errors.New("timelock: round 0 does not exist")
	}
	if t := b.chain.TimeOf(round); b.now().Before(t) {
		return nil, fmt.Errorf("%w: round %d is at %s", ErrTooEarly, round, t.Format(time.RFC3339))
	}
	if sig, ok := b.sigs.Get(round); ok {
		return sig, nil
	}
	sig := bls.Sign(b.key, roundIdentity(round))
	b.sigs.Put(round, sig)
	return sig, nil
}

// Now returns the time by the beacon's clock, which decides the rounds it
// has published: those up to Chain().CurrentRound(Now()).
func (b *LocalBeacon) Now() time.Time { return b.now() }
