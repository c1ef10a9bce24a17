// Package webhook delivers Gatehouse's events to the endpoints operators
// register: signed per the Standard Webhooks specification, sent by a
// background worker on any replica from the outbox that sqlstore fills
// in the transactions that cause the events, retried with exponential
// backoff for up to a day, through an HTTP client that refuses private
// addresses unless the operator allows them. It holds no SQL: storage is
// behind gatehouse.WebhookOutbox.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// SecretPrefix starts every signing secret, as Standard Webhooks
// recommends, so a secret is recognisable wherever it is pasted.
const SecretPrefix = "whsec_"

// NewSecret returns a fresh signing secret: the prefix and 32 random
// bytes in standard base64.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ParseSecret checks a secret's form and returns the key bytes the HMAC
// uses. Receivers decode the part after the prefix the same way.
func ParseSecret(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, gatehouse.FieldErrorf("secret", "secret must start with %q followed by base64 (or be omitted to generate one).", SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, gatehouse.FieldErrorf("secret", "secret must be %q followed by standard base64.", SecretPrefix)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, gatehouse.FieldErrorf("secret", "secret must hold 24 to 64 bytes (it holds %d).", len(key))
	}
	return key, nil
}

// Sign returns the webhook-signature header value for one message:
// "v1," and the base64 HMAC-SHA256, under the secret's key, of
// id + "." + timestamp (Unix seconds) + "." + body.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := ParseSecret(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, timestamp.Unix())
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Headers returns the three Standard Webhooks headers for a message.
func Headers(secret, id string, timestamp time.Time, body []byte) (map[string]string, error) {
	sig, err := Sign(secret, id, timestamp, body)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"webhook-id":        id,
		"webhook-timestamp": strconv.FormatInt(timestamp.Unix(), 10),
		"webhook-signature": sig,
	}, nil
}
