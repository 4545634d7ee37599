package api

import "time"

// A Role is the one role of an account (doc/spec/registry.md §1).
type Role string

// The roles.
const (
	RoleProvider         Role = "provider"
	RolePokja            Role = "pokja"
	RolePejabatPengadaan Role = "pejabat-pengadaan"
	RolePPK              Role = "ppk"
	RolePAKPA            Role = "pa-kpa"
	RoleAuditor          Role = "auditor"
	RoleVerifier         Role = "verifier"
	RoleAdmin            Role = "admin"
)

func (Role) about() string {
	return "The role of an account: provider (penyedia), pokja (procurement committee member), pejabat-pengadaan " +
		"(procurement official), ppk (commitment-making official), pa-kpa (budget user or proxy), auditor, " +
		"verifier (LPSE registration verifier), admin (LPSE administrator)."
}

func (Role) values() []string {
	return enum(RoleProvider, RolePokja, RolePejabatPengadaan, RolePPK, RolePAKPA, RoleAuditor, RoleVerifier, RoleAdmin)
}

// AccountStatus is where an account stands (doc/spec/registry.md §3).
type AccountStatus string

// The account statuses.
const (
	StatusPending     AccountStatus = "pending"
	StatusActive      AccountStatus = "active"
	StatusRejected    AccountStatus = "rejected"
	StatusDeactivated AccountStatus = "deactivated"
)

func (AccountStatus) about() string {
	return "Where an account stands: pending (registered, awaiting verification), active (approved, may log in and act), " +
		"rejected (registration rejected), deactivated (under a sanction in force)."
}

func (AccountStatus) values() []string {
	return enum(StatusPending, StatusActive, StatusRejected, StatusDeactivated)
}

// ProviderKind says whether a provider is a company or an individual.
type ProviderKind string

// The provider kinds.
const (
	Company    ProviderKind = "company"
	Individual ProviderKind = "individual"
)

func (ProviderKind) about() string { return "Whether a provider is a company or an individual." }

func (ProviderKind) values() []string { return enum(Company, Individual) }

// DocumentKind names a registration document (doc/spec/registry.md §4.6).
type DocumentKind string

// The registration documents.
const (
	DocKTP           DocumentKind = "ktp"
	DocAktaPendirian DocumentKind = "akta-pendirian"
	DocAktaPerubahan DocumentKind = "akta-perubahan"
	DocNPWP          DocumentKind = "npwp"
	DocIzinUsaha     DocumentKind = "izin-usaha"
	DocSuratTugas    DocumentKind = "surat-tugas"
)

func (DocumentKind) about() string {
	return "A registration document: ktp (identity card), akta-pendirian (deed of establishment), akta-perubahan " +
		"(latest amendment of the deed), npwp (taxpayer card), izin-usaha (business licence: NIB or SIUP), " +
		"surat-tugas (an official's assignment letter). Officials and staff give surat-tugas; a company " +
		"provider ktp, akta-pendirian, npwp and izin-usaha (akta-perubahan optional); an individual ktp and " +
		"npwp (izin-usaha optional)."
}

func (DocumentKind) values() []string {
	return enum(DocKTP, DocAktaPendirian, DocAktaPerubahan, DocNPWP, DocIzinUsaha, DocSuratTugas)
}

// Registration is an application for an account: the body of
// POST /v1/register and of POST /v1/bootstrap.
type Registration struct {
	Role      Role                    `json:"role"`
	Email     string                  `json:"email" format:"email" example:"direktur@cv-maju.co.id"`
	Password  string                  `json:"password" format:"password" doc:"At least 12 characters." example:"rahasia-yang-panjang-2026"`
	Name      string                  `json:"name" doc:"The company's or the person's name." example:"CV Maju Jaya"`
	NIK       string                  `json:"nik" pattern:"^[0-9]{16}$" doc:"The person's NIK; for a provider, the director's." example:"3171011203850001"`
	Provider  *Provider               `json:"provider,omitempty" doc:"Providers only."`
	Documents map[DocumentKind][]byte `json:"documents" doc:"The scans, by kind, in base64; which kinds a role needs is in DocumentKind."`
}

func (Registration) about() string {
	return "An application for an account. It is pending until a reviewer has verified every document and approved it."
}

// Provider is the business of a provider account.
type Provider struct {
	Kind    ProviderKind `json:"kind"`
	NPWP    string       `json:"npwp" doc:"The taxpayer number: 15 or 16 digits, dots and dashes allowed." example:"01.234.567.8-012.000"`
	Licence string       `json:"licence" doc:"The business licence: NIB or SIUP number." example:"9120001234567"`
}

func (Provider) about() string { return "What a provider registers besides the person." }

// Account is an account as registration answers it.
type Account struct {
	ID     string        `json:"id" example:"u-4k2m9q7x3h5p8r6t"`
	Role   Role          `json:"role"`
	Status AccountStatus `json:"status"`
}

func (Account) about() string { return "A registered account." }

// LoginRequest is the body of POST /v1/login.
type LoginRequest struct {
	Email    string `json:"email" format:"email" example:"direktur@cv-maju.co.id"`
	Password string `json:"password" format:"password" example:"rahasia-yang-panjang-2026"`
	TTLHours int    `json:"ttl_hours,omitempty" doc:"The token's lifetime in hours: 12 if absent, at most 2160 (90 days)." example:"12"`
}

func (LoginRequest) about() string { return "A login with email and password." }

// Session is a logged-in caller: its API token and who it is.
type Session struct {
	Token   string    `json:"token" doc:"Send it as Authorization: Bearer TOKEN. Shown once; the server keeps only its hash." example:"t-4k2m9q7x3h5p8r6t.c2VnZWwtZXhhbXBsZS10b2tlbi1ub3QtcmVhbC0wMDAw"`
	TokenID string    `json:"token_id" doc:"Names the token to revoke it." example:"t-4k2m9q7x3h5p8r6t"`
	Expires time.Time `json:"expires"`
	User    string    `json:"user" doc:"The user's id." example:"u-4k2m9q7x3h5p8r6t"`
	Role    Role      `json:"role"`
}

func (Session) about() string { return "An API token issued by a login." }

// User is an account as its owner and LPSE reviewers see it. It holds
// personal data (name, email, NIK, NPWP) that must never be logged.
type User struct {
	ID         string         `json:"id" example:"u-4k2m9q7x3h5p8r6t"`
	Role       Role           `json:"role"`
	Email      string         `json:"email" format:"email"`
	Name       string         `json:"name"`
	NIK        string         `json:"nik"`
	Provider   *Provider      `json:"provider,omitempty" doc:"Providers only."`
	Status     AccountStatus  `json:"status"`
	Registered time.Time      `json:"registered"`
	Documents  []DocumentInfo `json:"documents" doc:"Sorted by kind."`
	Decision   *Decision      `json:"decision,omitempty" doc:"The approval or rejection, once made."`
	Sanction   *Sanction      `json:"sanction,omitempty" doc:"The deactivation in force, if any."`
}

func (User) about() string { return "An account, as its owner and LPSE reviewers see it." }

// DocumentInfo is a registration document and its verification.
type DocumentInfo struct {
	Kind       DocumentKind `json:"kind"`
	Size       int64        `json:"size" doc:"In bytes."`
	VerifiedBy string       `json:"verified_by,omitempty" doc:"The reviewer who saw the original; absent until verified."`
	VerifiedAt time.Time    `json:"verified_at,omitzero" doc:"Absent until verified."`
}

func (DocumentInfo) about() string { return "A registration document and its verification." }

// Decision is the approval or rejection of a registration or a blacklist
// request.
type Decision struct {
	Approved bool      `json:"approved"`
	By       string    `json:"by" doc:"The verifier or admin who decided."`
	Reason   string    `json:"reason,omitempty" doc:"Rejections only."`
	At       time.Time `json:"at"`
}

func (Decision) about() string { return "An approval or a rejection." }

// Sanction is the deactivation of an account: for a violation, or a
// blacklisting on an official's request.
type Sanction struct {
	Blacklist bool      `json:"blacklist" doc:"A blacklisting (providers only), rather than a deactivation for a violation."`
	Reason    string    `json:"reason" doc:"Public: no personal data."`
	By        string    `json:"by" doc:"The verifier or admin who decided it."`
	At        time.Time `json:"at"`
	Until     time.Time `json:"until,omitzero" doc:"The end of the period; absent for indefinite."`
	Request   string    `json:"request,omitempty" doc:"The blacklist request approved, if any."`
}

func (Sanction) about() string { return "A deactivation in force." }

// Reason is a body that gives only a reason: a rejection, a
// reactivation, a cancellation.
type Reason struct {
	Reason string `json:"reason" doc:"Public: no personal data." example:"Dokumen NPWP tidak terbaca."`
}

func (Reason) about() string { return "A public reason." }

// Deactivation is the body of POST /v1/users/{user}/deactivate.
type Deactivation struct {
	Reason    string    `json:"reason" doc:"Public: no personal data." example:"Pemalsuan dokumen penawaran."`
	Until     time.Time `json:"until,omitzero" doc:"The end of the period; absent for indefinite."`
	Blacklist bool      `json:"blacklist,omitempty" doc:"Refused if true: a blacklisting is requested by an official (POST /v1/users/{user}/blacklist-requests) and decided by LPSE staff."`
}

func (Deactivation) about() string { return "A deactivation for a violation." }

// Blacklisting is the body of POST /v1/users/{user}/blacklist-requests.
type Blacklisting struct {
	Reason string    `json:"reason" doc:"Public: no personal data." example:"Wanprestasi kontrak 2025."`
	Until  time.Time `json:"until,omitzero" doc:"The end of the blacklisting asked for; absent for indefinite."`
}

func (Blacklisting) about() string { return "An official's request that a provider be blacklisted." }

// BlacklistRequest is an official's request that the LPSE blacklist a
// provider, and its decision once made.
type BlacklistRequest struct {
	ID       string    `json:"id" example:"b-4k2m9q7x3h5p8r6t"`
	User     string    `json:"user" doc:"The provider."`
	By       string    `json:"by" doc:"The requesting PA/KPA, PPK or pokja member."`
	Reason   string    `json:"reason" doc:"Public: no personal data."`
	Until    time.Time `json:"until,omitzero" doc:"The end of the blacklisting asked for; absent for indefinite."`
	At       time.Time `json:"at" doc:"When it was filed."`
	Decision *Decision `json:"decision,omitempty" doc:"Absent while pending."`
}

func (BlacklistRequest) about() string {
	return "A request that a provider be blacklisted: an official requests, LPSE staff decide, once."
}

// Committee is the body of POST /v1/committees/{tender}.
type Committee struct {
	Members []string `json:"members" doc:"The user ids of the pokja members." example:"[\"u-4k2m9q7x3h5p8r6t\",\"u-7d3f5g2h9j4k6m8n\",\"u-2b5c8d4f7g3h9j6k\"]"`
}

func (Committee) about() string { return "The procurement committee of a tender to be announced." }

// Official is an account a PA/KPA may assign to a procurement, as
// GET /v1/pokja lists it: no personal data but the name.
type Official struct {
	ID   string `json:"id" example:"u-4k2m9q7x3h5p8r6t"`
	Name string `json:"name" example:"Siti Rahayu"`
	Role Role   `json:"role" doc:"The procurement role it may be assigned as." example:"pokja"`
}

func (Official) about() string {
	return "An official who may be assigned now: an active account of the role, not LPSE staff nor any LPSE staff member's other account."
}

// CommitteeAssignment is a committee a PA/KPA assigned to a tender id, as
// GET /v1/committees lists it.
type CommitteeAssignment struct {
	Tender  string    `json:"tender" doc:"The tender id; the tender may not be announced yet." example:"T-2026-001"`
	Members []string  `json:"members" doc:"The user ids of the pokja members." example:"[\"u-4k2m9q7x3h5p8r6t\",\"u-7d3f5g2h9j4k6m8n\",\"u-2b5c8d4f7g3h9j6k\"]"`
	By      string    `json:"by" doc:"The PA/KPA who assigned it."`
	At      time.Time `json:"at" doc:"When it was assigned (the latest assignment replaces an earlier one)."`
}

func (CommitteeAssignment) about() string {
	return "A procurement committee assigned to a tender id, announced or not yet."
}

// Done is the answer of an action that returns nothing else.
type Done struct {
	Status string `json:"status" doc:"What was done." example:"approved"`
}

func (Done) about() string { return "An action done." }
