package timelock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Open decrypts an age file time-locked to b's chain, armored or not: it
// reads the header, asks b for the round's signature (an error wrapping
// ErrTooEarly before the round) and returns the plaintext stream. A file
// with no tlock stanza for b's chain fails with ErrWrongChain.
func Open(ctx context.Context, src io.Reader, b Beacon) (io.Reader, error) {
	br := bufio.NewReader(src)
	// Like drand's tle, armor is recognized only at the very start.
	if peek, _ := br.Peek(len(armor.Header)); string(peek) == armor.Header {
		src = armor.NewReader(br)
	} else {
		src = br
	}
	stanzas, file, err := ReadStanzas(src)
	if err != nil {
		return nil, err
	}
	c := b.Chain()
	var round uint64
	var mismatch error
	for _, s := range stanzas {
		if s.Type != StanzaType || len(s.Args) != 2 {
			continue
		}
		r, err := ParseStanza(c, s)
		if errors.Is(err, ErrWrongChain) {
			mismatch = err
			continue
		}
		if err != nil {
			return nil, err
		}
		round = r
		break
	}
	if round == 0 {
		if mismatch != nil {
			return nil, mismatch
		}
		return nil, fmt.Errorf("timelock: file has no %q stanza", StanzaType)
	}
	sig, err := b.Signature(ctx, round)
	if err != nil {
		return nil, err
	}
	id, err := NewIdentity(c, round, sig)
	if err != nil {
		return nil, err
	}
	return age.Decrypt(file, id)
}

// ReadStanzas reads the header of the age file in src and returns its
// recipient stanzas, parsed strictly by age itself, together with a
// reader that yields the whole file again from its first byte.
func ReadStanzas(src io.Reader) ([]*age.Stanza, io.Reader, error) {
	var seen bytes.Buffer
	hdr, err := age.ExtractHeader(io.TeeReader(src, &seen))
	if err != nil {
		return nil, nil, fmt.Errorf("timelock: not an age file: %w", err)
	}
	var p stanzaProbe
	// DecryptHeader parses the header and hands its stanzas to the probe,
	// which records them and declines, so nothing is decrypted.
	if _, err := age.DecryptHeader(hdr, &p); !errors.Is(err, age.ErrIncorrectIdentity) {
		return nil, nil, fmt.Errorf("timelock: reading header: %v", err)
	}
	return p.stanzas, io.MultiReader(&seen, src), nil
}

type stanzaProbe struct{ stanzas []*age.Stanza }

func (p *stanzaProbe) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	p.stanzas = stanzas
	return nil, age.ErrIncorrectIdentity
}
