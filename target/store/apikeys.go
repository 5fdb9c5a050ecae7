package store

import (
	"context"
	"crypto/sha256"
	"fmt"
)

// KeyHash is the stored form of an API key: its SHA-256. Keys are random
// tokens, not passwords, so a fast hash is the right one; only the hash is
// stored and compared.
type KeyHash [sha256.Size]byte

// HashKey hashes an API key for storage and lookup.
func HashKey(key string) KeyHash { return sha256.Sum256([]byte(key)) }

// AddAPIKey stores the hash of key under name. Adding a key that exists is
// not an error.
func (s *Store) AddAPIKey(ctx context.Context, name, key string) error {
	h := HashKey(key)
	_, err := s.pool.Exec(ctx, `/*q:api_key_add*/
		INSERT INTO api_keys (name, key_hash)
		SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM api_keys WHERE key_hash = $2)`, name, h[:])
	if err != nil {
		return translate(err, fmt.Sprintf("adding API key %q", name))
	}
	return nil
}

const qAPIKeyExists = "/*q:api_key*/ SELECT EXISTS (SELECT 1 FROM api_keys WHERE key_hash = $1)"

// APIKeyExists reports whether a key with this hash is stored. The lookup is
// by hash equality, so the database never sees the key itself; the caller
// hashes in constant time per byte of key.
func (s *Store) APIKeyExists(ctx context.Context, h KeyHash) (bool, error) {
	var ok bool
	err := s.retryRead(ctx, func() error { return s.pool.QueryRow(ctx, qAPIKeyExists, h[:]).Scan(&ok) })
	if err != nil {
		return false, translate(err, "looking up API key")
	}
	return ok, nil
}
