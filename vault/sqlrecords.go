package vault

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// sqlTx implements [Tx] on one transaction of either backend.
type sqlTx struct {
	ctx      context.Context
	q        querier
	d        *dialect
	readOnly bool
}

func (t *sqlTx) Get(table, key string) ([]byte, error) {
	if err := checkTable(table); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	var v []byte
	err := t.q.queryRow(t.ctx, t.d.getRecord, table, key).Scan(&v)
	if isNoRows(err) {
		return nil, fmt.Errorf("vault: record %s/%s: %w", table, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: get %s/%s: %w", table, key, err)
	}
	return nonNil(v), nil
}

func (t *sqlTx) Put(table, key string, value []byte) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := checkRecord(table, key, value); err != nil {
		return err
	}
	if _, err := t.q.exec(t.ctx, t.d.putRecord, table, key, nonNil(value)); err != nil {
		return fmt.Errorf("vault: put %s/%s: %w", table, key, err)
	}
	return nil
}

func (t *sqlTx) Insert(table, key string, value []byte) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := checkRecord(table, key, value); err != nil {
		return err
	}
	n, err := t.q.exec(t.ctx, t.d.insertRecord, table, key, nonNil(value))
	if err != nil {
		return fmt.Errorf("vault: insert %s/%s: %w", table, key, err)
	}
	if n == 0 {
		return fmt.Errorf("vault: insert %s/%s: %w", table, key, ErrExists)
	}
	return nil
}

func (t *sqlTx) Delete(table, key string) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := checkTable(table); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if _, err := t.q.exec(t.ctx, t.d.deleteRecord, table, key); err != nil {
		return fmt.Errorf("vault: delete %s/%s: %w", table, key, err)
	}
	return nil
}

// Scan pages through the keys: each page starts after the last key seen
// (keyset pagination), and is read whole before fn runs, so fn may use
// the transaction (a PostgreSQL connection runs one query at a time) and
// memory stays bounded.
func (t *sqlTx) Scan(table, prefix string, fn func(key string, value []byte) error) error {
	if err := checkTable(table); err != nil {
		return err
	}
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	query, after, end := t.d.scanFirst, prefix, scanEnd(prefix)
	for {
		page, err := t.page(query, table, after, prefix, end)
		if err != nil {
			return fmt.Errorf("vault: scan %s/%s: %w", table, prefix, err)
		}
		for _, kv := range page {
			if err := fn(kv.key, kv.value); err != nil {
				return err
			}
		}
		if len(page) < scanPage {
			return nil
		}
		query, after = t.d.scanNext, page[len(page)-1].key
	}
}

type keyValue struct {
	key   string
	value []byte
}

func (t *sqlTx) page(query, table, after, prefix, end string) ([]keyValue, error) {
	rows, err := t.q.query(t.ctx, query, table, after, prefix, scanPage, end)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page []keyValue
	for rows.Next() {
		var kv keyValue
		if err := rows.Scan(&kv.key, &kv.value); err != nil {
			return nil, err
		}
		kv.value = nonNil(kv.value)
		page = append(page, kv)
	}
	return page, rows.Err()
}

// noKeyAbove is above every valid key: 257 times U+10FFFF, the largest
// code point, is longer than MaxKeySize, and UTF-8's byte order is code
// point order.
var noKeyAbove = strings.Repeat(string(utf8.MaxRune), MaxKeySize/utf8.UTFMax+1)

// scanEnd returns a string above every key that starts with prefix, and
// valid UTF-8 (PostgreSQL's text must be): prefix with its last code
// point that is not U+10FFFF incremented and what follows it dropped,
// or noKeyAbove if there is none.
func scanEnd(prefix string) string {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		if r < utf8.MaxRune {
			r++
			if r == 0xD800 { // surrogates are no characters
				r = 0xE000
			}
			return prefix + string(r)
		}
	}
	return noKeyAbove
}
