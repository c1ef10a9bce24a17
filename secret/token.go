// Package secret generates, hashes and seals the secrets Gatehouse keeps:
// the master key, team virtual keys, admin session tokens (hashed, never
// stored in clear) and provider API keys (encrypted, because they must be
// sent upstream again).
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// Token prefixes make a leaked secret recognisable (by people and by
// secret scanners) and tell at a glance what it opens.
const (
	PrefixMasterKey  = "gh-master-"
	PrefixVirtualKey = "gh-sk-"
	PrefixSession    = "gh-sess-"
	// PrefixMasterSession marks the admin console session of the
	// master-key holder.
	PrefixMasterSession = "gh-msess-"
)

// NewToken returns prefix followed by 256 random bits in URL-safe base64.
func NewToken(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken returns the hex SHA-256 of a token. Tokens are 256-bit random
// values (or, for an operator-chosen master key, at least 32 characters),
// so a fast hash is enough to make a stolen database useless while keeping
// lookups on the request path O(1); passwords, which are guessable, use
// HashPassword instead.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// EqualHash compares two hashes in constant time.
func EqualHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
