package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sealer encrypts provider API keys at rest with AES-256-GCM. Each
// ciphertext is bound to the row it belongs to (as additional data), so a
// ciphertext copied onto another row does not decrypt.
type Sealer struct {
	aead cipher.AEAD
	fp   string
}

// sealVersion prefixes ciphertexts so the scheme can change later without
// guessing.
const sealVersion = "v1:"

// NewSealer builds a Sealer from a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("encryption key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("gatehouse encryption key fingerprint"))
	return &Sealer{aead: aead, fp: hex.EncodeToString(mac.Sum(nil))[:16]}, nil
}

// Fingerprint identifies the key without revealing it, so a start with a
// different key than the data was sealed with is detected up front.
func (s *Sealer) Fingerprint() string { return s.fp }

// Seal encrypts plaintext for the row identified by binding.
func (s *Sealer) Seal(plaintext, binding string) string {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(binding))
	return sealVersion + base64.StdEncoding.EncodeToString(out)
}

// Open decrypts a Seal result for the same binding.
func (s *Sealer) Open(sealed, binding string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, sealVersion)
	if !ok {
		return "", errors.New("unknown ciphertext format")
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("malformed ciphertext")
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, b[:n], b[n:], []byte(binding))
	if err != nil {
		return "", errors.New("ciphertext does not decrypt with this key")
	}
	return string(pt), nil
}

// ParseKey accepts a 32-byte key as 64 hex characters or as standard or
// URL-safe base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("encryption key must be 32 bytes as 64 hex characters or base64 (generate one with `openssl rand -hex 32`)")
}

// LoadOrCreateKeyFile reads the key stored at path, or creates one there
// with owner-only permissions. created reports which happened.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	if b, err := os.ReadFile(path); err == nil {
		k, err := ParseKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	} else if !os.IsNotExist(err) {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	return key, true, f.Close()
}
