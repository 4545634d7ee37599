package server

import (
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/helpdesk"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/tender"
)

// The API's views of the registry's, the engine's and the helpdesk's values: every time
// in UTC, every digest an api.Digest, every list non-nil.

// views maps f over xs; a nil xs gives an empty list.
func views[T, V any](xs []T, f func(T) V) []V {
	out := make([]V, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func utc(t time.Time) time.Time { return t.UTC() }

func userView(u registry.User) api.User {
	v := api.User{ID: u.ID, Role: api.Role(u.Role), Email: u.Email, Name: u.Name, NIK: u.NIK,
		Status: api.AccountStatus(u.Status), Registered: utc(u.Registered)}
	if p := u.Provider; p != nil {
		v.Provider = &api.Provider{Kind: api.ProviderKind(p.Kind), NPWP: p.NPWP, Licence: p.Licence}
	}
	v.Documents = views(u.Documents, func(d registry.DocumentInfo) api.DocumentInfo {
		return api.DocumentInfo{Kind: api.DocumentKind(d.Kind), Size: d.Size, VerifiedBy: d.VerifiedBy, VerifiedAt: utc(d.VerifiedAt)}
	})
	if d := u.Decision; d != nil {
		v.Decision = decisionView(d)
	}
	if sn := u.Sanction; sn != nil {
		v.Sanction = &api.Sanction{Blacklist: sn.Blacklist, Reason: sn.Reason, By: sn.By, At: utc(sn.At), Until: utc(sn.Until), Request: sn.Request}
	}
	return v
}

func decisionView(d *registry.Decision) *api.Decision {
	return &api.Decision{Approved: d.Approved, By: d.By, Reason: d.Reason, At: utc(d.At)}
}

func blacklistView(b registry.BlacklistRequest) api.BlacklistRequest {
	v := api.BlacklistRequest{ID: b.ID, User: b.User, By: b.By, Reason: b.Reason, Until: utc(b.Until), At: utc(b.At)}
	if d := b.Decision; d != nil {
		v.Decision = decisionView(d)
	}
	return v
}

func (s *Server) tenderView(t *tender.Tender) api.Tender {
	v := api.Tender{ID: t.ID, Title: t.Title, Plan: t.Plan, Document: t.Document, State: api.TenderState(t.State),
		Committee: views(t.Committee, func(m string) string { return m }), CommitteeKey: t.CommitteeKey,
		Chain: t.ChainHash, Round: t.Round, RoundTime: utc(s.Beacon.Chain().TimeOf(t.Round)),
		Schedule: scheduleView(t.Schedule), Amendments: t.Amendments, OpeningReport: t.OpeningReport}
	if t.V2() {
		s.v2View(&v, t)
	} else if r, err := age.ParseHybridRecipient(t.CommitteeKey); err == nil {
		v.CommitteeKeyID = sealer.KeyID(r)
	}
	if t.Closing != nil {
		n := len(t.Closing.Offers)
		v.Offers = &n
	}
	if t.Result != nil {
		v.Winner, v.ResultText = t.Result.Winner, t.Result.Document
		if t.Result.Award != nil {
			v.AwardText = t.Result.Award.Document
		}
	}
	return v
}

func scheduleView(s tender.Schedule) api.Schedule {
	return api.Schedule{RegistrationEnd: utc(s.RegistrationEnd), ClarificationEnd: utc(s.ClarificationEnd),
		SubmissionStart: utc(s.SubmissionStart), Deadline: utc(s.Deadline), Opening: utc(s.Opening), ObjectionDays: s.ObjectionDays,
		FileIIOpening: utc(s.FileIIOpening)}
}

func schedule(s api.Schedule) tender.Schedule {
	return tender.Schedule{RegistrationEnd: s.RegistrationEnd, ClarificationEnd: s.ClarificationEnd,
		SubmissionStart: s.SubmissionStart, Deadline: s.Deadline, Opening: s.Opening, ObjectionDays: s.ObjectionDays,
		FileIIOpening: s.FileIIOpening}
}

func receiptView(rc *tender.Receipt) api.Receipt {
	return api.Receipt{Receipt: string(rc.Signed), Index: rc.Index, File: rc.File, SHA256: rc.SHA256, Size: rc.Size, Received: utc(rc.Received)}
}

func uploadView(u *tender.Upload) api.Upload {
	return api.Upload{ID: u.ID, Tender: u.Tender, File: u.File, Size: u.Size, Received: u.Received, Started: utc(u.Started)}
}

func messageView(m tender.Message) api.Message {
	v := api.Message{Kind: api.MessageKind(m.Kind), By: m.By, Document: m.Document, Time: utc(m.Time)}
	if a := m.Answer; a != nil {
		v.Answer = &api.Answer{By: a.By, Document: a.Document, Time: utc(a.Time)}
	}
	return v
}

func planView(p tender.Plan) api.Plan {
	return api.Plan{ID: p.ID, Title: p.Title, Budget: p.Budget, Document: p.Document, By: p.By, Announced: utc(p.Announced)}
}

func noticeView(n helpdesk.Notice) api.Notice {
	v := api.Notice{ID: n.ID, Kind: api.NoticeKind(n.Kind), Title: n.Title, By: n.By, Document: n.Document, Time: utc(n.Time)}
	if w := n.Withdrawn; w != nil {
		v.Withdrawn = &api.NoticeWithdrawal{By: w.By, Reason: w.Reason, Time: utc(w.Time)}
	}
	return v
}

func complaintView(c helpdesk.Complaint) api.Complaint {
	v := api.Complaint{ID: c.ID, By: c.By, Subject: c.Subject, Document: c.Document, Filed: utc(c.Filed), Status: api.ComplaintStatus(c.Status)}
	if len(c.Updates) > 0 {
		v.Updates = views(c.Updates, func(u helpdesk.ComplaintUpdate) api.ComplaintUpdate {
			return api.ComplaintUpdate{By: u.By, Status: api.ComplaintStatus(u.Status), Document: u.Document, Time: utc(u.Time)}
		})
	}
	return v
}
