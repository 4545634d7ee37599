package tender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// A FileAnswer is a committee member's answer for one file of a part's
// opening (opening.md §4.3): its contribution, computed on its own device
// with sealer.Contribute, or its claim that its wrap (audit.AnswerClaimedKey)
// or its share (audit.AnswerClaimedShare) does not open.
type FileAnswer struct {
	Index        int64                // log index of the file's file-received entry
	Contribution *sealer.Contribution // nil for a claim
	Claim        string               // for a claim
}

// A Batch is a member's batch of answers for a part, as recorded and
// logged (contributions-received, entries.md §5).
type Batch struct {
	Member      int
	User        string
	Contributed int      // contributions that authenticated
	Claimed     int      // claims
	Refused     int      // contributions that failed authentication: the member's fault
	List        [32]byte // SHA-256 of the batch's list, which the member's tool computes too
	LogIndex    int64    // of its contributions-received entry
	// Refusals says, for each refused contribution's file (by its log
	// index), why it failed authentication.
	Refusals map[int64]string
}

// answerRecord is a member's last answer for one file (tableAnswers).
type answerRecord struct {
	Answer string // audit.AnswerContributed, AnswerRefused, AnswerClaimedKey or AnswerClaimedShare
	// Key is the member key of a contribution (authenticated or not),
	// encrypted with Config.Secrets; deleted once the part's report is
	// logged.
	Key   []byte `json:",omitempty"`
	Batch string
}

// batchRecord is a batch (tableBatches): recorded with the answers, then
// its entry logged. An entry not logged is appended by the completion
// before the report, so every contributor's batch precedes it.
type batchRecord struct {
	Member int
	User   string
	Entry  []byte
	From   int64 // the log's size when it was recorded: its entry follows
	At     time.Time
	Logged bool
}

// maxAnswers caps a batch: one answer per file of the part.
const maxAnswers = 100000

// maxBatches caps the batches one member sends for one part: each is a log
// entry that every member's tool reads and replays, so one member's flood
// would push the tender past what the tools accept (audit.MaxTenderEntries)
// and stall the opening. A member sends one batch, a few if it corrects
// itself; 32 members' 64 are 2048 entries.
const maxBatches = 64

// Contribute takes member actor's batch of answers for file part f while
// its opening runs (opening.md §5.2): every answer must be for a current
// file of the part (for File II, a bidder who passed), a contribution
// must carry the actor's own member index and be computed from that file's
// header. A contribution that fails authentication is recorded as refused
// — the member's fault, since its own tool checks exactly that — and the
// batch is accepted; any other wrong answer refuses the whole batch,
// naming it, and changes nothing. The batch is logged as one
// contributions-received entry; member keys are kept encrypted
// (Config.Secrets) until the part's report is logged. A member may send
// further batches until the opening completes; its last answer for a file
// counts. Nothing is opened, and no plaintext shown, before the opening
// completes.
func (f File) Contribute(ctx context.Context, actor string, answers []FileAnswer) (*Batch, error) {
	e := f.e
	if e.cfg.Secrets == nil {
		return nil, errors.New("tender: Config.Secrets is needed to keep the members' contributions of a v2 opening")
	}
	t, files, err := f.opening(ctx, actor)
	if err != nil {
		return nil, err
	}
	member := t.MemberIndex(actor)
	if len(answers) == 0 || len(answers) > maxAnswers {
		return nil, fmt.Errorf("%w: a batch has 1 to %d answers, not %d", ErrInvalid, maxAnswers, len(answers))
	}
	byIndex := map[int64]Offer{}
	for _, o := range files {
		if o.Delivered && !t.withheld(o) {
			byIndex[o.LogIndex] = o
		}
	}
	b := &Batch{Member: member, User: actor, Refusals: map[int64]string{}}
	batchID := fmt.Sprintf("%020d-%s", e.now().UnixNano(), newToken()[:8])
	records := map[int64]answerRecord{}
	for _, a := range answers {
		o, ok := byIndex[a.Index]
		_, twice := records[a.Index]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: entry %d is not a current file of file %d of tender %s whose header was served", ErrInvalid, a.Index, f.file, t.ID)
		case twice:
			return nil, fmt.Errorf("%w: two answers for the file of entry %d", ErrInvalid, a.Index)
		case (a.Contribution == nil) == (a.Claim == ""):
			return nil, fmt.Errorf("%w: the answer for entry %d is a contribution or a claim, one of them", ErrInvalid, a.Index)
		case a.Claim != "" && a.Claim != audit.AnswerClaimedKey && a.Claim != audit.AnswerClaimedShare:
			return nil, fmt.Errorf("%w: the claim for entry %d is %q; a claim is %s or %s", ErrInvalid, a.Index, a.Claim, audit.AnswerClaimedKey, audit.AnswerClaimedShare)
		}
		if a.Claim != "" {
			records[a.Index] = answerRecord{Answer: a.Claim, Batch: batchID}
			b.Claimed++
			continue
		}
		c := *a.Contribution
		if c.Member != member {
			return nil, fmt.Errorf("%w: the contribution for entry %d is member %d's; %s is member %d", ErrInvalid, a.Index, c.Member, actor, member)
		}
		h, err := e.header(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("tender: the header of entry %d: %w", a.Index, err)
		}
		rec := answerRecord{Answer: audit.AnswerContributed, Batch: batchID}
		switch err := sealer.CheckContribution(h, c); {
		case errors.Is(err, sealer.ErrOtherOffer):
			return nil, fmt.Errorf("%w: the contribution for entry %d (%s's file) was computed from another header; check the headers again: %w",
				ErrInvalid, a.Index, o.Bidder, err)
		case errors.Is(err, sealer.ErrBadContribution):
			rec.Answer = audit.AnswerRefused
			b.Refused++
			b.Refusals[a.Index] = err.Error()
		case err != nil:
			return nil, fmt.Errorf("%w: the contribution for entry %d: %v", ErrInvalid, a.Index, err)
		default:
			b.Contributed++
		}
		if rec.Key, err = e.cfg.Secrets.Encrypt(c.Key[:], keyAD(t.ID, f.file, member, a.Index)); err != nil {
			return nil, fmt.Errorf("tender: keeping a contribution: %w", err)
		}
		records[a.Index] = rec
	}
	b.List = answerList(records)
	ent, err := entry("contributions-received", "tender", t.ID, "file", uintEntry(f.file), "member", uintEntry(member),
		"user", actor, "contributed", uintEntry(b.Contributed), "claimed", uintEntry(b.Claimed), "refused", uintEntry(b.Refused),
		"list", hexEntry(b.List[:]), "time", canon.FormatTime(e.now()))
	if err != nil {
		return nil, err
	}
	br := batchRecord{Member: member, User: actor, Entry: ent, At: e.now()}
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		var cur Tender
		if err := getJSON(tx, tableTenders, t.ID, &cur); err != nil {
			return err
		}
		if err := cur.stateIs(StateOpening, f.file); err != nil || cur.Pending != nil {
			return fmt.Errorf("%w: the opening of file %d of tender %s is completing or completed; the batch was not taken", ErrState, f.file, t.ID)
		}
		var sent int
		countKey := fmt.Sprintf("%s/%d/%02d", t.ID, f.file, member)
		if err := getJSON(tx, tableBatchCounts, countKey, &sent); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		if sent >= maxBatches {
			return fmt.Errorf("%w: %s has sent %d batches for file %d of tender %s, the most a member sends; its last answer for each file counts",
				ErrState, actor, sent, f.file, t.ID)
		}
		if err := putJSON(tx, tableBatchCounts, countKey, sent+1); err != nil {
			return err
		}
		br.From = e.cfg.Log.Size()
		for index, rec := range records {
			if err := putJSON(tx, tableAnswers, answerKey(t.ID, f.file, member, index), rec); err != nil {
				return err
			}
		}
		return putJSON(tx, tableBatches, batchKey(t.ID, f.file, batchID), br)
	})
	if err != nil {
		return nil, err
	}
	if b.LogIndex, err = e.appendLog(ctx, ent); err != nil {
		// Recorded: the completion appends the entry before its report.
		return nil, fmt.Errorf("%w; the batch is recorded and its entry will be logged before the opening report", err)
	}
	br.Logged = true
	if err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		return putJSON(tx, tableBatches, batchKey(t.ID, f.file, batchID), br)
	}); err != nil {
		e.log.Error("a logged batch is not marked so", "tender", t.ID, "file", f.file, "member", member, "err", err)
	}
	return b, nil
}

// answerList returns the SHA-256 of a batch's list (audit.AnswerList).
func answerList(records map[int64]answerRecord) [32]byte {
	answers := make(map[int64]string, len(records))
	for index, rec := range records {
		answers[index] = rec.Answer
	}
	return audit.AnswerList(answers)
}

// keyAD is the associated data of a member key kept encrypted: it binds
// the key to its tender, part, member and file, so a record moved to
// another cannot be decrypted.
func keyAD(tender string, file, member int, index int64) []byte {
	return []byte("segel member key\x00" + answerKey(tender, file, member, index))
}

func answerKey(tender string, file, member int, index int64) string {
	return fmt.Sprintf("%s/%d/%02d/%020d", tender, file, member, index)
}

func batchKey(tender string, file int, batch string) string {
	return fmt.Sprintf("%s/%d/%s", tender, file, batch)
}

// partAnswers reads every member's last answer for file part file of
// tender id, by member then file index, and its batches.
func partAnswers(tx vault.Tx, id string, file int) (map[int]map[int64]answerRecord, map[string]batchRecord, error) {
	answers := map[int]map[int64]answerRecord{}
	prefix := fmt.Sprintf("%s/%d/", id, file)
	err := tx.Scan(tableAnswers, prefix, func(key string, value []byte) error {
		parts := strings.Split(strings.TrimPrefix(key, prefix), "/")
		if len(parts) != 2 {
			return fmt.Errorf("tender: answer key %q", key)
		}
		member, err1 := strconv.Atoi(parts[0])
		index, err2 := strconv.ParseInt(parts[1], 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("tender: answer key %q", key)
		}
		var rec answerRecord
		if err := json.Unmarshal(value, &rec); err != nil {
			return fmt.Errorf("tender: stored answer %q is corrupt: %w", key, err)
		}
		if answers[member] == nil {
			answers[member] = map[int64]answerRecord{}
		}
		answers[member][index] = rec
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	batches := map[string]batchRecord{}
	err = tx.Scan(tableBatches, prefix, func(key string, value []byte) error {
		var br batchRecord
		if err := json.Unmarshal(value, &br); err != nil {
			return fmt.Errorf("tender: stored batch %q is corrupt: %w", key, err)
		}
		batches[key] = br
		return nil
	})
	return answers, batches, err
}
