package audit_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
)

// The time rules of doc/spec/audit-bundle.md §4, check 6.8. The engine of
// runTender logs and signs the times it is given, so each bundle below
// verifies but for its times.

// TestTimesAccepted checks tenders whose times are right, at the bounds.
func TestTimesAccepted(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  tenderOptions
		times func(run *tenderRun, s *schedule)
	}{
		{"an offer received at the deadline", tenderOptions{offers: 3}, func(_ *tenderRun, s *schedule) {
			s.received[2] = s.deadline
		}},
		{"committed offers delivered after closing, just before the opening", tenderOptions{offers: 4, commits: 2, failures: 1},
			func(_ *tenderRun, s *schedule) { s.delivered = s.opening.Add(-time.Millisecond) }},
		{"an offer after the original deadline, by the amended one", tenderOptions{offers: 3, resubmits: 1},
			func(_ *tenderRun, s *schedule) {
				s.amendAt, s.amendDeadline, s.amendAfter = s.deadline.Add(-time.Minute), s.deadline.Add(30*time.Minute), 2
				s.received[2] = s.deadline.Add(30 * time.Minute)
			}},
		{"an amendment moving the deadline to the opening", tenderOptions{offers: 2},
			func(_ *tenderRun, s *schedule) {
				s.amendAt, s.amendDeadline, s.amendAfter = s.deadline.Add(-time.Minute), s.opening, 1
			}},
		{"a tender whose deadline is its opening", tenderOptions{offers: 2, commits: 1},
			func(_ *tenderRun, s *schedule) {
				s.deadline = s.opening
				s.delivered = s.opening.Add(-time.Second)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.times = tc.times
			run := runTender(t, o)
			res, err := audit.Verify(run.bundle, *run.trusted)
			if err != nil {
				t.Fatal(err)
			}
			if res.Offers != o.offers || res.Failed != o.failures {
				t.Errorf("got %+v", res)
			}
		})
	}
}

// TestTamperTimes builds bundles that are right in everything but their
// times: each must fail the check time on the entry at fault, naming the
// time found and the bound.
func TestTamperTimes(t *testing.T) {
	tests := []struct {
		name  string
		opts  tenderOptions
		times func(run *tenderRun, s *schedule)
		// blame returns the entry at fault and what the message must say.
		blame func(run *tenderRun, s schedule) (index int64, msg []string)
	}{
		{name: "offer received 30 minutes after the deadline", opts: tenderOptions{offers: 3},
			times: func(_ *tenderRun, s *schedule) { s.received[1] = s.deadline.Add(30 * time.Minute) },
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "offer-received", "bidder-0001"),
					[]string{ts(s.deadline.Add(30 * time.Minute)), "after the deadline " + ts(s.deadline)}
			}},
		{name: "offer received a millisecond after the deadline", opts: tenderOptions{offers: 2, resubmits: 1},
			times: func(_ *tenderRun, s *schedule) { s.received[1] = s.deadline.Add(time.Millisecond) },
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "offer-received", "bidder-0001"),
					[]string{ts(s.deadline.Add(time.Millisecond)), "after the deadline " + ts(s.deadline)}
			}},
		{name: "offer committed after the deadline", opts: tenderOptions{offers: 3, commits: 1},
			times: func(_ *tenderRun, s *schedule) { s.received[2] = s.deadline.Add(time.Second) },
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "offer-committed", "bidder-0002"),
					[]string{ts(s.deadline.Add(time.Second)), "after the deadline " + ts(s.deadline)}
			}},
		{name: "offer after the deadline, logged before the amendment that extends it", opts: tenderOptions{offers: 3},
			times: func(_ *tenderRun, s *schedule) {
				s.amendAt, s.amendDeadline, s.amendAfter = s.deadline.Add(-time.Minute), s.deadline.Add(time.Hour), 3
				s.received[1] = s.deadline.Add(30 * time.Minute)
			},
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "offer-received", "bidder-0001"),
					[]string{ts(s.deadline.Add(30 * time.Minute)), "after the deadline " + ts(s.deadline),
						"(set by entry " + strconv.FormatInt(entryOf(r, "tender-announced", ""), 10) + ")"}
			}},
		{name: "offer after the deadline an amendment brought forward", opts: tenderOptions{offers: 3},
			times: func(_ *tenderRun, s *schedule) {
				s.amendAt, s.amendDeadline, s.amendAfter = s.deadline.Add(-time.Hour), s.deadline.Add(-50*time.Minute), 1
				s.received[2] = s.deadline.Add(-40 * time.Minute)
			},
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "offer-received", "bidder-0002"),
					[]string{ts(s.deadline.Add(-40 * time.Minute)), "after the deadline " + ts(s.deadline.Add(-50*time.Minute)),
						"(set by entry " + strconv.FormatInt(entryOf(r, "tender-amended", ""), 10) + ")"}
			}},
		{name: "round locked before the deadline", opts: tenderOptions{offers: 2},
			times: func(r *tenderRun, s *schedule) { s.round = r.chain.RoundAt(s.deadline) - 60 },
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "tender-announced", ""),
					[]string{"round " + strconv.FormatUint(s.round, 10), "opening " + ts(s.opening),
						"is " + strconv.FormatUint(r.chain.RoundAt(s.opening), 10)}
			}},
		{name: "round one before the opening's", opts: tenderOptions{offers: 2},
			times: func(r *tenderRun, s *schedule) { s.round-- },
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "tender-announced", ""),
					[]string{"round " + strconv.FormatUint(s.round, 10), "is " + strconv.FormatUint(s.round+1, 10)}
			}},
		{name: "opening before the deadline", opts: tenderOptions{offers: 2},
			times: func(_ *tenderRun, s *schedule) { s.deadline = s.opening.Add(time.Hour) },
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "tender-announced", ""),
					[]string{"opening " + ts(s.opening) + " is before the deadline " + ts(s.deadline)}
			}},
		{name: "amendment moves the deadline past the opening", opts: tenderOptions{offers: 2},
			times: func(_ *tenderRun, s *schedule) {
				s.amendAt, s.amendDeadline, s.amendAfter = s.deadline.Add(-time.Minute), s.opening.Add(time.Second), 1
			},
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "tender-amended", ""),
					[]string{"opening " + ts(s.opening) + " is before the deadline " + ts(s.opening.Add(time.Second))}
			}},
		{name: "amendment moves the opening and its round", opts: tenderOptions{offers: 2},
			times: func(r *tenderRun, s *schedule) {
				s.amendAt, s.amendDeadline, s.amendAfter = s.deadline.Add(-time.Minute), s.deadline, 1
				s.amendOpening = s.opening.Add(-10 * time.Minute)
				s.amendRound = r.chain.RoundAt(s.amendOpening)
			},
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "tender-amended", ""),
					[]string{"opening " + ts(s.amendOpening), "round " + strconv.FormatUint(s.amendRound, 10),
						"never move from " + ts(s.opening) + ", round " + strconv.FormatUint(s.round, 10)}
			}},
		{name: "committed offer delivered after the opening", opts: tenderOptions{offers: 3, commits: 1},
			times: func(_ *tenderRun, s *schedule) { s.delivered = s.opening.Add(5 * time.Minute) },
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "offer-received", "bidder-0002"),
					[]string{ts(s.opening.Add(5 * time.Minute)), "not before the opening " + ts(s.opening),
						"(entry " + strconv.FormatInt(entryOf(r, "offer-committed", "bidder-0002"), 10) + ")"}
			}},
		{name: "committed offer delivered at the opening", opts: tenderOptions{offers: 3, commits: 2},
			times: func(_ *tenderRun, s *schedule) { s.delivered = s.opening },
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "offer-received", "bidder-0001"),
					[]string{ts(s.opening) + ", not before the opening " + ts(s.opening)}
			}},
		{name: "amendment after the deadline, before closing", opts: tenderOptions{offers: 2},
			times: func(_ *tenderRun, s *schedule) {
				s.amendAt, s.amendDeadline, s.amendAfter = s.deadline.Add(10*time.Minute), s.deadline.Add(time.Hour), 2
			},
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "tender-amended", ""),
					[]string{"amended at " + ts(s.deadline.Add(10*time.Minute)), "not before the deadline " + ts(s.deadline)}
			}},
		{name: "amendment at the deadline", opts: tenderOptions{offers: 2},
			times: func(_ *tenderRun, s *schedule) {
				s.amendAt, s.amendDeadline, s.amendAfter = s.deadline, s.deadline.Add(time.Hour), 1
			},
			blame: func(r *tenderRun, s schedule) (int64, []string) {
				return entryOf(r, "tender-amended", ""),
					[]string{"amended at " + ts(s.deadline), "not before the deadline " + ts(s.deadline)}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			var s schedule
			o.times = func(run *tenderRun, sp *schedule) { tc.times(run, sp); s = *sp }
			run := runTender(t, o)
			_, err := audit.Verify(run.bundle, *run.trusted)
			var ae *audit.Error
			if !errors.As(err, &ae) || !errors.Is(err, audit.ErrMismatch) {
				t.Fatalf("got %v, want an *audit.Error wrapping ErrMismatch", err)
			}
			i, msg := tc.blame(run, s)
			if file := "entries/" + strconv.FormatInt(i, 10) + ".txt"; ae.File != file || ae.Check != "time" {
				t.Errorf("got %v\nwant check time of %s", err, file)
			}
			for _, m := range append(msg, " entry "+strconv.FormatInt(i, 10)+": ") {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("got %v\nwant %q in it", err, m)
				}
			}
		})
	}
}

// TestAmendmentAfterClosing checks that an addendum logged after
// submission-closed is refused, whatever its time.
func TestAmendmentAfterClosing(t *testing.T) {
	run := runTender(t, tenderOptions{offers: 2, times: func(_ *tenderRun, s *schedule) {
		s.amendAt, s.amendDeadline, s.amendClosed = s.deadline.Add(-time.Minute), s.deadline, true
	}})
	_, err := audit.Verify(run.bundle, *run.trusted)
	var ae *audit.Error
	want := "entries/" + strconv.FormatInt(entryOf(run, "tender-amended", ""), 10) + ".txt"
	if !errors.As(err, &ae) || ae.File != want || !strings.Contains(err.Error(), "submission closed") {
		t.Errorf("got %v, want a failure of %s after submission closed", err, want)
	}
}

// entryOf returns the index of the bundle's first entry of type typ (and
// of bidder, if not empty).
func entryOf(r *tenderRun, typ, bidder string) int64 {
	for _, le := range r.bundle.Entries {
		e, err := auditlog.ParseEntry(le.Data)
		if err == nil && e.Type == typ && (bidder == "" || e.Value("bidder") == bidder) {
			return le.Index
		}
	}
	panic("no " + typ + " entry of " + bidder)
}

func ts(t time.Time) string { return canon.FormatTime(t) }
