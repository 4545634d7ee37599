package registry

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLockout locks an account after MaxFailedLogins failures in a row,
// refuses even the right password until the period ends, and resets the count
// on success.
func TestLockout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		p := e.active(company(1), c.verifier.ID)
		ctx := e.ctx
		for i := 1; i <= 4; i++ {
			if _, err := e.reg.Login(ctx, p.Email, "salah salah salah"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("failure %d: %v, want ErrBadCredentials", i, err)
			}
		}
		e.must(second(e.reg.Login(ctx, p.Email, testPassword))) // resets the count
		for i := 1; i <= 4; i++ {
			if _, err := e.reg.Login(ctx, p.Email, "salah salah salah"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("failure %d after reset: %v, want ErrBadCredentials", i, err)
			}
		}
		_, err := e.reg.Login(ctx, p.Email, "salah salah salah")
		var lo *LockedOutError
		if !errors.As(err, &lo) || !errors.Is(err, ErrLockedOut) {
			t.Fatalf("fifth failure: %v, want *LockedOutError", err)
		}
		if want := e.clock.Now().Add(15 * time.Minute); !lo.Until.Equal(want) {
			t.Errorf("locked until %v, want %v", lo.Until, want)
		}
		if !strings.Contains(err.Error(), "until 2026-03-02T09:15:00Z") {
			t.Errorf("message %q does not say until when", err)
		}
		e.clock.Add(15*time.Minute - time.Second)
		if _, err := e.reg.Login(ctx, p.Email, testPassword); !errors.Is(err, ErrLockedOut) {
			t.Fatalf("right password while locked: %v, want ErrLockedOut", err)
		}
		e.clock.Add(time.Second)
		e.must(second(e.reg.Login(ctx, p.Email, testPassword)))

		for _, bad := range []struct{ email, password string }{
			{"tidak.ada@contoh.co.id", testPassword}, {"bukan email", testPassword}, {p.Email, ""},
			{p.Email, strings.Repeat("x", 2000)},
		} {
			if _, err := e.reg.Login(ctx, bad.email, bad.password); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("Login(%q, %d bytes) = %v, want ErrBadCredentials", bad.email, len(bad.password), err)
			}
		}
	})
}

// TestConcurrentLockout makes sure concurrent failures are all counted.
func TestConcurrentLockout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		p := e.active(company(1), c.verifier.ID)
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() { e.reg.Login(e.ctx, p.Email, "salah salah salah") })
		}
		wg.Wait()
		if _, err := e.reg.Login(e.ctx, p.Email, testPassword); !errors.Is(err, ErrLockedOut) {
			t.Errorf("after 5 concurrent failures: %v, want ErrLockedOut", err)
		}
	})
}

// TestTokens issues, authenticates, expires and revokes API tokens.
func TestTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		ctx := e.ctx
		p := e.active(company(1), c.verifier.ID)
		tok, err := e.reg.IssueToken(ctx, p.ID, time.Hour)
		e.must(err)
		if !strings.HasPrefix(tok.Secret, tok.ID+".") || len(tok.ID) != 18 {
			t.Fatalf("token %+v", tok)
		}
		// Only the hash is stored.
		s := e.snapshot()
		for k, v := range s.Tables[tableTokens] {
			if strings.Contains(v, tok.Secret[len(tok.ID)+1:]) {
				t.Errorf("token %s stored with its secret: %s", k, v)
			}
		}
		for _, bad := range []string{"", tok.ID, tok.Secret + "A", tok.Secret[:len(tok.Secret)-1] + "B",
			"t-aaaaaaaaaaaaaaaa" + tok.Secret[len(tok.ID):], strings.Repeat("x", 1000)} {
			if _, err := e.reg.Authenticate(ctx, bad); !errors.Is(err, ErrBadToken) {
				t.Errorf("Authenticate(%.30q…) = %v, want ErrBadToken", bad, err)
			}
		}
		for _, ttl := range []time.Duration{0, -time.Second, MaxTokenTTL + 1} {
			before := e.snapshot()
			_, err := e.reg.IssueToken(ctx, p.ID, ttl)
			e.refused("token lifetime "+ttl.String(), before, err, ErrInvalid)
		}
		pending, err := e.reg.Register(ctx, company(2))
		e.must(err)
		before := e.snapshot()
		e.refused("pending user issues a token", before, second(e.reg.IssueToken(ctx, pending.ID, time.Hour)), ErrNotVerified)

		// Revocation: by another provider refused, by the owner and admin allowed.
		q := e.active(company(3), c.verifier.ID)
		before = e.snapshot()
		e.refused("another user revokes", before, e.reg.RevokeToken(ctx, q.ID, tok.ID), ErrForbidden)
		e.refused("revoke an unknown token", before, e.reg.RevokeToken(ctx, p.ID, "t-nope"), ErrBadToken)
		e.must(e.reg.RevokeToken(ctx, p.ID, tok.ID))
		if _, err := e.reg.Authenticate(ctx, tok.Secret); !errors.Is(err, ErrTokenRevoked) {
			t.Errorf("revoked token: %v, want ErrTokenRevoked", err)
		}
		tok2, err := e.reg.IssueToken(ctx, p.ID, time.Hour)
		e.must(err)
		e.must(e.reg.RevokeToken(ctx, c.admin.ID, tok2.ID))
		if _, err := e.reg.Authenticate(ctx, tok2.Secret); !errors.Is(err, ErrTokenRevoked) {
			t.Errorf("token revoked by admin: %v, want ErrTokenRevoked", err)
		}

		// Expiry: valid until the last nanosecond before Expires.
		tok3, err := e.reg.IssueToken(ctx, p.ID, time.Minute)
		e.must(err)
		e.clock.Add(time.Minute - time.Nanosecond)
		e.must(second(e.reg.Authenticate(ctx, tok3.Secret)))
		e.clock.Add(time.Nanosecond)
		if _, err := e.reg.Authenticate(ctx, tok3.Secret); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("expired token: %v, want ErrTokenExpired", err)
		}
	})
}

// TestNoPasswordResetHint checks that no refusal points to a password
// reset: the registry has none.
func TestNoPasswordResetHint(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		p := e.active(company(1), c.verifier.ID)
		_, err := e.reg.Login(e.ctx, p.Email, "salah salah salah")
		if !errors.Is(err, ErrBadCredentials) || strings.Contains(err.Error(), "reset") {
			t.Errorf("wrong password: %v, want ErrBadCredentials without a reset hint", err)
		}
		_, err = e.reg.Register(e.ctx, company(1))
		if !errors.Is(err, ErrDuplicateEmail) || strings.Contains(err.Error(), "reset") {
			t.Errorf("email taken: %v, want ErrDuplicateEmail without a reset hint", err)
		}
	})
}
