package audit_test

import (
	"testing"

	"github.com/segel-lpse/segel/audit"
)

func TestVerifyWholeTender(t *testing.T) {
	for _, o := range []tenderOptions{
		{offers: 0},
		{offers: 1},
		{offers: 9, resubmits: 3, failures: 2},
		{offers: 4, resubmits: 1, failures: 1, seal: true},
	} {
		run := runTender(t, o)
		res, err := audit.Verify(run.bundle, *run.trusted)
		if err != nil {
			t.Fatalf("%+v: Verify: %v", o, err)
		}
		if res.Offers != o.offers || res.Failed != o.failures || res.Opened != o.offers-o.failures ||
			res.Superseded != o.resubmits || len(res.Unpinned) != 0 {
			t.Errorf("%+v: got %+v", o, res)
		}
		dir := t.TempDir()
		if err := run.bundle.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		b, err := audit.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		res2, err := audit.Verify(b, *run.trusted)
		if err != nil {
			t.Fatalf("%+v: Verify after ReadDir: %v", o, err)
		}
		if o.seal && res2.Sealed != o.offers+o.resubmits {
			t.Errorf("sealed files checked: got %d, want %d", res2.Sealed, o.offers+o.resubmits)
		}
		res3, err := audit.Verify(b, audit.Trusted{})
		if err != nil || len(res3.Unpinned) != 4 {
			t.Errorf("unpinned: got %v, %v", res3, err)
		}
	}
}
