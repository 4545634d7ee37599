package vaulttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/segel-lpse/segel/vault"
)

// TestRecords checks the [vault.Records] contract.
func TestRecords(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("CRUD", func(t *testing.T) { testCRUD(t, newStore(t)) })
	t.Run("Insert", func(t *testing.T) { testInsert(t, newStore(t)) })
	t.Run("Validation", func(t *testing.T) { testValidation(t, newStore(t)) })
	t.Run("Scan", func(t *testing.T) { testScan(t, newStore(t)) })
	t.Run("Rollback", func(t *testing.T) { testRollback(t, newStore(t)) })
	t.Run("ViewIsReadOnly", func(t *testing.T) { testViewReadOnly(t, newStore(t)) })
	t.Run("ConcurrentUpdates", func(t *testing.T) { testConcurrentUpdates(t, newStore(t)) })
	t.Run("Durable", func(t *testing.T) { testRecordsDurable(t, newStore(t)) })
	t.Run("Batch", func(t *testing.T) { testBatch(t, newStore(t)) })
	t.Run("BatchFailure", func(t *testing.T) { testBatchFailure(t, newStore(t)) })
	t.Run("BatchCancelled", func(t *testing.T) { testBatchCancelled(t, newStore(t)) })
}

func get(t *testing.T, r vault.Records, table, key string) ([]byte, error) {
	t.Helper()
	var v []byte
	err := r.View(testContext(t), func(tx vault.Tx) error {
		var err error
		v, err = tx.Get(table, key)
		return err
	})
	return v, err
}

func mustUpdate(t *testing.T, r vault.Records, fn func(vault.Tx) error) {
	t.Helper()
	if err := r.Update(testContext(t), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func wantValue(t *testing.T, r vault.Records, table, key, want string) {
	t.Helper()
	got, err := get(t, r, table, key)
	if err != nil {
		t.Fatalf("Get(%q, %q): %v", table, key, err)
	}
	if string(got) != want {
		t.Fatalf("Get(%q, %q) = %q, want %q", table, key, got, want)
	}
}

func wantNotFound(t *testing.T, r vault.Records, table, key string) {
	t.Helper()
	if v, err := get(t, r, table, key); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("Get(%q, %q) = %q, %v; want ErrNotFound", table, key, v, err)
	}
}

func testCRUD(t *testing.T, s Store) {
	b, _ := open(t, s)
	wantNotFound(t, b, "users", "u1")
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Put("users", "u1", []byte(`{"v":1}`)) })
	wantValue(t, b, "users", "u1", `{"v":1}`)
	wantNotFound(t, b, "tenders", "u1") // tables are separate
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Put("users", "u1", []byte(`{"v":2}`)) })
	wantValue(t, b, "users", "u1", `{"v":2}`)
	// Reads inside Update see the transaction's own writes.
	mustUpdate(t, b, func(tx vault.Tx) error {
		if err := tx.Put("users", "u2", []byte("x")); err != nil {
			return err
		}
		v, err := tx.Get("users", "u2")
		if err != nil || string(v) != "x" {
			return fmt.Errorf("Get after Put in one Update = %q, %v; want \"x\"", v, err)
		}
		return nil
	})
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Delete("users", "u1") })
	wantNotFound(t, b, "users", "u1")
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Delete("users", "never") })
	// Empty and nil values are stored as empty.
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Put("users", "empty", nil) })
	if v, err := get(t, b, "users", "empty"); err != nil || v == nil || len(v) != 0 {
		t.Fatalf("Get of empty value = %#v, %v; want []byte{}, nil", v, err)
	}
	// Arbitrary bytes survive.
	bin := []byte{0, 1, 2, 0xff, 0xfe, '\\', 'x'}
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Put("users", "bin", bin) })
	wantValue(t, b, "users", "bin", string(bin))
}

func testInsert(t *testing.T, s Store) {
	b, _ := open(t, s)
	ctx := testContext(t)
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Insert("npwp", "012345678901234", []byte("u1")) })
	err := b.Update(ctx, func(tx vault.Tx) error { return tx.Insert("npwp", "012345678901234", []byte("u2")) })
	if !errors.Is(err, vault.ErrExists) {
		t.Fatalf("second Insert: %v, want ErrExists", err)
	}
	wantValue(t, b, "npwp", "012345678901234", "u1")
	// A failed Insert does not poison the transaction: the caller may
	// handle ErrExists and carry on.
	mustUpdate(t, b, func(tx vault.Tx) error {
		if err := tx.Insert("npwp", "012345678901234", []byte("u3")); !errors.Is(err, vault.ErrExists) {
			return fmt.Errorf("Insert of existing key: %v, want ErrExists", err)
		}
		return tx.Insert("npwp", "999999999999999", []byte("u3"))
	})
	wantValue(t, b, "npwp", "999999999999999", "u3")
	// Insert after Delete succeeds.
	mustUpdate(t, b, func(tx vault.Tx) error {
		if err := tx.Delete("npwp", "012345678901234"); err != nil {
			return err
		}
		return tx.Insert("npwp", "012345678901234", []byte("u4"))
	})
	wantValue(t, b, "npwp", "012345678901234", "u4")
}

func testValidation(t *testing.T, s Store) {
	b, _ := open(t, s)
	ctx := testContext(t)
	long := strings.Repeat("k", vault.MaxKeySize)
	good := []struct{ table, key string }{
		{"a", "k"},
		{strings.Repeat("t", vault.MaxTableName), "k"},
		{"t_9", long},
		{"t", "ключ/日本"},
	}
	for _, g := range good {
		if err := b.Update(ctx, func(tx vault.Tx) error { return tx.Put(g.table, g.key, []byte("v")) }); err != nil {
			t.Errorf("Put(%q, %.20q…): %v", g.table, g.key, err)
		}
	}
	bad := []struct{ table, key string }{
		{"", "k"},
		{strings.Repeat("t", vault.MaxTableName+1), "k"},
		{"Users", "k"},
		{"1t", "k"},
		{"_t", "k"},
		{"t-t", "k"},
		{"t t", "k"},
		{"t", ""},
		{"t", long + "k"},
		{"t", "a\x00b"},
		{"t", "\xff\xfe"},
	}
	for _, c := range bad {
		for name, op := range map[string]func(vault.Tx) error{
			"Put":    func(tx vault.Tx) error { return tx.Put(c.table, c.key, nil) },
			"Insert": func(tx vault.Tx) error { return tx.Insert(c.table, c.key, nil) },
			"Get":    func(tx vault.Tx) error { _, err := tx.Get(c.table, c.key); return err },
			"Delete": func(tx vault.Tx) error { return tx.Delete(c.table, c.key) },
		} {
			err := b.Update(ctx, op)
			if err == nil || errors.Is(err, vault.ErrNotFound) {
				t.Errorf("%s(%q, %.20q): %v, want a validation error", name, c.table, c.key, err)
			}
		}
	}
	for _, n := range []int{vault.MaxRecordSize - 1, vault.MaxRecordSize} {
		if err := b.Update(ctx, func(tx vault.Tx) error { return tx.Put("t", "big", make([]byte, n)) }); err != nil {
			t.Errorf("Put of %d bytes: %v", n, err)
		}
	}
	err := b.Update(ctx, func(tx vault.Tx) error { return tx.Put("t", "big2", make([]byte, vault.MaxRecordSize+1)) })
	if !errors.Is(err, vault.ErrTooLarge) {
		t.Errorf("Put of MaxRecordSize+1 bytes: %v, want ErrTooLarge", err)
	}
	wantNotFound(t, b, "t", "big2")
}

func testScan(t *testing.T, s Store) {
	b, _ := open(t, s)
	ctx := testContext(t)
	max := string(utf8.MaxRune)
	keys := []string{"a", "a/", "a/b", "a/b/c", "a0", "ab", "b", "a/é", "a/z", "a/日", "a/\u007f", "a/ ",
		// Where the next code point has another length, or is far.
		"a/\u007fz", "a/\u0080", "\ud7ff", "\ud7ffy", "\ue000", "z" + max, "z" + max + "z", "z{", "{", max, max + max}
	// Enough keys to span several internal pages.
	for i := range 700 {
		keys = append(keys, fmt.Sprintf("p/%05d", i))
	}
	shuffled := slices.Clone(keys)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	mustUpdate(t, b, func(tx vault.Tx) error {
		for _, k := range shuffled {
			if err := tx.Put("s", k, []byte("v"+k)); err != nil {
				return err
			}
		}
		return tx.Put("s2", "a/x", []byte("other table"))
	})
	scan := func(prefix string) []string {
		t.Helper()
		var got []string
		err := b.View(ctx, func(tx vault.Tx) error {
			return tx.Scan("s", prefix, func(k string, v []byte) error {
				if string(v) != "v"+k {
					return fmt.Errorf("value of %q = %q", k, v)
				}
				got = append(got, k)
				return nil
			})
		})
		if err != nil {
			t.Fatalf("Scan(%q): %v", prefix, err)
		}
		return got
	}
	for _, prefix := range []string{"", "a", "a/", "a/b", "p/", "p/001", "q", "a/日", "a/\u007f", "\ud7ff", "z", "z" + max, max} {
		var want []string
		for _, k := range keys {
			if strings.HasPrefix(k, prefix) {
				want = append(want, k)
			}
		}
		// Byte order, which for UTF-8 is code point order.
		slices.Sort(want)
		if got := scan(prefix); !slices.Equal(got, want) {
			t.Errorf("Scan(%q) =\n%q\nwant\n%q", prefix, head(got), head(want))
		}
	}
	// An error from fn stops the scan and is returned as is.
	stop := errors.New("stop")
	n := 0
	err := b.View(ctx, func(tx vault.Tx) error {
		return tx.Scan("s", "p/", func(string, []byte) error {
			n++
			if n == 300 {
				return stop
			}
			return nil
		})
	})
	if err != stop || n != 300 {
		t.Errorf("Scan stopped by fn: err %v after %d calls, want %v after 300", err, n, stop)
	}
	// fn may use the Tx, including writes in an Update.
	mustUpdate(t, b, func(tx vault.Tx) error {
		return tx.Scan("s", "p/0000", func(k string, v []byte) error {
			if _, err := tx.Get("s2", "a/x"); err != nil {
				return err
			}
			return tx.Put("copy", k, v)
		})
	})
	wantValue(t, b, "copy", "p/00009", "vp/00009")
}

func head(s []string) []string {
	if len(s) > 20 {
		return append(s[:20:20], fmt.Sprintf("… (%d in all)", len(s)))
	}
	return s
}

func testRollback(t *testing.T, s Store) {
	b, _ := open(t, s)
	ctx := testContext(t)
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Put("t", "keep", []byte("old")) })
	boom := errors.New("boom")
	err := b.Update(ctx, func(tx vault.Tx) error {
		if err := tx.Put("t", "keep", []byte("new")); err != nil {
			return err
		}
		if err := tx.Put("t", "added", []byte("x")); err != nil {
			return err
		}
		if err := tx.Delete("t", "keep"); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the error of fn", err)
	}
	wantValue(t, b, "t", "keep", "old")
	wantNotFound(t, b, "t", "added")
	// A panic in fn must not leave a transaction (or a lock) behind.
	func() {
		defer func() { recover() }()
		b.Update(ctx, func(tx vault.Tx) error {
			tx.Put("t", "panicked", []byte("x"))
			panic("fn panics")
		})
	}()
	wantNotFound(t, b, "t", "panicked")
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Put("t", "after", []byte("ok")) })
}

func testViewReadOnly(t *testing.T, s Store) {
	b, _ := open(t, s)
	ctx := testContext(t)
	for name, op := range map[string]func(vault.Tx) error{
		"Put":    func(tx vault.Tx) error { return tx.Put("t", "k", []byte("v")) },
		"Insert": func(tx vault.Tx) error { return tx.Insert("t", "k", []byte("v")) },
		"Delete": func(tx vault.Tx) error { return tx.Delete("t", "k") },
	} {
		if err := b.View(ctx, op); err == nil {
			t.Errorf("%s inside View succeeded", name)
		}
	}
	wantNotFound(t, b, "t", "k")
}

func testConcurrentUpdates(t *testing.T, s Store) {
	b, _ := open(t, s)
	testConcurrentWrites(t, b, "Update", b.Update, 16)
}

// testConcurrentWrites runs writers × 10 concurrent read-modify-write
// calls through call (Update or Batch): none may be lost or applied
// twice, and each must see the others' writes.
func testConcurrentWrites(t *testing.T, b vault.Backend, name string, call func(context.Context, func(vault.Tx) error) error, writers int) {
	ctx := testContext(t)
	const each = 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := call(ctx, func(tx vault.Tx) error {
					if err := tx.Insert("c", fmt.Sprintf("w%02d-%02d", w, i), []byte("done")); err != nil {
						return err
					}
					return increment(tx, "counter")
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent %s: %v", name, err)
	}
	wantValue(t, b, "c", "counter", strconv.Itoa(writers*each))
	n := 0
	b.View(ctx, func(tx vault.Tx) error {
		return tx.Scan("c", "w", func(string, []byte) error { n++; return nil })
	})
	if n != writers*each {
		t.Errorf("%d marker records, want %d", n, writers*each)
	}
}

func testRecordsDurable(t *testing.T, s Store) {
	b, closeB := open(t, s)
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Put("t", "k", []byte("survives")) })
	closeB()
	b2, _ := open(t, s)
	wantValue(t, b2, "t", "k", "survives")
	mustUpdate(t, b2, func(tx vault.Tx) error { return tx.Put("t", "k2", bytes.Repeat([]byte("x"), 3)) })
	wantValue(t, b2, "t", "k2", "xxx")
}

// increment adds one to the counter under table c, key k, inside tx.
func increment(tx vault.Tx, k string) error {
	n := 0
	v, err := tx.Get("c", k)
	switch {
	case errors.Is(err, vault.ErrNotFound):
	case err != nil:
		return err
	default:
		if n, err = strconv.Atoi(string(v)); err != nil {
			return err
		}
	}
	return tx.Put("c", k, []byte(strconv.Itoa(n+1)))
}

// testBatch runs many concurrent read-modify-write Batch calls: none may
// be lost or applied twice, and each sees the others' writes.
func testBatch(t *testing.T, s Store) {
	b, _ := open(t, s)
	testConcurrentWrites(t, b, "Batch", b.Batch, 32)
}

// testBatchFailure: a failing call changes nothing and gets its own
// error; the calls batched with it commit; two calls racing to Insert
// one key end with one success and one ErrExists.
func testBatchFailure(t *testing.T, s Store) {
	b, _ := open(t, s)
	ctx := testContext(t)
	errRefused := errors.New("refused by the caller")
	const callers = 40
	results := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			results[i] = b.Batch(ctx, func(tx vault.Tx) error {
				if err := tx.Put("c", fmt.Sprintf("k%02d", i), []byte("x")); err != nil {
					return err
				}
				switch {
				case i%10 == 3:
					return fmt.Errorf("call %d: %w", i, errRefused)
				case i >= 30:
					return tx.Insert("c", "unique", []byte(strconv.Itoa(i)))
				}
				return increment(tx, "counter")
			})
		})
	}
	wg.Wait()
	winners := 0
	for i, err := range results {
		switch {
		case i%10 == 3:
			if !errors.Is(err, errRefused) {
				t.Errorf("call %d: got %v, want its own error", i, err)
			}
			wantNotFound(t, b, "c", fmt.Sprintf("k%02d", i))
		case i >= 30:
			if err == nil {
				winners++
			} else if !errors.Is(err, vault.ErrExists) {
				t.Errorf("call %d: got %v, want nil or ErrExists", i, err)
			}
		case err != nil:
			t.Errorf("call %d: %v", i, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d calls inserted the unique key, want 1", winners)
	}
	wantValue(t, b, "c", "counter", "27") // calls 0..29 but 3, 13 and 23
}

// testBatchCancelled: a call whose context is done before it runs
// returns the context's error and writes nothing.
func testBatchCancelled(t *testing.T, s Store) {
	b, _ := open(t, s)
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	err := b.Batch(ctx, func(tx vault.Tx) error { return tx.Put("c", "k", []byte("v")) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Batch with a cancelled context: %v", err)
	}
	wantNotFound(t, b, "c", "k")
}
