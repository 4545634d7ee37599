package main

import (
	"fmt"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// writePlots draws the run's figures into dir as SVG and PNG and returns
// the file names written.
func writePlots(dir string, r *Report) ([]string, error) {
	var files []string
	save := func(p *plot.Plot, name string) error {
		for _, ext := range []string{".svg", ".png"} {
			if err := p.Save(16*vg.Centimeter, 9*vg.Centimeter, filepath.Join(dir, name+ext)); err != nil {
				return fmt.Errorf("plot %s: %w", name, err)
			}
			files = append(files, name+ext)
		}
		return nil
	}
	if r.Opening != nil && len(r.Opening.Spans) > 0 {
		if err := save(openingPlot(r.Opening), "opening_timeline"); err != nil {
			return files, err
		}
	}
	if len(r.Rush) > 0 {
		tp, lp, err := rushPlots(r.Rush)
		if err != nil {
			return files, err
		}
		if err := save(tp, "rush_throughput"); err != nil {
			return files, err
		}
		if err := save(lp, "rush_latency"); err != nil {
			return files, err
		}
	}
	return files, nil
}

// openingPlot shows the opening over time: offers finished (cumulative,
// as a percentage) and offers being decrypted at each moment.
func openingPlot(o *OpeningResult) *plot.Plot {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Opening: %d tenders × %d offers at once", o.Tenders, o.Offers/o.Tenders)
	p.X.Label.Text = "seconds since the round"
	p.Y.Label.Text = "offers"
	type ev struct {
		t float64
		d int
	}
	var evs []ev
	ends := make([]float64, 0, len(o.Spans))
	for _, s := range o.Spans {
		evs = append(evs, ev{s.Start, 1}, ev{s.End, -1})
		ends = append(ends, s.End)
	}
	slices.SortFunc(evs, func(a, b ev) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
	slices.Sort(ends)
	inflight := plotter.XYs{{X: 0, Y: 0}}
	n := 0
	for _, e := range evs {
		inflight = append(inflight, plotter.XY{X: e.t, Y: float64(n)})
		n += e.d
		inflight = append(inflight, plotter.XY{X: e.t, Y: float64(n)})
	}
	done := plotter.XYs{{X: 0, Y: 0}}
	for i, t := range ends {
		done = append(done, plotter.XY{X: t, Y: float64(i + 1)})
	}
	plotutil.AddLines(p, "opened (cumulative)", done, "being opened", inflight)
	p.Legend.Top, p.Legend.Left = true, true
	return p
}

// rushPlots shows each server's accepted offers per second and latency
// percentiles over the rush, against the arrivals.
func rushPlots(rs []*RushResult) (*plot.Plot, *plot.Plot, error) {
	tp, lp := plot.New(), plot.New()
	tp.Title.Text, lp.Title.Text = "Rush: throughput", "Rush: latency (scheduled arrival to response)"
	tp.X.Label.Text, lp.X.Label.Text = "seconds since the window opened", "seconds since the window opened"
	tp.Y.Label.Text, lp.Y.Label.Text = "offers per second", "ms"
	var tArgs, lArgs []any
	for i, r := range rs {
		if len(r.Timeline) == 0 {
			continue
		}
		width := 1.0
		if len(r.Timeline) > 1 {
			width = r.Timeline[1].T - r.Timeline[0].T
		}
		var acc, arr, p50, p99 plotter.XYs
		for _, b := range r.Timeline {
			mid := b.T + width/2
			acc = append(acc, plotter.XY{X: mid, Y: float64(b.Accepted) / width})
			arr = append(arr, plotter.XY{X: mid, Y: float64(b.Arrived) / width})
			if b.Accepted > 0 {
				p50 = append(p50, plotter.XY{X: mid, Y: b.P50})
				p99 = append(p99, plotter.XY{X: mid, Y: b.P99})
			}
		}
		name := shortMode(r.Mode)
		if i == 0 {
			tArgs = append(tArgs, "arrivals", arr)
		}
		tArgs = append(tArgs, name+" accepted", acc)
		if len(p50) > 0 {
			lArgs = append(lArgs, name+" p50", p50, name+" p99", p99)
		}
	}
	if err := plotutil.AddLines(tp, tArgs...); err != nil {
		return nil, nil, err
	}
	if len(lArgs) > 0 {
		if err := plotutil.AddLinePoints(lp, lArgs...); err != nil {
			return nil, nil, err
		}
	}
	tp.Legend.Top, tp.Legend.Left = true, true
	lp.Legend.Top, lp.Legend.Left = true, true
	return tp, lp, nil
}
