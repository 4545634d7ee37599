package audit

import (
	"fmt"
	"strings"

	"github.com/segel-lpse/segel/auditlog"
)

// The derived files of a bundle restate, for people and scripts, what the
// log and the signed files already say (doc/spec/audit-bundle.md §1).
const (
	offersHeader   = "segel-offers/v1\n"
	offersHeaderV2 = "segel-offers/v2\n"
	beaconHeader   = "segel-beacon/v1\n"
	beaconHeaderV2 = "segel-beacon/v2\n"
)

// Entry types and field names of doc/spec/entries.md that the bundle uses.
const (
	typeAnnounced  = "tender-announced"
	typeAmended    = "tender-amended"
	typeCommitted  = "offer-committed"
	typeReceived   = "offer-received"
	typeSuperseded = "offer-superseded"
	typeClosed     = "submission-closed"
	typeBeacon     = "beacon-signature-used"
	typeOpened     = "offer-opened"
	typeFailed     = "offer-failed"
	typeReport     = "opening-report"
)

// offersFile returns offers.txt: one line per offer-received entry; for a
// v2 tender (segel-offers/v2), one line per file-received entry, with its
// file part.
func offersFile(entries []LogEntry) ([]byte, error) {
	parsed, v2, err := parseAll(entries)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if !v2 {
		b.WriteString(offersHeader)
	} else {
		b.WriteString(offersHeaderV2)
	}
	for k, e := range parsed {
		switch e.Type {
		case typeReceived:
			fmt.Fprintf(&b, "%d %s %s %s\n", entries[k].Index, e.Value("bidder"), e.Value("sha256"), e.Value("size"))
		case typeFileReceived:
			fmt.Fprintf(&b, "%d %s %s %s %s\n", entries[k].Index, e.Value("bidder"), e.Value("file"), e.Value("sha256"), e.Value("size"))
		}
	}
	return []byte(b.String()), nil
}

// beaconFile returns beacon.txt from the first beacon-signature-used entry;
// for a v2 tender (segel-beacon/v2), from each, in log order: the round
// and signature that opened each file part.
func beaconFile(entries []LogEntry) ([]byte, error) {
	parsed, v2, err := parseAll(entries)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, e := range parsed {
		if e.Type != typeBeacon {
			continue
		}
		block := fmt.Sprintf("chain: %s\nround: %s\nsignature: %s\n", e.Value("chain"), e.Value("round"), e.Value("signature"))
		if !v2 {
			return []byte(beaconHeader + block), nil
		}
		if b.Len() == 0 {
			b.WriteString(beaconHeaderV2)
		}
		b.WriteString(block)
	}
	if b.Len() == 0 {
		return nil, fmt.Errorf("no %s entry", typeBeacon)
	}
	return []byte(b.String()), nil
}

// parseAll parses entries and says whether they are a v2 tender's.
func parseAll(entries []LogEntry) ([]auditlog.Entry, bool, error) {
	parsed := make([]auditlog.Entry, len(entries))
	for k, le := range entries {
		e, err := auditlog.ParseEntry(le.Data)
		if err != nil {
			return nil, false, fmt.Errorf("entry %d: %w", le.Index, err)
		}
		parsed[k] = e
	}
	return parsed, isV2(entries, parsed), nil
}

// readme returns README.txt for a tender's bundle.
func readme(tender string) []byte {
	return []byte(strings.ReplaceAll(readmeText, "{tender}", tender))
}

const readmeText = `Audit bundle of tender {tender}
(Berkas audit tender {tender})

This directory lets anyone check, offline, how the offers of tender {tender}
were received, fixed at the deadline and opened. Check it with

    segel verify --trusted KEYS .

where KEYS holds the LPSE's public keys, obtained from the LPSE itself (its
website or a signed letter), not from this directory: keys.txt below is only
what the bundle claims. Without --trusted the check proves only that the
bundle is consistent with itself.

Direktori ini memungkinkan siapa pun memeriksa, tanpa jaringan, bagaimana
penawaran tender {tender} diterima, dikunci pada batas waktu, dan dibuka.
Periksa dengan perintah di atas, memakai kunci publik yang diperoleh langsung
dari LPSE.

Files (format: doc/spec/audit-bundle.md of Segel):

  bundle.txt           format version and tender id
  keys.txt             public keys: audit log, receipts, reports, beacon chain hash
  chain.json           the beacon chain's drand /info document
  checkpoints/N.txt    signed log checkpoints of tree size N, oldest first
  consistency/M-N.txt  proof that checkpoint N extends checkpoint M
  entries/I.txt        log entry I of this tender, verbatim
  inclusion/I.txt      proof that entry I is in the last checkpoint
  receipts/I.txt       receipt and proof file of the offer logged at I
  witness/I.txt        signed witness report (berita acara kesaksian) of a
                       failed offer
  opening-report.txt   signed opening report (berita acara pembukaan); of
                       File I, for a tender of two files
  opening-report-2.txt signed opening report of File II (or stage 2), if any
  beacon.txt           the beacon round(s) and signature(s) that opened the offers
  offers.txt           index, bidder, (file part,) SHA-256 and size of every
                       sealed file
  sealed/I.age         the sealed offers themselves, when included
`
