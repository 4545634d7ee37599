package timelock

import (
	"io"
	"strings"
	"testing"

	"filippo.io/age/armor"
)

func armorReader(t testing.TB, s string) io.Reader {
	t.Helper()
	return armor.NewReader(strings.NewReader(s))
}
