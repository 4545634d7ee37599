package server

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/segel-lpse/segel/timelock"
)

// metrics are what an operator watches daily (regulation art. 18): the
// submission outcomes, request latency, openings, the beacon, storage.
type metrics struct {
	submissions  *prometheus.CounterVec   // by outcome
	requests     *prometheus.HistogramVec // by route and status class
	openings     prometheus.Histogram
	offersOpened *prometheus.CounterVec // by outcome: opened, failed
	beaconFetch  prometheus.Histogram
	beaconErrors *prometheus.CounterVec // by kind: too-early, error
	bytesStored  prometheus.Counter
}

func newMetrics(reg *prometheus.Registry, s *Server) (*metrics, error) {
	m := &metrics{
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segel_submissions_total", Help: "Offer submissions by outcome (accepted or the refusal code).",
		}, []string{"outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "segel_http_request_duration_seconds", Help: "HTTP request latency by route and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "code"}),
		openings: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "segel_opening_duration_seconds", Help: "Duration of opening ceremonies.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 14),
		}),
		offersOpened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segel_offers_opened_total", Help: "Offers at opening ceremonies, by outcome.",
		}, []string{"outcome"}),
		beaconFetch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "segel_beacon_fetch_duration_seconds", Help: "Latency of beacon signature fetches.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		beaconErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segel_beacon_errors_total", Help: "Beacon fetches that gave no signature, by kind.",
		}, []string{"kind"}),
		bytesStored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "segel_offer_bytes_stored_total", Help: "Bytes of sealed offers accepted.",
		}),
	}
	cs := []prometheus.Collector{m.submissions, m.requests, m.openings, m.offersOpened, m.beaconFetch, m.beaconErrors, m.bytesStored,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "segel_log_entries", Help: "Entries in the audit log.",
		}, func() float64 { return float64(s.Log.Size()) }),
	}
	if dir := s.cfg.DataDir; dir != "" {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "segel_data_dir_free_bytes", Help: "Free space of the data directory's file system.",
		}, func() float64 {
			var st syscall.Statfs_t
			if syscall.Statfs(dir, &st) != nil {
				return -1
			}
			return float64(st.Bavail) * float64(st.Bsize)
		}))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	s.Beacon = instrumentedBeacon{Beacon: s.Beacon, m: m}
	return m, nil
}

// instrumentedBeacon times beacon fetches.
type instrumentedBeacon struct {
	timelock.Beacon
	m *metrics
}

func (b instrumentedBeacon) Signature(ctx context.Context, round uint64) ([]byte, error) {
	start := time.Now()
	sig, err := b.Beacon.Signature(ctx, round)
	b.m.beaconFetch.Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
	case errors.Is(err, timelock.ErrTooEarly):
		b.m.beaconErrors.WithLabelValues("too-early").Inc()
	default:
		b.m.beaconErrors.WithLabelValues("error").Inc()
	}
	return sig, err
}
