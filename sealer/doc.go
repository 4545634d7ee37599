// Package sealer implements Segel's sealed-offer format (doc/spec/offer.md):
// an age v1 file whose file key is split in two halves, one time-locked to
// the tender's opening round of a drand-compatible beacon chain and one
// wrapped to the procurement committee's post-quantum hybrid age key
// (ML-KEM-768 + X25519). Opening needs both the round's beacon signature
// and the committee's key; the document itself is encrypted once.
//
// Seal and Open stream, so memory stays flat whatever the document size.
// Inspect reads only the header and runs, without any secret, the
// structural checks a server runs when an offer is submitted; Seal runs
// the same checks on its own output before returning.
//
// Compatibility and limits are tested in offer_test.go; plain,
// drand-compatible tlock files are made and opened with package timelock.
package sealer
