// Package audit implements the signed reports of Segel's opening ceremony and
// the offline-verifiable audit bundle of one tender: what an auditor checks on
// a machine with no network, against pinned public keys.
//
// It implements:
//
//   - the witness report (berita acara kesaksian) and the opening report
//     (berita acara pembukaan), signed notes specified in doc/spec/reports.md:
//     version 1, and version 2 for the files of v2 tenders (a File set);
//   - the evaluation document of a v2 tender's File I (doc/spec/opening.md §6);
//   - the audit bundle directory and what verifying it proves, specified in
//     doc/spec/audit-bundle.md, for v1 tenders and, with the checks of
//     doc/spec/opening.md §10, for v2 tenders.
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
// whole tender (verify_test.go), and for v2 a lie for each check of
// opening.md §10 (tender_v2_test.go).
package audit
