package member_test

import (
	"bytes"
	"fmt"
	"log"

	"filippo.io/age"
	"github.com/segel-lpse/segel/member"
)

// A member registers its opening key: the registry's challenge is an age
// file only the key's holder decrypts; the tool returns what is inside.
func ExampleAnswerKeyChallenge() {
	key, _ := age.GenerateHybridIdentity() // on the member's own device

	// The registry's side (registry.ChallengeKey).
	file, secret, err := member.NewKeyChallenge(key.Recipient())
	if err != nil {
		log.Fatal(err)
	}

	answer, err := member.AnswerKeyChallenge(file, key)
	fmt.Println(err, bytes.Equal(answer, secret))
	other, _ := age.GenerateHybridIdentity()
	_, err = member.AnswerKeyChallenge(file, other)
	fmt.Println(err != nil)
	// Output:
	// <nil> true
	// true
}

// A batch's text form, as a member's tool sends it.
func ExampleBatch_Marshal() {
	b := &member.Batch{Tender: "T-1", File: 2, Member: 3, Answers: []member.Answer{
		{Index: 41, Claim: "claimed-key"},
	}}
	text, err := b.Marshal()
	fmt.Printf("%s%v\n", text, err)
	// Output:
	// segel-contributions/v1
	// tender: T-1
	// file: 2
	// member: 3
	// answer: 41 claimed-key
	// <nil>
}
