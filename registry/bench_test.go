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

// BenchmarkCheckAssignable measures the separation-of-duties check that the
// tender engine makes at every committee action, on each backend, for a
// pokja member whose person also holds a (deactivated) verifier account, so
// that the NIK index lookup finds and reads a staff account each time.
//
//	go test -run XXX -bench CheckAssignable ./registry
func BenchmarkCheckAssignable(b *testing.B) {
	for _, bk := range backends() {
		b.Run(bk.name, func(b *testing.B) {
			e := newEnv(b, bk.open(b), nil)
			c := e.cast()
			v2 := e.active(official(RoleVerifier, 0), c.admin.ID)
			twin := e.active(official(RolePokja, 6), v2.ID) // testNIKs[6] is c.verifier's
			e.must(e.reg.Deactivate(e.ctx, c.admin.ID, c.verifier.ID, Sanction{Reason: "pindah tugas"}))
			// Lookup is one read of the account in a read transaction: the
			// floor under the check.
			b.Run("Lookup", func(b *testing.B) {
				for b.Loop() {
					if _, err := e.reg.Lookup(e.ctx, twin.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("CheckAssignable", func(b *testing.B) {
				for b.Loop() {
					if err := e.reg.CheckAssignable(e.ctx, twin.ID, RolePokja); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
			})
		})
	}
}
