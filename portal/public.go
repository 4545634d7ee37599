package portal

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/segel-lpse/segel/api"
)

// The public's pages: no sign-in needed.

func (s *Site) publicPages() []page {
	return []page{
		{"GET", "/{$}", nil, (*visit).home},
		{"GET", "/tenders", nil, (*visit).tenders},
		{"GET", "/tenders/{tender}", nil, (*visit).tenderPage},
		{"GET", "/notices", nil, (*visit).notices},
		{"GET", "/plans", nil, (*visit).plans},
		{"GET", "/plans/{plan}", nil, (*visit).plan},
		{"GET", "/about", nil, (*visit).about},
	}
}

// homeData is the home page: the tenders open now and the latest notices.
type homeData struct {
	Open    []api.Tender
	Notices []api.Notice
}

const (
	homeTenders = 5
	homeNotices = 3
)

func (v *visit) home() error {
	ts, err := v.api.Tenders(v.ctx())
	if err != nil {
		return err
	}
	ns, err := v.api.Notices(v.ctx())
	if err != nil {
		return err
	}
	d := homeData{}
	for _, t := range sortTenders(ts) {
		if t.State == api.StateAnnounced && len(d.Open) < homeTenders {
			d.Open = append(d.Open, t)
		}
	}
	for _, n := range ns {
		if n.Withdrawn == nil && len(d.Notices) < homeNotices {
			d.Notices = append(d.Notices, n)
		}
	}
	v.render(http.StatusOK, "home", view{Title: v.cat.T("home.title"), Data: d})
	return nil
}

// sortTenders orders tenders for the public: those open for offers
// first, the nearest deadline first; then the others, the latest
// opening first.
func sortTenders(ts []api.Tender) []api.Tender {
	slices.SortStableFunc(ts, func(a, b api.Tender) int {
		ao, bo := a.State == api.StateAnnounced, b.State == api.StateAnnounced
		switch {
		case ao && !bo:
			return -1
		case bo && !ao:
			return 1
		case ao:
			return cmp.Or(a.Schedule.Deadline.Compare(b.Schedule.Deadline), strings.Compare(a.ID, b.ID))
		}
		return cmp.Or(b.Schedule.Opening.Compare(a.Schedule.Opening), strings.Compare(a.ID, b.ID))
	})
	return ts
}

// tendersData is the tender list: a search, a state, one page of results.
type tendersData struct {
	Query   string
	State   string
	States  []api.TenderState
	Tenders []api.Tender
	Total   int
	// Page is this page's number (from 1); Prev and Next are the query
	// strings of the pages around it, "" if none.
	Page       int
	Prev, Next string
}

// tendersPerPage bounds a page of the tender list.
const tendersPerPage = 50

func (v *visit) tenders() error {
	q := v.r.URL.Query()
	d := tendersData{Query: strings.TrimSpace(q.Get("q")), State: q.Get("state"),
		States: []api.TenderState{api.StateAnnounced, api.StateClosing, api.StateClosed, api.StateOpened,
			api.StateResult, api.StateAwarded, api.StateCancelled}}
	if !slices.Contains(d.States, api.TenderState(d.State)) {
		d.State = ""
	}
	all, err := v.api.Tenders(v.ctx())
	if err != nil {
		return err
	}
	words := strings.Fields(strings.ToLower(d.Query))
	var found []api.Tender
	for _, t := range sortTenders(all) {
		if d.State != "" && string(t.State) != d.State {
			continue
		}
		text := strings.ToLower(t.ID + " " + t.Title + " " + t.Plan)
		if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(text, w) }) {
			found = append(found, t)
		}
	}
	d.Total = len(found)
	d.Page, _ = strconv.Atoi(q.Get("page"))
	pages := max(1, (len(found)+tendersPerPage-1)/tendersPerPage)
	d.Page = min(max(d.Page, 1), pages)
	d.Tenders = found[(d.Page-1)*tendersPerPage : min(len(found), d.Page*tendersPerPage)]
	at := func(p int) string {
		q := v.r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Del("lang")
		return "?" + q.Encode()
	}
	if d.Page > 1 {
		d.Prev = at(d.Page - 1)
	}
	if d.Page < pages {
		d.Next = at(d.Page + 1)
	}
	v.render(http.StatusOK, "tenders", view{Title: v.cat.T("tenders.title"), Data: d})
	return nil
}
