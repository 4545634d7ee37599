// Package audit implements the signed reports of Segel's opening ceremony and
// the offline-verifiable audit bundle of one tender: what an auditor checks on
// a machine with no network, against pinned public keys.
//
// It implements, version 1 of each:
//
//   - the witness report (berita acara kesaksian) and the opening report
//     (berita acara pembukaan), signed notes specified in doc/spec/reports.md;
//   - the audit bundle directory and what verifying it proves, specified in
//     doc/spec/audit-bundle.md.
//
// The engine writes: it signs reports with WitnessReport.Sign and
// OpeningReport.Sign, fills a Bundle, calls Bundle.Prove with its
// auditlog.Log and Bundle.WriteDir. An auditor reads with ReadDir (or
// ReadFS, for a bundle in an fs.FS such as a tar archive), pins keys with
// ParseTrusted and calls Verify, which replays the tender from its log
// entries and checks every signature, proof and digest in the bundle.
//
// Every parser has a size cap and accepts only canonical text; the tests
// reject every truncation and single-byte change of reports and receipts and
// every tampering of a bundle listed in doc/spec/audit-bundle.md §5, on a
// bundle built by driving a real auditlog.Log, receipts and beacon through a
// whole tender (verify_test.go).
package audit
