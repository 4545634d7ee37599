package registry

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password policy (doc/spec/registry.md §4.5). NIST SP 800-63B asks for a
// minimum length and no composition rules; the maximum bounds the work an
// attacker can make argon2id do per request.
const (
	MinPasswordLength = 12  // characters
	MaxPasswordLength = 256 // characters
)

// PasswordParams are argon2id's cost parameters (RFC 9106 §3.1).
type PasswordParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // lanes
}

// defaultPasswordParams are OWASP's recommendation for argon2id (19 MiB,
// two passes, one lane): about 20 ms on a server core, so a login costs the
// server little and an offline guess costs the attacker the same memory.
func defaultPasswordParams() PasswordParams {
	return PasswordParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}
}

const (
	saltLen = 16 // RFC 9106 recommends 128 bits
	hashLen = 32
	// Upper bounds accepted when parsing a stored hash, so a damaged or
	// hostile record cannot make verification allocate without limit.
	maxParamMemoryKiB = 4 << 20 // 4 GiB
	maxParamTime      = 64
)

// checkPassword applies the length policy.
func checkPassword(p string) error {
	if !utf8.ValidString(p) {
		return invalid("password", "it is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(p); n < MinPasswordLength || n > MaxPasswordLength {
		return invalid("password", fmt.Sprintf("it has %d characters; choose %d to %d (a passphrase of several words works well)",
			n, MinPasswordLength, MaxPasswordLength))
	}
	return nil
}

// hashPassword returns the PHC string of argon2id over password with a fresh
// random salt.
func hashPassword(password string, p PasswordParams) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, hashLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.MemoryKiB, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// verifyPassword reports whether password matches the PHC string encoded,
// using the parameters stored in it, in constant time.
func verifyPassword(password, encoded string) (bool, error) {
	p, salt, key, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// parsePHC parses $argon2id$v=19$m=M,t=T,p=P$salt$hash, canonical only.
func parsePHC(s string) (p PasswordParams, salt, key []byte, err error) {
	bad := fmt.Errorf("registry: stored password hash is malformed")
	parts := strings.Split(s, "$")
	if len(s) > 256 || len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" ||
		parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, bad
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, bad
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(kv[i], name)
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || strconv.FormatUint(n, 10) != v {
			return p, nil, nil, bad
		}
		vals[i] = n
	}
	if vals[0] < 8*vals[2] || vals[0] > maxParamMemoryKiB || vals[1] < 1 || vals[1] > maxParamTime ||
		vals[2] < 1 || vals[2] > 255 {
		return p, nil, nil, bad
	}
	p = PasswordParams{MemoryKiB: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	salt, err1 := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return p, nil, nil, bad
	}
	return p, salt, key, nil
}
