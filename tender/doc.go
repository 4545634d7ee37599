// Package tender is the e-tendering engine an SPSE build embeds: the
// lifecycle of a tender from announcement to award, the submission of
// sealed offers with receipts, the closing of the submission window, and
// the opening ceremony with witness and opening reports (regulation
// articles 4, 8.2, 12 and 16).
//
// Confidentiality never depends on this package's clock: offers arrive
// sealed (package sealer) to the tender's opening round, fixed at
// announcement. The engine's clock only decides what it accepts.
//
// The audit log is the record of truth. Every state change appends an
// entry (doc/spec/entries.md) before it is acknowledged, and the set of
// offers a tender opens is replayed from the log at closing, so an
// acknowledged offer is never lost by a crash between the log and the
// engine's own records.
package tender
