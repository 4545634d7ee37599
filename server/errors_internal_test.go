package server

import (
	"errors"
	"fmt"
	"testing"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/helpdesk"
)

// TestErrorCodes checks that every error the server maps answers with a
// code package api defines, with that code's status; and that an error
// it does not know is a 500 internal.
func TestErrorCodes(t *testing.T) {
	for _, c := range errorCodes {
		got := errorCode(fmt.Errorf("wrapped: %w", c.target))
		if c.code.Status() == 500 || got.Status() != c.code.Status() {
			t.Errorf("%v: code %q, status %d; want a code of package api with a status of its own", c.target, got, got.Status())
		}
	}
	if got := errorCode(errors.New("disk on fire")); got != api.CodeInternal || got.Status() != 500 {
		t.Errorf("an unknown error: %q (%d), want internal (500)", got, got.Status())
	}
}

// TestHelpdeskErrorCodes checks that each refusal of the helpdesk has its
// code: one missing from errorCodes would answer 500 for a caller's
// mistake.
func TestHelpdeskErrorCodes(t *testing.T) {
	for err, want := range map[error]api.Code{
		helpdesk.ErrNotFound:  api.CodeNotFound,
		helpdesk.ErrForbidden: api.CodeForbidden,
		helpdesk.ErrInvalid:   api.CodeInvalid,
		helpdesk.ErrState:     api.CodeWrongState,
	} {
		if got := errorCode(fmt.Errorf("wrapped: %w", err)); got != want {
			t.Errorf("%v: code %q, want %q", err, got, want)
		}
	}
}
