package portal

import (
	"net/http"
	"slices"

	"github.com/segel-lpse/segel/api"
)

// The public notices (maintenance, outages, announcements) and the
// procurement plans (RUP).

// notice is a notice with its text.
type notice struct {
	api.Notice
	Text string
}

func (v *visit) notices() error {
	ns, err := v.api.Notices(v.ctx())
	if err != nil {
		return err
	}
	out := make([]notice, 0, len(ns))
	for _, n := range ns {
		if n.Withdrawn != nil {
			continue // no longer in force; the staff's page and the API keep it
		}
		text, err := v.api.NoticeText(v.ctx(), n.ID)
		if err != nil {
			return err
		}
		out = append(out, notice{Notice: n, Text: text})
	}
	v.render(http.StatusOK, "notices", view{Title: v.cat.T("notices.title"), Data: out})
	return nil
}

func (v *visit) plans() error {
	ps, err := v.api.Plans(v.ctx())
	if err != nil {
		return err
	}
	v.render(http.StatusOK, "plans", view{Title: v.cat.T("plans.title"), Data: ps})
	return nil
}

// planData is one plan's page: the plan, its text, the tenders carrying
// it out.
type planData struct {
	Plan    api.Plan
	Text    string
	Tenders []api.Tender
}

func (v *visit) plan() error {
	id := v.r.PathValue("plan")
	ps, err := v.api.Plans(v.ctx())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ps, func(p api.Plan) bool { return p.ID == id })
	if i < 0 {
		v.renderError(http.StatusNotFound, v.cat.T("plans.not-found", id), "")
		return nil
	}
	d := planData{Plan: ps[i]}
	if d.Text, err = v.api.PlanText(v.ctx(), id); err != nil {
		return err
	}
	ts, err := v.api.Tenders(v.ctx())
	if err != nil {
		return err
	}
	for _, t := range sortTenders(ts) {
		if t.Plan == id {
			d.Tenders = append(d.Tenders, t)
		}
	}
	v.render(http.StatusOK, "plan", view{Title: d.Plan.ID + " · " + d.Plan.Title, Data: d})
	return nil
}
