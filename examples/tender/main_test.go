package main

import (
	"context"
	"testing"
)

// TestExample runs the example program, so it cannot rot.
func TestExample(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a beacon round")
	}
	if err := run(context.Background()); err != nil {
		t.Fatal(err)
	}
}
