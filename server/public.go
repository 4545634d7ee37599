package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

func (s *Server) healthz(r *http.Request, _ none) (api.Health, error) {
	return api.Health{Status: "ok"}, nil
}

func (s *Server) readyz(r *http.Request, _ none) (api.Ready, error) {
	err := s.cfg.Backend.View(r.Context(), func(tx vault.Tx) error {
		_, err := tx.Get("server_config", "ready-probe")
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		s.log.Error("readiness probe failed", "err", err)
		return api.Ready{}, errStorage
	}
	return api.Ready{Status: "ready", LogSize: s.Log.Size()}, nil
}

func (s *Server) getKeys(w http.ResponseWriter, r *http.Request) {
	b, err := s.Keys.Marshal()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeText(w, b)
}

func (s *Server) getChain(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", jsonBody)
	w.Write(s.Beacon.Chain().MarshalInfo())
}

func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := s.Log.Checkpoint(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeText(w, cp)
}

// postProof returns the proof file of a receipt this deployment signed.
// The receipt is verified first, so the endpoint proves only real receipts.
func (s *Server) postProof(w http.ResponseWriter, r *http.Request) {
	if err := wantType(r, textBody); err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, auditlog.MaxReceiptSize))
	if err != nil {
		s.fail(w, r, errBodyTooLarge)
		return
	}
	if _, err := auditlog.VerifyReceipt(b, s.Keys.Receipt); err != nil {
		s.fail(w, r, wrapBad(err))
		return
	}
	proof, err := s.Engine.ProofFile(r.Context(), b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeText(w, proof)
}
