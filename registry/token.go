package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// MaxTokenTTL caps the lifetime of an API token.
const MaxTokenTTL = 90 * 24 * time.Hour

// Token is an API token as issued. Secret is shown to its owner once and
// never stored: the registry keeps only its SHA-256.
type Token struct {
	ID      string // t- followed by 16 base32 characters; names the token for revocation
	Secret  string // what the client sends: ID "." base64url(32 random bytes)
	UserID  string
	Expires time.Time
}

// tokenRecord is the stored token.
type tokenRecord struct {
	UserID  string
	Hash    []byte // SHA-256 of the secret part
	Expires time.Time
	Revoked time.Time `json:",omitzero"`
}

// IssueToken issues an API token to the active user by, valid for ttl (at
// most MaxTokenTTL). The caller must have authenticated by (with Login or
// another token).
func (r *Registry) IssueToken(ctx context.Context, by string, ttl time.Duration) (Token, error) {
	if ttl <= 0 || ttl > MaxTokenTTL {
		return Token{}, invalid("token lifetime", fmt.Sprintf("%v; give a positive duration up to %v", ttl, MaxTokenTTL))
	}
	var secret [32]byte
	rand.Read(secret[:])
	sum := sha256.Sum256(secret[:])
	t := Token{ID: newID("t-"), UserID: by}
	t.Secret = t.ID + "." + base64.RawURLEncoding.EncodeToString(secret[:])
	err := r.records.Update(ctx, func(tx vault.Tx) error {
		now := r.clock()
		rec, err := load(tx, by)
		if err != nil {
			return err
		}
		if err := rec.statusErr(now); err != nil {
			return err
		}
		t.Expires = now.Add(ttl)
		b, err := json.Marshal(tokenRecord{UserID: by, Hash: sum[:], Expires: t.Expires})
		if err != nil {
			return err
		}
		return tx.Insert(tableTokens, t.ID, b)
	})
	if err != nil {
		return Token{}, err
	}
	return t, nil
}

// RevokeToken revokes a token by its ID. The actor is the token's owner or
// an admin.
func (r *Registry) RevokeToken(ctx context.Context, by, tokenID string) error {
	return r.records.Update(ctx, func(tx vault.Tx) error {
		now := r.clock()
		var t tokenRecord
		err := getJSON(tx, tableTokens, tokenID, &t)
		if errors.Is(err, vault.ErrNotFound) {
			return fmt.Errorf("%w: revoke token %.40q: no such token", ErrBadToken, tokenID)
		}
		if err != nil {
			return err
		}
		if by != t.UserID {
			if _, err := r.actor(tx, by, now, "revoke token", RoleAdmin); err != nil {
				return err
			}
		}
		if !t.Revoked.IsZero() {
			return nil // revoking twice is harmless
		}
		t.Revoked = now
		return putJSON(tx, tableTokens, tokenID, t)
	})
}

// Authenticate returns the active account that owns the token secret, or
// ErrBadToken, ErrTokenExpired, ErrTokenRevoked, or the account's status
// error.
func (r *Registry) Authenticate(ctx context.Context, secret string) (User, error) {
	id, enc, ok := strings.Cut(secret, ".")
	raw, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if !ok || len(secret) > 128 || !strings.HasPrefix(id, "t-") || err != nil || len(raw) != 32 {
		return User{}, fmt.Errorf("%w: authenticate: not a registry token", ErrBadToken)
	}
	sum := sha256.Sum256(raw)
	var u User
	err = r.records.View(ctx, func(tx vault.Tx) error {
		now := r.clock()
		var t tokenRecord
		err := getJSON(tx, tableTokens, id, &t)
		if errors.Is(err, vault.ErrNotFound) || err == nil && subtle.ConstantTimeCompare(sum[:], t.Hash) != 1 {
			return fmt.Errorf("%w: authenticate: unknown token", ErrBadToken)
		}
		if err != nil {
			return err
		}
		if !t.Revoked.IsZero() {
			return fmt.Errorf("%w at %s; log in again", ErrTokenRevoked, t.Revoked.Format(time.RFC3339))
		}
		if !now.Before(t.Expires) {
			return fmt.Errorf("%w at %s; log in again", ErrTokenExpired, t.Expires.Format(time.RFC3339))
		}
		rec, err := load(tx, t.UserID)
		if err != nil {
			return err
		}
		if err := rec.statusErr(now); err != nil {
			return err
		}
		u = rec.view(now)
		return nil
	})
	return u, err
}
