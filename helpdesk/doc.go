// Package helpdesk is the LPSE's helpdesk: public notices of maintenance
// and outages (regulation art. 15.d and 18.4) and complaints to the
// helpdesk, answered by LPSE staff (art. 5.m and 10.2.e).
//
//   - Notices: PublishNotice and WithdrawNotice (LPSE staff), Notices and
//     NoticeText (public).
//   - Complaints: FileComplaint (any active user), UpdateComplaint (LPSE
//     staff: open → in-progress → resolved or rejected), Complaints and
//     ComplaintDocument (the user who filed it, and LPSE staff).
//
// Neither is about a tender, so they are not the tender engine's: a
// notice of an outage is published whether or not a tender is running,
// and a complaint may be about an account, an upload or the portal.
//
// Texts (a notice's, a complaint's, each response) are kept in Blobs and
// named by SHA-256 in the records and in the audit log, since they may
// hold personal data. Every change appends one entry to the audit log
// before it is acknowledged: notice-published, notice-withdrawn,
// complaint-filed and complaint-updated (doc/spec/entries.md §3.2); a refused request stores
// and logs nothing.
//
// Users come from a Directory, which the helpdesk defines and package
// directory implements over package registry; storage is whatever vault
// backend the Config names.
package helpdesk
