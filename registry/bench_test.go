package registry

import (
	"fmt"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/argon2"
)

// BenchmarkAccounts measures registrations/s and logins/s at the default
// argon2id cost on each backend, and a bare argon2id hash at the same cost
// in the same run: argon2id dominates, so Register and Login should cost
// little more than one hash each.
//
//	go test -run XXX -bench Accounts -benchtime 100x ./registry
func BenchmarkAccounts(b *testing.B) {
	b.Run("argon2id", func(b *testing.B) {
		p := defaultPasswordParams()
		salt := make([]byte, saltLen)
		for b.Loop() {
			argon2.IDKey([]byte(testPassword), salt, p.Time, p.MemoryKiB, p.Threads, hashLen)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
	})
	for _, bk := range backends() {
		b.Run(bk.name, func(b *testing.B) {
			e := newEnv(b, bk.open(b), func(c *Config) { c.Password = PasswordParams{} })
			c := e.cast()
			p := e.active(company(1), c.verifier.ID)
			var n atomic.Int64
			b.Run("Register", func(b *testing.B) {
				for b.Loop() {
					a := company(0)
					i := n.Add(1)
					a.Email = fmt.Sprintf("bench%d@contoh.co.id", i)
					a.Provider.NPWP = fmt.Sprintf("%015d", 100000000000000+i)
					if _, err := e.reg.Register(e.ctx, a); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
			})
			b.Run("Login", func(b *testing.B) {
				for b.Loop() {
					if _, err := e.reg.Login(e.ctx, p.Email, testPassword); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
			})
		})
	}
}
