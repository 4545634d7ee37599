package api

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// wire is every type of the package that is on the wire, with a value of
// it; TestWireTypesListed keeps the list whole.
var wire = []any{
	Error{Code: CodeLate, Message: "too late"},
	Account{ID: "u-1", Role: RoleProvider, Status: StatusPending},
	Registration{Role: RoleProvider, Email: "a@b.c", Password: "x", Name: "n", NIK: "3171011203850001",
		Provider: &Provider{Kind: Company, NPWP: "1", Licence: "2"}, Documents: map[DocumentKind][]byte{DocKTP: []byte("scan")}},
	Provider{Kind: Individual},
	LoginRequest{Email: "a@b.c", Password: "p"},
	Session{Token: "t", TokenID: "t-1", Expires: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), User: "u", Role: RoleAdmin},
	User{ID: "u", Role: RoleProvider, Email: "a@b.c", Status: StatusActive, Registered: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Documents: []DocumentInfo{{Kind: DocKTP, Size: 3}}, Sanction: &Sanction{Reason: "r", By: "v", At: time.Now().UTC()}},
	DocumentInfo{Kind: DocNPWP, Size: 1, VerifiedBy: "v", VerifiedAt: time.Now().UTC()},
	Decision{Approved: true, By: "v", At: time.Now().UTC()},
	Sanction{Blacklist: true, Reason: "r", By: "v", At: time.Now().UTC(), Request: "b-1"},
	Reason{Reason: "r"},
	Deactivation{Reason: "r"},
	Blacklisting{Reason: "r", Until: time.Now().UTC()},
	BlacklistRequest{ID: "b-1", User: "u", By: "p", Reason: "r", At: time.Now().UTC(), Decision: &Decision{By: "v", Reason: "no", At: time.Now().UTC()}},
	Official{ID: "u-1", Name: "Siti", Role: RolePokja},
	CommitteeAssignment{Tender: "T-1", Members: []string{"u-1"}, By: "u-2", At: time.Unix(1, 0)},
	Committee{Members: []string{"u-1"}},
	Done{Status: "approved"},
	Schedule{Deadline: time.Now().UTC()},
	Announcement{ID: "T-1", Document: Digest{1}},
	Tender{ID: "T-1", Document: Digest{1}, Chain: strings.Repeat("d", 64), State: StateAnnounced, Committee: []string{}, CommitteeKeyID: "0123456789abcdef", ResultText: Digest{2}},
	Tender{ID: "T-2", Document: Digest{1}, Chain: strings.Repeat("d", 64), State: StateEvaluation, Committee: []string{"u-1"}, CommitteeKeyID: "0123456789abcdef",
		Method: MethodTwoFile, Part: 1, Threshold: 1, Members: []CommitteeMember{{Index: 1, User: "u-1", Recipient: "age1pq1x"}},
		CommitteeText: "segel-committee/v1\n", CommitteeDigest: Digest{9},
		Parts:      []FilePart{{File: 1, State: PartStateOpened, Round: 3, RoundTime: time.Now().UTC(), OpeningReport: Digest{3}}, {File: 2, State: PartStateClosed}},
		Evaluation: &Evaluation{Digest: Digest{4}, Passed: []string{"u-2"}, Failed: []string{}, Fixed: time.Now().UTC()},
		Proposals:  []EvaluationProposal{{Digest: Digest{4}, Proposer: "u-1", Approvals: []string{"u-1"}, Fixed: true}}},
	KeyChallengeRequest{Recipient: "age1pq1acd"},
	KeyChallenge{Recipient: "age1pq1abc", Challenge: "-----BEGIN AGE ENCRYPTED FILE-----\n", Expires: time.Now().UTC()},
	KeyAnswer{Answer: strings.Repeat("0a", 16)},
	CommitteeKey{User: "u-1", Recipient: "age1pq1abc", KeyID: "0123456789abcdef", Registered: time.Now().UTC()},
	CommitteeMember{Index: 1, User: "u-1", Recipient: "age1pq1abc"},
	FilePart{File: 2, State: PartStateScheduled},
	Evaluation{Digest: Digest{1}, Passed: []string{}, Failed: []string{"u-3"}, Fixed: time.Now().UTC()},
	EvaluationProposal{Digest: Digest{1}, Proposer: "u-1", Approvals: []string{"u-1", "u-2"}},
	BidderResult{Bidder: "u-3", Reasons: "r"},
	EvaluationRequest{Results: []BidderResult{{Bidder: "u-3", Passed: true, Reasons: "r"}}},
	StageTwoRequest{Deadline: time.Now().UTC(), Opening: time.Now().UTC()},
	LogEntry{Index: 1, Data: "type: x\n", Inclusion: []Digest{{1}}},
	SealedHeader{Bidder: "u-3", File: 1, Index: 4, SHA256: Digest{1}, Size: 9, Header: "age-encryption.org/v1\n"},
	Evidence{Tender: "T-1", File: 1, Checkpoint: "c", Entries: []LogEntry{{Index: 1, Data: "d", Inclusion: []Digest{}}}, Seen: 1, Consistency: []Digest{{2}},
		Headers: []SealedHeader{}},
	TenderLog{Tender: "T-1", Checkpoint: "c", Entries: []LogEntry{{Index: 1, Data: "d", Inclusion: []Digest{}}}},
	ContributionBatch{Member: 1, Contributed: 1, Refused: 1, Refusals: []BatchRefusal{{Index: 4, Reason: "r"}}, List: Digest{1}, Index: 7},
	BatchRefusal{Index: 4, Reason: "r"},
	CompleteRequest{AcceptFailures: true},
	PartOpening{File: 2, Opened: 1, Withheld: 1, Offers: []OpenedOffer{{Bidder: "u-3", SHA256: Digest{1}, Outcome: OutcomeWithheld}}, Report: "r"},
	OpenedOffer{Bidder: "u-3", Index: 4, SHA256: Digest{1}, Size: 9, Outcome: OutcomeOpened, Digest: Digest{2}, Contributors: []int{1, 2, 3}},
	Amendment{Deadline: time.Now().UTC()},
	StoredDocument{SHA256: Digest{3}, Size: 1},
	ResultRequest{Winner: "u", Text: "t"},
	Text{Text: "t"},
	OpenRequest{Identity: "AGE-SECRET-KEY-PQ-1", Witnesses: []string{"u-1"}},
	Opening{Opened: 1, Report: "r", Duration: 0.5},
	Receipt{Receipt: "r\n", SHA256: Digest{4}, Received: time.Now().UTC()},
	CommitRequest{SHA256: Digest{5}, Size: 9},
	Commitment{SHA256: Digest{5}, Time: time.Now().UTC(), DeliverBefore: time.Now().UTC()},
	UploadRequest{Size: 9},
	Upload{ID: "up-1", Started: time.Now().UTC()},
	Message{Kind: Question, Document: Digest{6}, Answer: &Answer{Document: Digest{7}}},
	Answer{By: "p"},
	PlanAnnouncement{Title: "t", Budget: 1},
	Plan{ID: "RUP-1", Document: Digest{8}},
	NoticeRequest{Kind: NoticeOutage},
	Notice{ID: "N-1", Kind: NoticeGeneral, Withdrawn: &NoticeWithdrawal{By: "u-1", Reason: "r"}},
	NoticeWithdrawal{By: "u-1", Reason: "r"},
	ComplaintRequest{Subject: "s"},
	ComplaintUpdateRequest{Status: ComplaintInProgress},
	Complaint{ID: "C-1", Status: ComplaintOpen, Updates: []ComplaintUpdate{{Status: ComplaintInProgress}}},
	ComplaintUpdate{Status: ComplaintResolved},
	PortalBuilds{Checkpoint: "c", Builds: []PortalBuild{{Index: 1, Entry: "e", Proof: []string{"p"}}}},
	PortalBuild{Index: 1, Entry: "e", Proof: []string{}},
	Health{Status: "ok"},
	Ready{Status: "ready", LogSize: 3},
	ChainInfo{PublicKey: "ab", Hash: strings.Repeat("a", 64), GroupHash: strings.Repeat("b", 64), Metadata: ChainMetadata{BeaconID: "q"}},
	ChainMetadata{BeaconID: "default"},
	Beacon{Round: 1, Randomness: strings.Repeat("c", 64), Signature: "ab"},
	DrandError{Error: "e"},
}

// drand's types keep drand's names.
var drandTypes = []reflect.Type{reflect.TypeFor[ChainInfo](), reflect.TypeFor[ChainMetadata]()}

// TestWireTypesListed checks that wire lists every exported struct type
// of the package, so that the tests below cover them all.
func TestWireTypesListed(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, v := range wire {
		listed[reflect.TypeOf(v).Name()] = true
	}
	for _, f := range pkgs["api"].Files {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !ts.Name.IsExported() {
				return true
			}
			if _, isStruct := ts.Type.(*ast.StructType); isStruct && ts.Name.Name != "Schemas" && !listed[ts.Name.Name] {
				t.Errorf("type %s is not in the test's wire list", ts.Name.Name)
			}
			return true
		})
	}
}

var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestSchemas makes the schema of every wire type and checks the
// convention: snake_case names, a description for every type, enums with
// values, required exactly the fields without omitempty or omitzero.
func TestSchemas(t *testing.T) {
	s := NewSchemas()
	for _, v := range wire {
		typ := reflect.TypeOf(v)
		ref, err := s.Of(typ)
		if err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		if ref["$ref"] != "#/components/schemas/"+typ.Name() {
			t.Errorf("%v: schema %v, want a reference to its named schema", typ, ref)
		}
	}
	for name, def := range s.Components() {
		d := def.(map[string]any)
		if d["description"] == "" || d["description"] == nil {
			t.Errorf("%s: no description", name)
		}
		if e, ok := d["enum"].([]string); ok && (len(e) == 0 || len(slices.Compact(slices.Sorted(slices.Values(e)))) != len(e)) {
			t.Errorf("%s: enum %q is empty or has duplicates", name, e)
		}
		props, _ := d["properties"].(map[string]any)
		for p := range props {
			if !snake.MatchString(p) && !slices.ContainsFunc(drandTypes, func(t reflect.Type) bool { return t.Name() == name }) {
				t.Errorf("%s.%s: not snake_case", name, p)
			}
		}
		if d["type"] == "object" && d["additionalProperties"] != false {
			t.Errorf("%s: not closed (additionalProperties: false)", name)
		}
	}
	if got := s.Components()["Tender"].(map[string]any)["required"].([]string); slices.Contains(got, "winner") || !slices.Contains(got, "round") {
		t.Errorf("Tender: required %q, want round and not winner", got)
	}
}

// compile compiles the named schema of v's type.
func compile(t *testing.T, v any) *jsonschema.Schema {
	t.Helper()
	s := NewSchemas()
	if _, err := s.Of(reflect.TypeOf(v)); err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(map[string]any{"components": map[string]any{"schemas": s.Components()}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("mem:///doc.json", d); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem:///doc.json#/components/schemas/" + reflect.TypeOf(v).Name())
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func instance(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestSchemasValidate checks that what encoding/json makes of every wire
// value is valid under its schema, and that the schema refuses the value
// with a field more, with a required field fewer, and with a value outside
// an enum.
func TestSchemasValidate(t *testing.T) {
	for _, v := range wire {
		name := reflect.TypeOf(v).Name()
		sch := compile(t, v)
		inst := instance(t, v)
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: %s is invalid: %v", name, mustJSON(v), err)
			continue
		}
		obj := inst.(map[string]any)
		obj["surplus_field"] = 1
		if sch.Validate(obj) == nil {
			t.Errorf("%s: valid with an undocumented field", name)
		}
		delete(obj, "surplus_field")
		for k := range obj {
			f, ok := fieldByJSON(reflect.TypeOf(v), k)
			if !ok {
				t.Fatalf("%s: no field for %q", name, k)
			}
			if optional(f) {
				continue
			}
			val := obj[k]
			delete(obj, k)
			if sch.Validate(obj) == nil {
				t.Errorf("%s: valid without required %q", name, k)
			}
			obj[k] = val
		}
	}
	sch := compile(t, Tender{})
	inst := instance(t, Tender{Committee: []string{}, Chain: strings.Repeat("d", 64)}).(map[string]any)
	for _, bad := range []struct{ field, value string }{{"state", "opening"}, {"document", strings.Repeat("A", 64)}, {"round_time", "2026-03-01 10:00:00"}} {
		obj := map[string]any{}
		for k, v := range inst {
			obj[k] = v
		}
		obj[bad.field] = bad.value
		if sch.Validate(obj) == nil {
			t.Errorf("Tender with %s %q: valid", bad.field, bad.value)
		}
	}
}

func fieldByJSON(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func optional(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
	return strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSchemaErrors checks that the generator refuses what the wire
// must not have.
func TestSchemaErrors(t *testing.T) {
	type noName struct{ A string }
	type nullable struct {
		P *Provider `json:"p"`
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[noName](),              // no about, no JSON name
		reflect.TypeFor[map[int]string](),      // keys not strings
		reflect.TypeFor[chan int](),            // not JSON
		reflect.TypeFor[[]func()](),            // not JSON
		reflect.TypeFor[struct{ Any any }](),   // anonymous
		reflect.TypeFor[nullable](),            // no about
		reflect.TypeFor[map[string]nullable](), // no about
	} {
		if _, err := NewSchemas().Of(typ); err == nil {
			t.Errorf("%v: no error", typ)
		}
	}
}

// TestTenderIDPattern keeps the pattern of Announcement.id the same as
// TenderIDPattern.
func TestTenderIDPattern(t *testing.T) {
	f, _ := reflect.TypeFor[Announcement]().FieldByName("ID")
	if got := f.Tag.Get("pattern"); got != TenderIDPattern {
		t.Errorf("Announcement.ID pattern %q, want TenderIDPattern %q", got, TenderIDPattern)
	}
}

// TestCodes checks that every code is listed once with a status of 400
// or more.
func TestCodes(t *testing.T) {
	seen := map[Code]bool{}
	for _, e := range codes {
		if seen[e.code] || e.status < 400 || e.doc == "" || e.code.Status() != e.status {
			t.Errorf("code %q: listed twice, or status %d, or no meaning", e.code, e.status)
		}
		seen[e.code] = true
	}
	if got := Code("no-such-code").Status(); got != 500 {
		t.Errorf("unknown code: status %d, want 500", got)
	}
	if CodeLate.Status() != 409 || CodeTooEarly.Status() != 425 || CodeWrongSeal.Status() != 422 {
		t.Errorf("late %d, too-early %d, wrong-seal %d; want 409, 425, 422", CodeLate.Status(), CodeTooEarly.Status(), CodeWrongSeal.Status())
	}
}
