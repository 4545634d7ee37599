package timelock

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// testdata/tlock.json holds public drand/tlock vectors (beacon signatures
// and tle ciphertexts from drand's repositories); see its "source" fields.
type vectorFile struct {
	Networks []struct {
		Name        string `json:"name"`
		BeaconID    string `json:"beacon_id"`
		Scheme      string `json:"scheme"`
		PublicKey   string `json:"public_key"`
		ChainHash   string `json:"chain_hash"`
		GenesisTime int64  `json:"genesis_time"`
		Period      int64  `json:"period_seconds"`
		GenesisSeed string `json:"genesis_seed"`
		Usable      bool   `json:"tlock_usable"`
	} `json:"networks"`
	Beacons []struct {
		Network   string `json:"network"`
		Scheme    string `json:"scheme"`     // set when the network is not in Networks
		PublicKey string `json:"public_key"` // likewise
		Round     uint64 `json:"round"`
		Signature string `json:"signature"`
	} `json:"beacons"`
	Ciphertexts []struct {
		Network        string `json:"network"`
		Round          uint64 `json:"round"`
		ChainHash      string `json:"chain_hash"`
		Armored        string `json:"ciphertext_armored"`
		PlaintextHex   string `json:"expected_plaintext_hex"`
		Signature      string `json:"signature"`
		ExpectedResult string `json:"expected_result"`
		BodyHex        string `json:"tlock_stanza_body_hex"`
	} `json:"ciphertexts"`
	RoundTime struct {
		Cases []struct {
			Unix  int64  `json:"unix_time"`
			Round uint64 `json:"current_round"`
		} `json:"cases"`
		TimeOfRound []struct {
			Round uint64 `json:"round"`
			Unix  int64  `json:"unix_time"`
		} `json:"time_of_round"`
	} `json:"round_time_examples"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	b, err := os.ReadFile("testdata/tlock.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// vectorChains builds every tlock-usable network of the vector file, keyed
// by name, and checks that the hash we compute is drand's.
func vectorChains(t testing.TB, v *vectorFile) map[string]Chain {
	t.Helper()
	chains := make(map[string]Chain)
	for _, n := range v.Networks {
		c, err := NewChain(ChainParams{
			Scheme:      n.Scheme,
			PublicKey:   mustHex(n.PublicKey),
			Genesis:     time.Unix(n.GenesisTime, 0),
			Period:      time.Duration(n.Period) * time.Second,
			GenesisSeed: mustHex(n.GenesisSeed),
			BeaconID:    n.BeaconID,
		})
		if !n.Usable {
			if err == nil {
				t.Errorf("%s: NewChain accepted scheme %s, which cannot time-lock", n.Name, n.Scheme)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		if got := c.HashHex(); got != n.ChainHash {
			t.Errorf("%s: chain hash = %s, want %s", n.Name, got, n.ChainHash)
		}
		chains[n.Name] = c
	}
	return chains
}

func TestQuicknetPinned(t *testing.T) {
	if got := Quicknet.HashHex(); got != QuicknetHash {
		t.Fatalf("Quicknet hash = %s, want %s", got, QuicknetHash)
	}
	v := loadVectors(t)
	if c := vectorChains(t, v)["quicknet"]; !c.Equal(Quicknet) {
		t.Errorf("pinned Quicknet differs from the vector's quicknet")
	}
}

func TestVectorBeacons(t *testing.T) {
	v := loadVectors(t)
	chains := vectorChains(t, v)
	for _, b := range v.Beacons {
		c, ok := chains[b.Network]
		if !ok {
			// A bare key from drand's scheme tests: only the scheme and
			// key matter for verification.
			var err error
			c, err = NewChain(ChainParams{Scheme: b.Scheme, PublicKey: mustHex(b.PublicKey), Genesis: time.Unix(1, 0), Period: time.Second})
			if err != nil {
				t.Fatalf("%s: %v", b.Network, err)
			}
		}
		sig := mustHex(b.Signature)
		if err := c.VerifySignature(b.Round, sig); err != nil {
			t.Errorf("%s round %d: %v", b.Network, b.Round, err)
		}
		if err := c.VerifySignature(b.Round+1, sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s round %d: signature verified for round %d: err = %v", b.Network, b.Round, b.Round+1, err)
		}
	}
}

func TestVectorCiphertexts(t *testing.T) {
	v := loadVectors(t)
	chains := vectorChains(t, v)
	for _, ct := range v.Ciphertexts {
		name := ct.Network + "/" + strings.TrimSpace(hex.EncodeToString(mustHex(ct.BodyHex)[:4]))
		t.Run(name, func(t *testing.T) {
			c := chains[ct.Network]
			// Every vector's stanza passes the structural check.
			stanzas, _, err := ReadStanzas(armorReader(t, ct.Armored))
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, s := range stanzas {
				if s.Type != StanzaType {
					continue
				}
				found = true
				round, err := ParseStanza(c, s)
				if err != nil {
					t.Fatalf("ParseStanza: %v", err)
				}
				if round != ct.Round {
					t.Errorf("round = %d, want %d", round, ct.Round)
				}
				if !bytes.Equal(s.Body, mustHex(ct.BodyHex)) {
					t.Errorf("stanza body differs from the vector's")
				}
			}
			if !found {
				t.Fatal("no tlock stanza")
			}
			if ct.Signature == "" {
				return // no published signature: structure only
			}
			b, err := NewFixedBeacon(c, map[uint64][]byte{ct.Round: mustHex(ct.Signature)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Open(context.Background(), strings.NewReader(ct.Armored), b)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(r)
			}
			if ct.ExpectedResult != "decrypt_ok" {
				if err == nil {
					t.Fatalf("negative vector decrypted to %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := mustHex(ct.PlaintextHex); !bytes.Equal(got, want) {
				t.Errorf("plaintext = %q, want %q", got, want)
			}
		})
	}
}

func TestVectorRoundTime(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.RoundTime.Cases {
		if got := Quicknet.CurrentRound(time.Unix(c.Unix, 0)); got != c.Round {
			t.Errorf("CurrentRound(%d) = %d, want %d", c.Unix, got, c.Round)
		}
	}
	for _, c := range v.RoundTime.TimeOfRound {
		if got := Quicknet.TimeOf(c.Round).Unix(); got != c.Unix {
			t.Errorf("TimeOf(%d) = %d, want %d", c.Round, got, c.Unix)
		}
	}
}
