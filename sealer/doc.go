// Package sealer implements Segel's sealed-offer formats: age v1 files
// whose file key is split in two, one half time-locked to the tender's
// opening round of a drand-compatible beacon chain and the other held by
// the procurement committee, with post-quantum hybrid age keys
// (ML-KEM-768 + X25519). The document itself is encrypted once.
//
//   - Format version 1 (doc/spec/offer.md, StanzaType) wraps the committee
//     half to one committee key: Target.Committee to seal, Identity and
//     Open to open with that key.
//   - Format version 2 (doc/spec/offer-v2.md, StanzaTypeV2) shares the
//     committee half k-of-n among the members' own keys (a Committee),
//     commits to the document's length, and binds the file to its tender,
//     bidder and file part: Target.Members to seal. No member's key leaves
//     its holder: for each offer, a member's tool computes a Contribution
//     (Contribute), the server checks it as it arrives (CheckContribution)
//     and, with the round's signature, opens the offer with any k of them
//     (Opener). The protocol around it is doc/spec/opening.md.
//
// Seal and the openers stream, so memory stays flat whatever the document
// size. Inspect reads only the header and runs, without any secret, the
// structural checks a server runs when an offer is submitted: the header
// parses as age's canonical encoding, one stanza of a known version,
// canonical arguments, the pinned chain's hash, the exact body length, a
// time-lock point in the prime-order subgroup, and for version 2 the
// file's size (Header.CheckSize when the caller stores a stream); Seal
// runs the same checks on its own output before returning.
//
// Inspect cannot check what needs the secrets: that the halves decrypt
// (the round's signature does not exist yet; only the committee, or each
// member, holds its key), that the body was sealed to the round and keys
// the arguments name, the header MAC (keyed by the file key) and the
// payload's authenticity. Those fail at opening, with an OpenError naming
// the step and whose fault it is (the file's, or for version 2 a member's
// or the committee's). Every opener runs Inspect's checks with the same
// code, so a file fails at StepHeader or StepInspect exactly when Inspect
// refuses it (or Target.Check does).
//
// Compatibility is tested by the known-answer vectors of both versions
// (testdata/vectors, testdata/vectors-v2); plain, drand-compatible tlock
// files are made and opened with package timelock.
package sealer
