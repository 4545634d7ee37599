package registry

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// A pokja member's own opening key (doc/spec/opening.md §2.1): the member
// generates an age hybrid key on its own device and registers the public
// recipient here, proving that it holds the secret key. The registry keeps
// every key a member registered, in order: offers are sealed to the key in
// force when their tender is announced, and a member keeps each key until
// every tender announced with it has been opened.

// KeyChallengeLifetime is how long a key challenge can be answered.
const KeyChallengeLifetime = 10 * time.Minute

// A CommitteeKey is a key a pokja member registered for opening offers.
type CommitteeKey struct {
	User       string
	Recipient  string    // the member's age hybrid recipient, "age1pq1…"
	KeyID      string    // sealer.KeyID of the recipient: 16 lowercase hex digits
	Registered time.Time // when it was recorded; tenders announced from then on use it
}

// A KeyChallenge is the proof of possession asked of a member who registers
// a key: File is an age file, armored, of a fresh random 16-byte secret,
// encrypted to the recipient being registered. The member's tool decrypts
// it with the secret key (member.AnswerKeyChallenge, or age's own age -d) and sends the
// 16 bytes to RegisterKey before Expires. A key nobody holds — a typo, a
// copied public key — cannot answer, and is refused here rather than
// discovered at an opening.
type KeyChallenge struct {
	User      string
	Recipient string
	File      []byte
	Expires   time.Time
}

// keyChallenge is a stored challenge: only the secret's SHA-256.
type keyChallenge struct {
	Recipient string
	Secret    [32]byte // SHA-256 of the secret
	Expires   time.Time
}

// ChallengeKey starts the registration of recipient as pokja member user's
// opening key, by user itself, and returns the challenge to answer. A new
// challenge replaces any earlier one of user. It is refused with a
// *FieldError (field "recipient", ErrInvalid) for a recipient that is not
// an age hybrid recipient in age's canonical encoding, the member's key in
// force already, or a key registered by another account; with ErrForbidden
// if user is not an active pokja member.
func (r *Registry) ChallengeKey(ctx context.Context, user, recipient string) (*KeyChallenge, error) {
	rec, err := parseRecipient(recipient)
	if err != nil {
		return nil, err
	}
	file, secret, err := member.NewKeyChallenge(rec)
	if err != nil {
		return nil, err
	}
	ch := &KeyChallenge{User: user, Recipient: recipient, File: file}
	err = r.records.Update(ctx, func(tx vault.Tx) error {
		now := r.clock()
		if _, err := r.actor(tx, user, now, "register committee key", RolePokja); err != nil {
			return err
		}
		if err := checkNewKey(tx, user, recipient); err != nil {
			return err
		}
		ch.Expires = now.Add(KeyChallengeLifetime)
		return putJSON(tx, tableKeyChallenges, user, keyChallenge{Recipient: recipient, Secret: sha256.Sum256(secret), Expires: ch.Expires})
	})
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// RegisterKey completes user's key registration with the challenge's
// answer: the 16-byte secret the challenge file decrypts to. The key is
// recorded, in force for tenders announced from now on, and
// committee-key-registered is logged. A wrong answer is refused with a
// *FieldError (field "answer") and ends the challenge; without a
// challenge, or after it expired, RegisterKey is refused with
// ErrWrongState. Either way, the member asks for a new challenge.
func (r *Registry) RegisterKey(ctx context.Context, user string, answer []byte) (CommitteeKey, error) {
	var key CommitteeKey
	var refusal error
	err := r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		refusal = nil
		if _, err := r.actor(tx, user, now, "register committee key", RolePokja); err != nil {
			return nil, err
		}
		var ch keyChallenge
		if err := getJSON(tx, tableKeyChallenges, user, &ch); errors.Is(err, vault.ErrNotFound) {
			return nil, fmt.Errorf("%w: register committee key: user %s has no key challenge pending; ask for one first", ErrWrongState, user)
		} else if err != nil {
			return nil, err
		}
		// A challenge is answered once, rightly or wrongly.
		if err := tx.Delete(tableKeyChallenges, user); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(answer)
		switch {
		case !now.Before(ch.Expires):
			refusal = fmt.Errorf("%w: register committee key: the challenge expired at %s; ask for a new one and answer it within %v",
				ErrWrongState, ch.Expires.Format(time.RFC3339), KeyChallengeLifetime)
			return nil, nil
		case len(answer) != member.KeyChallengeSize || subtle.ConstantTimeCompare(sum[:], ch.Secret[:]) != 1:
			refusal = invalid("answer", fmt.Sprintf("it is not what the challenge decrypts to with the secret key of %s…; "+
				"decrypt the challenge with the key being registered, on the member's own device, and ask for a new challenge", ch.Recipient[:16]))
			return nil, nil
		}
		if err := checkNewKey(tx, user, ch.Recipient); err != nil {
			return nil, err
		}
		recipient, err := parseRecipient(ch.Recipient)
		if err != nil {
			return nil, err
		}
		key = CommitteeKey{User: user, Recipient: ch.Recipient, KeyID: sealer.KeyID(recipient), Registered: now}
		if err := tx.Insert(tableKeyOwners, keyOwnerKey(ch.Recipient), []byte(user)); errors.Is(err, vault.ErrExists) {
			return nil, checkNewKey(tx, user, ch.Recipient) // registered at this moment by another
		} else if err != nil {
			return nil, err
		}
		if err := putJSON(tx, tableCommitteeKeys, committeeKeyKey(user, now), key); err != nil {
			return nil, err
		}
		ent, err := entry("committee-key-registered", "user", user, "key", key.KeyID, "recipient", key.Recipient,
			"time", canon.FormatTime(now))
		if err != nil {
			return nil, err
		}
		return [][]byte{ent}, nil
	})
	switch {
	case err != nil && !errors.Is(err, ErrAuditLog):
		return CommitteeKey{}, err
	case refusal != nil:
		return CommitteeKey{}, refusal
	}
	return key, err
}

// CommitteeKey returns pokja member user's key in force: the one it
// registered last. It returns ErrNoCommitteeKey if user has registered
// none, and ErrUnknownUser if there is no such account.
func (r *Registry) CommitteeKey(ctx context.Context, user string) (CommitteeKey, error) {
	keys, err := r.CommitteeKeys(ctx, user)
	if err != nil {
		return CommitteeKey{}, err
	}
	if len(keys) == 0 {
		return CommitteeKey{}, fmt.Errorf("%w: user %s has registered no opening key; the member generates one on its own device and registers it",
			ErrNoCommitteeKey, user)
	}
	return keys[len(keys)-1], nil
}

// CommitteeKeys returns every key user registered, oldest first: the
// history a member's tool and an auditor read to know which key a tender
// announced at a given time was sealed to.
func (r *Registry) CommitteeKeys(ctx context.Context, user string) ([]CommitteeKey, error) {
	var keys []CommitteeKey
	err := r.records.View(ctx, func(tx vault.Tx) error {
		keys = keys[:0]
		if _, err := load(tx, user); err != nil {
			return err
		}
		return tx.Scan(tableCommitteeKeys, user+"/", func(k string, v []byte) error {
			var key CommitteeKey
			if err := unmarshal(tableCommitteeKeys, k, v, &key); err != nil {
				return err
			}
			keys = append(keys, key)
			return nil
		})
	})
	return keys, err
}

// parseRecipient parses an opening key's public recipient, in age's own
// canonical encoding only.
func parseRecipient(s string) (*age.HybridRecipient, error) {
	if err := canon.KindRecipient.Check(s); err != nil {
		msg := fmt.Sprintf("%.24q… is not an age post-quantum recipient (%v); give the public key \"age1pq1…\" printed by the member's key generation", s, err)
		if strings.HasPrefix(s, "age1") && !strings.HasPrefix(s, "age1pq1") {
			msg = "an X25519 key (age1…) cannot be registered: generate a post-quantum key (age1pq1…), which keeps offers sealed against future quantum computers"
		}
		return nil, invalid("recipient", msg)
	}
	return age.ParseHybridRecipient(s)
}

// checkNewKey refuses recipient as user's new key if it is user's key in
// force already, or another account's.
func checkNewKey(tx vault.Tx, user, recipient string) error {
	owner, err := tx.Get(tableKeyOwners, keyOwnerKey(recipient))
	switch {
	case errors.Is(err, vault.ErrNotFound):
		return nil
	case err != nil:
		return err
	case string(owner) != user:
		return invalid("recipient", "this key is registered by another account; every member registers a key of its own")
	}
	return invalid("recipient", "this key was registered by this account already; a key is registered once")
}

// keyOwnerKey is the key of tableKeyOwners for recipient: SHA-256 of the
// recipient, as 64 hex digits (a recipient is 1,959 bytes).
func keyOwnerKey(recipient string) string {
	sum := sha256.Sum256([]byte(recipient))
	return hex.EncodeToString(sum[:])
}

// committeeKeyKey orders a user's keys by registration time.
func committeeKeyKey(user string, at time.Time) string {
	return fmt.Sprintf("%s/%020d", user, at.UnixNano())
}
