package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/vault"
)

// registrationJSON is the body of /v1/register and /v1/bootstrap.
type registrationJSON struct {
	Role      string            `json:"role"`
	Email     string            `json:"email"`
	Password  string            `json:"password"`
	Name      string            `json:"name"`
	NIK       string            `json:"nik"`
	Provider  *providerJSON     `json:"provider,omitempty"`
	Documents map[string][]byte `json:"documents"` // kind → scan, base64 in JSON
}

type providerJSON struct {
	Kind    string `json:"kind"` // company or individual
	NPWP    string `json:"npwp"`
	Licence string `json:"licence"`
}

func (j *registrationJSON) application() (registry.Application, error) {
	role, err := registry.ParseRole(j.Role)
	if err != nil {
		return registry.Application{}, err
	}
	app := registry.Application{Role: role, Email: j.Email, Password: j.Password, Name: j.Name, NIK: j.NIK}
	if j.Provider != nil {
		app.Provider = &registry.Provider{Kind: registry.ProviderKind(j.Provider.Kind), NPWP: j.Provider.NPWP, Licence: j.Provider.Licence}
	}
	kinds := make([]string, 0, len(j.Documents))
	for k := range j.Documents {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		app.Documents = append(app.Documents, registry.Document{Kind: registry.DocumentKind(k), Body: bytes.NewReader(j.Documents[k])})
	}
	return app, nil
}

type userJSON struct {
	ID     string `json:"id"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

func (s *Server) register(w http.ResponseWriter, r *http.Request, bootstrap bool) {
	var j registrationJSON
	if err := readJSON(w, r, s.limits.registrationBody(), &j); err != nil {
		s.fail(w, r, err)
		return
	}
	app, err := j.application()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	register := s.Registry.Register
	if bootstrap {
		register = s.Registry.Bootstrap
	}
	u, err := register(r.Context(), app)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, userJSON{ID: u.ID, Role: string(u.Role), Status: string(u.Status)})
}

func (s *Server) postRegister(w http.ResponseWriter, r *http.Request)  { s.register(w, r, false) }
func (s *Server) postBootstrap(w http.ResponseWriter, r *http.Request) { s.register(w, r, true) }

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		TTLHours int    `json:"ttl_hours,omitempty"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.Registry.Login(r.Context(), j.Email, j.Password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ttl := 12 * time.Hour
	if j.TTLHours > 0 {
		ttl = time.Duration(j.TTLHours) * time.Hour
	}
	tok, err := s.Registry.IssueToken(r.Context(), u.ID, ttl)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok.Secret, "token_id": tok.ID, "expires": tok.Expires, "user": u.ID, "role": u.Role})
}

func (s *Server) postRevoke(w http.ResponseWriter, r *http.Request) {
	err := s.Registry.RevokeToken(r.Context(), user(r).ID, r.PathValue("token"))
	if errors.Is(err, registry.ErrBadToken) {
		// The token named in the path does not exist; the caller's own
		// token is fine, so this is not a 401.
		err = fmt.Errorf("%w: no token %.40q", vault.ErrNotFound, r.PathValue("token"))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "revoked"})
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

// getUser shows an account to its owner and to LPSE reviewers.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user")
	if err := mayViewAccount(user(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.Registry.Lookup(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// getUserDocument sends a registration document to its owner and to the
// reviewer the registry names for the account's role.
func (s *Server) getUserDocument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user")
	if err := mayViewAccount(user(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	// The registry then decides which reviewers may open this account's
	// documents (each account role has its reviewer role).
	rc, err := s.Registry.OpenDocument(r.Context(), user(r).ID, id, registry.DocumentKind(r.PathValue("kind")))
	s.sendDocument(w, r, rc, err, binaryBody)
}

func (s *Server) postVerifyDocument(w http.ResponseWriter, r *http.Request) {
	err := s.Registry.VerifyDocument(r.Context(), user(r).ID, r.PathValue("user"), registry.DocumentKind(r.PathValue("kind")))
	s.done(w, r, err, "verified")
}

func (s *Server) postApprove(w http.ResponseWriter, r *http.Request) {
	s.done(w, r, s.Registry.Approve(r.Context(), user(r).ID, r.PathValue("user")), "approved")
}

type reasonJSON struct {
	Reason string `json:"reason"`
}

func (s *Server) postReject(w http.ResponseWriter, r *http.Request) {
	var j reasonJSON
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.Registry.Reject(r.Context(), user(r).ID, r.PathValue("user"), j.Reason), "rejected")
}

// periodJSON is a reason with the end of a period, none for indefinite.
type periodJSON struct {
	Reason string    `json:"reason"`
	Until  time.Time `json:"until,omitzero"`
}

func (s *Server) postDeactivate(w http.ResponseWriter, r *http.Request) {
	var j struct {
		periodJSON
		// Blacklist is refused by the registry, with the way to a
		// blacklisting: a request (POST /v1/users/{user}/blacklist-requests).
		Blacklist bool `json:"blacklist,omitempty"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.Registry.Deactivate(r.Context(), user(r).ID, r.PathValue("user"), registry.Sanction{Blacklist: j.Blacklist, Reason: j.Reason, Until: j.Until})
	s.done(w, r, err, "deactivated")
}

// blacklistJSON is a blacklist request as the API shows it.
type blacklistJSON struct {
	ID       string        `json:"id"`
	User     string        `json:"user"`
	By       string        `json:"by"`
	Reason   string        `json:"reason"`
	Until    time.Time     `json:"until,omitzero"`
	At       time.Time     `json:"at"`
	Decision *decisionJSON `json:"decision,omitempty"` // none while pending
}

type decisionJSON struct {
	Approved bool      `json:"approved"`
	By       string    `json:"by"`
	Reason   string    `json:"reason,omitempty"` // rejections only
	At       time.Time `json:"at"`
}

func blacklistView(b registry.BlacklistRequest) blacklistJSON {
	j := blacklistJSON{ID: b.ID, User: b.User, By: b.By, Reason: b.Reason, Until: b.Until, At: b.At}
	if d := b.Decision; d != nil {
		j.Decision = &decisionJSON{Approved: d.Approved, By: d.By, Reason: d.Reason, At: d.At}
	}
	return j
}

func (s *Server) postBlacklistRequest(w http.ResponseWriter, r *http.Request) {
	var j periodJSON
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.Registry.RequestBlacklist(r.Context(), user(r).ID, r.PathValue("user"), j.Reason, j.Until)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, blacklistView(b))
}

func (s *Server) getBlacklistRequests(w http.ResponseWriter, r *http.Request) {
	reqs, err := s.Registry.BlacklistRequests(r.Context(), user(r).ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]blacklistJSON, len(reqs))
	for i, b := range reqs {
		out[i] = blacklistView(b)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) postApproveBlacklist(w http.ResponseWriter, r *http.Request) {
	s.done(w, r, s.Registry.ApproveBlacklist(r.Context(), user(r).ID, r.PathValue("request")), "approved")
}

func (s *Server) postRejectBlacklist(w http.ResponseWriter, r *http.Request) {
	var j reasonJSON
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.Registry.RejectBlacklist(r.Context(), user(r).ID, r.PathValue("request"), j.Reason), "rejected")
}

func (s *Server) postReactivate(w http.ResponseWriter, r *http.Request) {
	var j reasonJSON
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.Registry.Reactivate(r.Context(), user(r).ID, r.PathValue("user"), j.Reason), "reactivated")
}

func (s *Server) postCommittee(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Members []string `json:"members"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.Registry.AssignCommittee(r.Context(), user(r).ID, r.PathValue("tender"), j.Members), "assigned")
}

func (s *Server) done(w http.ResponseWriter, r *http.Request, err error, status string) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": status})
}

func wrapBad(err error) error { return fmt.Errorf("%w: %v", errBadRequest, err) }
