package beaconhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/segel-lpse/segel/timelock"
)

// Handler serves b over drand's HTTP API, both at the root and
// under /<chain hash>/: GET /info, /public/latest and /public/<round>.
// Rounds not yet published get 425 Too Early.
func Handler(b *timelock.LocalBeacon) http.Handler {
	h := &handler{b: b, chain: b.Chain()}
	mux := http.NewServeMux()
	for _, prefix := range []string{"", "/" + h.chain.HashHex()} {
		mux.HandleFunc("GET "+prefix+"/info", h.serveInfo)
		mux.HandleFunc("GET "+prefix+"/public/{round}", h.servePublic)
	}
	mux.HandleFunc("GET /chains", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []string{h.chain.HashHex()})
	})
	return mux
}

type handler struct {
	b     *timelock.LocalBeacon
	chain timelock.Chain
}

func (h *handler) serveInfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(h.chain.MarshalInfo())
}

func (h *handler) servePublic(w http.ResponseWriter, r *http.Request) {
	var round uint64
	if s := r.PathValue("round"); s == "latest" {
		round = h.chain.CurrentRound(h.b.Now())
	} else {
		var err error
		if round, err = timelock.ParseRound(s); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	}
	sig, err := h.b.Signature(r.Context(), round)
	if errors.Is(err, timelock.ErrTooEarly) {
		w.Header().Set("Retry-After", strconv.Itoa(int(h.chain.TimeOf(round).Sub(h.b.Now()).Seconds())+1))
		writeJSON(w, http.StatusTooEarly, map[string]string{"error": err.Error()})
		return
	} else if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	rnd := sha256.Sum256(sig)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	writeJSON(w, http.StatusOK, beaconJSON{Round: round, Randomness: hex.EncodeToString(rnd[:]), Signature: hex.EncodeToString(sig)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
