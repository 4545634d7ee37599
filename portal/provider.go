package portal

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/segel-lpse/segel/api"
)

// The provider's (penyedia's) pages: registration with its documents and
// the account's status, taking part in a tender, questions, objections,
// the offer sealed in the browser, and its receipt.

var providers = []api.Role{api.RoleProvider}

func (s *Site) providerPages() []page {
	return []page{
		{"GET", "/register", nil, (*visit).registerPage},
		{"POST", "/register", nil, (*visit).register},
		{"GET", "/account", signedIn, (*visit).account},
		{"GET", "/account/documents/{kind}", signedIn, (*visit).accountDocument},
		{"POST", "/tenders/{tender}/participate", providers, (*visit).participate},
		{"POST", "/tenders/{tender}/questions", providers, ask(api.Question)},
		{"POST", "/tenders/{tender}/objections", providers, ask(api.Objection)},
		{"GET", "/tenders/{tender}/offer", providers, (*visit).offerPage},
		{"GET", "/tenders/{tender}/receipt", providers, (*visit).receiptPage},
	}
}

// registerData is the registration form: what the visitor typed, kept
// when the API refuses it (never the password, and the browser cannot be
// given the files back).
type registerData struct {
	Kind, Name, Email, NIK, NPWP, Licence string
	Documents                             []api.DocumentKind
	// Account is the registered account, once done.
	Account *api.Account
}

// providerDocuments are the documents a provider may give, in the form's
// order; which are required depends on its kind (the API says).
var providerDocuments = []api.DocumentKind{api.DocKTP, api.DocAktaPendirian, api.DocAktaPerubahan, api.DocNPWP, api.DocIzinUsaha}

func (v *visit) registerPage() error {
	if v.user != nil {
		v.redirect("/account")
		return nil
	}
	v.showRegister(http.StatusOK, registerData{Kind: string(api.Company)}, nil)
	return nil
}

func (v *visit) showRegister(status int, d registerData, se *shownError) {
	d.Documents = providerDocuments
	v.render(status, "register", view{Title: v.cat.T("register.title"), Data: d, Error: se})
}

// register sends the registration form to POST /v1/register, with the
// scans read from the form (the API's base64 is encoding/json's).
func (v *visit) register() error {
	f := v.r.PostFormValue
	d := registerData{Kind: f("kind"), Name: strings.TrimSpace(f("name")), Email: strings.TrimSpace(f("email")),
		NIK: strings.TrimSpace(f("nik")), NPWP: strings.TrimSpace(f("npwp")), Licence: strings.TrimSpace(f("licence"))}
	if f("password") != f("password2") {
		v.showRegister(http.StatusBadRequest, d, &shownError{Text: v.cat.T("register.password-mismatch")})
		return nil
	}
	reg := api.Registration{Role: api.RoleProvider, Email: d.Email, Password: f("password"), Name: d.Name, NIK: d.NIK,
		Provider:  &api.Provider{Kind: api.ProviderKind(d.Kind), NPWP: d.NPWP, Licence: d.Licence},
		Documents: map[api.DocumentKind][]byte{}}
	for _, kind := range providerDocuments {
		b, err := v.formFile(string(kind))
		if err != nil {
			var fe *formError
			if errors.As(err, &fe) {
				v.showRegister(http.StatusBadRequest, d, &shownError{Text: fe.text})
				return nil
			}
			return err
		}
		if b != nil {
			reg.Documents[kind] = b
		}
	}
	a, err := v.api.Register(v.ctx(), reg)
	if se := v.shown(err); se != nil {
		v.showRegister(v.status(err), d, se)
		return nil
	} else if err != nil {
		return err
	}
	d.Account = a
	v.render(http.StatusCreated, "registered", view{Title: v.cat.T("registered.title"), Data: d})
	return nil
}

// formFile reads the file of a form's field, or nil if none was chosen.
func (v *visit) formFile(field string) ([]byte, error) {
	if v.r.MultipartForm == nil {
		return nil, &formError{text: v.cat.T("register.not-multipart")}
	}
	fhs := v.r.MultipartForm.File[field]
	if len(fhs) == 0 || fhs[0].Filename == "" && fhs[0].Size == 0 {
		return nil, nil
	}
	if len(fhs) > 1 {
		return nil, &formError{text: v.cat.T("register.one-file", v.cat.T("document.kind."+field))}
	}
	return readPart(fhs[0])
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// accountData is the account page: the account as the API shows it to
// its owner.
type accountData struct {
	User *api.User
}

func (v *visit) account() error {
	v.render(http.StatusOK, "account", view{Title: v.cat.T("account.title"), Data: accountData{User: v.user}})
	return nil
}

// accountDocument sends the visitor one of its own registration
// documents, from the API.
func (v *visit) accountDocument() error {
	kind := api.DocumentKind(v.r.PathValue("kind"))
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := v.api.UserDocument(v.ctx(), "me", kind, pw, 64<<20)
		pw.CloseWithError(err)
		done <- err
	}()
	// The first byte, or the API's refusal, decides the answer.
	var first [1]byte
	n, err := io.ReadFull(pr, first[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		pr.Close()
		<-done
		return err
	}
	h := v.w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+string(kind)+`"`)
	h.Set("Cache-Control", "no-store")
	v.w.Write(first[:n])
	io.Copy(v.w, pr)
	return nil
}
