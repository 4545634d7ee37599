package tender

import "time"

// Evaluation is a v2 tender's fixed File I evaluation (doc/spec/opening.md
// §6): approved by k members, final.
type Evaluation struct {
	Digest   [32]byte // SHA-256 of the evaluation document
	Passed   []string // bidders who passed, ascending
	Failed   []string // bidders who failed, ascending
	Time     time.Time
	LogIndex int64 // of its evaluation-fixed entry
}
