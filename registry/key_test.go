package registry

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/sealer"
)

// registerKey registers a fresh key for user, as a member's tool does, and
// returns it.
func (e *env) registerKey(user string) *age.HybridIdentity {
	e.t.Helper()
	id, err := age.GenerateHybridIdentity()
	e.must(err)
	ch, err := e.reg.ChallengeKey(e.ctx, user, id.Recipient().String())
	e.must(err)
	answer, err := member.AnswerKeyChallenge(ch.File, id)
	e.must(err)
	_, err = e.reg.RegisterKey(e.ctx, user, answer)
	e.must(err)
	return id
}

// TestCommitteeKey registers a member's opening key with proof of
// possession, rotates it, and reads the history (doc/spec/opening.md §2.1).
func TestCommitteeKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		if _, err := e.reg.CommitteeKey(e.ctx, c.pokja.ID); !errors.Is(err, ErrNoCommitteeKey) {
			t.Fatalf("CommitteeKey before any registration: %v, want ErrNoCommitteeKey", err)
		}
		id, err := age.GenerateHybridIdentity()
		e.must(err)
		recipient := id.Recipient().String()
		entries := len(e.log.all())
		ch, err := e.reg.ChallengeKey(e.ctx, c.pokja.ID, recipient)
		e.must(err)
		if !bytes.HasPrefix(ch.File, []byte("-----BEGIN AGE ENCRYPTED FILE-----\n")) || len(ch.File) > member.MaxKeyChallengeSize {
			t.Errorf("challenge is not a small armored age file:\n%s", ch.File)
		}
		if want := e.clock.Now().Add(KeyChallengeLifetime); !ch.Expires.Equal(want) {
			t.Errorf("challenge expires %v, want %v", ch.Expires, want)
		}
		if len(e.log.all()) != entries {
			t.Error("a challenge was logged; only a registered key is")
		}
		e.clock.Add(time.Minute)
		answer, err := member.AnswerKeyChallenge(ch.File, id)
		e.must(err)
		key, err := e.reg.RegisterKey(e.ctx, c.pokja.ID, answer)
		e.must(err)
		want := CommitteeKey{User: c.pokja.ID, Recipient: recipient, KeyID: sealer.KeyID(id.Recipient()), Registered: e.clock.Now()}
		if key != want {
			t.Errorf("RegisterKey = %+v, want %+v", key, want)
		}
		if got, err := e.reg.CommitteeKey(e.ctx, c.pokja.ID); err != nil || got != want {
			t.Errorf("CommitteeKey = %+v, %v; want %+v", got, err, want)
		}
		log := e.log.all()
		last := log[len(log)-1]
		if last.Type != "committee-key-registered" || last.Value("user") != c.pokja.ID || last.Value("key") != want.KeyID ||
			last.Value("recipient") != recipient || len(log) != entries+1 {
			t.Errorf("logged %d entries, the last %+v; want one committee-key-registered", len(log)-entries, last)
		}

		// A new key applies from its registration on; the old one stays in
		// the history.
		e.clock.Add(time.Hour)
		id2 := e.registerKey(c.pokja.ID)
		keys, err := e.reg.CommitteeKeys(e.ctx, c.pokja.ID)
		e.must(err)
		if len(keys) != 2 || keys[0] != want || keys[1].Recipient != id2.Recipient().String() || !keys[1].Registered.After(keys[0].Registered) {
			t.Errorf("CommitteeKeys = %+v, want the first key then the second", keys)
		}
		if got, _ := e.reg.CommitteeKey(e.ctx, c.pokja.ID); got != keys[1] {
			t.Errorf("CommitteeKey = %+v, want the second key", got)
		}
	})
}

// TestCommitteeKeyRefusals refuses every wrong registration, each with its
// own error and without changing anything; a wrong answer only ends the
// challenge.
func TestCommitteeKeyRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		other := e.active(official(RolePokja, 2), c.verifier.ID)
		provider := e.active(company(1), c.verifier.ID)
		taken := e.registerKey(other.ID)
		id, err := age.GenerateHybridIdentity()
		e.must(err)
		recipient := id.Recipient().String()
		x25519, err := age.GenerateX25519Identity()
		e.must(err)

		check := func(name string, err, want error) {
			t.Helper()
			before := e.snapshot()
			e.refused(name, before, err, want)
		}
		for _, tc := range []struct {
			name, user, recipient string
			want                  error
		}{
			{"an X25519 key", c.pokja.ID, x25519.Recipient().String(), ErrInvalid},
			{"an uppercase recipient", c.pokja.ID, strings.ToUpper(recipient), ErrInvalid},
			{"a recipient cut short", c.pokja.ID, recipient[:len(recipient)-1], ErrInvalid},
			{"a secret key", c.pokja.ID, "AGE-SECRET-KEY-PQ-1" + strings.Repeat("Q", 100), ErrInvalid},
			{"another member's key", c.pokja.ID, taken.Recipient().String(), ErrInvalid},
			{"its own key again", other.ID, taken.Recipient().String(), ErrInvalid},
			{"by a provider", provider.ID, recipient, ErrForbidden},
			{"by a verifier", c.verifier.ID, recipient, ErrForbidden},
			{"by nobody", "u-nobody", recipient, ErrForbidden},
		} {
			before := e.snapshot()
			_, err := e.reg.ChallengeKey(e.ctx, tc.user, tc.recipient)
			e.refused(tc.name, before, err, tc.want)
			var fe *FieldError
			if tc.want == ErrInvalid && (!errors.As(err, &fe) || fe.Field != "recipient") {
				t.Errorf("%s: %v is not a FieldError of field recipient", tc.name, err)
			}
		}
		_, err = e.reg.RegisterKey(e.ctx, c.pokja.ID, make([]byte, 16))
		check("an answer without a challenge", err, ErrWrongState)

		// A wrong answer ends the challenge, and registers nothing.
		ch, err := e.reg.ChallengeKey(e.ctx, c.pokja.ID, recipient)
		e.must(err)
		answer, err := member.AnswerKeyChallenge(ch.File, id)
		e.must(err)
		wrong := bytes.Clone(answer)
		wrong[0] ^= 1
		entries := len(e.log.all())
		var fe *FieldError
		if _, err := e.reg.RegisterKey(e.ctx, c.pokja.ID, wrong); !errors.As(err, &fe) || fe.Field != "answer" {
			t.Errorf("a wrong answer: %v, want a FieldError of field answer", err)
		}
		if _, err := e.reg.RegisterKey(e.ctx, c.pokja.ID, answer); !errors.Is(err, ErrWrongState) {
			t.Errorf("the right answer after a wrong one: %v, want ErrWrongState (ask again)", err)
		}
		if _, err := e.reg.CommitteeKey(e.ctx, c.pokja.ID); !errors.Is(err, ErrNoCommitteeKey) || len(e.log.all()) != entries {
			t.Errorf("after a wrong answer a key is registered (%v) or logged", err)
		}
		if _, err := member.AnswerKeyChallenge(ch.File, taken); err == nil {
			t.Error("another key answered the challenge")
		}

		// Too late.
		ch, err = e.reg.ChallengeKey(e.ctx, c.pokja.ID, recipient)
		e.must(err)
		answer, err = member.AnswerKeyChallenge(ch.File, id)
		e.must(err)
		e.clock.Add(KeyChallengeLifetime)
		if _, err := e.reg.RegisterKey(e.ctx, c.pokja.ID, answer); !errors.Is(err, ErrWrongState) {
			t.Errorf("an answer at expiry: %v, want ErrWrongState", err)
		}
		for _, short := range [][]byte{nil, answer[:15], append(bytes.Clone(answer), 0)} {
			ch, err = e.reg.ChallengeKey(e.ctx, c.pokja.ID, recipient)
			e.must(err)
			if _, err := e.reg.RegisterKey(e.ctx, c.pokja.ID, short); !errors.Is(err, ErrInvalid) {
				t.Errorf("an answer of %d bytes: %v, want ErrInvalid", len(short), err)
			}
		}
	})
}

// TestCommitteeKeyRace registers one key for two accounts at once: a key
// is one member's, so one of them is refused even when both hold it.
func TestCommitteeKeyRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		c := e.cast()
		other := e.active(official(RolePokja, 2), c.verifier.ID)
		id, err := age.GenerateHybridIdentity()
		e.must(err)
		var answers [2][]byte
		users := [2]string{c.pokja.ID, other.ID}
		for i, u := range users {
			ch, err := e.reg.ChallengeKey(e.ctx, u, id.Recipient().String())
			e.must(err)
			answers[i], err = member.AnswerKeyChallenge(ch.File, id)
			e.must(err)
		}
		var wg sync.WaitGroup
		var errs [2]error
		for i := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.reg.RegisterKey(e.ctx, users[i], answers[i])
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrInvalid):
				t.Errorf("the losing registration: %v, want ErrInvalid", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d registrations of one key succeeded, want 1 (%v)", ok, errs)
		}
	})
}
