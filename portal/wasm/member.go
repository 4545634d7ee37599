//go:build js && wasm

package main

import (
	"fmt"
	"syscall/js"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/portal/wasmapi"
)

// checkFile(pinnedChain, pinnedKeys, tender, log, bidder, file): file
// part file (1 or 2) of a v2 tender, as the server describes it, checked
// for bidder against the chain pinned in the page's code, and its
// committee and round against the tender's log (GET …/log) verified with
// the pinned keys' log key; resolves to wasmapi.CheckedFile, whose target
// seal and inspect take.
func checkFile(args []js.Value) (any, error) {
	pinned, err := jsonArg(args, 0, "the pinned chain")
	if err != nil {
		return nil, err
	}
	keys, err := textArg(args, 1, "the pinned keys", audit.MaxKeysSize)
	if err != nil {
		return nil, err
	}
	tender, err := jsonArg(args, 2, "the tender")
	if err != nil {
		return nil, err
	}
	lg, err := jsonArg(args, 3, "the tender's log")
	if err != nil {
		return nil, err
	}
	if len(args) < 6 || args[4].Type() != js.TypeString || args[5].Type() != js.TypeNumber {
		return nil, fmt.Errorf("%w: checkFile(pinnedChain, pinnedKeys, tender, log, bidder, file): the bidder's id and the file part (1 or 2) are required", wasmapi.ErrInput)
	}
	c, err := wasmapi.CheckFileLogged(pinned, keys, tender, lg, args[4].String(), args[5].Int(), time.Now())
	if err != nil {
		return nil, err
	}
	return toJS(c), nil
}

// generateKey(): a member's new opening key; resolves to wasmapi.KeyFile,
// whose file the page offers as a download and whose recipient it
// registers.
func generateKey([]js.Value) (any, error) {
	k, err := wasmapi.GenerateKey(time.Now())
	if err != nil {
		return nil, err
	}
	return toJS(k), nil
}

// answerChallenge(challenge, recipient, keyFile): the registry's key
// challenge (armored text) answered with the key file the member chose (a
// File); resolves to wasmapi.KeyAnswer. The key stays in this memory.
func answerChallenge(args []js.Value) (any, error) {
	ch, err := textArg(args, 0, "the key challenge", member.MaxKeyChallengeSize)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 || args[1].Type() != js.TypeString {
		return nil, fmt.Errorf("%w: the recipient being registered is missing", wasmapi.ErrInput)
	}
	key, err := textArg(args, 2, "the key file", wasmapi.MaxKeyFileSize)
	if err != nil {
		return nil, err
	}
	a, err := wasmapi.AnswerChallenge(ch, args[1].String(), key)
	clear(key)
	if err != nil {
		return nil, err
	}
	return toJS(a), nil
}

// contribute(evidence, keys, pinnedChain, tender, file, keyFile, previous):
// a member's turn: the server's evidence (JSON text or object) checked
// against the pinned keys and chain, the answers computed with the key
// file the member chose (a File), and resolves to wasmapi.Contribution,
// whose batch the page sends. previous is the checkpoint of the member's
// last turn, or undefined.
func contribute(args []js.Value) (any, error) {
	ev, err := jsonArg(args, 0, "the evidence")
	if err != nil {
		return nil, err
	}
	keys, err := textArg(args, 1, "the pinned keys", audit.MaxKeysSize)
	if err != nil {
		return nil, err
	}
	pinned, err := jsonArg(args, 2, "the pinned chain")
	if err != nil {
		return nil, err
	}
	if len(args) < 5 || args[3].Type() != js.TypeString || args[4].Type() != js.TypeNumber {
		return nil, fmt.Errorf("%w: contribute: the tender id and the file part (1 or 2) are required", wasmapi.ErrInput)
	}
	key, err := textArg(args, 5, "the key file", wasmapi.MaxKeyFileSize)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	var previous []byte
	if len(args) > 6 && args[6].Type() == js.TypeString {
		previous = []byte(args[6].String())
	}
	c, err := wasmapi.Contribute(ev, keys, pinned, args[3].String(), args[4].Int(), key, previous)
	if err != nil {
		return nil, err
	}
	return toJS(c), nil
}
