package registry

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckRef checks that a committee's tender reference has the tender
// id's form: no '/', which would let one tender's records reach into
// another's.
func TestCheckRef(t *testing.T) {
	for _, ref := range []string{"T-1", "T-10", "T-1.x", "T-1_x", "12345678", strings.Repeat("9", 64)} {
		if err := checkRef(ref); err != nil {
			t.Errorf("checkRef(%q): %v", ref, err)
		}
	}
	for _, ref := range []string{"", "T-1/x", "T-1/", "/T-1", "../x", "-T", "T 1", strings.Repeat("9", 65)} {
		err := checkRef(ref)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "give 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit") {
			t.Errorf("checkRef(%q): err = %v, want ErrInvalid saying the allowed form", ref, err)
		}
	}
}
