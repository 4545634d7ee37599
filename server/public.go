package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	err := s.cfg.Backend.View(r.Context(), func(tx vault.Tx) error {
		_, err := tx.Get("server_config", "ready-probe")
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		s.log.Error("readiness probe failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, apiError{Code: "storage", Error: "storage does not answer"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "log_size": s.Log.Size()})
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
	w.Header().Set("Content-Type", "application/json")
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
