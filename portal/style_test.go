package portal_test

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestContrast checks the colours of portal.css against WCAG 2.1: 4.5:1
// for text on its background (1.4.3, AA), 3:1 for the focus ring against
// what it is drawn on (1.4.11).
func TestContrast(t *testing.T) {
	css, err := os.ReadFile("static/portal.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	for _, c := range []struct {
		fg, bg string
		min    float64
	}{
		{"ink", "paper", 4.5},
		{"muted", "paper", 4.5},
		{"link", "paper", 4.5},
		{"brand-ink", "brand", 4.5}, // the header, buttons
		{"brand", "paper", 4.5},     // secondary buttons
		{"ok-ink", "ok-bg", 4.5},
		{"err-ink", "err-bg", 4.5},
		{"warn-ink", "warn-bg", 4.5},
		{"focus", "paper", 3},
		{"focus", "ok-bg", 3},
		{"focus-on-brand", "brand", 3},
	} {
		fg, bg := vars[c.fg], vars[c.bg]
		if fg == "" || bg == "" {
			t.Errorf("portal.css has no --%s or --%s", c.fg, c.bg)
			continue
		}
		if r := contrast(fg, bg); r < c.min {
			t.Errorf("--%s %s on --%s %s: contrast %.2f:1, want at least %.1f:1", c.fg, fg, c.bg, bg, r, c.min)
		}
	}
}

// contrast is WCAG 2.1's contrast ratio of two sRGB colours "#rrggbb".
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}
