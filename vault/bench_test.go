package vault_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
)

// benchBackends opens each backend on fresh storage for a benchmark; the
// PostgreSQL one only when SEGEL_TEST_POSTGRES is set.
func benchBackends(b *testing.B) map[string]func(b *testing.B) vault.Backend {
	return map[string]func(b *testing.B) vault.Backend{
		"embedded": func(b *testing.B) vault.Backend {
			e, err := vault.OpenEmbedded(b.Context(), vault.EmbeddedConfig{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { e.Close() })
			return e
		},
		"postgres": func(b *testing.B) vault.Backend {
			p, err := vault.OpenPostgres(b.Context(), vault.PostgresConfig{DSN: vaulttest.PostgresDSN(b), MaxConns: 20})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { p.Close() })
			return p
		},
	}
}

// BenchmarkBlobPut measures durable blob writes against the baseline of
// writing and fsync-ing the same bytes to a plain file in the same run.
func BenchmarkBlobPut(b *testing.B) {
	for _, size := range []int{64 << 10, 16 << 20} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 31)
		}
		b.Run(fmt.Sprintf("size=%dKiB/baseline-file", size>>10), func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
		for name, open := range benchBackends(b) {
			b.Run(fmt.Sprintf("size=%dKiB/%s", size>>10, name), func(b *testing.B) {
				v := open(b)
				b.SetBytes(int64(size))
				for i := uint64(0); b.Loop(); i++ {
					binary.BigEndian.PutUint64(data, i) // distinct content, no dedup
					if _, err := v.Put(b.Context(), bytes.NewReader(data), int64(size)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBlobPutConcurrent measures durable blob writes the way the
// deadline rush makes them: 256 KiB offers from 128 uploads at once
// (SetParallelism 64 on 2 cores), against the baseline of writing and
// fsync-ing the same bytes to plain files, equally concurrent, in the
// same run. Put's extra cost is naming the file by its content: linking
// it and fsync-ing its directory.
func BenchmarkBlobPutConcurrent(b *testing.B) {
	const size = 256 << 10
	const perProc = 64
	parallel := func(b *testing.B, put func(data []byte, i uint64) error) {
		var next atomic.Uint64
		b.SetBytes(size)
		b.SetParallelism(perProc)
		b.RunParallel(func(pb *testing.PB) {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(i * 31)
			}
			for pb.Next() {
				i := next.Add(1) - 1
				binary.BigEndian.PutUint64(data, i) // distinct content, no dedup
				if err := put(data, i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("baseline-file", func(b *testing.B) {
		dir := b.TempDir()
		parallel(b, func(data []byte, i uint64) error {
			f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
			if err != nil {
				return err
			}
			if _, err := f.Write(data); err != nil {
				f.Close()
				return err
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
	})
	for name, open := range benchBackends(b) {
		b.Run(name, func(b *testing.B) {
			v := open(b)
			parallel(b, func(data []byte, i uint64) error {
				_, err := v.Put(b.Context(), bytes.NewReader(data), size)
				return err
			})
		})
	}
}

// BenchmarkRecordsUpdate measures committed writes per second (each call
// writes one ~200-byte record) with 1 to 64 concurrent writers, through
// Update (one transaction each) and Batch (group commit).
func BenchmarkRecordsUpdate(b *testing.B) {
	value := bytes.Repeat([]byte("x"), 200)
	for name, open := range benchBackends(b) {
		for _, c := range []struct {
			call    string
			writers int
		}{{"Update", 1}, {"Update", 16}, {"Update", 64}, {"Batch", 16}, {"Batch", 64}} {
			writers := c.writers
			b.Run(fmt.Sprintf("%s/%s/writers=%d", name, c.call, writers), func(b *testing.B) {
				v := open(b)
				var wg sync.WaitGroup
				per := (b.N + writers - 1) / writers
				errs := make(chan error, writers)
				b.ResetTimer()
				defer reportCPU(b)()
				start := time.Now()
				for w := range writers {
					wg.Go(func() {
						for i := range per {
							call := v.Update
							if c.call == "Batch" {
								call = v.Batch
							}
							err := call(b.Context(), func(tx vault.Tx) error {
								return tx.Put("bench", fmt.Sprintf("w%02d/%09d", w, i), value)
							})
							if err != nil {
								errs <- err
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				b.ReportMetric(float64(per*writers)/elapsed.Seconds(), "commits/s")
			})
		}
	}
}
