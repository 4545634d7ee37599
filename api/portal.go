package api

import "time"

// PortalBuilds answers GET /v1/portal/builds: the builds of the web
// portal's browser code the deployment has served, as its audit log
// records them (doc/spec/portal.md §4), each with the proof that its
// entry is in the log.
type PortalBuilds struct {
	Serving    Digest        `json:"serving" doc:"The build digest of the static files this instance serves now."`
	Checkpoint string        `json:"checkpoint" doc:"A signed checkpoint of the audit log (a C2SP signed note) that includes every build's entry; verify it against the pinned log key."`
	Builds     []PortalBuild `json:"builds" doc:"Every build logged, oldest first."`
}

func (PortalBuilds) about() string {
	return "The portal builds the deployment has served, each entry proved included in one signed checkpoint."
}

// PortalBuild is one logged build of the portal.
type PortalBuild struct {
	Digest Digest    `json:"digest" doc:"The build digest: go run ./portal/internal/genstatic -digest recomputes it from the source."`
	Time   time.Time `json:"time" doc:"When the deployment started serving it."`
	Index  int64     `json:"index" doc:"The log index of its portal-build entry."`
	Entry  string    `json:"entry" doc:"The portal-build entry, verbatim (doc/spec/entries.md §3.4)."`
	Proof  []string  `json:"proof" doc:"The entry's inclusion proof in the checkpoint: base64 hashes, in RFC 6962 order, as tlog.RecordProof."`
}

func (PortalBuild) about() string {
	return "A build of the portal's browser code, as the audit log records it."
}
