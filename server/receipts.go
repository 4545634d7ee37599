package server

import "net/http"

// me names the caller in a {bidder} path segment: a bidder who lost its
// receipt may not know its own user id (ids are "u-…", so no user is
// named "me").
const me = "me"

// getOfferReceipt answers the signed receipt of a bidder's current offer,
// as text/plain, byte for byte as it was signed: a receipt is a signed
// note, and one byte more (a newline added by a JSON tool) breaks it.
func (s *Server) getOfferReceipt(w http.ResponseWriter, r *http.Request) {
	bidder := r.PathValue("bidder")
	if bidder == me {
		bidder = user(r).ID
	}
	rc, err := s.Engine.OfferReceipt(r.Context(), user(r).ID, r.PathValue("tender"), bidder)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeText(w, rc.Signed)
}

// getFileReceipt serves the signed receipt of a bidder's current file of
// a part.
func (s *Server) getFileReceipt(w http.ResponseWriter, r *http.Request) {
	f, _, err := s.file(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	bidder := r.PathValue("bidder")
	if bidder == me {
		bidder = user(r).ID
	}
	rc, err := f.Receipt(r.Context(), user(r).ID, bidder)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeText(w, rc.Signed)
}
