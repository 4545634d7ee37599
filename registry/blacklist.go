package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// BlacklistRequest is an official's request that the LPSE blacklist a
// provider (art. 9.4): the official requests, the registration and
// verification unit (a verifier or an admin) decides, once.
type BlacklistRequest struct {
	ID       string    // b- followed by 16 base32 characters
	User     string    // the provider
	By       string    // the requesting PA/KPA, PPK or pokja member
	Reason   string    // public: no personal data
	Until    time.Time // the end of the blacklisting asked for; zero means indefinite
	At       time.Time // when it was filed
	Decision *Decision // the approval or rejection, once made
}

// requesters are the officials who request blacklistings.
var requesters = []Role{RolePAKPA, RolePPK, RolePokja}

// RequestBlacklist files the request of official by that provider userID be
// blacklisted, for a public reason until until (zero for indefinite), and
// logs blacklist-requested. The provider must have been approved; it stays
// as it is until a verifier or admin approves the request.
func (r *Registry) RequestBlacklist(ctx context.Context, by, userID, reason string, until time.Time) (BlacklistRequest, error) {
	if err := checkReason("reason", reason); err != nil {
		return BlacklistRequest{}, err
	}
	req := BlacklistRequest{ID: newID("b-"), User: userID, By: by, Reason: reason}
	if !until.IsZero() {
		req.Until = until.UTC().Round(0)
	}
	err := r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		if _, err := r.actor(tx, by, now, "request blacklist", requesters...); err != nil {
			return nil, err
		}
		rec, err := load(tx, userID)
		if err != nil {
			return nil, err
		}
		switch {
		case rec.Role != RoleProvider:
			return nil, fmt.Errorf("%w: request blacklist: only providers are blacklisted; user %s is a %s", ErrRoleMismatch, userID, rec.Role)
		case rec.Status != StatusActive:
			return nil, fmt.Errorf("%w: request blacklist: user %s is %s, not approved", ErrWrongState, userID, rec.Status)
		case !req.Until.IsZero() && !req.Until.After(now):
			return nil, invalid("until", "the period ends in the past; give a later time, or none for indefinite")
		}
		req.At = now
		b, err := json.Marshal(req)
		if err != nil {
			return nil, err
		}
		if err := tx.Insert(tableBlacklist, req.ID, b); err != nil {
			return nil, err
		}
		e, err := entry("blacklist-requested", "request", req.ID, "user", userID, "by", by,
			"reason", "until "+logUntil(req.Until)+": "+reason, "time", canon.FormatTime(now))
		return [][]byte{e}, err
	})
	if err != nil && !errors.Is(err, ErrAuditLog) {
		return BlacklistRequest{}, err
	}
	return req, err // filed, even if its entry waits in the outbox
}

// BlacklistRequests returns every blacklist request, decided or not, oldest
// first, to a verifier or admin by.
func (r *Registry) BlacklistRequests(ctx context.Context, by string) ([]BlacklistRequest, error) {
	var out []BlacklistRequest
	err := r.records.View(ctx, func(tx vault.Tx) error {
		if _, err := r.actor(tx, by, r.clock(), "list blacklist requests", RoleVerifier, RoleAdmin); err != nil {
			return err
		}
		out = out[:0]
		return tx.Scan(tableBlacklist, "", func(k string, v []byte) error {
			var req BlacklistRequest
			if err := unmarshal(tableBlacklist, k, v, &req); err != nil {
				return err
			}
			out = append(out, req)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b BlacklistRequest) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// ApproveBlacklist approves blacklist request id: the provider is
// blacklisted from now until the end the request asked for, and
// blacklist-approved and user-deactivated are logged. The actor is a
// verifier or an admin who is neither the provider's person nor the
// requester's (NIK). The provider must be active: one already under a
// sanction is blacklisted once that ends or is lifted, or the request is
// rejected.
func (r *Registry) ApproveBlacklist(ctx context.Context, by, id string) error {
	return r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		req, rec, err := r.blacklistDecision(tx, by, id, now, "approve blacklist")
		if err != nil {
			return nil, err
		}
		if !req.Until.IsZero() && !req.Until.After(now) {
			return nil, invalid("until", fmt.Sprintf("the period asked for in blacklist request %s ended at %s; reject the request",
				id, req.Until.Format(time.RFC3339)))
		}
		if err := rec.statusErr(now); err != nil {
			return nil, fmt.Errorf("%w: approve blacklist %s: %w", ErrWrongState, id, err)
		}
		req.Decision = &Decision{Approved: true, By: by, At: now}
		if err := putJSON(tx, tableBlacklist, id, req); err != nil {
			return nil, err
		}
		approved, err := entry("blacklist-approved", "request", id, "user", req.User, "by", by, "time", canon.FormatTime(now))
		if err != nil {
			return nil, err
		}
		deactivated, err := sanction(tx, rec, Sanction{Blacklist: true, Reason: req.Reason, By: by, At: now, Until: req.Until, Request: id})
		return [][]byte{approved, deactivated}, err
	})
}

// RejectBlacklist rejects blacklist request id with a public reason and logs
// blacklist-rejected. The actor is as for ApproveBlacklist.
func (r *Registry) RejectBlacklist(ctx context.Context, by, id, reason string) error {
	if err := checkReason("reason", reason); err != nil {
		return err
	}
	return r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		req, _, err := r.blacklistDecision(tx, by, id, now, "reject blacklist")
		if err != nil {
			return nil, err
		}
		req.Decision = &Decision{By: by, Reason: reason, At: now}
		if err := putJSON(tx, tableBlacklist, id, req); err != nil {
			return nil, err
		}
		e, err := entry("blacklist-rejected", "request", id, "user", req.User, "by", by, "reason", reason, "time", canon.FormatTime(now))
		return [][]byte{e}, err
	})
}

// blacklistDecision loads undecided request id and its provider for a
// decision by by, a verifier or admin who is neither the provider's person
// nor the requester's.
func (r *Registry) blacklistDecision(tx vault.Tx, by, id string, now time.Time, action string) (*BlacklistRequest, *record, error) {
	a, err := r.actor(tx, by, now, action, RoleVerifier, RoleAdmin)
	if err != nil {
		return nil, nil, err
	}
	var req BlacklistRequest
	err = getJSON(tx, tableBlacklist, id, &req)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, nil, fmt.Errorf("registry: %s: request %.40q: %w", action, id, vault.ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	if d := req.Decision; d != nil {
		verb := "rejected"
		if d.Approved {
			verb = "approved"
		}
		return nil, nil, fmt.Errorf("%w: %s: request %s was %s by %s at %s; it is decided once",
			ErrWrongState, action, id, verb, d.By, d.At.Format(time.RFC3339))
	}
	rec, err := load(tx, req.User)
	if err != nil {
		return nil, nil, err
	}
	requester, err := load(tx, req.By)
	if err != nil {
		return nil, nil, err
	}
	if samePerson(a, rec) || samePerson(a, requester) {
		return nil, nil, fmt.Errorf("%w: %s: the acting user is the same person (NIK) as the provider or the requester of %s",
			ErrForbidden, action, id)
	}
	return &req, rec, nil
}
