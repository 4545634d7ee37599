package server

import (
	"errors"
	"net/http"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/helpdesk"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
)

// maxJSON caps a JSON request body; registration, which carries its
// documents, has its own cap (Limits).
const maxJSON = 1 << 20

// errorCodes maps the errors of the packages below to the API's codes,
// first match first; the code fixes the status (api.Code.Status).
var errorCodes = []struct {
	target error
	code   api.Code
}{
	{timelock.ErrTooEarly, api.CodeTooEarly},
	{tender.ErrNotFound, api.CodeNotFound},
	{helpdesk.ErrNotFound, api.CodeNotFound},
	{registry.ErrUnknownUser, api.CodeUnknownUser},
	{vault.ErrNotFound, api.CodeNotFound},
	{tender.ErrLate, api.CodeLate},
	{tender.ErrNotYetOpen, api.CodeNotYetOpen},
	{tender.ErrDuplicate, api.CodeDuplicate},
	{tender.ErrBusy, api.CodeBusy},
	{tender.ErrTooFewContributions, api.CodeTooFewContributions},
	{errMembersOpen, api.CodeMembersOpen},
	{sealer.ErrOtherOffer, api.CodeOtherOffer},
	{tender.ErrState, api.CodeWrongState},
	{helpdesk.ErrState, api.CodeWrongState},
	{tender.ErrTooManyUploads, api.CodeTooManyUploads},
	{registry.ErrWrongState, api.CodeWrongState},
	{registry.ErrDuplicateEmail, api.CodeDuplicateEmail},
	{registry.ErrDuplicateNPWP, api.CodeDuplicateNPWP},
	{registry.ErrDocumentsUnverified, api.CodeDocumentsUnverified},
	{tender.ErrTooLarge, api.CodeTooLarge},
	{registry.ErrDocumentTooLarge, api.CodeTooLarge},
	{tender.ErrWrongSeal, api.CodeWrongSeal},
	{sealer.ErrWrongCommittee, api.CodeWrongCommittee},
	{registry.ErrBadCredentials, api.CodeBadCredentials},
	{registry.ErrBadToken, api.CodeBadToken},
	{registry.ErrTokenExpired, api.CodeTokenExpired},
	{registry.ErrTokenRevoked, api.CodeTokenRevoked},
	{registry.ErrLockedOut, api.CodeLockedOut},
	{tender.ErrNotRegistered, api.CodeNotRegistered},
	{registry.ErrBlacklisted, api.CodeBlacklisted},
	{registry.ErrDeactivated, api.CodeDeactivated},
	{registry.ErrNotVerified, api.CodeNotVerified},
	{registry.ErrRejected, api.CodeRejected},
	{registry.ErrSeparationOfDuties, api.CodeSeparationOfDuties},
	{tender.ErrForbidden, api.CodeForbidden},
	{helpdesk.ErrForbidden, api.CodeForbidden},
	{registry.ErrForbidden, api.CodeForbidden},
	{registry.ErrRoleMismatch, api.CodeForbidden},
	{errForbidden, api.CodeForbidden},
	{errUnauthenticated, api.CodeUnauthenticated},
	{errBadRequest, api.CodeBadRequest},
	{api.ErrDigest, api.CodeBadRequest},
	{errMediaType, api.CodeUnsupportedMediaType},
	{errBodyTooLarge, api.CodeTooLarge},
	{errRateLimited, api.CodeRateLimited},
	{errStorage, api.CodeStorage},
	{tender.ErrInvalid, api.CodeInvalid},
	{helpdesk.ErrInvalid, api.CodeInvalid},
	{registry.ErrInvalid, api.CodeInvalid},
}

// errorCode returns the API's code for err: internal (500) for errors
// not listed, a fault of the server.
func errorCode(err error) api.Code {
	for _, c := range errorCodes {
		if errors.Is(err, c.target) {
			return c.code
		}
	}
	return api.CodeInternal
}

var (
	errForbidden       = errors.New("not allowed for this user")
	errUnauthenticated = errors.New("authentication required: send Authorization: Bearer <token> (POST /v1/login)")
	errBadRequest      = errors.New("bad request")
	errMediaType       = errors.New("unsupported media type")
	errBodyTooLarge    = errors.New("request body too large")
	errStorage         = errors.New("storage does not answer")
)

// fail answers err as an api.Error. A fault of the server (500) is logged
// and told only as such.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := errorCode(err)
	msg := err.Error()
	switch code {
	case api.CodeInternal:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error; the operator has been told (see the server log)"
	case api.CodeTooEarly:
		w.Header().Set("Retry-After", "1")
	}
	if sw, ok := w.(*statusWriter); ok {
		sw.code = code
	}
	writeJSON(w, code.Status(), api.Error{Code: code, Message: msg})
}
