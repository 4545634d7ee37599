package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// DocumentKind names a registration document (doc/spec/registry.md §4.6).
type DocumentKind string

// Kinds of registration document.
const (
	DocKTP           DocumentKind = "ktp"            // identity card of the director or individual
	DocAktaPendirian DocumentKind = "akta-pendirian" // deed of establishment
	DocAktaPerubahan DocumentKind = "akta-perubahan" // latest amendment of the deed
	DocNPWP          DocumentKind = "npwp"           // taxpayer registration card
	DocIzinUsaha     DocumentKind = "izin-usaha"     // business licence: NIB or SIUP
	DocSuratTugas    DocumentKind = "surat-tugas"    // assignment letter or SK of an official
)

// Document is one registration document: a scan, read once by Register.
type Document struct {
	Kind DocumentKind
	Body io.Reader
}

// Application is what a user submits to register.
type Application struct {
	Role     Role
	Email    string
	Password string
	Name     string    // the company's or the person's name
	NIK      string    // the person's NIK; for a provider, the director's
	Provider *Provider // required for RoleProvider, nil otherwise
	// Documents are the scans; which kinds are required depends on the role
	// (doc/spec/registry.md §4.6).
	Documents []Document
}

// documentRule returns which kinds an application needs and which it may add.
func documentRule(role Role, kind ProviderKind) (required, optional []DocumentKind) {
	switch {
	case role != RoleProvider:
		return []DocumentKind{DocSuratTugas}, nil
	case kind == Company:
		return []DocumentKind{DocKTP, DocAktaPendirian, DocNPWP, DocIzinUsaha}, []DocumentKind{DocAktaPerubahan}
	default:
		return []DocumentKind{DocKTP, DocNPWP}, []DocumentKind{DocIzinUsaha}
	}
}

// applicant names who applies, with its article: "a company provider",
// "an admin", "an individual provider".
func applicant(role Role, kind ProviderKind) string {
	who := string(role)
	if role == RoleProvider && kind != "" {
		who = string(kind) + " " + who
	}
	if strings.ContainsRune("aeiou", rune(who[0])) {
		return "an " + who
	}
	return "a " + who
}

// scan is a document read into memory, checked, not yet stored.
type scan struct {
	kind DocumentKind
	body []byte
}

// check validates an application without I/O other than reading the
// documents, and returns the normalised account and the scans.
func (r *Registry) check(app Application) (*record, []scan, error) {
	role, err := ParseRole(string(app.Role))
	if err != nil {
		return nil, nil, err
	}
	email, err := NormalizeEmail(app.Email)
	if err != nil {
		return nil, nil, err
	}
	if err := checkPassword(app.Password); err != nil {
		return nil, nil, err
	}
	name := strings.TrimSpace(app.Name)
	if err := checkName(name); err != nil {
		return nil, nil, err
	}
	if err := CheckNIK(app.NIK); err != nil {
		return nil, nil, err
	}
	rec := &record{User: User{Role: role, Email: email, Name: name, NIK: app.NIK, Status: StatusPending}}
	var pkind ProviderKind
	switch {
	case role == RoleProvider && app.Provider == nil:
		return nil, nil, invalid("provider", "missing; a provider must give its kind, NPWP and licence")
	case role != RoleProvider && app.Provider != nil:
		return nil, nil, invalid("provider", fmt.Sprintf("only a provider gives provider details, not a %s", role))
	case role == RoleProvider:
		p := *app.Provider
		if p.Kind != Company && p.Kind != Individual {
			return nil, nil, invalid("provider kind", fmt.Sprintf("unknown kind %.40q; use company or individual", p.Kind))
		}
		if p.NPWP, err = NormalizeNPWP(p.NPWP); err != nil {
			return nil, nil, err
		}
		if p.Licence != "" || p.Kind == Company {
			if err := checkLicence(p.Licence); err != nil {
				return nil, nil, err
			}
		}
		pkind = p.Kind
		rec.Provider = &p
	}
	scans, err := r.readDocuments(role, pkind, app.Documents)
	if err != nil {
		return nil, nil, err
	}
	return rec, scans, nil
}

// readDocuments reads and checks every document before any is stored.
func (r *Registry) readDocuments(role Role, kind ProviderKind, docs []Document) ([]scan, error) {
	required, optional := documentRule(role, kind)
	var scans []scan
	for _, d := range docs {
		if !slices.Contains(required, d.Kind) && !slices.Contains(optional, d.Kind) {
			return nil, invalid(fmt.Sprintf("document %.40q", d.Kind), fmt.Sprintf("not expected for %s; give %v, optionally %v",
				applicant(role, kind), required, optional))
		}
		if slices.ContainsFunc(scans, func(s scan) bool { return s.kind == d.Kind }) {
			return nil, invalid("document "+string(d.Kind), "it is given twice; give each kind once")
		}
		if d.Body == nil {
			return nil, invalid("document "+string(d.Kind), "it is empty; attach the scan")
		}
		body, err := io.ReadAll(io.LimitReader(d.Body, r.maxDoc+1))
		switch {
		case err != nil:
			return nil, fmt.Errorf("registry: document %s: reading: %w", d.Kind, err)
		case len(body) == 0:
			return nil, invalid("document "+string(d.Kind), "it is empty; attach the scan")
		case int64(len(body)) > r.maxDoc:
			return nil, &FieldError{Field: "document " + string(d.Kind), Err: ErrDocumentTooLarge,
				Reason: fmt.Sprintf("more than %d bytes; scan at a lower resolution", r.maxDoc)}
		}
		scans = append(scans, scan{d.Kind, body})
	}
	for _, k := range required {
		if !slices.ContainsFunc(scans, func(s scan) bool { return s.kind == k }) {
			return nil, invalid("document "+string(k), fmt.Sprintf("missing; %s must attach %v", applicant(role, kind), required))
		}
	}
	slices.SortFunc(scans, func(a, b scan) int { return strings.Compare(string(a.kind), string(b.kind)) })
	return scans, nil
}

// checkName accepts 1 to 200 bytes of printable UTF-8 without surrounding
// white space.
func checkName(s string) error {
	ok := s != "" && len(s) <= 200 && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, unicode.IsControl)
	if !ok {
		return invalid("name", "give 1 to 200 characters on one line")
	}
	return nil
}

// documentAD is the associated data binding a stored document to its account
// and kind (doc/spec/registry.md §4.6).
func documentAD(user string, kind DocumentKind) []byte {
	return []byte("segel-registry/v1 " + user + " " + string(kind))
}

// Register stores a new pending account with its documents and logs
// user-registered. Every field and document is checked first; a refusal
// stores nothing. The account becomes active only when a reviewer has
// verified every document and approved it.
func (r *Registry) Register(ctx context.Context, app Application) (User, error) {
	return r.register(ctx, app, false)
}

// Bootstrap registers the first LPSE admin, active at once: an empty
// registry has nobody who could approve it. It is refused with ErrInvalid
// (field "role") for any other role, and with ErrWrongState once any account
// exists. It logs user-registered and user-approved by the admin itself.
func (r *Registry) Bootstrap(ctx context.Context, app Application) (User, error) {
	if app.Role != RoleAdmin {
		return User{}, invalid("role", fmt.Sprintf("the first account (bootstrap) must be an admin, not a %.64q", app.Role))
	}
	return r.register(ctx, app, true)
}

func (r *Registry) register(ctx context.Context, app Application, bootstrap bool) (User, error) {
	rec, scans, err := r.check(app)
	if err != nil {
		return User{}, err
	}
	// Refuse duplicates before storing any document; the Inserts below
	// settle races.
	err = r.records.View(ctx, func(tx vault.Tx) error {
		if bootstrap {
			return checkEmpty(tx)
		}
		return checkUnique(tx, rec)
	})
	if err != nil {
		return User{}, err
	}
	rec.ID = newID("u-")
	rec.PasswordHash = hashPassword(app.Password, r.password)
	for _, s := range scans {
		info, err := r.docs.Put(ctx, bytes.NewReader(s.body), r.maxDoc, documentAD(rec.ID, s.kind))
		if errors.Is(err, vault.ErrTooLarge) {
			return User{}, &FieldError{Field: "document " + string(s.kind), Err: ErrDocumentTooLarge,
				Reason: fmt.Sprintf("more than %d bytes; scan at a lower resolution", r.maxDoc)}
		}
		if err != nil {
			return User{}, fmt.Errorf("registry: storing document %s: %w", s.kind, err)
		}
		rec.Documents = append(rec.Documents, DocumentInfo{Kind: s.kind, Digest: info.Digest, Size: int64(len(s.body))})
	}
	var u User
	err = r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		rec := *rec
		rec.Registered = now
		if bootstrap {
			if err := checkEmpty(tx); err != nil {
				return nil, err
			}
			rec.Status = StatusActive
			rec.Decision = &Decision{Approved: true, By: rec.ID, At: now}
		}
		if err := insertUser(tx, &rec); err != nil {
			return nil, err
		}
		u = rec.view(now)
		reg, err := entry("user-registered", "user", rec.ID, "role", string(rec.Role),
			"documents", hex.EncodeToString(bundleDigest(rec.Documents)), "time", canon.FormatTime(now))
		if err != nil || !bootstrap {
			return [][]byte{reg}, err
		}
		appr, err := entry("user-approved", "user", rec.ID, "by", rec.ID, "time", canon.FormatTime(now))
		return [][]byte{reg, appr}, err
	})
	return u, err
}

// checkEmpty refuses a bootstrap once any account exists.
func checkEmpty(tx vault.Tx) error {
	errFound := errors.New("found")
	err := tx.Scan(tableUsers, "", func(string, []byte) error { return errFound })
	if errors.Is(err, errFound) {
		return fmt.Errorf("%w: bootstrap: the registry already has accounts; register and ask an admin to approve", ErrWrongState)
	}
	return err
}

// checkUnique refuses an email or NPWP that is already registered.
func checkUnique(tx vault.Tx, rec *record) error {
	if taken, err := taken(tx, tableEmails, rec.Email); err != nil || taken {
		return cmpErr(err, errDuplicateEmail())
	}
	if rec.Provider != nil {
		if taken, err := taken(tx, tableNPWP, rec.Provider.NPWP); err != nil || taken {
			return cmpErr(err, errDuplicateNPWP())
		}
	}
	return nil
}

// cmpErr returns err if not nil, else dup.
func cmpErr(err, dup error) error {
	if err != nil {
		return err
	}
	return dup
}

// taken reports whether key of a uniqueness table belongs to an account that
// is not rejected. A rejected account keeps its email and NPWP (its owner
// still learns at login that it was rejected) until a new registration
// claims them.
func taken(tx vault.Tx, table, key string) (bool, error) {
	owner, err := tx.Get(table, key)
	if errors.Is(err, vault.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rec, err := load(tx, string(owner))
	if err != nil {
		return false, err
	}
	return rec.Status != StatusRejected, nil
}

// claim makes key of a uniqueness table point at id with Insert, or, when
// the key belongs to a rejected account, with Put. It reports false if the
// key is taken.
func claim(tx vault.Tx, table, key, id string) (bool, error) {
	err := tx.Insert(table, key, []byte(id))
	if !errors.Is(err, vault.ErrExists) {
		return err == nil, err
	}
	if taken, err := taken(tx, table, key); err != nil || taken {
		return false, err
	}
	return true, tx.Put(table, key, []byte(id))
}

func errDuplicateEmail() error {
	return fmt.Errorf("%w; log in to that account, or register with another email", ErrDuplicateEmail)
}

func errDuplicateNPWP() error {
	return fmt.Errorf("%w; a provider registers once — ask the LPSE if the account is not yours", ErrDuplicateNPWP)
}

// insertUser writes a new account and its uniqueness and NIK indexes.
func insertUser(tx vault.Tx, rec *record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := tx.Insert(tableUsers, rec.ID, b); err != nil {
		return fmt.Errorf("registry: new user id: %w", err)
	}
	if ok, err := claim(tx, tableEmails, rec.Email, rec.ID); err != nil || !ok {
		return cmpErr(err, errDuplicateEmail())
	}
	if rec.Provider != nil {
		if ok, err := claim(tx, tableNPWP, rec.Provider.NPWP, rec.ID); err != nil || !ok {
			return cmpErr(err, errDuplicateNPWP())
		}
	}
	return tx.Put(tableNIK, rec.NIK+"/"+rec.ID, []byte(rec.Role))
}

// bundleDigest is the SHA-256 of the document manifest
// (doc/spec/registry.md §4.6); docs are sorted by kind.
func bundleDigest(docs []DocumentInfo) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "segel-registry-documents/v1\n")
	for _, d := range docs {
		fmt.Fprintf(h, "%s %x %d\n", d.Kind, d.Digest, d.Size)
	}
	return h.Sum(nil)
}

// OpenDocument returns the plaintext of a registration document, for its
// owner and for the account's reviewer (a verifier, or an admin for LPSE
// staff accounts).
func (r *Registry) OpenDocument(ctx context.Context, by, userID string, kind DocumentKind) (io.ReadCloser, error) {
	var digest [32]byte
	err := r.records.View(ctx, func(tx vault.Tx) error {
		now := r.clock()
		rec, err := load(tx, userID)
		if err != nil {
			return err
		}
		if by != userID {
			if _, err := r.actor(tx, by, now, "open document", rec.Role.reviewer()); err != nil {
				return err
			}
		}
		i := slices.IndexFunc(rec.Documents, func(d DocumentInfo) bool { return d.Kind == kind })
		if i < 0 {
			return fmt.Errorf("registry: document %.40q of %s: %w", kind, userID, vault.ErrNotFound)
		}
		digest = rec.Documents[i].Digest
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r.docs.Open(ctx, digest, documentAD(userID, kind))
}
