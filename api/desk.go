package api

import "time"

// The LPSE's service desk: public notices its staff publish, and the
// complaints users file with them. Their texts are kept by the server and
// named here by their SHA-256.

// NoticeKind is the kind of a public notice.
type NoticeKind string

// The notice kinds.
const (
	NoticeMaintenance NoticeKind = "maintenance"
	NoticeOutage      NoticeKind = "outage"
	NoticeGeneral     NoticeKind = "general"
)

func (NoticeKind) about() string {
	return "maintenance: planned maintenance (art. 15.d); outage: an outage and its effect on deadlines (art. 18.4); general."
}

func (NoticeKind) values() []string { return enum(NoticeMaintenance, NoticeOutage, NoticeGeneral) }

// NoticeRequest is the body of POST /v1/notices.
type NoticeRequest struct {
	Kind  NoticeKind `json:"kind"`
	Title string     `json:"title" doc:"One line of at most 200 bytes." example:"Pemeliharaan server Sabtu 7 Maret 22.00–24.00 WIB"`
	Text  string     `json:"text" doc:"At most 64 KiB." example:"Layanan SPSE tidak tersedia selama pemeliharaan."`
}

func (NoticeRequest) about() string { return "A notice as LPSE staff publish it." }

// Notice is a public announcement by the LPSE.
type Notice struct {
	ID       string     `json:"id" example:"N-20260302-4k2m9q7x"`
	Kind     NoticeKind `json:"kind"`
	Title    string     `json:"title"`
	By       string     `json:"by" doc:"The staff member who published it."`
	Document Digest     `json:"document" doc:"The text: GET /v1/notices/{notice}/text."`
	Time     time.Time  `json:"time"`
	// Withdrawn is set once LPSE staff withdrew the notice; it stays
	// listed, with its text, for the record.
	Withdrawn *NoticeWithdrawal `json:"withdrawn,omitempty" doc:"Set once LPSE staff withdrew the notice (POST /v1/notices/{notice}/withdraw): it is no longer in force, and stays listed, with its text, for the record."`
}

func (Notice) about() string { return "A public notice of the LPSE." }

// NoticeWithdrawal is the withdrawal of a notice.
type NoticeWithdrawal struct {
	By     string    `json:"by" doc:"The staff member who withdrew it."`
	Reason string    `json:"reason" doc:"Public: no personal data." example:"Pemeliharaan dibatalkan."`
	Time   time.Time `json:"time"`
}

func (NoticeWithdrawal) about() string { return "The withdrawal of a notice, by LPSE staff." }

// ComplaintStatus is where a complaint stands. A complaint is filed open,
// taken in progress, then resolved or rejected.
type ComplaintStatus string

// The complaint statuses.
const (
	ComplaintOpen       ComplaintStatus = "open"
	ComplaintInProgress ComplaintStatus = "in-progress"
	ComplaintResolved   ComplaintStatus = "resolved"
	ComplaintRejected   ComplaintStatus = "rejected"
)

func (ComplaintStatus) about() string {
	return "Where a complaint stands: filed open, taken in-progress, then resolved or rejected."
}

func (ComplaintStatus) values() []string {
	return enum(ComplaintOpen, ComplaintInProgress, ComplaintResolved, ComplaintRejected)
}

// ComplaintRequest is the body of POST /v1/complaints.
type ComplaintRequest struct {
	Subject string `json:"subject" doc:"One line of at most 200 bytes." example:"Tidak dapat mengunggah penawaran"`
	Text    string `json:"text" doc:"At most 64 KiB." example:"Unggahan berhenti di 80% sejak pukul 09.00."`
}

func (ComplaintRequest) about() string { return "A complaint to the LPSE helpdesk." }

// ComplaintUpdateRequest is the body of POST /v1/complaints/{complaint}.
type ComplaintUpdateRequest struct {
	Status   ComplaintStatus `json:"status" doc:"The next status: in-progress from open, then resolved or rejected."`
	Response string          `json:"response" doc:"The staff's response, kept by its SHA-256." example:"Sedang kami periksa."`
}

func (ComplaintUpdateRequest) about() string { return "A step of a complaint, by LPSE staff." }

// Complaint is a complaint to the LPSE helpdesk.
type Complaint struct {
	ID       string            `json:"id" example:"C-20260302-4k2m9q7x"`
	By       string            `json:"by" doc:"The user who filed it."`
	Subject  string            `json:"subject"`
	Document Digest            `json:"document" doc:"The complaint's text: GET /v1/complaints/{complaint}/documents/{digest}."`
	Filed    time.Time         `json:"filed"`
	Status   ComplaintStatus   `json:"status"`
	Updates  []ComplaintUpdate `json:"updates,omitempty" doc:"Oldest first; absent until the first."`
}

func (Complaint) about() string { return "A complaint to the LPSE helpdesk (art. 5.m)." }

// ComplaintUpdate is one step of a complaint, by LPSE staff.
type ComplaintUpdate struct {
	By       string          `json:"by"`
	Status   ComplaintStatus `json:"status" doc:"The status it moved to."`
	Document Digest          `json:"document" doc:"The response: GET /v1/complaints/{complaint}/documents/{digest}."`
	Time     time.Time       `json:"time"`
}

func (ComplaintUpdate) about() string { return "A step of a complaint." }
