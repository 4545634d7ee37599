package main

import (
	"bufio"
	"errors"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is the calling OS thread's CPU time. Callers lock their
// goroutine to the thread around what they measure.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// procStatus returns a field of /proc/self/status in bytes (VmHWM, VmRSS).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux
// clear_refs 5), so the peak of a phase is not the peak of the setup.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// memSampler records the peak of the Go runtime's total mapped memory.
type memSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func startMemSampler() *memSampler {
	m := &memSampler{stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > m.peak.Load() {
				m.peak.Store(v)
			}
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memSampler) Stop() uint64 {
	close(m.stop)
	m.wg.Wait()
	return m.peak.Load()
}

// Usage is the resources a phase used.
type Usage struct {
	WallSeconds float64 `json:"wall_s"`
	CPUSeconds  float64 `json:"cpu_s"`       // user+system of this process
	CPUCores    float64 `json:"cpu_cores"`   // CPU seconds per wall second
	PeakRSS     int64   `json:"peak_rss"`    // VmHWM over the phase, bytes (0 if unknown)
	PeakGoBytes uint64  `json:"peak_go_mem"` // peak Go runtime mapped memory, bytes
}

type usageMeter struct {
	start time.Time
	cpu0  time.Duration
	mem   *memSampler
	rssOK bool
}

func startUsage() *usageMeter {
	runtime.GC()
	return &usageMeter{rssOK: resetPeakRSS(), mem: startMemSampler(), start: time.Now(), cpu0: cpuTime()}
}

func (u *usageMeter) Stop() Usage {
	wall, cpu := time.Since(u.start), cpuTime()-u.cpu0
	out := Usage{WallSeconds: wall.Seconds(), CPUSeconds: cpu.Seconds(), CPUCores: cpu.Seconds() / wall.Seconds(), PeakGoBytes: u.mem.Stop()}
	if u.rssOK {
		out.PeakRSS = procStatus("VmHWM")
	}
	return out
}

// Percentiles of a set of durations, in milliseconds.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return float64(s[max(i, 0)]) / float64(time.Millisecond)
	}
	return Percentiles{N: len(s), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: q(1)}
}

// startProfiles starts the profiles c asks for; the function it returns
// stops them and writes the files.
func startProfiles(c Config) (func() error, error) {
	var cpu *os.File
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		cpu = f
	}
	if c.BlockProfile != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond))
	}
	return func() error {
		var err error
		if cpu != nil {
			pprof.StopCPUProfile()
			err = cpu.Close()
		}
		if c.BlockProfile != "" {
			f, ferr := os.Create(c.BlockProfile)
			if ferr != nil {
				return ferr
			}
			err = errors.Join(err, pprof.Lookup("block").WriteTo(f, 0), f.Close())
			runtime.SetBlockProfileRate(0)
		}
		return err
	}, nil
}
