package api

import "time"

// Receipt answers an accepted offer. Receipt is the receipt itself, a
// signed note (doc/spec/receipt.md) and the bidder's proof of submission:
// keep its bytes exactly (they end in a newline: jq -j, not jq -r),
// verify it against the deployment's receipt key (segel verify, or
// auditlog.VerifyReceipt), and exchange it for a proof file at
// POST /v1/proofs. The other fields repeat what it states, unverified.
type Receipt struct {
	Receipt  string    `json:"receipt" doc:"The signed receipt, a signed note ending in a newline (doc/spec/receipt.md); keep it byte for byte."`
	Index    int64     `json:"index" doc:"The log index of the offer-received entry (file-received, with a file part)."`
	File     int       `json:"file,omitempty" doc:"The file part, for a tender with a method (a version 2 receipt); absent for version 1." example:"1"`
	SHA256   Digest    `json:"sha256" doc:"Of the sealed file."`
	Size     int64     `json:"size" doc:"Of the sealed file, in bytes."`
	Received time.Time `json:"received"`
}

func (Receipt) about() string { return "An accepted offer and its signed receipt." }

// CommitRequest is the body of POST /v1/tenders/{tender}/commitments.
type CommitRequest struct {
	SHA256 Digest `json:"sha256" doc:"Of the sealed file to be delivered."`
	Size   int64  `json:"size" doc:"Of the sealed file, in bytes." example:"262144"`
}

func (CommitRequest) about() string {
	return "A commitment to a sealed file, before the deadline, for a bidder whose upload would not finish in time."
}

// Commitment is a commitment to a sealed file made before the deadline;
// the file itself is delivered (whole or by a resumable upload) before
// DeliverBefore.
type Commitment struct {
	Index         int64     `json:"index" doc:"The log index of the offer-committed entry (file-committed, with a file part)."`
	File          int       `json:"file,omitempty" doc:"The file part, for a tender with a method." example:"1"`
	SHA256        Digest    `json:"sha256"`
	Size          int64     `json:"size"`
	Time          time.Time `json:"time"`
	DeliverBefore time.Time `json:"deliver_before" doc:"The opening time (of the file's part): the file must have arrived by then."`
}

func (Commitment) about() string { return "A recorded commitment to a sealed file." }

// UploadRequest is the body of POST /v1/tenders/{tender}/uploads.
type UploadRequest struct {
	Size int64 `json:"size" doc:"The sealed file's size in bytes." example:"262144"`
	File int   `json:"file,omitempty" doc:"The file part the file is sealed as, for a tender with a method: 1 (File I, or the only file; if absent) or 2 (File II, stage 2)." example:"2"`
}

func (UploadRequest) about() string { return "The beginning of a resumable upload." }

// Upload is a resumable upload's progress.
type Upload struct {
	ID       string    `json:"id" example:"up-6f1c9a2b7d3e8f4a5b6c7d8e"`
	Tender   string    `json:"tender"`
	File     int       `json:"file,omitempty" doc:"The file part, for a tender with a method." example:"1"`
	Size     int64     `json:"size" doc:"The declared size of the sealed file."`
	Received int64     `json:"received" doc:"The bytes stored so far: the offset of the next chunk."`
	Started  time.Time `json:"started"`
}

func (Upload) about() string { return "A resumable upload of a sealed offer." }
