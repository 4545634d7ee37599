// Package member is a procurement committee member's side of the opening
// protocol (doc/spec/opening.md), for the tools that run on the member's
// own device — the segel CLI and the portal's WebAssembly build alike. It
// links no HTTP and no storage: a tool fetches what the server serves,
// passes it here, and sends what this package returns.
//
//   - Key registration (§2.1): AnswerKeyChallenge decrypts the registry's
//     challenge with the member's key; NewKeyChallenge is the registry's
//     side of the same format.
//   - Contributions (§5.2): Verify reads the tender from the log evidence
//     the server gives, checked against the pinned log key; Tender.Answers
//     checks every header served against the log and only then computes
//     the member's contributions (or claims) with its key — refusing any
//     File II of a bidder who did not pass, which is what keeps that price
//     sealed; Batch is the answers' text form, which the tool sends and the
//     server parses (ParseBatch); ListDigest is the list the server must
//     log for it.
//
// The member's secret key never leaves the tool: nothing this package
// returns holds it or can be computed from it, short of breaking age.
package member
