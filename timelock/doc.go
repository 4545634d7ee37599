// Package timelock implements drand's timelock encryption ("tlock") on
// BLS12-381 with github.com/cloudflare/circl, as age recipients and
// identities for filippo.io/age.
//
// A file locked to round R of a beacon chain opens only with the chain's
// signature of R, which the chain's threshold network publishes at the
// round's time and not before. Nobody, the sender included, can open it
// earlier: no server clock or access control is involved.
//
// The format is drand's, byte for byte: files made by Recipient open with
// drand's tle, and tle's files open with Identity (tested against the
// public vectors in testdata/tlock.json). Specification:
// doc/spec/timelock.md, which also states what Segel does differently:
//
//   - the chain is always pinned by the caller; the chain hash inside a
//     file never switches it (ErrWrongChain);
//   - Chain.RoundAt rounds a deadline up, never down like tle;
//   - point encodings are parsed strictly and beacon signatures are
//     verified before every use.
//
// Beacons give round signatures: FixedBeacon (recorded signatures, for
// tests and offline opening) and LocalBeacon (a deployment's own key).
// drand's HTTP API, both the client of drand relays and the server of a
// LocalBeacon, is in package timelock/beaconhttp, so that timelock links no
// HTTP: opening or verifying offline needs no network code.
package timelock
