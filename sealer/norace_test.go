//go:build !race

package sealer_test

const raceEnabled = false
