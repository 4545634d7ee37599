package server_test

import (
	"os"
	"testing"
	"time"
)

// TestMain runs the tests in Western Indonesian Time, the zone most LPSEs
// run in, so that a time the server answered in its local zone rather
// than in UTC fails the contract check (internal/apitest) even on a
// machine whose zone is UTC.
func TestMain(m *testing.M) {
	time.Local = time.FixedZone("WIB", 7*3600)
	os.Exit(m.Run())
}
