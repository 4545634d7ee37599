package tender

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// Kind is a kind of tender message.
type Kind string

const (
	// KindQuestion is a clarification question (aanwijzing), asked by a
	// registered provider before the clarification deadline.
	KindQuestion Kind = "question"
	// KindObjection is an objection (sanggah) to the result, by a provider
	// who made an offer, within the objection period.
	KindObjection Kind = "objection"
)

// Message is a question or objection and its answer.
type Message struct {
	Kind     Kind
	By       string
	Document [32]byte // SHA-256 of the text in Blobs
	Time     time.Time
	Answer   *Answer `json:",omitempty"`
}

// Answer is the committee's answer to a message.
type Answer struct {
	By       string
	Document [32]byte
	Time     time.Time
}

// maxMessages caps the questions, and the objections, one provider files
// on one tender: each is a log entry of the tender that every committee
// member's tool replays at the opening (audit.MaxTenderEntries), so one
// provider's flood of them must not stall it.
const maxMessages = 20

// Ask files a question or an objection on tender id, at most maxMessages
// of each kind per provider.
func (e *Engine) Ask(ctx context.Context, provider, id string, kind Kind, text string) (*Message, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	now := e.now()
	var typ, field string
	switch kind {
	case KindQuestion:
		if t.State != StateAnnounced || now.After(t.Schedule.ClarificationEnd) {
			return nil, fmt.Errorf("%w: questions closed at %s", ErrState, ts(t.Schedule.ClarificationEnd))
		}
		if ok, err := e.isRegistered(ctx, id, provider); err != nil {
			return nil, err
		} else if !ok {
			return nil, fmt.Errorf("%w: register for %s before asking", ErrNotRegistered, id)
		}
		typ, field = "question-asked", "question"
	case KindObjection:
		if t.State != StateResult || now.After(t.Result.ObjectionsEnd) {
			return nil, fmt.Errorf("%w: objections are filed after the result, within the objection period", ErrState)
		}
		if !t.hasOffer(provider) {
			return nil, fmt.Errorf("%w: only providers who made an offer may object", ErrForbidden)
		}
		typ, field = "objection-filed", "objection"
	default:
		return nil, fmt.Errorf("%w: unknown message kind %q", ErrInvalid, kind)
	}
	if err := e.cfg.Directory.CheckProvider(ctx, provider); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	doc, err := e.putText(ctx, text)
	if err != nil {
		return nil, err
	}
	ent, err := entry(typ, "tender", id, "by", provider, field, hexEntry(doc[:]), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	m := &Message{Kind: kind, By: provider, Document: doc, Time: now}
	key := messageKey(id, kind, doc)
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		var filed int
		if err := tx.Scan(tableMessages, id+"/"+string(kind)+"/", func(_ string, value []byte) error {
			var other Message
			if json.Unmarshal(value, &other) == nil && other.By == provider {
				filed++
			}
			return nil
		}); err != nil {
			return err
		}
		if filed >= maxMessages {
			return fmt.Errorf("%w: %s has filed %d %ss on tender %s, the most a provider may; the committee answers them", ErrState, provider, filed, kind, id)
		}
		b, _ := json.Marshal(m)
		return tx.Insert(tableMessages, key, b)
	})
	if errors.Is(err, vault.ErrExists) {
		return nil, fmt.Errorf("%w: the same %s was already filed", ErrDuplicate, kind)
	} else if err != nil {
		return nil, err
	}
	if _, err := e.appendLog(ctx, ent); err != nil {
		e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Delete(tableMessages, key) })
		return nil, err
	}
	return m, nil
}

// Reply answers a question or objection, by a committee member.
func (e *Engine) Reply(ctx context.Context, actor, id string, kind Kind, message [32]byte, text string) (*Message, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
	}
	var m Message
	key := messageKey(id, kind, message)
	err = e.cfg.Records.View(ctx, func(tx vault.Tx) error { return getJSON(tx, tableMessages, key, &m) })
	if errors.Is(err, vault.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s %x", ErrNotFound, kind, message[:6])
	} else if err != nil {
		return nil, err
	}
	if m.Answer != nil {
		return nil, fmt.Errorf("%w: already answered at %s", ErrState, ts(m.Answer.Time))
	}
	doc, err := e.putText(ctx, text)
	if err != nil {
		return nil, err
	}
	now := e.now()
	typ, field := "question-answered", "question"
	if kind == KindObjection {
		typ, field = "objection-answered", "objection"
	}
	ent, err := entry(typ, "tender", id, "by", actor, field, hexEntry(message[:]), "answer", hexEntry(doc[:]), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	if _, err := e.appendLog(ctx, ent); err != nil {
		return nil, err
	}
	m.Answer = &Answer{By: actor, Document: doc, Time: now}
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return putJSON(tx, tableMessages, key, m) })
	return &m, err
}

// Messages lists the messages of one kind on tender id.
func (e *Engine) Messages(ctx context.Context, id string, kind Kind) ([]Message, error) {
	var out []Message
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		return tx.Scan(tableMessages, id+"/"+string(kind)+"/", func(key string, value []byte) error {
			var m Message
			if err := json.Unmarshal(value, &m); err != nil {
				return fmt.Errorf("tender: stored message %q is corrupt: %w", key, err)
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

func messageKey(id string, kind Kind, doc [32]byte) string {
	return id + "/" + string(kind) + "/" + hex.EncodeToString(doc[:])
}
