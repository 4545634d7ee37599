//go:build !linux

package sealer_test

import "time"

// threadCPU is not available: benchmarks report wall time only.
func threadCPU() (time.Duration, bool) { return 0, false }
