package server

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/portal"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/timelock/beaconhttp"
	"github.com/segel-lpse/segel/vault"
)

// A route is one endpoint of the API. The table below is the single
// source of the mux, the access rules and the OpenAPI document; the
// request and answer types come from the handler itself (endpoint).
type route struct {
	method, path string
	// roles may call the route; nil means public (no token), and anyRole
	// any authenticated user.
	roles   []registry.Role
	summary string
	// codes are the refusals particular to the route; those every route
	// of its kind may answer (a bad token, a body over its cap, …) are
	// added by the document (openapi.go).
	codes []api.Code
	endpoint
}

var anyRole = []registry.Role{}

const (
	jsonBody   = "application/json"
	binaryBody = "application/octet-stream"
	textBody   = "text/plain"
	tarBody    = "application/x-tar"
)

// Groups of refusals, by what a route does.
var (
	found      = []api.Code{api.CodeNotFound}
	account    = []api.Code{api.CodeUnknownUser, api.CodeWrongState, api.CodeInvalid}
	committee  = []api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeInvalid, api.CodeBusy}
	registered = []api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeInvalid, api.CodeNotRegistered}
	submission = []api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeInvalid, api.CodeNotRegistered, api.CodeNotYetOpen,
		api.CodeLate, api.CodeDuplicate, api.CodeBusy, api.CodeTooLarge, api.CodeWrongSeal}
	uploads = append(submission[:len(submission):len(submission)], api.CodeTooManyUploads)
)

func codes(groups ...[]api.Code) []api.Code { return slices.Concat(groups...) }

func (s *Server) table() []route {
	provider := []registry.Role{registry.RoleProvider}
	pokja := []registry.Role{registry.RolePokja}
	reviewers := []registry.Role{registry.RoleVerifier, registry.RoleAdmin}
	officials := []registry.Role{registry.RolePAKPA, registry.RolePPK, registry.RolePokja}
	pakpa := []registry.Role{registry.RolePAKPA}
	committeeReaders := []registry.Role{registry.RolePAKPA, registry.RolePokja}
	return []route{
		{"GET", "/healthz", nil, "Liveness: the process serves requests.", nil, jsonOp(s, 200, s.healthz)},
		{"GET", "/readyz", nil, "Readiness: the storage answers.", []api.Code{api.CodeStorage}, jsonOp(s, 200, s.readyz)},
		{"GET", "/metrics", nil, "Prometheus metrics.", nil, raw("", textBody, promhttp.HandlerFor(s.cfg.Metrics, promhttp.HandlerOpts{}).ServeHTTP)},
		{"GET", "/openapi.json", nil, "This API's OpenAPI 3.1 document.", nil, raw("", jsonBody, s.openapi)},

		{"GET", "/v1/keys", nil, "The deployment's public keys (segel-keys/v1), to pin for offline verification.", nil, raw("", textBody, s.getKeys)},
		{"GET", "/v1/chain", nil, "The beacon chain offers are locked to (drand /info JSON).", nil, drandOp[api.ChainInfo](s.getChain)},
		{"GET", "/v1/log/checkpoint", nil, "The latest signed checkpoint of the audit log.", nil, raw("", textBody, s.getCheckpoint)},
		{"POST", "/v1/proofs", nil, "The offer proof file for a signed receipt.", codes(found, []api.Code{api.CodeBadRequest}), raw(textBody, textBody, s.postProof)},
		{"GET", "/v1/portal/builds", nil, "The builds of the web portal's browser code the deployment has served, as its audit log records them, with inclusion proofs.",
			nil, jsonOp(s, 200, s.getPortalBuilds)},

		{"POST", "/v1/bootstrap", nil, "Register the first LPSE admin, active at once; refused once any account exists.",
			[]api.Code{api.CodeInvalid, api.CodeWrongState, api.CodeTooLarge}, jsonOp(s, 201, s.postBootstrap)},
		{"POST", "/v1/register", nil, "Register an account with its documents (base64); it is pending until verified.",
			[]api.Code{api.CodeInvalid, api.CodeDuplicateEmail, api.CodeDuplicateNPWP, api.CodeTooLarge}, jsonOp(s, 201, s.postRegister)},
		{"POST", "/v1/login", nil, "Log in with email and password; returns an API token.",
			[]api.Code{api.CodeInvalid, api.CodeBadCredentials, api.CodeLockedOut, api.CodeNotVerified, api.CodeRejected, api.CodeDeactivated, api.CodeBlacklisted},
			jsonOp(s, 200, s.postLogin)},
		{"POST", "/v1/tokens/{token}/revoke", anyRole, "Revoke an API token (own, or any for an admin).", found, jsonOp(s, 200, s.postRevoke)},
		{"GET", "/v1/users", reviewers, "Accounts, oldest registration first, selected by status, role and text, a page at a time (LPSE staff): the registration queue is ?status=pending.",
			[]api.Code{api.CodeInvalid, api.CodeBadRequest}, jsonOp(s, 200, s.getUsers)},
		{"GET", "/v1/users/{user}", anyRole, "An account, for its owner and its reviewers; {user} may be \"me\" (the caller).", []api.Code{api.CodeUnknownUser}, jsonOp(s, 200, s.getUser)},
		{"GET", "/v1/users/{user}/documents/{kind}", anyRole, "A registration document, for its owner and its reviewers; {user} may be \"me\".",
			codes(account, found), raw("", binaryBody, s.getUserDocument)},
		{"POST", "/v1/users/{user}/documents/{kind}/verify", reviewers, "Record that the original of a document was shown and matches.",
			codes(account, found), jsonOp(s, 200, s.postVerifyDocument)},
		{"POST", "/v1/users/{user}/approve", reviewers, "Approve a registration whose documents are all verified.",
			codes(account, []api.Code{api.CodeDocumentsUnverified}), jsonOp(s, 200, s.postApprove)},
		{"POST", "/v1/users/{user}/reject", reviewers, "Reject a registration, with a reason.", account, jsonOp(s, 200, s.postReject)},
		{"POST", "/v1/users/{user}/deactivate", reviewers, "Deactivate an account for a violation (LPSE staff accounts: by an admin only).", account, jsonOp(s, 200, s.postDeactivate)},
		{"POST", "/v1/users/{user}/reactivate", reviewers, "Reactivate a deactivated account (LPSE staff accounts: by an admin only).", account, jsonOp(s, 200, s.postReactivate)},
		{"POST", "/v1/users/{user}/blacklist-requests", officials, "Request that a provider be blacklisted, with a reason; LPSE staff decide.", account, jsonOp(s, 201, s.postBlacklistRequest)},
		{"GET", "/v1/blacklist-requests", reviewers, "Every blacklist request, oldest first, with its decision.", nil, jsonOp(s, 200, s.getBlacklistRequests)},
		{"POST", "/v1/blacklist-requests/{request}/approve", reviewers, "Approve a blacklist request: the provider is blacklisted.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState}, jsonOp(s, 200, s.postApproveBlacklist)},
		{"POST", "/v1/blacklist-requests/{request}/reject", reviewers, "Reject a blacklist request, with a reason.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeInvalid}, jsonOp(s, 200, s.postRejectBlacklist)},
		{"POST", "/v1/committee-keys/challenge", pokja, "Begin registering the caller's own opening key: a challenge encrypted to it, which only its holder answers.",
			[]api.Code{api.CodeInvalid}, jsonOp(s, 201, s.postKeyChallenge)},
		{"POST", "/v1/committee-keys", pokja, "Register the caller's opening key with the challenge's answer; tenders announced from then on seal to it.",
			[]api.Code{api.CodeInvalid, api.CodeWrongState, api.CodeBadRequest}, jsonOp(s, 201, s.postCommitteeKey)},
		{"GET", "/v1/users/{user}/committee-keys", anyRole, "A pokja member's registered opening keys, oldest first; {user} may be \"me\".",
			[]api.Code{api.CodeUnknownUser}, jsonOp(s, 200, s.getCommitteeKeys)},
		{"POST", "/v1/committees/{tender}", pakpa, "Assign the procurement committee of a tender to be announced.",
			codes(account, []api.Code{api.CodeSeparationOfDuties, api.CodeNotVerified, api.CodeRejected}), jsonOp(s, 200, s.postCommittee)},
		{"GET", "/v1/committees", committeeReaders, "The committees assigned: all of them for a PA/KPA, a pokja member's own for them; sorted by tender id.",
			nil, jsonOp(s, 200, s.getCommittees)},
		{"GET", "/v1/pokja", committeeReaders, "The pokja members a PA/KPA may assign now (active, not LPSE staff), sorted by name; their names for a committee member.",
			nil, jsonOp(s, 200, s.getPokja)},

		{"GET", "/v1/plans", nil, "Procurement plans (RUP).", nil, jsonOp(s, 200, s.getPlans)},
		{"GET", "/v1/plans/{plan}/text", nil, "A procurement plan's text.", found, raw("", textBody, s.getPlanText)},
		{"POST", "/v1/plans", pakpa, "Announce a procurement plan (RUP), by a PA/KPA.", []api.Code{api.CodeInvalid}, jsonOp(s, 201, s.postPlan)},
		{"POST", "/v1/documents", pokja, "Store a tender document; returns its SHA-256.", nil, rawOp(s, binaryBody, 201, s.postDocument)},
		{"GET", "/v1/tenders", nil, "All tenders.", nil, jsonOp(s, 200, s.listTenders)},
		{"POST", "/v1/tenders", pokja, "Announce a tender, by a member of the committee the PA/KPA assigned to its id.",
			[]api.Code{api.CodeInvalid, api.CodeNotFound, api.CodeWrongState, api.CodeWrongCommittee}, jsonOp(s, 201, s.postTender)},
		{"GET", "/v1/tenders/{tender}", nil, "One tender.", found, jsonOp(s, 200, s.getTender)},
		{"POST", "/v1/tenders/{tender}/amend", pokja, "Publish an addendum before the deadline.", committee, jsonOp(s, 200, s.postAmend)},
		{"POST", "/v1/tenders/{tender}/cancel", pokja, "Cancel a tender, with a reason.", committee, jsonOp(s, 200, s.postCancel)},
		{"POST", "/v1/tenders/{tender}/participants", provider, "Register the calling provider for a tender.",
			codes(committee, []api.Code{api.CodeNotVerified}), jsonOp(s, 200, s.postParticipant)},
		{"POST", "/v1/tenders/{tender}/offers", provider, "Submit a sealed offer (the whole file); returns the signed receipt.",
			submission, rawOp(s, binaryBody, 201, s.postOffer)},
		{"POST", "/v1/tenders/{tender}/commitments", provider, "Commit to a sealed file's SHA-256 and size before the deadline; deliver it by the opening time.",
			submission, jsonOp(s, 201, s.postCommitment)},
		{"POST", "/v1/tenders/{tender}/uploads", provider, "Begin a resumable upload of a sealed offer of a declared size.", uploads, jsonOp(s, 201, s.postUpload)},
		{"GET", "/v1/uploads/{upload}", provider, "A resumable upload's progress: the offset to resume from.", found, jsonOp(s, 200, s.getUpload)},
		{"PUT", "/v1/uploads/{upload}", provider, "Append a chunk at ?offset=N (where the upload stands).",
			codes(uploads, []api.Code{api.CodeBadRequest}), rawOp(s, binaryBody, 200, s.putUploadChunk)},
		{"POST", "/v1/uploads/{upload}/finish", provider, "Submit the assembled offer; returns the signed receipt.", uploads, jsonOp(s, 201, s.postUploadFinish)},
		{"POST", "/v1/tenders/{tender}/close", pokja, "Close submission after the deadline, fixing the offer set.", committee, jsonOp(s, 200, s.postClose)},
		{"POST", "/v1/tenders/{tender}/open", pokja, "Run the opening ceremony of a version 1 tender with the committee's key (never stored).",
			codes(committee, []api.Code{api.CodeTooEarly, api.CodeWrongCommittee, api.CodeMembersOpen}), jsonOp(s, 200, s.postOpen)},
		{"POST", "/v1/tenders/{tender}/files/{file}/offers", provider, "Submit a sealed file of a file part (the whole file); returns the signed version 2 receipt.",
			codes(submission, []api.Code{api.CodeBadRequest}), rawOp(s, binaryBody, 201, s.postFileOffer)},
		{"POST", "/v1/tenders/{tender}/files/{file}/commitments", provider, "Commit to a sealed file of a file part before its deadline; deliver it by the part's opening time.",
			codes(submission, []api.Code{api.CodeBadRequest}), jsonOp(s, 201, s.postFileCommitment)},
		{"POST", "/v1/tenders/{tender}/files/{file}/opening", pokja, "Start a file part's opening once its round is out (File II: once the evaluation is fixed); members then contribute.",
			codes(committee, []api.Code{api.CodeBadRequest, api.CodeForbidden, api.CodeTooEarly}), jsonOp(s, 200, s.postStartOpening)},
		{"GET", "/v1/tenders/{tender}/log", nil, "A v2 tender's log entries with inclusion proofs in a fresh signed checkpoint: what a bidder's tool checks the committee and the part's round against, with its pinned log key and chain, before sealing.",
			[]api.Code{api.CodeNotFound, api.CodeInvalid}, jsonOp(s, 200, s.getTenderLog)},
		{"GET", "/v1/tenders/{tender}/files/{file}/evidence", pokja, "What a member's tool checks before contributing: the tender's log entries with inclusion proofs in a fresh checkpoint, and the part's headers.",
			codes(committee, []api.Code{api.CodeBadRequest, api.CodeForbidden}), jsonOp(s, 200, s.getEvidence)},
		{"POST", "/v1/tenders/{tender}/files/{file}/contributions", pokja, "Send a member's batch of contributions (segel-contributions/v1) for a part whose opening runs.",
			codes(committee, []api.Code{api.CodeBadRequest, api.CodeForbidden, api.CodeOtherOffer}), rawOp(s, textBody, 201, s.postContributions)},
		{"POST", "/v1/tenders/{tender}/files/{file}/complete", pokja, "Complete a part's opening, by a member who sent a batch for it: every file is opened, failed or withheld, and the signed report logged.",
			codes(committee, []api.Code{api.CodeBadRequest, api.CodeForbidden, api.CodeTooFewContributions}), jsonOp(s, 200, s.postComplete)},
		{"GET", "/v1/tenders/{tender}/files/{file}/opening-report", nil, "The signed opening report of a file part.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeBadRequest}, raw("", textBody, s.getPartReport)},
		{"GET", "/v1/tenders/{tender}/files/{file}/witness/{bidder}", nil, "The signed witness report of a file that failed to open.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeBadRequest}, raw("", textBody, s.getPartWitness)},
		{"GET", "/v1/tenders/{tender}/files/{file}/offers/{bidder}/receipt", []registry.Role{registry.RoleProvider, registry.RolePokja}, "The signed receipt of a bidder's current file of a part, for the bidder ({bidder} may be \"me\") and, once the part has closed, the committee.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeBadRequest}, raw("", textBody, s.getFileReceipt)},
		{"GET", "/v1/tenders/{tender}/files/{file}/offers/{bidder}/document", pokja, "The opened document of a bidder's file part, for the tender's committee.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeBadRequest}, raw("", binaryBody, s.getFileDocument)},
		{"POST", "/v1/tenders/{tender}/evaluations", pokja, "Propose the File I evaluation (two-file, two-stage); the proposal is the proposer's approval.",
			committee, jsonOp(s, 201, s.postEvaluation)},
		{"POST", "/v1/tenders/{tender}/evaluations/{digest}/approve", pokja, "Approve a proposed File I evaluation by its digest; k approvals fix it.",
			codes(committee, []api.Code{api.CodeDuplicate, api.CodeBadRequest}), jsonOp(s, 200, s.postApproveEvaluation)},
		{"POST", "/v1/tenders/{tender}/stage-two", pokja, "Announce a two-stage tender's stage 2 (deadline, opening) after the evaluation is fixed.",
			committee, jsonOp(s, 200, s.postStageTwo)},
		{"GET", "/v1/tenders/{tender}/opening-report", nil, "The signed opening report.", []api.Code{api.CodeNotFound, api.CodeWrongState}, raw("", textBody, s.getOpeningReport)},
		{"GET", "/v1/tenders/{tender}/witness/{bidder}", nil, "The signed witness report of an offer that failed to open.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState}, raw("", textBody, s.getWitness)},
		{"GET", "/v1/tenders/{tender}/offers/{bidder}/receipt", []registry.Role{registry.RoleProvider, registry.RolePokja}, "The signed receipt of a bidder's current offer (text/plain, byte-exact), for the bidder itself ({bidder} may be \"me\") and, once submission has closed, the tender's committee.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState}, raw("", textBody, s.getOfferReceipt)},
		{"GET", "/v1/tenders/{tender}/offers/{bidder}/document", pokja, "The opened offer document, for the tender's committee.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState}, raw("", binaryBody, s.getOfferDocument)},
		{"GET", "/v1/tenders/{tender}/bundle", nil, "The tender's audit bundle, as a tar archive.", []api.Code{api.CodeNotFound, api.CodeWrongState}, raw("", tarBody, s.getBundle)},
		{"GET", "/v1/tenders/{tender}/messages/{kind}", nil, "The questions or objections of a tender, with answers.", found, jsonOp(s, 200, s.getMessages)},
		{"POST", "/v1/tenders/{tender}/messages/{kind}", provider, "Ask a question (aanwijzing) or file an objection (sanggah).", registered, jsonOp(s, 201, s.postMessage)},
		{"POST", "/v1/tenders/{tender}/messages/{kind}/{digest}/answer", pokja, "Answer a question or an objection; returns it with its answer.", committee, jsonOp(s, 200, s.postAnswer)},
		{"POST", "/v1/tenders/{tender}/result", pokja, "Announce the winner; the objection period starts.", committee, jsonOp(s, 200, s.postResult)},
		{"POST", "/v1/tenders/{tender}/award", []registry.Role{registry.RolePPK}, "Award the contract after the objection period.", committee, jsonOp(s, 200, s.postAward)},
		{"GET", "/v1/tenders/{tender}/documents/{digest}", nil, "A public document of a tender by SHA-256: its tender document, a question, objection or answer, the result or award text.",
			found, raw("", binaryBody, s.getTenderDocument)},
		{"GET", "/v1/tenders/{tender}/ocds", nil, "The tender as an OCDS 1.1 release package (e-reporting).", found, raw("", jsonBody, s.getOCDS)},

		{"GET", "/v1/notices", nil, "Public notices: maintenance, outages, announcements.", nil, jsonOp(s, 200, s.getNotices)},
		{"GET", "/v1/notices/{notice}/text", nil, "A notice's text.", found, raw("", textBody, s.getNoticeText)},
		{"POST", "/v1/notices", reviewers, "Publish a notice (LPSE staff).", []api.Code{api.CodeInvalid}, jsonOp(s, 201, s.postNotice)},
		{"POST", "/v1/notices/{notice}/withdraw", reviewers, "Withdraw a notice, with a public reason (LPSE staff); it stays listed, marked withdrawn.",
			[]api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeInvalid}, jsonOp(s, 200, s.postNoticeWithdraw)},
		{"GET", "/v1/complaints", anyRole, "Complaints: one's own, or all for LPSE staff.", nil, jsonOp(s, 200, s.getComplaints)},
		{"POST", "/v1/complaints", anyRole, "File a complaint (helpdesk).", []api.Code{api.CodeInvalid}, jsonOp(s, 201, s.postComplaint)},
		{"GET", "/v1/complaints/{complaint}/documents/{digest}", anyRole, "A complaint's text or a response to it by SHA-256, for the user who filed it and LPSE staff.",
			found, raw("", textBody, s.getComplaintDocument)},
		{"POST", "/v1/complaints/{complaint}", reviewers, "Move a complaint on, with a response (LPSE staff).",
			[]api.Code{api.CodeNotFound, api.CodeWrongState, api.CodeInvalid}, jsonOp(s, 200, s.postComplaintUpdate)},
	}
}

// routes builds the mux: each route with its access check and metrics.
// A known path asked with a method it does not serve gets 405 with Allow,
// as Go's mux answers without a catch-all (GET serves HEAD, OPTIONS is
// not special); only an unknown path gets 404. Every path outside the
// API's (api.Owns) is the portal's, which answers its own pages, 404
// and 405 in HTML.
func (s *Server) routes(ctx context.Context, keyring *vault.Keyring) (http.Handler, error) {
	mux := http.NewServeMux()
	methods := []string{"HEAD"}
	for _, rt := range s.served() {
		mux.HandleFunc(rt.method+" "+rt.path, s.observe(rt, s.limit(rt, s.guard(rt))))
		methods = append(methods, rt.method)
	}
	// The portal's browser code is a website's files, not an operation
	// of the API: served beside it, outside the table and the document
	// (doc/spec/portal.md).
	mux.Handle("GET "+portal.StaticPrefix+"{file}", portal.Handler())
	slices.Sort(methods)
	methods = slices.Compact(methods)
	site, err := s.newPortal(ctx, keyring, mux)
	if err != nil {
		return nil, err
	}
	s.portal = site
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !api.Owns(r.URL.Path) {
			site.ServeHTTP(w, r)
			return
		}
		if allow := allowed(mux, r, methods); allow != nil {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, api.Error{Code: api.CodeMethodNotAllowed,
				Message: r.Method + " " + r.URL.Path + ": method not allowed; allowed: " + strings.Join(allow, ", ")})
			return
		}
		writeJSON(w, http.StatusNotFound, api.Error{Code: api.CodeNoRoute, Message: "no such endpoint: " + r.Method + " " + r.URL.Path + " (see /openapi.json)"})
	})
	return mux, nil
}

// allowed returns the methods, of those given, that mux routes r's path
// to a pattern other than its catch-all: the path's Allow header.
func allowed(mux *http.ServeMux, r *http.Request, methods []string) []string {
	var allow []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// served is every route the mux serves: the table and, when the
// deployment runs its own beacon, the beacon's routes.
func (s *Server) served() []route {
	rts := s.table()
	if s.local != nil {
		rts = append(rts, s.beaconRoutes()...)
	}
	return rts
}

// beaconRoutes are the local beacon's endpoints: drand's HTTP API under
// /beacon, at the root and under the chain's hash, as the beacon's handler
// serves them. Only these are routed to it, so what the mux serves and
// what the document lists are the same.
func (s *Server) beaconRoutes() []route {
	h := http.StripPrefix("/beacon", beaconhttp.Handler(s.local)).ServeHTTP
	var rts []route
	for _, prefix := range []string{"/beacon", "/beacon/" + s.Beacon.Chain().HashHex()} {
		rts = append(rts,
			route{method: "GET", path: prefix + "/info", summary: "The local beacon's chain info (drand /info JSON), the same as /v1/chain.", endpoint: drandOp[api.ChainInfo](h)},
			route{method: "GET", path: prefix + "/public/latest", summary: "The local beacon's latest round (drand beacon JSON: round, randomness, signature).", endpoint: drandOp[api.Beacon](h)},
			route{method: "GET", path: prefix + "/public/{round}", summary: "A round of the local beacon (drand beacon JSON); 425 Too Early, with Retry-After, before its time.",
				codes: []api.Code{api.CodeBadRequest, api.CodeTooEarly}, endpoint: drandOp[api.Beacon](h)},
		)
	}
	return append(rts, route{method: "GET", path: "/beacon/chains", summary: "The hashes of the chains the local beacon serves: its one chain.", endpoint: drandOp[[]string](h)})
}

// guard authenticates and authorises a request for rt.
func (s *Server) guard(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if rt.roles == nil {
			rt.serve(w, r)
			return
		}
		r, err := s.authenticate(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(rt.roles) > 0 {
			u := user(r)
			ok := false
			for _, role := range rt.roles {
				ok = ok || u.Role == role
			}
			if !ok {
				s.fail(w, r, errForbiddenFor(u.Role, rt.roles))
				return
			}
		}
		rt.serve(w, r)
	}
}

func errForbiddenFor(have registry.Role, want []registry.Role) error {
	names := make([]string, len(want))
	for i, r := range want {
		names[i] = string(r)
	}
	return &roleError{have: string(have), want: strings.Join(names, ", ")}
}

type roleError struct{ have, want string }

func (e *roleError) Error() string {
	return "not allowed for role " + e.have + "; this needs: " + e.want
}

func (e *roleError) Unwrap() error { return errForbidden }

// drandOp is the endpoint of a handler that answers drand's JSON Out
// itself, as a drand relay does.
func drandOp[Out any](h http.HandlerFunc) endpoint {
	return endpoint{serve: h, out: reflect.TypeFor[Out](), outType: jsonBody, status: http.StatusOK}
}
