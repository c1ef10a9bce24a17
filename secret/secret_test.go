package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealerBindsCiphertextToRow(t *testing.T) {
	key := make([]byte, 32)
	key[0] = 1
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal("sk-secret", "row-1")
	if strings.Contains(sealed, "sk-secret") || !strings.HasPrefix(sealed, "v1:") {
		t.Fatalf("sealed = %q", sealed)
	}
	if s.Seal("sk-secret", "row-1") == sealed {
		t.Error("two seals of the same value must differ (random nonce)")
	}
	if pt, err := s.Open(sealed, "row-1"); err != nil || pt != "sk-secret" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := s.Open(sealed, "row-2"); err == nil {
		t.Error("a ciphertext moved to another row must not decrypt")
	}
	other := make([]byte, 32)
	s2, _ := NewSealer(other)
	if _, err := s2.Open(sealed, "row-1"); err == nil {
		t.Error("another key must not decrypt")
	}
	if s.Fingerprint() == s2.Fingerprint() {
		t.Error("different keys must have different fingerprints")
	}
	if _, err := NewSealer(key[:16]); err == nil {
		t.Error("a 16-byte key must be refused")
	}
}

func TestParseKey(t *testing.T) {
	for _, in := range []string{strings.Repeat("ab", 32), "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=", "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA"} {
		if k, err := ParseKey(in); err != nil || len(k) != 32 {
			t.Errorf("ParseKey(%q) = %d bytes, %v", in, len(k), err)
		}
	}
	for _, in := range []string{"", "short", strings.Repeat("ab", 16), strings.Repeat("zz", 32)} {
		if _, err := ParseKey(in); err == nil {
			t.Errorf("ParseKey(%q) accepted", in)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "encryption.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) != 32 {
		t.Fatalf("first: %v %v %v", len(k1), created, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || string(k1) != string(k2) {
		t.Fatalf("second start must reuse the key: created=%v err=%v", created, err)
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(PrefixVirtualKey), NewToken(PrefixVirtualKey)
	if a == b || !strings.HasPrefix(a, "gh-sk-") || len(a) != len("gh-sk-")+43 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if HashToken(a) == HashToken(b) || HashToken(a) != HashToken(a) || len(HashToken(a)) != 64 {
		t.Fatal("hashes must be stable, distinct and hex SHA-256")
	}
	h, err := HashPassword("a long enough password")
	if err != nil || !CheckPassword(h, "a long enough password") || CheckPassword(h, "another password!") {
		t.Fatal("password hashing")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("short password accepted")
	}
}
