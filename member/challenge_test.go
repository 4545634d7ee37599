package member

import (
	"bytes"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
)

func TestKeyChallenge(t *testing.T) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	other, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	file, secret, err := NewKeyChallenge(id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(file, []byte("-----BEGIN AGE ENCRYPTED FILE-----\n")) || len(file) > MaxKeyChallengeSize {
		t.Errorf("challenge is not a small armored age file:\n%s", file)
	}
	if got, err := AnswerKeyChallenge(file, id); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("AnswerKeyChallenge = %x, %v; want %x", got, err, secret)
	}
	if _, err := AnswerKeyChallenge(file, other); err == nil {
		t.Error("another key answered the challenge")
	}
	// A file of another size inside is not a challenge.
	var long bytes.Buffer
	aw := armor.NewWriter(&long)
	w, _ := age.Encrypt(aw, id.Recipient())
	w.Write(make([]byte, KeyChallengeSize+1))
	w.Close()
	aw.Close()
	for name, f := range map[string][]byte{
		"empty":     nil,
		"too large": bytes.Repeat([]byte("a"), MaxKeyChallengeSize+1),
		"not age":   []byte("-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n"),
		"17 bytes":  long.Bytes(),
		"cut short": file[:len(file)-40],
	} {
		if _, err := AnswerKeyChallenge(f, id); err == nil {
			t.Errorf("%s: answered", name)
		}
	}
}
