// Package tender is the e-tendering engine an SPSE build embeds: the
// lifecycle of a tender from procurement plan to award (regulation
// articles 4, 8.2, 12 and 16).
//
//   - Plans and tenders: AnnouncePlan, Announce (the opening round is
//     fixed here and never moves), Amend, Cancel.
//   - Participation and submission: Register, Ask/Reply (clarification),
//     Submit (sealed offers, with signed receipts), Commit (commit now,
//     upload later), BeginUpload/UploadChunk/FinishUpload (resumable,
//     bounded by UploadLimits, expired with their chunks: ExpireUploads).
//   - Close, then the opening ceremony: Open, with a signed witness report
//     for every offer that fails to open and a signed opening report;
//     Bundle, the tender's offline-verifiable audit bundle.
//   - Version 2 tenders (doc/spec/opening.md), announced without a
//     committee key: the committee is its members' own keys (from the
//     Directory), any k of n of whom open each file on their own devices;
//     methods single-file, two-file and two-stage. File(id, n) names a file
//     part: Submit, Commit, BeginUpload and Receipt for bidders;
//     StartOpening, Headers, Evidence, Contribute and CompleteOpening for
//     the committee's opening of the part; ProposeEvaluation and
//     ApproveEvaluation of File I; AnnounceStageTwo of a two-stage tender.
//     Version 1 tenders keep their path, unchanged.
//   - After opening: AnnounceResult, objections (Ask/Reply), Award.
//   - Around them: OCDS 1.1 e-reporting (doc/spec/ocds.md, tested against
//     the schemas in TestOCDSStages).
//
// Notices of maintenance and outages and complaints to the helpdesk are
// not about a tender: package helpdesk has them.
//
// Confidentiality never depends on this package's clock: offers arrive
// sealed (package sealer) to the tender's opening round, and only the
// beacon's signature of that round opens them. The engine's clock only
// decides what it accepts.
//
// The audit log is the record of truth. Every state change appends an
// entry (doc/spec/entries.md) before it is acknowledged, and the set of
// offers a tender opens is replayed from the log at closing, so an
// acknowledged offer is never lost by a crash between the log and the
// engine's own records. Those records (which offer is a bidder's current
// one) are repaired from the log too: see reconcile.go.
//
// A state change (announce, amend, close, open, result, award, cancel; and
// for v2 a part's opening start and completion, an evaluation approval,
// stage 2's announcement) is logged once. It is first recorded in the tender's record, as its
// Pending transition, in the same transaction that checks the state; a
// second request for it (a double click, another committee member,
// another server instance on the same PostgreSQL) is refused with
// ErrState before it writes anything, and may try again. Then its entries
// are appended and the new state is set. A transition interrupted by a
// crash is completed by the next request once its lease (a minute) has
// run out, appending its exact entries only if the log lacks them; an
// interrupted opening resumes with the next Open, which logs the beacon
// signature only once. See transition.go.
//
// Every committee action re-checks its actor with the Directory
// (CheckCommittee): a member who may no longer sit on a committee, say
// by becoming LPSE staff after the announcement, no longer acts.
//
// Storage is whatever vault backend the Config names; users, committees
// and members' opening keys come from a Directory (package directory
// implements it over package registry).
package tender
