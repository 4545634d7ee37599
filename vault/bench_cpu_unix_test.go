//go:build unix

package vault_test

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU starts counting the CPU time of the process, and returns the
// function that reports it per operation: what the code costs, where wall
// time on a shared machine also counts other programs.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
