// Package sealer implements Segel's sealed-offer format (doc/spec/offer.md):
// an age v1 file whose file key is split in two halves, one time-locked to
// the tender's opening round of a drand-compatible beacon chain and one
// wrapped to the procurement committee's post-quantum hybrid age key
// (ML-KEM-768 + X25519). Opening needs both the round's beacon signature
// and the committee's key; the document itself is encrypted once.
//
// Seal and Open stream, so memory stays flat whatever the document size.
// Inspect reads only the header and runs, without any secret, the
// structural checks a server runs when an offer is submitted: the header
// parses as age's canonical encoding, one stanza of StanzaType, canonical
// round, the pinned chain's hash, a well-formed committee key id, the
// exact body length, and a time-lock point in the prime-order subgroup;
// Seal runs the same checks on its own output before returning.
//
// Inspect cannot check what needs the secrets: that the halves decrypt
// (the round's signature does not exist yet; only the committee holds
// its key), that the body was sealed to the round and key the arguments
// name, the header MAC (keyed by the file key) and the payload, which may
// be altered, cut or absent (its chunks are authenticated with the file
// key). Those fail at opening, with an OpenError naming the step. Open
// and Identity.Open run Inspect's checks with the same code, so a file
// fails at StepHeader or StepInspect exactly when Inspect refuses it (or,
// for Identity.Open, Target.Check does).
//
// Compatibility and limits are tested in offer_test.go; plain,
// drand-compatible tlock files are made and opened with package timelock.
package sealer
