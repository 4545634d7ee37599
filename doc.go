// Module segel is the sealed-bid core of an Indonesian LPSE (Layanan
// Pengadaan Secara Elektronik): offers sealed so that nobody can read them
// before the tender's opening time, receipts, an append-only audit log
// that auditors verify offline, and the tender lifecycle around them.
//
// The packages, from the bottom up:
//
//   - timelock: drand-compatible timelock encryption (tlock) and beacons;
//     timelock/beaconhttp: drand's HTTP API, client and server
//   - sealer: the sealed-offer format, time AND committee
//   - auditlog: the transparency log, checkpoints, receipts, proof files
//   - audit: opening and witness reports, the offline audit bundle
//   - vault: custody of blobs, records and secrets; embedded and PostgreSQL
//   - registry: SPSE users, verification, deactivation
//   - tender: the e-tendering lifecycle and the opening ceremony
//   - helpdesk: the LPSE's notices and complaints; directory: the
//     registry's answers to the helpdesk's questions about users
//   - api: the HTTP API's wire types and error codes; server serves them
//     (and the OpenAPI document generated from them), client speaks them
//
// Commands: cmd/lpsed (reference server) and cmd/segel (bidder,
// committee and auditor CLI). Formats are specified under doc/spec.
package segel
