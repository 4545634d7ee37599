package vault_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// BenchmarkRecordsRead measures reads in View transactions: one Get of
// a random key among 10,000, and one Scan of a prefix holding 100 keys.
func BenchmarkRecordsRead(b *testing.B) {
	value := bytes.Repeat([]byte("x"), 200)
	for name, open := range benchBackends(b) {
		b.Run(name, func(b *testing.B) {
			v := open(b)
			for t := range 10 {
				err := v.Update(b.Context(), func(tx vault.Tx) error {
					for i := range 1000 {
						if err := tx.Put("bench", fmt.Sprintf("p%03d/%06d", (t*1000+i)/100, t*1000+i), value); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.Run("Get", func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				defer reportCPU(b)()
				for b.Loop() {
					i := r.IntN(10000)
					err := v.View(b.Context(), func(tx vault.Tx) error {
						_, err := tx.Get("bench", fmt.Sprintf("p%03d/%06d", i/100, i))
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Scan100", func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				defer reportCPU(b)()
				for b.Loop() {
					p := r.IntN(100)
					n := 0
					err := v.View(b.Context(), func(tx vault.Tx) error {
						return tx.Scan("bench", fmt.Sprintf("p%03d/", p), func(string, []byte) error { n++; return nil })
					})
					if err != nil || n != 100 {
						b.Fatalf("Scan: %d keys, %v", n, err)
					}
				}
			})
		})
	}
}

// BenchmarkAuditLogAppend measures durable appends to an audit log
// stored in the vault, one entry and 64 entries per Append, and the
// hash reads of an inclusion proof.
func BenchmarkAuditLogAppend(b *testing.B) {
	skey, _, err := auditlog.GenerateKey("bench.segel.test/log")
	if err != nil {
		b.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		b.Fatal(err)
	}
	entry := bytes.Repeat([]byte("e"), 300)
	for name, open := range benchBackends(b) {
		for _, batch := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(b *testing.B) {
				st := open(b).AuditLog("bench")
				l, err := auditlog.Open(b.Context(), auditlog.Config{Storage: st, Origin: "bench.segel.test/log", Signer: signer})
				if err != nil {
					b.Fatal(err)
				}
				entries := make([][]byte, batch)
				for i := range entries {
					entries[i] = entry
				}
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := l.Append(b.Context(), entries...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(name+"/ReadHashes", func(b *testing.B) {
			st := open(b).AuditLog("bench")
			l, err := auditlog.Open(b.Context(), auditlog.Config{Storage: st, Origin: "bench.segel.test/log", Signer: signer})
			if err != nil {
				b.Fatal(err)
			}
			entries := make([][]byte, 1000)
			for i := range entries {
				entries[i] = []byte(fmt.Sprint(i))
			}
			for range 4 {
				if _, err := l.Append(b.Context(), entries...); err != nil {
					b.Fatal(err)
				}
			}
			r := rand.New(rand.NewPCG(1, 2))
			defer reportCPU(b)()
			for b.Loop() {
				idx := tlog.StoredHashIndex(0, r.Int64N(4000))
				if _, err := st.ReadHashes(b.Context(), []int64{idx, idx + 1, idx/2 + 1, 7, 100, 1000}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
