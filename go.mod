module github.com/segel-lpse/segel

go 1.26.0

require (
	filippo.io/age v1.3.2
	github.com/cloudflare/circl v1.6.5
)

require (
	filippo.io/hpke v0.4.0 // indirect
	golang.org/x/crypto v0.55.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
