//go:build race

package sealer_test

// raceEnabled is true when the tests run under the race detector, which
// slows the pure-Go pairing and KEM code about twentyfold: the longest
// exhaustive test then samples what it enumerates (see its comment).
const raceEnabled = true
