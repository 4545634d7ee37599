package server

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/vault"
)

// application is the registry's view of a registration.
func application(j api.Registration) (registry.Application, error) {
	role, err := registry.ParseRole(string(j.Role))
	if err != nil {
		return registry.Application{}, err
	}
	app := registry.Application{Role: role, Email: j.Email, Password: j.Password, Name: j.Name, NIK: j.NIK}
	if j.Provider != nil {
		app.Provider = &registry.Provider{Kind: registry.ProviderKind(j.Provider.Kind), NPWP: j.Provider.NPWP, Licence: j.Provider.Licence}
	}
	for _, k := range slices.Sorted(maps.Keys(j.Documents)) {
		app.Documents = append(app.Documents, registry.Document{Kind: registry.DocumentKind(k), Body: bytes.NewReader(j.Documents[k])})
	}
	return app, nil
}

func (s *Server) register(r *http.Request, j api.Registration, bootstrap bool) (api.Account, error) {
	app, err := application(j)
	if err != nil {
		return api.Account{}, err
	}
	register := s.Registry.Register
	if bootstrap {
		register = s.Registry.Bootstrap
	}
	u, err := register(r.Context(), app)
	if err != nil {
		return api.Account{}, err
	}
	return api.Account{ID: u.ID, Role: api.Role(u.Role), Status: api.AccountStatus(u.Status)}, nil
}

func (s *Server) postRegister(r *http.Request, j api.Registration) (api.Account, error) {
	return s.register(r, j, false)
}

func (s *Server) postBootstrap(r *http.Request, j api.Registration) (api.Account, error) {
	return s.register(r, j, true)
}

func (s *Server) postLogin(r *http.Request, j api.LoginRequest) (api.Session, error) {
	u, err := s.Registry.Login(r.Context(), j.Email, j.Password)
	if err != nil {
		return api.Session{}, err
	}
	ttl := 12 * time.Hour
	if j.TTLHours > 0 {
		ttl = time.Duration(j.TTLHours) * time.Hour
	}
	tok, err := s.Registry.IssueToken(r.Context(), u.ID, ttl)
	if err != nil {
		return api.Session{}, err
	}
	return api.Session{Token: tok.Secret, TokenID: tok.ID, Expires: tok.Expires.UTC(), User: u.ID, Role: api.Role(u.Role)}, nil
}

func (s *Server) postRevoke(r *http.Request, _ none) (api.Done, error) {
	err := s.Registry.RevokeToken(r.Context(), user(r).ID, r.PathValue("token"))
	if errors.Is(err, registry.ErrBadToken) {
		// The token named in the path does not exist; the caller's own
		// token is fine, so this is not a 401.
		err = fmt.Errorf("%w: no token %.40q", vault.ErrNotFound, r.PathValue("token"))
	}
	return done(err, "revoked")
}

// mayViewAccount refuses callers who are neither the account's owner nor
// LPSE reviewers, before anything is looked up, so that nobody else
// learns which ids exist.
func mayViewAccount(me registry.User, id string) error {
	if me.ID != id && me.Role != registry.RoleVerifier && me.Role != registry.RoleAdmin {
		return fmt.Errorf("%w: an account and its documents are shown to its owner and to LPSE reviewers", errForbidden)
	}
	return nil
}

// getUser shows an account to its owner and to LPSE reviewers; {user}
// "me" names the caller, who need not know its own id (the portal asks
// who a session's token belongs to).
func (s *Server) getUser(r *http.Request, _ none) (api.User, error) {
	id := r.PathValue("user")
	if id == me {
		id = user(r).ID
	}
	if err := mayViewAccount(user(r), id); err != nil {
		return api.User{}, err
	}
	u, err := s.Registry.Lookup(r.Context(), id)
	if err != nil {
		return api.User{}, err
	}
	return userView(u), nil
}

// getUsers lists accounts for LPSE staff: the registration queue and the
// user list (?status, ?role, ?q, ?limit, ?offset).
func (s *Server) getUsers(r *http.Request, _ none) ([]api.User, error) {
	q := r.URL.Query()
	uq := registry.UserQuery{Status: registry.Status(q.Get("status")), Role: registry.Role(q.Get("role")), Text: q.Get("q")}
	for name, n := range map[string]*int{"limit": &uq.Limit, "offset": &uq.Offset} {
		if v := q.Get(name); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("%w: ?%s=%.20q is not a whole number", errBadRequest, name, v)
			}
			*n = i
		}
	}
	us, err := s.Registry.Users(r.Context(), user(r).ID, uq)
	if err != nil {
		return nil, err
	}
	return views(us, userView), nil
}

// getUserDocument sends a registration document to its owner and to the
// reviewer the registry names for the account's role.
func (s *Server) getUserDocument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user")
	if id == me {
		id = user(r).ID
	}
	if err := mayViewAccount(user(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	// The registry then decides which reviewers may open this account's
	// documents (each account role has its reviewer role).
	rc, err := s.Registry.OpenDocument(r.Context(), user(r).ID, id, registry.DocumentKind(r.PathValue("kind")))
	s.sendDocument(w, r, rc, err, binaryBody)
}

func (s *Server) postVerifyDocument(r *http.Request, _ none) (api.Done, error) {
	err := s.Registry.VerifyDocument(r.Context(), user(r).ID, r.PathValue("user"), registry.DocumentKind(r.PathValue("kind")))
	return done(err, "verified")
}

func (s *Server) postApprove(r *http.Request, _ none) (api.Done, error) {
	return done(s.Registry.Approve(r.Context(), user(r).ID, r.PathValue("user")), "approved")
}

func (s *Server) postReject(r *http.Request, j api.Reason) (api.Done, error) {
	return done(s.Registry.Reject(r.Context(), user(r).ID, r.PathValue("user"), j.Reason), "rejected")
}

func (s *Server) postDeactivate(r *http.Request, j api.Deactivation) (api.Done, error) {
	// Blacklist is refused by the registry, with the way to a
	// blacklisting: a request (POST /v1/users/{user}/blacklist-requests).
	err := s.Registry.Deactivate(r.Context(), user(r).ID, r.PathValue("user"), registry.Sanction{Blacklist: j.Blacklist, Reason: j.Reason, Until: j.Until})
	return done(err, "deactivated")
}

func (s *Server) postReactivate(r *http.Request, j api.Reason) (api.Done, error) {
	return done(s.Registry.Reactivate(r.Context(), user(r).ID, r.PathValue("user"), j.Reason), "reactivated")
}

func (s *Server) postBlacklistRequest(r *http.Request, j api.Blacklisting) (api.BlacklistRequest, error) {
	b, err := s.Registry.RequestBlacklist(r.Context(), user(r).ID, r.PathValue("user"), j.Reason, j.Until)
	if err != nil {
		return api.BlacklistRequest{}, err
	}
	return blacklistView(b), nil
}

func (s *Server) getBlacklistRequests(r *http.Request, _ none) ([]api.BlacklistRequest, error) {
	reqs, err := s.Registry.BlacklistRequests(r.Context(), user(r).ID)
	return views(reqs, blacklistView), err
}

func (s *Server) postApproveBlacklist(r *http.Request, _ none) (api.Done, error) {
	return done(s.Registry.ApproveBlacklist(r.Context(), user(r).ID, r.PathValue("request")), "approved")
}

func (s *Server) postRejectBlacklist(r *http.Request, j api.Reason) (api.Done, error) {
	return done(s.Registry.RejectBlacklist(r.Context(), user(r).ID, r.PathValue("request"), j.Reason), "rejected")
}

func (s *Server) postCommittee(r *http.Request, j api.Committee) (api.Done, error) {
	return done(s.Registry.AssignCommittee(r.Context(), user(r).ID, r.PathValue("tender"), j.Members), "assigned")
}

func (s *Server) getCommittees(r *http.Request, _ none) ([]api.CommitteeAssignment, error) {
	cs, err := s.Registry.Committees(r.Context(), user(r).ID)
	return views(cs, func(c registry.CommitteeAssignment) api.CommitteeAssignment {
		return api.CommitteeAssignment{Tender: c.Tender, Members: c.Members, By: c.By, At: c.At}
	}), err
}

func (s *Server) getPokja(r *http.Request, _ none) ([]api.Official, error) {
	us, err := s.Registry.Assignable(r.Context(), user(r).ID, registry.RolePokja)
	return views(us, func(u registry.User) api.Official {
		return api.Official{ID: u.ID, Name: u.Name, Role: api.Role(u.Role)}
	}), err
}

// done answers an action that returns nothing else: its status, or err.
func done(err error, status string) (api.Done, error) {
	if err != nil {
		return api.Done{}, err
	}
	return api.Done{Status: status}, nil
}

func wrapBad(err error) error { return fmt.Errorf("%w: %v", errBadRequest, err) }
