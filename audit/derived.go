package audit

import (
	"fmt"
	"strings"

	"github.com/segel-lpse/segel/auditlog"
)

// The derived files of a bundle restate, for people and scripts, what the
// log and the signed files already say (doc/spec/audit-bundle.md §1).
const (
	offersHeader = "segel-offers/v1\n"
	beaconHeader = "segel-beacon/v1\n"
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

// offersFile returns offers.txt: one line per offer-received entry.
func offersFile(entries []LogEntry) ([]byte, error) {
	var b strings.Builder
	b.WriteString(offersHeader)
	for _, le := range entries {
		e, err := auditlog.ParseEntry(le.Data)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", le.Index, err)
		}
		if e.Type == typeReceived {
			fmt.Fprintf(&b, "%d %s %s %s\n", le.Index, e.Value("bidder"), e.Value("sha256"), e.Value("size"))
		}
	}
	return []byte(b.String()), nil
}

// beaconFile returns beacon.txt from the first beacon-signature-used entry.
func beaconFile(entries []LogEntry) ([]byte, error) {
	for _, le := range entries {
		e, err := auditlog.ParseEntry(le.Data)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", le.Index, err)
		}
		if e.Type == typeBeacon {
			return fmt.Appendf(nil, "%schain: %s\nround: %s\nsignature: %s\n",
				beaconHeader, e.Value("chain"), e.Value("round"), e.Value("signature")), nil
		}
	}
	return nil, fmt.Errorf("no %s entry", typeBeacon)
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
  opening-report.txt   signed opening report (berita acara pembukaan)
  beacon.txt           the beacon round and signature that opened the offers
  offers.txt           index, bidder, SHA-256 and size of every sealed offer
  sealed/I.age         the sealed offers themselves, when included
`
