package api

// The service's own answers: liveness, readiness, and drand's formats,
// which /v1/chain and a local beacon's /beacon/ routes serve.

// Health answers GET /healthz.
type Health struct {
	Status string `json:"status" doc:"Always ok: the process serves requests." example:"ok"`
}

func (Health) about() string { return "The process serves requests." }

// Ready answers GET /readyz when the storage answers.
type Ready struct {
	Status  string `json:"status" doc:"Always ready." example:"ready"`
	LogSize int64  `json:"log_size" doc:"The number of entries in the audit log."`
}

func (Ready) about() string { return "The storage answers." }

// ChainInfo is a drand chain's information, as drand's /info serves it
// and lpsed's /v1/chain; its names are drand's. Package timelock parses
// it (timelock.ParseChainInfo) and writes it (Chain.MarshalInfo).
type ChainInfo struct {
	PublicKey   string        `json:"public_key" pattern:"^[0-9a-f]+$" doc:"The group public key, compressed, in hex."`
	Period      int64         `json:"period" doc:"Seconds between rounds." example:"3"`
	GenesisTime int64         `json:"genesis_time" doc:"The time of round 1, in Unix seconds." example:"1692803367"`
	Hash        string        `json:"hash" pattern:"^[0-9a-f]{64}$" doc:"The chain hash, which names the chain."`
	GroupHash   string        `json:"groupHash" pattern:"^[0-9a-f]{64}$"`
	SchemeID    string        `json:"schemeID" example:"bls-unchained-g1-rfc9380"`
	Metadata    ChainMetadata `json:"metadata"`
}

func (ChainInfo) about() string {
	return "A drand chain's information (drand's /info JSON). Pin it out of band: quicknet's is built into segel."
}

// ChainMetadata is the metadata of a ChainInfo.
type ChainMetadata struct {
	BeaconID string `json:"beaconID" example:"quicknet"`
}

func (ChainMetadata) about() string { return "drand's chain metadata." }

// Beacon is one round of a drand chain, as drand's /public/{round} serves
// it.
type Beacon struct {
	Round      uint64 `json:"round" example:"1234567"`
	Randomness string `json:"randomness" pattern:"^[0-9a-f]{64}$" doc:"SHA-256 of the signature."`
	Signature  string `json:"signature" pattern:"^[0-9a-f]+$" doc:"The BLS signature of the round, in hex."`
}

func (Beacon) about() string { return "A round of a drand chain (drand's beacon JSON)." }

// DrandError is an error of drand's HTTP API, as a local beacon answers it.
type DrandError struct {
	Error string `json:"error" example:"timelock: round 1234567 is not yet published"`
}

func (DrandError) about() string { return "An error of the local beacon's drand API." }
