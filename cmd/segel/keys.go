package main

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
)

// maxKeyFileSize caps a key file. A hybrid identity line is under 100 bytes
// and a recipient line about 2 KB; comments make up the rest.
const maxKeyFileSize = 64 << 10

const (
	hybridIdentityPrefix  = "AGE-SECRET-KEY-PQ-1"
	hybridRecipientPrefix = "age1pq1"
)

// parseCommitteeIdentity parses a committee key file written by segel keygen
// (or age-keygen -pq): comment lines and one AGE-SECRET-KEY-PQ-1 line.
func parseCommitteeIdentity(name string, b []byte) (*age.HybridIdentity, error) {
	lines := contentLines(b)
	if len(lines) != 1 {
		return nil, fmt.Errorf("%s: want exactly one key line in a committee key file, found %d", name, len(lines))
	}
	if !strings.HasPrefix(lines[0], hybridIdentityPrefix) {
		return nil, fmt.Errorf("%s: not a committee key (want %s…, as written by segel keygen)", name, hybridIdentityPrefix)
	}
	id, err := age.ParseHybridIdentity(lines[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return id, nil
}

// loadCommitteeIdentity reads and parses a committee key file.
func loadCommitteeIdentity(name string) (*age.HybridIdentity, error) {
	b, err := readSmallFile(name, maxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("failed to read committee key: %w", err)
	}
	return parseCommitteeIdentity(name, b)
}

// loadCommitteeRecipient parses a --committee value: an age1pq1… recipient,
// or a file holding one (a .pub file with comments, or the key file itself).
func loadCommitteeRecipient(arg string) (*age.HybridRecipient, error) {
	if arg == "" {
		return nil, errors.New("missing --committee")
	}
	if strings.HasPrefix(arg, hybridRecipientPrefix) {
		r, err := age.ParseHybridRecipient(arg)
		if err != nil {
			return nil, fmt.Errorf("invalid committee recipient: %w", err)
		}
		return r, nil
	}
	if strings.HasPrefix(arg, "age1") {
		return nil, fmt.Errorf("committee recipient must be a post-quantum hybrid key (%s…), not %.10s…", hybridRecipientPrefix, arg)
	}
	b, err := readSmallFile(arg, maxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("failed to read committee recipient: %w", err)
	}
	lines := contentLines(b)
	if len(lines) == 1 && strings.HasPrefix(lines[0], hybridIdentityPrefix) {
		id, err := parseCommitteeIdentity(arg, b)
		if err != nil {
			return nil, err
		}
		return id.Recipient(), nil
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], hybridRecipientPrefix) {
		return nil, fmt.Errorf("%s: want exactly one %s… line in a committee recipient file", arg, hybridRecipientPrefix)
	}
	r, err := age.ParseHybridRecipient(lines[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	return r, nil
}
