package api

import "time"

// PlanAnnouncement is the body of POST /v1/plans.
type PlanAnnouncement struct {
	ID     string `json:"id,omitempty" doc:"The RUP id; the server makes one up if absent." example:"RUP-2026-0042"`
	Title  string `json:"title" doc:"1 to 500 characters." example:"Pembangunan Gedung Puskesmas Kecamatan Umbulharjo"`
	Budget int64  `json:"budget" doc:"In rupiah, positive." example:"2500000000"`
	Text   string `json:"text" doc:"The plan itself; the server keeps its SHA-256." example:"Rencana umum pengadaan pekerjaan konstruksi tahun anggaran 2026."`
}

func (PlanAnnouncement) about() string { return "A procurement plan as a PA/KPA announces it." }

// Plan is a procurement plan (Rencana Umum Pengadaan, RUP), which
// tenders may name.
type Plan struct {
	ID        string    `json:"id" example:"RUP-2026-0042"`
	Title     string    `json:"title"`
	Budget    int64     `json:"budget" doc:"In rupiah."`
	Document  Digest    `json:"document" doc:"The plan's text: GET /v1/plans/{plan}/text."`
	By        string    `json:"by" doc:"The PA/KPA who announced it."`
	Announced time.Time `json:"announced"`
}

func (Plan) about() string { return "A procurement plan (RUP)." }
