package audit_test

import (
	"bytes"
	"testing"

	"github.com/segel-lpse/segel/audit"
)

// The fuzz targets check that the parsers never panic and that whatever
// they accept marshals back to the same bytes (one encoding per value).
// Seeds are in testdata/fuzz/.

func FuzzParseWitnessReport(f *testing.F) {
	text, _ := sampleWitness().Marshal()
	f.Add(text)
	text, _ = sampleWitnessV2().Marshal()
	f.Add(text)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := audit.ParseWitnessReport(b)
		if err != nil {
			return
		}
		again, err := r.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %q but marshals to %q, %v", b, again, err)
		}
	})
}

func FuzzParseOpeningReport(f *testing.F) {
	text, _ := sampleOpening().Marshal()
	f.Add(text)
	text, _ = sampleOpeningV2().Marshal()
	f.Add(text)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := audit.ParseOpeningReport(b)
		if err != nil {
			return
		}
		again, err := r.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %q but marshals to %q, %v", b, again, err)
		}
	})
}

func FuzzParseTrusted(f *testing.F) {
	f.Add([]byte("segel-keys/v1\n")) // the valid seeds are in testdata/fuzz/FuzzParseTrusted
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := audit.ParseTrusted(b)
		if err != nil {
			return
		}
		again, err := tr.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %q but marshals to %q, %v", b, again, err)
		}
	})
}
