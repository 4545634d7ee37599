package wasmapi

import (
	"errors"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/sealer"
)

// ErrAborted means the page stopped the work (an AbortSignal fired).
var ErrAborted = errors.New("wasmapi: aborted by the page")

// Code returns the short code of an error, for the page to choose a
// message in its language; the error's text stays the detail.
func Code(err error) string {
	var ae *audit.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrAborted):
		return "aborted"
	case errors.Is(err, ErrInput):
		return "input"
	case errors.Is(err, ErrSelfCheck):
		return "self-check"
	case errors.Is(err, ErrReceiptMismatch):
		return "receipt-mismatch"
	case errors.Is(err, ErrNotOpen):
		return "not-open"
	case errors.Is(err, member.ErrRefused):
		return "refused"
	case errors.As(err, &ae):
		return "bundle"
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "failed"
}

// codes are the codes of the sentinels of the packages wasmapi calls.
var codes = []struct {
	err  error
	code string
}{
	{sealer.ErrUnsafeTarget, "unsafe-target"},
	{sealer.ErrMismatch, "offer-mismatch"},
	{sealer.ErrMalformed, "malformed-offer"},
	{auditlog.ErrSignature, "signature"},
	{auditlog.ErrInvalidProof, "proof"},
	{auditlog.ErrMalformed, "malformed"},
}
