package auditlog_test

import (
	"bytes"
	"errors"
	"github.com/segel-lpse/segel/internal/mutate"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/segel-lpse/segel/auditlog"
)

const (
	d1 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	d2 = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
	t1 = "2026-11-26T03:04:05Z"
	t2 = "2026-11-26T03:04:05.123Z"
)

// validEntries has one valid entry of every type (doc/spec/entries.md §3).
var validEntries = []string{
	"segel-entry/v1 user-registered\nuser: u-17\nrole: bidder\ndocuments: " + d1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 user-verified\nuser: u-17\nby: staff-3\ndocuments: " + d1 + "\ntime: " + t2 + "\n",
	"segel-entry/v1 user-approved\nuser: u-17\nby: staff-3\ntime: " + t1 + "\n",
	"segel-entry/v1 user-rejected\nuser: u-17\nby: staff-3\nreason: NPWP tidak terbaca\ntime: " + t1 + "\n",
	"segel-entry/v1 user-deactivated\nuser: u-17\nby: staff-3\nreason: daftar hitam LKPP no. 12/2026\ntime: " + t1 + "\n",
	"segel-entry/v1 user-reactivated\nuser: u-17\nby: staff-3\nreason: sanksi berakhir\ntime: " + t1 + "\n",
	"segel-entry/v1 tender-announced\ntender: 10012345000\ndocument: " + d1 + "\ndeadline: " + t1 + "\nopening: " + t2 +
		"\nround: 1234567\nchain: 52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971\ncommittee-key: pokja-7/2026\ntime: " + t1 + "\n",
	"segel-entry/v1 tender-amended\ntender: 10012345000\namendment: 1\ndocument: " + d2 + "\ndeadline: " + t1 + "\nopening: " + t2 +
		"\nround: 1234600\nchain: 52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971\ncommittee-key: pokja-7/2026\ntime: " + t1 + "\n",
	"segel-entry/v1 offer-committed\ntender: 10012345000\nbidder: u-17\nsha256: " + d1 + "\nsize: 123456\ntime: " + t1 + "\n",
	"segel-entry/v1 offer-received\ntender: 10012345000\nbidder: u-17\nsha256: " + d1 + "\nsize: 123456\nreceived: " + t2 + "\n",
	"segel-entry/v1 offer-superseded\ntender: 10012345000\nbidder: u-17\nsha256: " + d1 + "\nby: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 submission-closed\ntender: 10012345000\noffers: 0\ntime: " + t1 + "\n",
	"segel-entry/v1 beacon-signature-used\ntender: 10012345000\nchain: 52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971\nround: 1234567\nsignature: " +
		strings.Repeat("ab", 48) + "\ntime: " + t1 + "\n",
	"segel-entry/v1 offer-opened\ntender: 10012345000\nbidder: u-17\nsha256: " + d1 + "\nplaintext: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 offer-failed\ntender: 10012345000\nbidder: u-17\nsha256: " + d1 + "\nreport: " + d2 + "\nfault: file\ntime: " + t1 + "\n",
	"segel-entry/v1 opening-report\ntender: 10012345000\nreport: " + d2 + "\nopened: 9\nfailed: 1\ntime: " + t1 + "\n",
	"segel-entry/v1 result-announced\ntender: 10012345000\nwinner: u-17\nresult: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 tender-cancelled\ntender: 10012345000\nby: ppk-2\nreason: pagu anggaran tidak tersedia\ntime: " + t1 + "\n",
	"segel-entry/v1 plan-announced\nplan: RUP-2026-17\nby: kpa-1\ndocument: " + d1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 participant-registered\ntender: 10012345000\nbidder: u-17\ntime: " + t1 + "\n",
	"segel-entry/v1 question-asked\ntender: 10012345000\nby: u-17\nquestion: " + d1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 question-answered\ntender: 10012345000\nby: pokja-1\nquestion: " + d1 + "\nanswer: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 objection-filed\ntender: 10012345000\nby: u-17\nobjection: " + d1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 objection-answered\ntender: 10012345000\nby: pokja-1\nobjection: " + d1 + "\nanswer: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 tender-awarded\ntender: 10012345000\nwinner: u-17\nby: ppk-2\ndocument: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 notice-published\nnotice: N-2026-3\nkind: maintenance\nby: lpse-admin\ndocument: " + d1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 notice-withdrawn\nnotice: N-2026-3\nby: lpse-admin\nreason: pemeliharaan dibatalkan\ntime: " + t1 + "\n",
	"segel-entry/v1 complaint-filed\ncomplaint: C-2026-9\nby: u-17\ndocument: " + d1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 complaint-updated\ncomplaint: C-2026-9\nby: lpse-admin\nstatus: resolved\ndocument: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 blacklist-requested\nrequest: b-2026-4\nuser: u-17\nby: pokja-1\nreason: until indefinite: dokumen palsu\ntime: " + t1 + "\n",
	"segel-entry/v1 blacklist-approved\nrequest: b-2026-4\nuser: u-17\nby: staff-3\ntime: " + t1 + "\n",
	"segel-entry/v1 blacklist-rejected\nrequest: b-2026-4\nuser: u-17\nby: staff-3\nreason: bukti tidak cukup\ntime: " + t1 + "\n",

	// The opening protocol's types (doc/spec/entries.md §5).
	"segel-entry/v1 committee-key-registered\nuser: u-5\nkey: 1f2e3d4c5b6a7988\nrecipient: " + r1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 tender-committee\ntender: 10012345000\nmethod: two-file\ncommittee: " + d1 + "\nthreshold: 3\nmembers: 5\ntime: " + t1 + "\n",
	"segel-entry/v1 committee-member\ntender: 10012345000\nmember: 1\nuser: u-5\nrecipient: " + r1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 file-ii-scheduled\ntender: 10012345000\nopening: " + t2 + "\nround: 1234600\nchain: " + c1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 stage-two-announced\ntender: 10012345000\ndeadline: " + t1 + "\nopening: " + t2 + "\nround: 1234600\nchain: " + c1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 stage-two-amended\ntender: 10012345000\namendment: 1\ndeadline: " + t1 + "\nopening: " + t2 + "\nround: 1234600\nchain: " + c1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 file-committed\ntender: 10012345000\nbidder: u-17\nfile: 2\nsha256: " + d1 + "\nsize: 123456\ntime: " + t1 + "\n",
	"segel-entry/v1 file-received\ntender: 10012345000\nbidder: u-17\nfile: 1\nsha256: " + d1 + "\nsize: 123456\nheader: " + d2 + "\nreceived: " + t2 + "\n",
	"segel-entry/v1 file-superseded\ntender: 10012345000\nbidder: u-17\nfile: 1\nsha256: " + d1 + "\nby: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 file-closed\ntender: 10012345000\nfile: 2\noffers: 7\ntime: " + t1 + "\n",
	"segel-entry/v1 contributions-received\ntender: 10012345000\nfile: 1\nmember: 4\nuser: u-5\ncontributed: 6\nclaimed: 1\nrefused: 0\nlist: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 file-opened\ntender: 10012345000\nbidder: u-17\nfile: 1\nsha256: " + d1 + "\nplaintext: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 file-failed\ntender: 10012345000\nbidder: u-17\nfile: 1\nsha256: " + d1 + "\nreport: " + d2 + "\nfault: committee\ntime: " + t1 + "\n",
	"segel-entry/v1 file-withheld\ntender: 10012345000\nbidder: u-17\nfile: 2\nsha256: " + d1 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 file-opening-report\ntender: 10012345000\nfile: 2\nreport: " + d2 + "\nopened: 5\nfailed: 1\nwithheld: 2\ntime: " + t1 + "\n",
	"segel-entry/v1 evaluation-approved\ntender: 10012345000\nevaluation: " + d1 + "\nby: u-5\ntime: " + t1 + "\n",
	"segel-entry/v1 bidder-evaluated\ntender: 10012345000\nbidder: u-17\nresult: passed\nreasons: " + d2 + "\ntime: " + t1 + "\n",
	"segel-entry/v1 evaluation-fixed\ntender: 10012345000\nevaluation: " + d1 + "\npassed: 4\nfailed: 2\ntime: " + t1 + "\n",
	"segel-entry/v1 portal-build\ndigest: " + d1 + "\ntime: " + t1 + "\n",
}

// validEntry returns the valid entry of type typ.
func validEntry(typ string) string {
	for _, s := range validEntries {
		if strings.HasPrefix(s, "segel-entry/v1 "+typ+"\n") {
			return s
		}
	}
	panic("no valid entry of type " + typ)
}

// c1 is a chain hash; r1 an age hybrid recipient (of a key thrown away).
const (
	c1 = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
	r1 = "age1pq16dt52ezzf3z98fzxces2c73t9pxt3vf6er44q533uc2magq5k3p4dyngyfltpjr4q7gd4umz44j9rsa6qaen885erx8ufzzwsqgtvtay3mhcgs8pqwhvkwvun8nkf5aeg02kslx5wjtg9v5c4k65pd068qnskyrhvcntl3ejzfdkytyv3paups7f2xx62lzug93pc2kxshpwfdr5p2lv2sjtqsnpz879wupn88c0mf89exscm0ntxzd2huufgqdvmprxl7as7d59aj6k27yeqk3z3wj2nxzu33zf7zu92vlmx4jx33dv7xrr2vfctqpuwzfkznewcklug6rsytuvaaj5rt054g0px2rrjkchr0v5nuhhgt65ewepcd9k2wfte6s2jy0qd9zc2jeh8f69p5xtd7c8tawpe7je3qfz0znkwapc66kvdj0g56prgr3em39ed7wqq4gezhv8qs53vke7j6xlrp3zv9acqrfzkgz2cxjrhpusg0qg8drqk6wkh7a9dj9pzxsfswzuh6tycpaurpnyx786wsp8vvq8n9jnk80u3zh40sn5cad7azmvkljz5rj3yh4pzymk2n9zwqnn0933xelkqznk9swdyzcwp7zqxsepq7d8svjmkc2xga9gvyt9cs6t5vp8seytghun83cqj2jqh3nv39gus40gszrl834eh6exm0zy7k9unjnwk9wf7zgyfz7q8awq73zuty0fk8rxtzvkdkp679dhsq3q8r3fgl8q0pmpk7qwa5tyet44zh49vdw2y5fkawscftfkmhavjj6rsrjdwjek6jfs3va2awtrenwx40ydk95aw9gtrtpuzuqre5aey85t7hpwqj2t8tcnqsqx9wcjy3vhlx90xp29mdq6ctxr0llx2qr0z9tm64fs23mf04g527cxwk325gde8py3a5pn6y5v9nsd4nmcjl8yeucaf8k8h0y4frrc2fq0srrj34uclnzrlsm4tekhjlsgvqc3kp7dqe6t3wztng4qezardxnpt29sk4fzhukq4y7vg94lfj69kjaz35k8p8mze8frkz5wafkh3w9gzsgpdv6gxee6hrq60dn5edx8uq45qzgncdgmrfg3m88mm7a0h8ncul0p4fpuy4trva6yvyetdnc8wgrqhsh5tfynu9r7ve6j6r2v90yu9vw4ksvahqephvftrlg24jy89sch3dd6tzr69jqxtseglzujvpzn2zrx0p6kghy3zxpsqttjp0aljk90sx2kreerg8gtjgtmw696ddr2k3jju6ah06n5vhaghmzzx0h50dsuqcu286t9c5uup2egspgmtfzkklpzqzjum34mgv4zd3qwfxtu34ym5f4shaun80pat08zuuyl8wyacz6qpewrvp9jxlfmarxlug55fftrz8he5xk9gc7d4npy4z9hkyd9phtmycv50smwm9ekjg9kl2fjdx2vfggf2u8lcdh555rpjusm3jv6y6tnzvwfce89nxc8aksj0shsqp62k7jykj45hwgjzs9f29xn8j5pyw9n0g7d7u5tf36zf9p2xn85h09y55uke5904zged0hxnqytq244e2jjpwpphln3enff34lhccx3x54sf7g7enempayzexlf5vcttz3v22vr783ycv5xcz5k3wv8zzfsefdaxwac7ka82uue40zml2lt72gxpmdyq87v0djvvkzhz6z2epgaphmq9nttjmek3r0uxcavrfs35a3cj0sr4yhy23du9p9kdazp2v4evqhq8pnn90k32wv0ypaxjrmnnkzn2nhy32kvpg7zq3j73rjpawv3d2gz4gp50dcs996xse8nk8g3mayzh3cswu39pqphlkxggn87sz244hkywx54ev5emdrskr8wldzxjj2t6vzxszsakyl7dvy7fwy7pkmtset8x2ejyugqvmqe"
)

func TestEntryRoundTrip(t *testing.T) {
	types := make(map[string]bool)
	for _, s := range validEntries {
		e, err := auditlog.ParseEntry([]byte(s))
		if err != nil {
			t.Errorf("ParseEntry(%q): %v", s, err)
			continue
		}
		types[e.Type] = true
		got, err := e.Marshal()
		if err != nil {
			t.Errorf("Marshal(%+v): %v", e, err)
			continue
		}
		if diff := cmp.Diff(s, string(got)); diff != "" {
			t.Errorf("parse→marshal changed the entry (-want +got):\n%s", diff)
		}
	}
	if len(types) != auditlog.EntryTypeCount {
		t.Errorf("tested %d entry types, the package knows %d", len(types), auditlog.EntryTypeCount)
	}
}

func TestEntryMutations(t *testing.T) {
	// Changes to field values may yield other valid entries (that is what
	// values are for), so only check that every mutation is either rejected
	// or still canonical.
	for _, s := range validEntries {
		mutate.ForEach([]byte(s), func(desc string, b []byte) {
			e, err := auditlog.ParseEntry(b)
			if err != nil {
				if !errors.Is(err, auditlog.ErrMalformed) {
					t.Errorf("%s: error %v does not wrap ErrMalformed", desc, err)
				}
				return
			}
			got, err := e.Marshal()
			if err != nil || !bytes.Equal(got, b) {
				t.Errorf("%s: accepted non-canonical entry %q (marshals to %q, %v)", desc, b, got, err)
			}
		})
	}
}

func TestEntryInvalid(t *testing.T) {
	base := "segel-entry/v1 submission-closed\ntender: T1\noffers: 3\ntime: " + t1 + "\n"
	if _, err := auditlog.ParseEntry([]byte(base)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, entry string }{
		{"empty", ""},
		{"no final newline", strings.TrimSuffix(base, "\n")},
		{"CRLF", strings.ReplaceAll(base, "\n", "\r\n")},
		{"unknown type", strings.Replace(base, "submission-closed", "submission-opened", 1)},
		{"v2", strings.Replace(base, "/v1", "/v2", 1)},
		{"two spaces in header", strings.Replace(base, "v1 ", "v1  ", 1)},
		{"missing field", strings.Replace(base, "offers: 3\n", "", 1)},
		{"swapped fields", "segel-entry/v1 submission-closed\noffers: 3\ntender: T1\ntime: " + t1 + "\n"},
		{"duplicate field", strings.Replace(base, "offers: 3\n", "offers: 3\noffers: 3\n", 1)},
		{"extra field", base + "note: x\n"},
		{"blank line", base + "\n"},
		{"no space after colon", strings.Replace(base, "offers: 3", "offers:3", 1)},
		{"two spaces after colon", strings.Replace(base, "offers: 3", "offers:  3", 1)},
		{"trailing space", strings.Replace(base, "offers: 3", "offers: 3 ", 1)},
		{"uppercase key", strings.Replace(base, "offers:", "Offers:", 1)},
		{"leading zero", strings.Replace(base, "offers: 3", "offers: 03", 1)},
		{"negative", strings.Replace(base, "offers: 3", "offers: -3", 1)},
		{"uint overflow", strings.Replace(base, "offers: 3", "offers: 9223372036854775808", 1)},
		{"id with space", strings.Replace(base, "tender: T1", "tender: T 1", 1)},
		{"id starting with dash", strings.Replace(base, "tender: T1", "tender: -T1", 1)},
		{"id too long", strings.Replace(base, "tender: T1", "tender: "+strings.Repeat("x", 65), 1)},
		{"time with offset", strings.Replace(base, "Z\n", "+00:00\n", 1)},
		{"time lowercase z", strings.Replace(base, "Z\n", "z\n", 1)},
		{"time trailing zero", strings.Replace(base, "05Z", "05.10Z", 1)},
		{"time zero fraction", strings.Replace(base, "05Z", "05.000Z", 1)},
		{"time lowercase t", strings.Replace(base, "26T03", "26t03", 1)},
		{"time no seconds", strings.Replace(base, "03:04:05Z", "03:04Z", 1)},
		{"not UTF-8", strings.Replace(base, "T1", "T\xff", 1)},
		// Values listed in the spec are the only ones allowed.
		{"unknown method", strings.Replace(validEntry("tender-committee"), "method: two-file", "method: three-file", 1)},
		{"unknown fault", strings.Replace(validEntry("file-failed"), "fault: committee", "fault: bidder", 1)},
		{"unknown result", strings.Replace(validEntry("bidder-evaluated"), "result: passed", "result: pending", 1)},
		{"unknown notice kind", strings.Replace(validEntry("notice-published"), "kind: maintenance", "kind: sale", 1)},
		{"unknown complaint status", strings.Replace(validEntry("complaint-updated"), "status: resolved", "status: closed", 1)},
		// A recipient is age's own encoding of a hybrid key, nothing else.
		{"recipient in uppercase", strings.Replace(validEntry("committee-key-registered"), r1, strings.ToUpper(r1), 1)},
		{"recipient cut short", strings.Replace(validEntry("committee-key-registered"), r1, r1[:len(r1)-1], 1)},
		{"recipient checksum", strings.Replace(validEntry("committee-key-registered"), r1, r1[:len(r1)-1]+string(r1[len(r1)-1]^1), 1)},
		{"X25519 recipient", strings.Replace(validEntry("committee-key-registered"), r1, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", 1)},
	} {
		if e, err := auditlog.ParseEntry([]byte(tc.entry)); !errors.Is(err, auditlog.ErrMalformed) {
			t.Errorf("%s: ParseEntry(%q) = %+v, %v; want ErrMalformed", tc.name, tc.entry, e, err)
		}
	}
}

func TestEntryValues(t *testing.T) {
	mk := func(key, value string) auditlog.Entry {
		e, err := auditlog.ParseEntry([]byte(validEntries[3])) // user-rejected: user, by, reason, time
		if err != nil {
			t.Fatal(err)
		}
		for i := range e.Fields {
			if e.Fields[i].Key == key {
				e.Fields[i].Value = value
			}
		}
		return e
	}
	for _, tc := range []struct {
		key, value string
		ok         bool
	}{
		{"reason", strings.Repeat("x", 1024), true},
		{"reason", strings.Repeat("x", 1025), false},
		{"reason", "é", true},
		{"reason", "", false},
		{"reason", " x", false},
		{"reason", "x ", false},
		{"reason", "x\u00a0", false},
		{"reason", "x\ty", false},
		{"reason", "x\u0085y", false},
		{"user", strings.Repeat("u", 64), true},
		{"user", strings.Repeat("u", 65), false},
		{"user", "a.b_c/d-e", true},
		{"user", "a:b", false},
		{"time", "0000-01-01T00:00:00Z", true},
		{"time", "9999-12-31T23:59:59.999999999Z", true},
		{"time", "2026-02-30T00:00:00Z", false},
		{"time", "2026-11-26T24:00:00Z", false},
	} {
		_, err := mk(tc.key, tc.value).Marshal()
		if tc.ok != (err == nil) {
			t.Errorf("Marshal with %s %q = %v, want ok=%v", tc.key, tc.value, err, tc.ok)
		}
	}
	e := mk("reason", "x")
	if got := e.Value("reason"); got != "x" {
		t.Errorf("Value(reason) = %q, want x", got)
	}
	if got := e.Value("absent"); got != "" {
		t.Errorf("Value(absent) = %q, want empty", got)
	}
	e.Fields = e.Fields[:3]
	if _, err := e.Marshal(); !errors.Is(err, auditlog.ErrMalformed) {
		t.Errorf("Marshal with a missing field = %v, want ErrMalformed", err)
	}
	if _, err := (auditlog.Entry{Type: "nope"}).Marshal(); !errors.Is(err, auditlog.ErrMalformed) {
		t.Errorf("Marshal of an unknown type = %v, want ErrMalformed", err)
	}
}

func TestEntrySizeLimit(t *testing.T) {
	// The largest entries are far below MaxEntrySize, so check the cap on
	// inputs of n-1, n and n+1 bytes: all rejected as malformed, the last for
	// its size.
	for _, n := range []int{auditlog.MaxEntrySize - 1, auditlog.MaxEntrySize, auditlog.MaxEntrySize + 1} {
		b := []byte(validEntries[0] + strings.Repeat("x", n-len(validEntries[0])))
		_, err := auditlog.ParseEntry(b)
		if !errors.Is(err, auditlog.ErrMalformed) {
			t.Errorf("ParseEntry(%d bytes) = %v, want ErrMalformed", n, err)
		}
		if big := strings.Contains(err.Error(), "more than"); big != (n > auditlog.MaxEntrySize) {
			t.Errorf("ParseEntry(%d bytes) = %v: size error %v, want %v", n, err, big, n > auditlog.MaxEntrySize)
		}
	}
}

// TestMarshalEntry checks that MarshalEntry encodes what Entry.Marshal does
// for every valid entry, and refuses a key without its value.
func TestMarshalEntry(t *testing.T) {
	for _, s := range validEntries {
		e, err := auditlog.ParseEntry([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		var kv []string
		for _, f := range e.Fields {
			kv = append(kv, f.Key, f.Value)
		}
		got, err := auditlog.MarshalEntry(e.Type, kv...)
		if err != nil || string(got) != s {
			t.Errorf("MarshalEntry(%s) = %q, %v; want %q", e.Type, got, err, s)
		}
		if _, err := auditlog.MarshalEntry(e.Type, kv[:len(kv)-1]...); !errors.Is(err, auditlog.ErrMalformed) {
			t.Errorf("MarshalEntry(%s) without the last value = %v, want ErrMalformed", e.Type, err)
		}
	}
}
