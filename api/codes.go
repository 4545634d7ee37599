package api

import "strconv"

// Error is the body of every error response.
type Error struct {
	Code    Code   `json:"code" doc:"What went wrong, for programs: stable across versions." example:"late"`
	Message string `json:"error" doc:"What was wrong and what to do, for people; its wording may change." example:"tender: submission deadline has passed: the deadline of T-2026-001 was 2026-03-02T10:00:00Z"`
}

func (Error) about() string {
	return "An error: every answer with a status of 400 or more that lpsed itself writes (the local beacon's drand routes answer DrandError)."
}

// A Code names an error, for programs to branch on. Each has one HTTP
// status (Status).
type Code string

// The error codes, by HTTP status; the codes table below says what each
// means, and so does the document.
const (
	CodeBadRequest           Code = "bad-request"
	CodeInvalid              Code = "invalid"
	CodeUnauthenticated      Code = "unauthenticated"
	CodeBadToken             Code = "bad-token"
	CodeTokenExpired         Code = "token-expired"
	CodeTokenRevoked         Code = "token-revoked"
	CodeBadCredentials       Code = "bad-credentials"
	CodeForbidden            Code = "forbidden"
	CodeNotRegistered        Code = "not-registered"
	CodeNotVerified          Code = "not-verified"
	CodeRejected             Code = "rejected"
	CodeDeactivated          Code = "deactivated"
	CodeBlacklisted          Code = "blacklisted"
	CodeSeparationOfDuties   Code = "separation-of-duties"
	CodeNotFound             Code = "not-found"
	CodeUnknownUser          Code = "unknown-user"
	CodeNoRoute              Code = "no-route"
	CodeMethodNotAllowed     Code = "method-not-allowed"
	CodeLate                 Code = "late"
	CodeNotYetOpen           Code = "not-yet-open"
	CodeDuplicate            Code = "duplicate"
	CodeBusy                 Code = "busy"
	CodeWrongState           Code = "wrong-state"
	CodeTooManyUploads       Code = "too-many-uploads"
	CodeTooFewContributions  Code = "too-few-contributions"
	CodeMembersOpen          Code = "members-open"
	CodeDuplicateEmail       Code = "duplicate-email"
	CodeDuplicateNPWP        Code = "duplicate-npwp"
	CodeDocumentsUnverified  Code = "documents-unverified"
	CodeTooLarge             Code = "too-large"
	CodeUnsupportedMediaType Code = "unsupported-media-type"
	CodeWrongSeal            Code = "wrong-seal"
	CodeWrongCommittee       Code = "wrong-committee-key"
	CodeOtherOffer           Code = "other-offer"
	CodeLockedOut            Code = "locked-out"
	CodeTooEarly             Code = "too-early"
	CodeRateLimited          Code = "rate-limited"
	CodeInternal             Code = "internal"
	CodeStorage              Code = "storage"
)

// codes is every code, with its status and meaning, in the order the
// document lists them.
var codes = []struct {
	code   Code
	status int
	doc    string
}{
	{CodeBadRequest, 400, "the body, a path or a query parameter is malformed: not the expected JSON, an unknown field, a digest not in lowercase hex"},
	{CodeInvalid, 400, "well-formed, but a value is not acceptable: an empty reason, a schedule out of order, a weak password"},
	{CodeUnauthenticated, 401, "no Authorization: Bearer token, or not a bearer token; log in with POST /v1/login"},
	{CodeBadToken, 401, "the token is not one this server issued"},
	{CodeTokenExpired, 401, "the token has expired; log in again"},
	{CodeTokenRevoked, 401, "the token was revoked; log in again"},
	{CodeBadCredentials, 401, "wrong email or password"},
	{CodeForbidden, 403, "the caller's role or person may not do this"},
	{CodeNotRegistered, 403, "the provider has not registered for the tender"},
	{CodeNotVerified, 403, "the account is not yet verified and approved"},
	{CodeRejected, 403, "the account's registration was rejected"},
	{CodeDeactivated, 403, "the account is deactivated"},
	{CodeBlacklisted, 403, "the account is blacklisted"},
	{CodeSeparationOfDuties, 403, "LPSE staff may not be assigned to a procurement (art. 21.3)"},
	{CodeNotFound, 404, "no such tender, upload, document, token, notice, plan or request"},
	{CodeUnknownUser, 404, "no such user"},
	{CodeNoRoute, 404, "no such endpoint (see /openapi.json)"},
	{CodeMethodNotAllowed, 405, "the path exists, but not with this method; Allow lists those it has"},
	{CodeLate, 409, "the submission deadline has passed"},
	{CodeNotYetOpen, 409, "the submission window has not opened yet"},
	{CodeDuplicate, 409, "this exact offer was already received"},
	{CodeBusy, 409, "another request of this bidder is in progress; retry"},
	{CodeWrongState, 409, "not possible in the tender's or account's current state"},
	{CodeTooManyUploads, 409, "too many resumable uploads in progress for this tender"},
	{CodeTooFewContributions, 409, "some files of the part have fewer than k authenticated contributions; have the missing members answer, or complete with accept_failures"},
	{CodeMembersOpen, 409, "the tender has a committee of members' keys: it opens by their contributions (POST /v1/tenders/{tender}/files/{file}/opening), never by a committee key"},
	{CodeDuplicateEmail, 409, "the email is already registered"},
	{CodeDuplicateNPWP, 409, "the NPWP is already registered"},
	{CodeDocumentsUnverified, 409, "not every document of the account is verified"},
	{CodeTooLarge, 413, "the body, an offer or a document is over its limit, which the message names"},
	{CodeUnsupportedMediaType, 415, "the Content-Type is not the one the route takes"},
	{CodeWrongSeal, 422, "the offer is not sealed to this tender's round, chain and committee; reseal it"},
	{CodeWrongCommittee, 422, "the committee key does not open this tender's offers"},
	{CodeOtherOffer, 422, "a contribution was computed from another header than its file's; fetch the evidence again and recompute"},
	{CodeLockedOut, 423, "the account is locked after repeated failed logins; wait"},
	{CodeTooEarly, 425, "the opening round has not been published yet; retry after Retry-After"},
	{CodeRateLimited, 429, "too many requests from this address; retry after Retry-After"},
	{CodeInternal, 500, "a fault of the server, logged for its operator"},
	{CodeStorage, 503, "the storage does not answer"},
}

// Status returns the HTTP status of answers with code c, or 500 for a
// code this package does not define. (The package links no net/http:
// statuses are numbers.)
func (c Code) Status() int {
	for _, e := range codes {
		if e.code == c {
			return e.status
		}
	}
	return 500
}

func (Code) about() string {
	s := "An error code; each has one HTTP status."
	for _, e := range codes {
		s += "\n- `" + string(e.code) + "` (" + strconv.Itoa(e.status) + "): " + e.doc
	}
	return s
}

func (Code) values() []string {
	out := make([]string, len(codes))
	for i, e := range codes {
		out[i] = string(e.code)
	}
	return out
}
